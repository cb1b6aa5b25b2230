"""Knowledge gaps: the questions the assistant could not answer or answered unsure, with counts.

A student message is a **gap** when its intent is ``nlu_fallback`` (not understood, or a
question the gate could not place), or ``faq`` with the knowledge selector's
``topic_confidence`` below :data:`LOW` (answered, but maybe with the wrong topic).
Messages the gate judged **out of domain** (``out_of_scope``) are kept apart, so that a
wrong out-of-domain verdict is visible too. Messages are grouped by their normalised text
(folded: NFKC, traditional → simplified, lower case; punctuation and spaces dropped), and
can be regrouped by the topic the assistant suggested. The bot messages that carried a
knowledge answer (``extra.knowledge.key``) give the most-answered topics.

Only the message text is shown (counselors may read it on the case page anyway): no name,
no case number. Everything is restricted to one agency.

**Performance.** The transcript is the biggest table (10,000 cases × 30 turns = 600,000
rows), and the facts needed live in JSON. So each console process keeps a small per-agency
aggregate in memory and brings it up to date incrementally on every request: transcript
rows are only ever appended (ids grow), so a request reads the rows after the last id it
saw (an index range scan on the primary key), re-reading a margin of recent ids so that a
row committed late is not missed. A case deleted since (purge, "delete my data",
a restore) changes the agency's (count, sum of ids) of the cases already seen, which
triggers a rebuild. Only scalar fields are read from the JSON (the selector's topic and
confidence, the gate's guess, the answered topic's key), never the whole document.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set, Tuple

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from bot.db.models import Message, Student
from bot.textnorm import fold

LOW = 0.5                 # topic_confidence below this: answered, but unsure
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
FAQ = "faq"
MARGIN = 1000             # recent message ids re-read on every refresh (late commits)
MAX_KEY = 120             # characters of the normalised text used for grouping
MAX_VARIANTS = 5          # distinct original wordings kept per group
PAGE_SIZE = 50
TOP_TOPICS = 20


def normalise(text: Any) -> str:
    """The grouping key of a question: folded, letters and digits only."""
    folded = fold(unicodedata.normalize("NFKC", str(text or "")))
    return "".join(ch for ch in folded if ch.isalnum())[:MAX_KEY]


def _aware(value: Optional[dt.datetime]) -> dt.datetime:
    if value is None:
        return dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _float(value: Any) -> Optional[float]:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


# -- the in-memory aggregate -------------------------------------------------------------------

@dataclass
class Entry:
    at: dt.datetime
    case: int
    kind: str                  # fallback | low | oos
    suggestion: Optional[str]  # "faq/<key>" for a topic, else the classifier's guess (an intent)


@dataclass
class Group:
    key: str
    text: str = ""                                   # the latest wording
    last: dt.datetime = field(default_factory=lambda: _aware(None))
    variants: List[str] = field(default_factory=list)
    entries: List[Entry] = field(default_factory=list)

    def add(self, text: str, entry: Entry) -> None:
        self.entries.append(entry)
        if entry.at >= self.last:
            self.last, self.text = entry.at, text
        if text not in self.variants and len(self.variants) < MAX_VARIANTS:
            self.variants.append(text)


@dataclass
class AgencyGaps:
    agency: str
    watermark: int = 0                      # highest message id folded in
    recent: Set[int] = field(default_factory=set)
    cases_max: int = 0                      # highest case id of the agency seen
    cases_sig: Tuple[int, int] = (0, 0)     # (count, sum of ids) of the agency's cases <= cases_max
    gaps: Dict[str, Group] = field(default_factory=dict)
    oos: Dict[str, Group] = field(default_factory=dict)
    answered: Dict[str, List[Tuple[dt.datetime, int]]] = field(default_factory=dict)
    rows_read: int = 0                      # for the benchmark: rows fetched by the last refresh
    rebuilt: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        self.watermark, self.recent, self.cases_max, self.cases_sig = 0, set(), 0, (0, 0)
        self.gaps, self.oos, self.answered = {}, {}, {}


_CACHE: Dict[Tuple[str, str], AgencyGaps] = {}
_CACHE_LOCK = threading.Lock()


def _state(url: str, agency: str) -> AgencyGaps:
    with _CACHE_LOCK:
        state = _CACHE.get((url, agency))
        if state is None:
            state = _CACHE[(url, agency)] = AgencyGaps(agency)
        return state


def clear() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


def _cases_signature(conn: Connection, agency: str, upto: int) -> Tuple[int, int]:
    n, total = conn.execute(
        select(func.count(Student.id), func.coalesce(func.sum(Student.id), 0))
        .where(Student.agency == agency, Student.id <= upto)).one()
    return int(n), int(total)


def _columns():
    topic = Message.extra["topic"].as_string()
    topic_conf = Message.extra["topic_confidence"].as_string()
    predicted = Message.extra[("gate", "predicted")].as_string()
    answered = Message.extra[("knowledge", "key")].as_string()
    return topic, topic_conf, predicted, answered


def refresh(conn: Connection, state: AgencyGaps) -> None:
    """Brings ``state`` up to date (call with ``state.lock`` held)."""
    state.rebuilt = False
    newest_case = conn.execute(select(func.max(Student.id)).where(Student.agency == state.agency)).scalar()
    newest_message = conn.execute(select(func.max(Message.id))).scalar() or 0
    if state.cases_max and (_cases_signature(conn, state.agency, state.cases_max) != state.cases_sig
                            or newest_message < state.watermark):
        state.reset()                         # cases were deleted (or the database restored)
        state.rebuilt = True
    if state.watermark == 0:
        state.rebuilt = True
    topic, topic_conf, predicted, answered = _columns()
    user_rows = and_(Message.role == "user", Message.intent.in_((FALLBACK, OUT_OF_SCOPE, FAQ)))
    bot_rows = and_(Message.role == "bot", answered.isnot(None))
    low = max(0, state.watermark - MARGIN)
    rows = conn.execute(
        select(Message.id, Message.student_id, Message.role, Message.text, Message.intent, Message.confidence,
               Message.at, topic, topic_conf, predicted, answered)
        .join(Student, Student.id == Message.student_id)
        .where(Student.agency == state.agency, Message.id > low, or_(user_rows, bot_rows))
        .order_by(Message.id)
    ).all()
    state.rows_read = len(rows)
    top = state.watermark
    for mid, case, role, text, intent, conf, at, t_key, t_conf, guess, a_key in rows:
        top = max(top, mid)
        if mid in state.recent:
            continue
        state.recent.add(mid)
        at = _aware(at)
        if role == "bot":
            state.answered.setdefault(str(a_key), []).append((at, case))
            continue
        if intent == OUT_OF_SCOPE:
            kind, suggestion, groups = "oos", guess, state.oos
        elif intent == FALLBACK:
            kind, suggestion, groups = "fallback", guess, state.gaps
        else:
            c = _float(t_conf)
            c = c if c is not None else _float(conf)
            if c is None or c >= LOW:
                continue
            kind, suggestion, groups = "low", t_key or guess, state.gaps
        key = normalise(text)
        if not key:
            continue
        groups.setdefault(key, Group(key)).add(str(text or "").strip(), Entry(at, case, kind, suggestion))
    state.watermark = top
    state.recent = {i for i in state.recent if i > top - MARGIN}
    if newest_case is not None and newest_case > state.cases_max:
        state.cases_max = int(newest_case)
    state.cases_sig = _cases_signature(conn, state.agency, state.cases_max) if state.cases_max else (0, 0)


# -- the page's figures ------------------------------------------------------------------------

@dataclass
class Row:
    text: str
    key: str
    count: int
    cases: int
    last: dt.datetime
    kinds: Dict[str, int]
    suggestion: Optional[str]
    variants: List[str]


@dataclass
class Listing:
    rows: List[Row]
    total: int            # groups
    messages: int         # messages in all groups
    page: int
    pages: int


def _rows(groups: Dict[str, Group], since: Optional[dt.datetime]) -> List[Row]:
    out = []
    for g in groups.values():
        entries = g.entries if since is None else [e for e in g.entries if e.at >= since]
        if not entries:
            continue
        kinds = Counter(e.kind for e in entries)
        suggestions = Counter(e.suggestion for e in entries if e.suggestion)
        out.append(Row(text=g.text, key=g.key, count=len(entries), cases=len({e.case for e in entries}),
                       last=max(e.at for e in entries), kinds=dict(kinds),
                       suggestion=suggestions.most_common(1)[0][0] if suggestions else None,
                       variants=[v for v in g.variants if v != g.text]))
    out.sort(key=lambda r: (-r.count, -r.last.timestamp(), r.key))
    return out


def _by_topic(groups: Dict[str, Group], since: Optional[dt.datetime]) -> List[Row]:
    buckets: Dict[str, List[Tuple[Entry, str]]] = {}
    for g in groups.values():
        for e in g.entries:
            if since is None or e.at >= since:
                buckets.setdefault(e.suggestion or "", []).append((e, g.text))
    out = []
    for suggestion, items in buckets.items():
        texts = Counter(t for _, t in items)
        out.append(Row(text=texts.most_common(1)[0][0], key=suggestion, count=len(items),
                       cases=len({e.case for e, _ in items}), last=max(e.at for e, _ in items),
                       kinds=dict(Counter(e.kind for e, _ in items)), suggestion=suggestion or None,
                       variants=[t for t, _ in texts.most_common(MAX_VARIANTS + 1)[1:]]))
    out.sort(key=lambda r: (-r.count, -r.last.timestamp(), r.key))
    return out


def _page(rows: List[Row], page: int, size: int) -> Listing:
    pages = max(1, math.ceil(len(rows) / size))
    page = min(max(1, page), pages)
    return Listing(rows[(page - 1) * size: page * size], len(rows), sum(r.count for r in rows), page, pages)


@dataclass
class Report:
    gaps: Listing
    oos: Listing
    topics: List[Dict[str, Any]]
    rows_read: int
    rebuilt: bool


def report(engine, url: str, agency: str, *, since: Optional[dt.datetime] = None, by: str = "text",
           page: int = 1, oos_page: int = 1, page_size: int = PAGE_SIZE) -> Report:
    state = _state(url, agency)
    with state.lock:
        with engine.connect() as conn:
            refresh(conn, state)
        gap_rows = _by_topic(state.gaps, since) if by == "topic" else _rows(state.gaps, since)
        oos_rows = _rows(state.oos, since)
        low_by_topic = Counter(e.suggestion for g in state.gaps.values() for e in g.entries
                               if e.kind == "low" and e.suggestion and (since is None or e.at >= since))
        topics = []
        for key, hits in state.answered.items():
            hits = hits if since is None else [h for h in hits if h[0] >= since]
            if hits:
                topics.append({"key": key, "count": len(hits), "cases": len({c for _, c in hits}),
                               "last": max(a for a, _ in hits), "low": low_by_topic.get("faq/" + key, 0)})
        topics.sort(key=lambda t: (-t["count"], t["key"]))
        return Report(_page(gap_rows, page, page_size), _page(oos_rows, oos_page, page_size), topics[:TOP_TOPICS],
                      state.rows_read, state.rebuilt)
