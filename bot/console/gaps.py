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
confidence, the gate's guess, the answered topic's key), never the whole document. Each
group keeps its counts per local day (messages, kinds, suggestions, and each case on the
last day it asked), so a period (7/30/90 days) costs a binary search per group, not a
pass over the messages.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set, Tuple

from sqlalchemy import and_, func, or_, select
from sqlalchemy import case as when
from sqlalchemy.engine import Connection

from bot.console.labels import local
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


def local_day(at: dt.datetime) -> dt.date:
    """The console's calendar day of a moment (the period filter counts in local days)."""
    return local(at).date()


def _float(value: Any) -> Optional[float]:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


# -- the in-memory aggregate -------------------------------------------------------------------

class Series:
    """Counts per local calendar day, with the number since a day answered by a binary search
    over suffix sums (rebuilt only after the series changed)."""

    __slots__ = ("by_day", "total", "_keys", "_suffix")

    def __init__(self) -> None:
        self.by_day: Dict[dt.date, int] = {}
        self.total = 0
        self._keys: Optional[List[dt.date]] = None
        self._suffix: List[int] = []

    def add(self, day: dt.date, n: int = 1) -> None:
        value = self.by_day.get(day, 0) + n
        if value:
            self.by_day[day] = value
        else:
            self.by_day.pop(day, None)
        self.total += n
        self._keys = None

    def since(self, first: Optional[dt.date]) -> int:
        if first is None:
            return self.total
        if self._keys is None:
            self._keys = sorted(self.by_day)
            suffix = [0] * (len(self._keys) + 1)
            for i in range(len(self._keys) - 1, -1, -1):
                suffix[i] = suffix[i + 1] + self.by_day[self._keys[i]]
            self._suffix = suffix
        return self._suffix[bisect.bisect_left(self._keys, first)]


@dataclass
class Agg:
    """Everything counted about one group of messages (one question, one suggested topic,
    one answered topic): messages per day, distinct cases by the day each last asked, the
    kinds and the suggestions per day, the latest wording and a few others."""

    key: str
    messages: Series = field(default_factory=Series)
    cases: Series = field(default_factory=Series)          # each case counted on its last day
    case_last: Dict[int, dt.date] = field(default_factory=dict)
    kinds: Dict[str, Series] = field(default_factory=dict)
    suggestions: Dict[str, Series] = field(default_factory=dict)
    last: dt.datetime = field(default_factory=lambda: _aware(None))
    text: str = ""                                          # the latest wording
    variants: List[str] = field(default_factory=list)
    wordings: Counter = field(default_factory=Counter)      # by-topic groups: the commonest wording
    common: str = ""

    def add(self, at: dt.datetime, day: dt.date, case: int, kind: Optional[str] = None,
            suggestion: Optional[str] = None, text: Optional[str] = None, count_wordings: bool = False) -> None:
        self.messages.add(day)
        before = self.case_last.get(case)
        if before is None or day > before:
            if before is not None:
                self.cases.add(before, -1)
            self.cases.add(day)
            self.case_last[case] = day
        if kind:
            self.kinds.setdefault(kind, Series()).add(day)
        if suggestion:
            self.suggestions.setdefault(suggestion, Series()).add(day)
        if text is not None:
            if at >= self.last:
                self.last, self.text = at, text
            if text not in self.variants and len(self.variants) < MAX_VARIANTS:
                self.variants.append(text)
            if count_wordings:
                self.wordings[text] += 1
                if not self.common or self.wordings[text] > self.wordings[self.common]:
                    self.common = text
        elif at >= self.last:
            self.last = at


@dataclass
class AgencyGaps:
    agency: str
    watermark: int = 0                      # highest message id folded in
    recent: Set[int] = field(default_factory=set)
    cases_max: int = 0                      # highest case id of the agency seen
    cases_sig: Tuple[int, int] = (0, 0)     # (count, sum of ids) of the agency's cases <= cases_max
    gaps: Dict[str, Agg] = field(default_factory=dict)        # by normalised text
    by_topic: Dict[str, Agg] = field(default_factory=dict)    # the same messages by suggestion ("" = none)
    oos: Dict[str, Agg] = field(default_factory=dict)
    answered: Dict[str, Agg] = field(default_factory=dict)    # knowledge answers by topic key
    ours: Set[int] = field(default_factory=set)     # case ids known to be of this agency
    theirs: Set[int] = field(default_factory=set)   # ... and of other agencies
    rows_read: int = 0                      # for the benchmark: rows fetched by the last refresh
    rebuilt: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        self.watermark, self.recent, self.cases_max, self.cases_sig = 0, set(), 0, (0, 0)
        self.ours, self.theirs = set(), set()
        self.gaps, self.by_topic, self.oos, self.answered = {}, {}, {}, {}


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


def _columns():
    topic = Message.extra["topic"].as_string()
    topic_conf = Message.extra["topic_confidence"].as_string()
    predicted = Message.extra[("gate", "predicted")].as_string()
    answered = Message.extra[("knowledge", "key")].as_string()
    return topic, topic_conf, predicted, answered


def _agg(groups: Dict[str, Agg], key: str) -> Agg:
    agg = groups.get(key)
    if agg is None:
        agg = groups[key] = Agg(key)
    return agg


def refresh(conn: Connection, state: AgencyGaps) -> None:
    """Brings ``state`` up to date (call with ``state.lock`` held)."""
    state.rebuilt = False
    old = Student.id <= state.cases_max
    newest_message, newest_case, n_all, sum_all, n_old, sum_old = conn.execute(select(
        select(func.max(Message.id)).scalar_subquery(),
        func.max(Student.id), func.count(Student.id), func.coalesce(func.sum(Student.id), 0),
        func.coalesce(func.sum(when((old, 1), else_=0)), 0),
        func.coalesce(func.sum(when((old, Student.id), else_=0)), 0),
    ).where(Student.agency == state.agency)).one()
    newest_message = int(newest_message or 0)
    if state.cases_max and ((int(n_old), int(sum_old)) != state.cases_sig or newest_message < state.watermark):
        state.reset()                         # cases were deleted (or the database restored)
        state.rebuilt = True
    if state.watermark == 0:
        state.rebuilt = True
    topic, topic_conf, predicted, answered = _columns()
    user_rows = and_(Message.role == "user", Message.intent.in_((FALLBACK, OUT_OF_SCOPE, FAQ)))
    bot_rows = and_(Message.role == "bot", answered.isnot(None))
    low = max(0, state.watermark - MARGIN)
    columns = (Message.id, Message.student_id, Message.role, Message.text, Message.intent, Message.confidence,
               Message.at, topic, topic_conf, predicted, answered)
    top = state.watermark
    if state.watermark == 0:
        rows = conn.execute(select(*columns).join(Student, Student.id == Message.student_id)
                            .where(Student.agency == state.agency, or_(user_rows, bot_rows))
                            .order_by(Message.id)).all()
        top = newest_message     # read before: anything after it is found by the next refresh
    else:
        # A few new rows: read them by primary key, then keep those of this agency's cases
        # (looked up by primary key too, rather than joining every case of the agency).
        rows = conn.execute(select(*columns).where(Message.id > low, or_(user_rows, bot_rows))
                            .order_by(Message.id)).all()
        # Other agencies' rows move the watermark too (they are never ours).
        top = max([top] + [r[0] for r in rows])
        unknown = {r[1] for r in rows if r[0] not in state.recent} - state.ours - state.theirs
        if unknown:
            found = set(conn.execute(select(Student.id).where(Student.id.in_(sorted(unknown)),
                                                              Student.agency == state.agency)).scalars())
            state.ours |= found
            state.theirs |= unknown - found
        rows = [r for r in rows if r[1] in state.ours]
    state.rows_read = len(rows)
    for mid, case, role, text, intent, conf, at, t_key, t_conf, guess, a_key in rows:
        top = max(top, mid)
        if mid in state.recent:
            continue
        state.recent.add(mid)
        at = _aware(at)
        day = local_day(at)
        if role == "bot":
            _agg(state.answered, str(a_key)).add(at, day, case)
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
        wording = str(text or "").strip()
        _agg(groups, key).add(at, day, case, kind, suggestion, wording)
        if kind != "oos":
            _agg(state.by_topic, suggestion or "").add(at, day, case, kind, suggestion, wording, count_wordings=True)
    if state.watermark == 0:
        state.ours |= {r[1] for r in rows}
    state.watermark = top
    state.recent = {i for i in state.recent if i > top - MARGIN}
    # The cases seen so far; new cases (higher ids) are not a change of this set.
    state.cases_max, state.cases_sig = int(newest_case or 0), (int(n_all), int(sum_all))


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


def _rows(groups: Dict[str, Agg], first: Optional[dt.date], by_topic: bool = False) -> List[Row]:
    out = []
    for g in groups.values():
        count = g.messages.since(first)
        if not count:
            continue
        out.append(Row(text=g.common if by_topic else g.text, key=g.key, count=count, cases=g.cases.since(first),
                       last=g.last, kinds={}, suggestion=(g.key or None) if by_topic else None, variants=[]))
    out.sort(key=lambda r: (-r.count, -r.last.timestamp(), r.key))
    return out


def _detail(rows: List[Row], groups: Dict[str, Agg], first: Optional[dt.date], by_topic: bool) -> None:
    """Kinds, the commonest suggestion and the other wordings, for the rows shown."""
    for r in rows:
        g = groups[r.key]
        r.kinds = {k: n for k, series in g.kinds.items() if (n := series.since(first))}
        if by_topic:
            r.variants = [t for t, _ in g.wordings.most_common(MAX_VARIANTS + 1) if t != r.text][:MAX_VARIANTS]
        else:
            best = max(((series.since(first), k) for k, series in g.suggestions.items()), default=(0, None))
            r.suggestion = best[1] if best[0] else None
            r.variants = [v for v in g.variants if v != g.text]


def _page(rows: List[Row], page: int, size: int, groups: Optional[Dict[str, Agg]] = None,
          first: Optional[dt.date] = None, by_topic: bool = False) -> Listing:
    pages = max(1, math.ceil(len(rows) / size))
    page = min(max(1, page), pages)
    shown = rows[(page - 1) * size: page * size]
    if groups is not None:
        _detail(shown, groups, first, by_topic)
    return Listing(shown, len(rows), sum(r.count for r in rows), page, pages)


@dataclass
class Report:
    gaps: Listing
    oos: Listing
    topics: List[Dict[str, Any]]
    rows_read: int
    rebuilt: bool


def warm(engine, url: str, agency: str) -> None:
    """Brings the agency's aggregate up to date (the console's background thread)."""
    state = _state(url, agency)
    with state.lock:
        with engine.connect() as conn:
            refresh(conn, state)


def report(engine, url: str, agency: str, *, first: Optional[dt.date] = None, by: str = "text",
           page: int = 1, oos_page: int = 1, page_size: int = PAGE_SIZE) -> Report:
    """The page's figures since the local day ``first`` (None: everything kept)."""
    state = _state(url, agency)
    with state.lock:
        with engine.connect() as conn:
            refresh(conn, state)
        gap_groups = state.by_topic if by == "topic" else state.gaps
        gap_rows = _rows(gap_groups, first, by_topic=by == "topic")
        oos_rows = _rows(state.oos, first)
        topics = []
        for key, agg in state.answered.items():
            count = agg.messages.since(first)
            if count:
                unsure = state.by_topic.get("faq/" + key)
                low = unsure.kinds["low"].since(first) if unsure is not None and "low" in unsure.kinds else 0
                topics.append({"key": key, "count": count, "cases": agg.cases.since(first), "last": agg.last,
                               "low": low})
        topics.sort(key=lambda t: (-t["count"], t["key"]))
        return Report(_page(gap_rows, page, page_size, gap_groups, first, by == "topic"),
                      _page(oos_rows, oos_page, page_size, state.oos, first), topics[:TOP_TOPICS],
                      state.rows_read, state.rebuilt)
