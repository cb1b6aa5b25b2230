"""Case-list filters (kept in the address bar) and the queries behind the list, the
exports and the dashboard. Every query is restricted to one agency."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from sqlalchemy import and_, case, distinct, exists, func, or_, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.console import search
from bot.console.labels import (
    FLAG_KINDS,
    REVIEW_STATUSES,
    STAGES,
    day_bounds,
    local_zone,
    today_local,
)
from bot.console.models import CaseIndex
from bot.db.models import Feedback, Flag, Message, Profile, Student

PAGE_SIZE = 50
MAX_EXPORT_ROWS = 20_000
SEARCH_CAP = 1000          # a search lists at most this many cases (newest activity first)
LOW_SCORE = 2

_CHANNEL_RE = re.compile(r"^[a-z0-9_.-]{1,32}$")
_INTENT_RE = re.compile(r"^[A-Za-z0-9_./-]{1,96}$")
_HANDLE_RE = re.compile(r"^[A-Za-z0-9_-]{6,32}$")


@dataclass
class Filters:
    """What the case list is narrowed to. Only these values go into a URL: the search
    text itself stays on the server, referred to by a handle (``s``)."""

    search_handle: Optional[str] = None
    query: Optional[str] = None           # resolved from the handle, never put in a URL
    date_from: Optional[dt.date] = None
    date_to: Optional[dt.date] = None
    date_on: str = "active"               # active | created
    channel: Optional[str] = None
    stage: Optional[str] = None           # furthest stage is exactly this
    reached: Optional[str] = None         # furthest stage is at least this
    flags: List[str] = field(default_factory=list)
    waiting: bool = False                 # only flags not yet marked as handled
    status: Optional[str] = None
    assigned: Optional[str] = None        # "me" | "none" | a user id
    intent: Optional[str] = None
    score: Optional[int] = None
    taken: bool = False
    page: int = 1
    errors: List[str] = field(default_factory=list)

    def args(self, page: Optional[int] = None, **override: Any) -> Dict[str, Any]:
        """URL query arguments (lists for repeated keys)."""
        out: Dict[str, Any] = {}
        if self.search_handle:
            out["s"] = self.search_handle
        if self.date_from:
            out["from"] = self.date_from.isoformat()
        if self.date_to:
            out["to"] = self.date_to.isoformat()
        if (self.date_from or self.date_to) and self.date_on != "active":
            out["on"] = self.date_on
        for key, value in (("channel", self.channel), ("stage", self.stage), ("reached", self.reached),
                           ("status", self.status), ("assigned", self.assigned), ("intent", self.intent)):
            if value:
                out[key] = value
        if self.flags:
            out["flag"] = list(self.flags)
        if self.waiting:
            out["waiting"] = "1"
        if self.score is not None:
            out["score"] = str(self.score)
        if self.taken:
            out["taken"] = "1"
        page = self.page if page is None else page
        if page and page > 1:
            out["page"] = str(page)
        for key, value in override.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = value
        return out

    @property
    def active(self) -> bool:
        return bool(self.args(page=1))

    def summary(self) -> Dict[str, Any]:
        """Which filters are in use, for the audit log (the search text is not included)."""
        out = {k: v for k, v in self.args(page=1).items() if k != "s"}
        if self.query:
            out["search"] = True
        return out


def _date(value: Optional[str], label: str, errors: List[str]) -> Optional[dt.date]:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        errors.append(f"{label}“{value[:20]}”不是有效日期，已忽略（格式：2026-01-31）")
        return None


def parse_filters(args: Mapping[str, Any], searches: Optional[Mapping[str, str]] = None) -> Filters:
    """Reads filters from request arguments; invalid values are dropped with a message."""
    get = args.get
    getlist = getattr(args, "getlist", lambda k: [get(k)] if get(k) else [])
    f = Filters()
    errors = f.errors
    handle = (get("s") or "").strip()
    if handle:
        if _HANDLE_RE.match(handle) and searches and handle in searches:
            f.search_handle, f.query = handle, searches[handle]
        else:
            errors.append("这条搜索已过期（搜索内容只保存在本次登录中），请重新搜索")
    f.date_from = _date(get("from"), "开始日期", errors)
    f.date_to = _date(get("to"), "结束日期", errors)
    if f.date_from and f.date_to and f.date_from > f.date_to:
        errors.append("开始日期晚于结束日期，已对调")
        f.date_from, f.date_to = f.date_to, f.date_from
    on = get("on") or "active"
    if on not in ("active", "created"):
        errors.append("日期类型无效，已按“最近活动”筛选")
        on = "active"
    f.date_on = on
    channel = (get("channel") or "").strip()
    if channel:
        if _CHANNEL_RE.match(channel):
            f.channel = channel
        else:
            errors.append("渠道无效，已忽略")
    for key in ("stage", "reached"):
        value = get(key)
        if value:
            if value in STAGES:
                setattr(f, key, value)
            else:
                errors.append("阶段无效，已忽略")
    for value in getlist("flag"):
        if not value:
            continue
        if value in FLAG_KINDS:
            if value not in f.flags:
                f.flags.append(value)
        else:
            errors.append("标记类型无效，已忽略")
    f.waiting = get("waiting") == "1"
    status = get("status")
    if status:
        if status in REVIEW_STATUSES:
            f.status = status
        else:
            errors.append("审阅状态无效，已忽略")
    assigned = (get("assigned") or "").strip()
    if assigned:
        if assigned in ("me", "none") or (assigned.isdigit() and len(assigned) < 10):
            f.assigned = assigned
        else:
            errors.append("负责顾问无效，已忽略")
    intent = (get("intent") or "").strip()
    if intent:
        if _INTENT_RE.match(intent):
            f.intent = intent
        else:
            errors.append("意图名称无效，已忽略")
    score = get("score")
    if score:
        if score in ("1", "2", "3", "4", "5"):
            f.score = int(score)
        else:
            errors.append("满意度分数应为 1–5，已忽略")
    f.taken = get("taken") == "1"
    page = get("page") or "1"
    f.page = int(page) if page.isdigit() and 0 < len(page) < 7 and int(page) > 0 else 1
    return f


# -- conditions ----------------------------------------------------------------------------

def _flag_exists(kind: str, waiting: bool) -> ColumnElement:
    cond = [Flag.student_id == Student.id, Flag.kind == kind]
    if waiting:
        cond.append(Flag.resolved_at.is_(None))
    return exists().where(*cond)


def _low_feedback() -> ColumnElement:
    return exists().where(Feedback.student_id == Student.id, Feedback.score <= LOW_SCORE)


def flag_condition(kind: str, waiting: bool = False) -> ColumnElement:
    """A case has a flag when a Flag row says so or, for the computed kinds, when the data
    shows it (satisfaction ≤ 2, many misunderstood messages). ``waiting`` keeps only flag
    rows not marked as handled."""
    row = _flag_exists(kind, waiting)
    if waiting:
        return row
    if kind == "low_satisfaction":
        return or_(row, _low_feedback())
    if kind == "fallback_heavy":
        return or_(row, search.fallback_heavy_condition())
    return row


def conditions(f: Filters, agency: str, dialect: str, user_id: Optional[int] = None) -> List[ColumnElement]:
    conds: List[ColumnElement] = [Student.agency == agency]
    column = Student.created_at if f.date_on == "created" else Student.last_active_at
    if f.date_from:
        conds.append(column >= day_bounds(f.date_from)[0])
    if f.date_to:
        conds.append(column < day_bounds(f.date_to)[1])
    if f.channel:
        conds.append(Student.channel == f.channel)
    if f.stage:
        conds.append(Student.stage == f.stage)
    if f.reached:
        conds.append(Student.stage.in_(STAGES[STAGES.index(f.reached):]))
    if f.flags:
        conds.append(or_(*[flag_condition(k, f.waiting) for k in f.flags]))
    elif f.waiting:
        conds.append(exists().where(Flag.student_id == Student.id, Flag.resolved_at.is_(None)))
    if f.status:
        conds.append(Student.review_status == f.status)
    if f.assigned == "none":
        conds.append(Student.assigned_to.is_(None))
    elif f.assigned == "me":
        conds.append(Student.assigned_to == (user_id if user_id is not None else -1))
    elif f.assigned:
        conds.append(Student.assigned_to == int(f.assigned))
    if f.intent:
        conds.append(exists().where(Message.student_id == Student.id, Message.role == "user",
                                    Message.intent == f.intent))
    if f.score is not None:
        conds.append(exists().where(Feedback.student_id == Student.id, Feedback.score == f.score))
    if f.taken:
        conds.append(Student.taken_over_by.isnot(None))
    if f.query:
        cond = search.search_condition(dialect, f.query)
        if cond is not None:
            conds.append(cond)
    return conds


def _base(columns: Sequence[Any]):
    return (select(*columns)
            .select_from(Student)
            .outerjoin(Profile, Profile.student_id == Student.id)
            .outerjoin(CaseIndex, CaseIndex.student_id == Student.id))


LIST_COLUMNS = (
    Student.id, Student.display_name, Student.channel, Student.stage, Student.review_status,
    Student.assigned_to, Student.taken_over_by, Student.created_at, Student.last_active_at,
    Student.tags, Profile.major, Profile.major_raw, Profile.education, Profile.grad_year,
    CaseIndex.messages, CaseIndex.user_messages, CaseIndex.fallback_messages,
)


def count_cases(session: Session, f: Filters, agency: str, user_id: Optional[int] = None) -> int:
    dialect = session.get_bind().dialect.name
    stmt = select(func.count()).select_from(Student)
    if f.query or ("fallback_heavy" in f.flags and not f.waiting):
        stmt = stmt.outerjoin(CaseIndex, CaseIndex.student_id == Student.id)
    return int(session.execute(stmt.where(*conditions(f, agency, dialect, user_id))).scalar_one())


def list_cases(session: Session, f: Filters, agency: str, user_id: Optional[int] = None,
               limit: int = PAGE_SIZE, offset: int = 0) -> List[Dict[str, Any]]:
    dialect = session.get_bind().dialect.name
    rows = session.execute(
        _base(LIST_COLUMNS)
        .where(*conditions(f, agency, dialect, user_id))
        .order_by(Student.last_active_at.desc(), Student.id.desc())
        .limit(limit).offset(offset)
    ).all()
    out = [dict(r._mapping) for r in rows]
    _attach_flags(session, out)
    return out


def rows_for_ids(session: Session, ids: Sequence[int]) -> List[Dict[str, Any]]:
    """List rows of the given cases, in the given order."""
    if not ids:
        return []
    found = {r.id: dict(r._mapping) for r in session.execute(_base(LIST_COLUMNS).where(Student.id.in_(list(ids))))}
    out = [found[i] for i in ids if i in found]
    _attach_flags(session, out)
    return out


def search_ids(session: Session, f: Filters, agency: str, user_id: Optional[int] = None,
               cap: Any = "default") -> Tuple[List[int], bool]:
    """PostgreSQL: the ids of the cases matching a search, newest activity first.

    Step 1 asks the GIN index for the cases holding every term (character uni-/bigrams) and
    applies the other filters; for a query whose words are at most two characters long
    that is already exact. Step 2 checks longer words as substrings of the folded text,
    in display order and in chunks, and stops once ``cap`` matches are found (the count is
    then shown as "more than"). This keeps a word that half the cases contain as cheap
    as a rare one. Returns (ids, capped)."""
    cap = SEARCH_CAP if cap == "default" else cap
    parts = search.query_runs(f.query or "")
    if not parts:
        return [], False
    plain = Filters(**{**f.__dict__, "query": None, "search_handle": None, "errors": []})
    conds = conditions(plain, agency, "postgresql", user_id)
    stmt = (select(Student.id).join(CaseIndex, CaseIndex.student_id == Student.id)
            .where(*conds, text("console_case_index.terms @@ CAST(:console_tsq AS tsquery)")
                   .bindparams(console_tsq=search.tsquery_literal(parts)))
            .order_by(Student.last_active_at.desc(), Student.id.desc()))
    # The planner would scan and decompress every document for a common word; the GIN
    # index answers the term match without reading the documents.
    session.execute(text("SET LOCAL enable_seqscan = off"))
    try:
        candidates = list(session.execute(stmt).scalars())
    finally:
        session.execute(text("SET LOCAL enable_seqscan = on"))
    long_parts = [p for p in parts if len(p) > 2]
    if not long_parts:
        if cap is not None and len(candidates) > cap:
            return candidates[:cap], True
        return candidates, False
    verified: List[int] = []
    chunk_size = 250
    for start in range(0, len(candidates), chunk_size):
        chunk = candidates[start:start + chunk_size]
        ok = set(session.execute(
            select(CaseIndex.student_id).where(CaseIndex.student_id.in_(chunk),
                                               *[CaseIndex.body.contains(p, autoescape=True) for p in long_parts])
        ).scalars())
        verified.extend(i for i in chunk if i in ok)
        if cap is not None and len(verified) > cap:
            return verified[:cap], True
    return verified, False


@dataclass
class ResultPage:
    rows: List[Dict[str, Any]]
    total: int
    page: int
    pages: int
    capped: bool = False          # more than SEARCH_CAP matches; total is the cap


def find_cases(session: Session, f: Filters, agency: str, user_id: Optional[int] = None,
               page_size: int = PAGE_SIZE) -> ResultPage:
    """One page of the filtered list (the requested page, or the last one)."""
    if f.query and session.get_bind().dialect.name == "postgresql":
        ids, capped = search_ids(session, f, agency, user_id)
        pages = max(1, math.ceil(len(ids) / page_size))
        page = min(f.page, pages)
        return ResultPage(rows_for_ids(session, ids[(page - 1) * page_size: page * page_size]), len(ids), page,
                          pages, capped)
    total = count_cases(session, f, agency, user_id)
    pages = max(1, math.ceil(total / page_size))
    page = min(f.page, pages)
    return ResultPage(list_cases(session, f, agency, user_id, limit=page_size, offset=(page - 1) * page_size),
                      total, page, pages)


def all_cases(session: Session, f: Filters, agency: str, user_id: Optional[int] = None,
              limit: Optional[int] = None) -> Optional[List[Dict[str, Any]]]:
    """Every case of the filtered list (exports); None when there are more than ``limit``
    (default MAX_EXPORT_ROWS)."""
    limit = MAX_EXPORT_ROWS if limit is None else limit
    if f.query and session.get_bind().dialect.name == "postgresql":
        ids, _ = search_ids(session, f, agency, user_id, cap=None)
        if len(ids) > limit:
            return None
        out: List[Dict[str, Any]] = []
        for start in range(0, len(ids), 1000):
            out.extend(rows_for_ids(session, ids[start:start + 1000]))
        return out
    if count_cases(session, f, agency, user_id) > limit:
        return None
    return list_cases(session, f, agency, user_id, limit=limit)


def _attach_flags(session: Session, rows: List[Dict[str, Any]]) -> None:
    ids = [r["id"] for r in rows]
    flags: Dict[int, Dict[str, bool]] = {i: {} for i in ids}
    low: Dict[int, Optional[int]] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        for sid, kind, resolved in session.execute(
            select(Flag.student_id, Flag.kind, Flag.resolved_at).where(Flag.student_id.in_(chunk))
        ):
            waiting = resolved is None
            flags[sid][kind] = flags[sid].get(kind, False) or waiting
        low.update(session.execute(
            select(Feedback.student_id, func.min(Feedback.score))
            .where(Feedback.student_id.in_(chunk)).group_by(Feedback.student_id)
        ).all())
    for r in rows:
        f = flags[r["id"]]
        score = low.get(r["id"])
        r["min_score"] = score
        if score is not None and score <= LOW_SCORE:
            f.setdefault("low_satisfaction", False)
        if search.is_fallback_heavy(r.get("fallback_messages") or 0, r.get("user_messages") or 0):
            f.setdefault("fallback_heavy", False)
        # kind -> True when a flag of that kind waits for a counselor
        r["flags"] = {k: f[k] for k in FLAG_KINDS if k in f}


def channels_in_use(session: Session, agency: str) -> List[str]:
    return [c for c in session.execute(
        select(distinct(Student.channel)).where(Student.agency == agency).order_by(Student.channel)
    ).scalars() if c]


# -- dashboard -----------------------------------------------------------------------------

def _local_day(column, dialect: str):
    """The calendar day of a timestamp in the console's time zone, as text YYYY-MM-DD."""
    zone = local_zone()
    if dialect == "postgresql":
        return func.to_char(func.timezone(str(zone), column), "YYYY-MM-DD")
    offset = dt.datetime.now(zone).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    return func.date(column, f"{minutes:+d} minutes")


def dashboard(session: Session, agency: str, days: int) -> Dict[str, Any]:
    """The figures of the dashboard, each with the list filters that reproduce it."""
    dialect = session.get_bind().dialect.name
    today = today_local()
    first = today - dt.timedelta(days=days - 1)
    since = day_bounds(first)[0]
    in_agency = Student.agency == agency
    active = and_(in_agency, Student.last_active_at >= since)
    out: Dict[str, Any] = {"days": days, "from": first, "to": today}

    # Cases per day (by the day the case was opened).
    day = _local_day(Student.created_at, dialect)
    per_day = dict(session.execute(
        select(day, func.count()).where(in_agency, Student.created_at >= since).group_by(day)
    ).all())
    out["per_day"] = [((first + dt.timedelta(days=i)), int(per_day.get((first + dt.timedelta(days=i)).isoformat(), 0)))
                      for i in range(days)]

    # Funnel: cases active in the period that reached at least each stage.
    by_stage = dict(session.execute(
        select(Student.stage, func.count()).where(active).group_by(Student.stage)
    ).all())
    out["funnel"] = [(stage, sum(int(by_stage.get(s, 0)) for s in STAGES[i:])) for i, stage in enumerate(STAGES)]
    out["active_cases"] = sum(int(v) for v in by_stage.values())

    # Satisfaction: cases active in the period with a rating of each score.
    scores = dict(session.execute(
        select(Feedback.score, func.count(distinct(Feedback.student_id)))
        .join(Student, Student.id == Feedback.student_id)
        .where(active, Feedback.score.between(1, 5)).group_by(Feedback.score)
    ).all())
    out["scores"] = [(s, int(scores.get(s, 0))) for s in range(1, 6)]

    # Flags waiting for a counselor (whatever their age).
    waiting = dict(session.execute(
        select(Flag.kind, func.count(distinct(Flag.student_id)))
        .join(Student, Student.id == Flag.student_id)
        .where(in_agency, Flag.resolved_at.is_(None)).group_by(Flag.kind)
    ).all())
    out["waiting"] = [(k, int(waiting.get(k, 0))) for k in ("complaint", "counselor_requested")]

    # Top intents of the students' messages in cases active in the period.
    top = session.execute(
        select(Message.intent, func.count(), func.count(distinct(Message.student_id)))
        .join(Student, Student.id == Message.student_id)
        .where(active, Message.role == "user", Message.intent.isnot(None))
        .group_by(Message.intent).order_by(func.count().desc(), Message.intent).limit(10)
    ).all()
    out["intents"] = [(i, int(n), int(c)) for i, n, c in top]

    # Fallback rate per day of the students' messages.
    mday = _local_day(Message.at, dialect)
    rate_rows = session.execute(
        select(mday, func.count(),
               func.sum(case((Message.intent == search.FALLBACK_INTENT, 1), else_=0)))
        .join(Student, Student.id == Message.student_id)
        .where(in_agency, Message.role == "user", Message.at >= since).group_by(mday)
    ).all()
    rates = {d: (int(n), int(fb or 0)) for d, n, fb in rate_rows}
    out["fallback"] = []
    total_n = total_fb = 0
    for i in range(days):
        d = first + dt.timedelta(days=i)
        n, fb = rates.get(d.isoformat(), (0, 0))
        total_n += n
        total_fb += fb
        out["fallback"].append((d, n, fb))
    out["fallback_total"] = (total_n, total_fb)
    return out
