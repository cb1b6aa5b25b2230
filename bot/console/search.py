"""Full-text search over cases: names, majors and transcripts, in Chinese.

PostgreSQL has no Chinese text-search parser here, and word segmentation (jieba) would
make a search for part of a word miss. So a case's searchable text is folded (NFKC,
traditional → simplified, lower case) and indexed as its set of character **unigrams and
bigrams** (the classic CJK n-gram approach):

* PostgreSQL: ``console_case_index.terms`` is a ``tsvector`` of those terms with a GIN
  index. A query is split into runs of letters/digits; each run becomes the AND of its
  bigrams (or its single character), which the GIN index answers; runs longer than two
  characters are then checked as substrings of the folded ``body`` of the candidates, so
  the result is exact substring matching (``金融`` finds 金融学, ``王`` finds 王小明,
  ``税务局`` does not find 税务…局). :func:`bot.console.queries.search_ids` does the
  second step in display order and stops at a cap, so a word found in most cases costs
  about as much as a rare one.
* SQLite (small single-machine deployments): the same substring check over ``body``.

The index is derived data. A case is (re)indexed when its ``last_active_at`` differs from
the value recorded at indexing time: the tracker store moves ``last_active_at`` with every
stored message and ``bot.cases.save_profile`` with every profile change, so
:func:`refresh` run before a search (and by a background thread of the console) keeps the
index current. The same rows carry each case's message counts, which the case list and
the "fallback-heavy" flag use.
"""

from __future__ import annotations

import datetime as dt
import threading
import unicodedata
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from bot.console.models import CaseIndex
from bot.db.models import Message, Profile, Student, utcnow
from bot.textnorm import fold

FALLBACK_INTENT = "nlu_fallback"
# A case is "fallback-heavy" when the assistant failed to understand the student at least
# FALLBACK_MIN times, or at least FALLBACK_SHARE of the student's messages (and twice).
FALLBACK_MIN = 3
FALLBACK_SHARE = 0.2
FALLBACK_SHARE_MIN = 2

MAX_BODY = 300_000      # characters of a case kept searchable (names and majors come first)
MAX_QUERY = 100         # characters of a query
MAX_RUNS = 8            # separate words of a query


def normalise(value: Any) -> str:
    if value is None:
        return ""
    return fold(unicodedata.normalize("NFKC", str(value)))


def _is_word_char(ch: str) -> bool:
    return ch.isalnum()


def runs(folded: str) -> List[str]:
    """Maximal runs of letters, digits and CJK characters."""
    out: List[str] = []
    current: List[str] = []
    for ch in folded:
        if _is_word_char(ch):
            current.append(ch)
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


def terms_of(folded: str) -> List[str]:
    """The distinct unigrams and bigrams of every run, sorted (a tsvector's lexemes)."""
    found = set()
    for run in runs(folded):
        found.update(run)
        found.update(run[i:i + 2] for i in range(len(run) - 1))
    return sorted(found)


def tsvector_literal(terms: Iterable[str]) -> str:
    # Lexemes are letters and digits only, but quote defensively anyway.
    return " ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in terms)


def query_runs(query: str) -> List[str]:
    """The words of a search query (folded), at most MAX_RUNS, longest kept."""
    parts = runs(normalise(query[:MAX_QUERY]))
    unique: List[str] = []
    for p in parts:
        if p not in unique:
            unique.append(p)
    return unique[:MAX_RUNS]


def tsquery_literal(parts: Sequence[str]) -> str:
    terms = set()
    for run in parts:
        if len(run) == 1:
            terms.add(run)
        else:
            terms.update(run[i:i + 2] for i in range(len(run) - 1))
    return " & ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in sorted(terms))


def search_condition(dialect: str, query: str) -> Optional[ColumnElement]:
    """A WHERE condition on ``CaseIndex`` matching ``query``; None for an empty query."""
    parts = query_runs(query)
    if not parts:
        return None
    substrings = [CaseIndex.body.contains(p, autoescape=True) for p in parts]
    if dialect == "postgresql":
        tsq = text("console_case_index.terms @@ CAST(:console_tsq AS tsquery)").bindparams(
            console_tsq=tsquery_literal(parts))
        return and_(tsq, *substrings)
    return and_(*substrings)


def is_fallback_heavy(fallbacks: int, user_messages: int) -> bool:
    if fallbacks >= FALLBACK_MIN:
        return True
    return fallbacks >= FALLBACK_SHARE_MIN and user_messages > 0 and fallbacks >= FALLBACK_SHARE * user_messages


def fallback_heavy_condition() -> ColumnElement:
    """The SQL form of :func:`is_fallback_heavy` over ``CaseIndex`` (outer-joined)."""
    return or_(
        CaseIndex.fallback_messages >= FALLBACK_MIN,
        and_(CaseIndex.fallback_messages >= FALLBACK_SHARE_MIN,
             CaseIndex.fallback_messages * 5 >= CaseIndex.user_messages),
    )


# -- building ------------------------------------------------------------------------------

def stale_ids(conn: Connection, limit: int) -> List[Tuple[int, Any]]:
    """Cases whose index row is missing or older than the case."""
    rows = conn.execute(
        select(Student.id, Student.last_active_at)
        .outerjoin(CaseIndex, CaseIndex.student_id == Student.id)
        .where(or_(CaseIndex.student_id.is_(None), CaseIndex.source_at.is_(None),
                   CaseIndex.source_at != Student.last_active_at))
        .limit(limit)
    ).all()
    return [(r[0], r[1]) for r in rows]


def count_stale(conn: Connection) -> int:
    return int(conn.execute(
        select(func.count()).select_from(Student)
        .outerjoin(CaseIndex, CaseIndex.student_id == Student.id)
        .where(or_(CaseIndex.student_id.is_(None), CaseIndex.source_at.is_(None),
                   CaseIndex.source_at != Student.last_active_at))
    ).scalar_one())


def count_unindexed(conn: Connection) -> int:
    students = conn.execute(select(func.count()).select_from(Student)).scalar_one()
    indexed = conn.execute(select(func.count()).select_from(CaseIndex)).scalar_one()
    return max(0, int(students) - int(indexed))


def build_rows(conn: Connection, cases: Sequence[Tuple[int, Any]]) -> List[Dict[str, Any]]:
    """Index rows of the given (student id, last_active_at) pairs."""
    if not cases:
        return []
    ids = [c[0] for c in cases]
    heads: Dict[int, List[str]] = {i: [] for i in ids}
    for sid, name, major, major_raw in conn.execute(
        select(Student.id, Student.display_name, Profile.major, Profile.major_raw)
        .outerjoin(Profile, Profile.student_id == Student.id)
        .where(Student.id.in_(ids))
    ):
        heads[sid] = [v for v in (name, major, major_raw) if v]
    texts: Dict[int, List[str]] = {i: [] for i in ids}
    stats: Dict[int, List[int]] = {i: [0, 0, 0, 0] for i in ids}  # messages, user, fallback, last id
    for sid, mid, role, body, intent in conn.execute(
        select(Message.student_id, Message.id, Message.role, Message.text, Message.intent)
        .where(Message.student_id.in_(ids))
        .order_by(Message.student_id, Message.id)
    ):
        s = stats[sid]
        s[0] += 1
        if role == "user":
            s[1] += 1
            if intent == FALLBACK_INTENT:
                s[2] += 1
        s[3] = max(s[3], mid)
        if body:
            texts[sid].append(body)
    now = utcnow()
    out = []
    for sid, source_at in cases:
        folded = normalise("\n".join(heads[sid] + texts[sid]))[:MAX_BODY]
        s = stats[sid]
        out.append({
            "student_id": sid, "source_at": source_at, "indexed_at": now,
            "last_message_id": s[3] or None, "messages": s[0], "user_messages": s[1],
            "fallback_messages": s[2], "body": folded,
            "terms": tsvector_literal(terms_of(folded)) if conn.dialect.name == "postgresql" else None,
        })
    return out


def _upsert(conn: Connection, rows: List[Dict[str, Any]]) -> None:
    if not rows:
        return
    table = CaseIndex.__table__
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table)
    updates = {c.name: stmt.excluded[c.name] for c in table.columns if c.name != "student_id"}
    conn.execute(stmt.on_conflict_do_update(index_elements=["student_id"], set_=updates), rows)


def _upsert_alive(conn: Connection, rows: List[Dict[str, Any]]) -> None:
    """Upserts index rows; a case deleted meanwhile fails the batch on the foreign key, which
    is then retried without the missing cases."""
    from sqlalchemy.exc import IntegrityError

    try:
        with conn.begin_nested():
            _upsert(conn, rows)
    except IntegrityError:
        alive = set(conn.execute(select(Student.id).where(
            Student.id.in_([r["student_id"] for r in rows]))).scalars())
        _upsert(conn, [r for r in rows if r["student_id"] in alive])


def refresh(engine, limit: int = 500, batch: int = 200) -> int:
    """Re-indexes up to ``limit`` stale cases (full comparison); returns how many."""
    done = 0
    while done < limit:
        with engine.connect() as conn:
            todo = stale_ids(conn, min(batch, limit - done))
        if not todo:
            break
        with engine.begin() as conn:
            _upsert_alive(conn, build_rows(conn, todo))
        done += len(todo)
        if len(todo) < batch:
            break
    return done


def refresh_recent(engine, window_hours: float = 6.0, limit: int = 200) -> int:
    """The cheap check made before each list request.

    Every write that changes what is indexed moves the case's ``last_active_at`` to about
    "now", so only recently active cases need comparing; a difference in the number of
    rows (new cases, restored or imported ones) falls back to the full comparison. The
    background :class:`Indexer` makes the full comparison every few seconds anyway."""
    with engine.connect() as conn:
        students = conn.execute(select(func.count()).select_from(Student)).scalar_one()
        indexed = conn.execute(select(func.count()).select_from(CaseIndex)).scalar_one()
        if students != indexed:
            todo = None
        else:
            since = utcnow() - dt.timedelta(hours=window_hours)
            todo = conn.execute(
                select(Student.id, Student.last_active_at)
                .outerjoin(CaseIndex, CaseIndex.student_id == Student.id)
                .where(Student.last_active_at >= since,
                       or_(CaseIndex.student_id.is_(None), CaseIndex.source_at.is_(None),
                           CaseIndex.source_at != Student.last_active_at))
                .limit(limit)
            ).all()
    if todo is None:
        return refresh(engine, limit=limit)
    if not todo:
        return 0
    with engine.begin() as conn:
        rows = build_rows(conn, [(r[0], r[1]) for r in todo])
        _upsert_alive(conn, rows)
    return len(rows)


class Indexer:
    """Keeps the index current in the background (one per console process); with
    ``gaps_for`` = (database URL, agency) it also keeps that agency's knowledge-gaps
    aggregate (bot.console.gaps) built, so no request pays for the first build."""

    def __init__(self, engine, interval: float = 5.0, gaps_for: Optional[Tuple[str, str]] = None) -> None:
        self.engine = engine
        self.interval = interval
        self.gaps_for = gaps_for
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="console-indexer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        import logging

        log = logging.getLogger(__name__)
        while not self._stop.is_set():
            if self.gaps_for:
                try:
                    from bot.console import gaps

                    gaps.warm(self.engine, *self.gaps_for)
                except Exception as exc:  # the page builds it itself then
                    log.warning("knowledge-gaps refresh failed: %s", exc.__class__.__name__)
            try:
                n = refresh(self.engine, limit=2000)
                if n:
                    log.info("search index: %d case(s) indexed", n)
                    continue
            except Exception as exc:  # keep serving; the next round retries
                log.warning("search index refresh failed: %s", exc.__class__.__name__)
            self._stop.wait(self.interval)
