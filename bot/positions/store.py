"""Database access for the position engine: schema, imports, loading and the compiled cache."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection, Engine

from bot.db import get_engine, upgrade
from bot.config import resolve_database_url, settings
from bot.positions import importer
from bot.positions.engine import CompiledPosts, compile_posts
from bot.positions.importer import POST_FIELDS, ImportReport
from bot.positions.models import PositionImport, PositionPost, PositionSnapshot
from bot.positions.requirements import MajorReq, Requirements, Unparsed, parse_post, zh

PARSE_FIELDS = ("education", "degree", "major", "major_college", "major_undergrad", "major_graduate",
                "age", "political", "experience", "project", "target_group", "other", "remarks",
                "physical_exam", "fitness_test", "phone", "city", "source_fields", "identity", "gender",
                "hukou", "post_type", "tests", "section", "section_notes")
SUMMARY_FIELDS = ("code", "organ", "unit", "name", "city", "district", "family", "openings",
                  "education", "degree")


def db_url(url: Optional[str] = None) -> str:
    return resolve_database_url(url or settings()["database_url"])


def engine_for(url: Optional[str] = None) -> Engine:
    return get_engine(db_url(url))


_schema_ready: set = set()
_schema_lock = threading.Lock()


def ensure_schema(url: Optional[str] = None) -> None:
    """Runs the migrations once per process and URL."""
    u = db_url(url)
    with _schema_lock:
        if u not in _schema_ready:
            upgrade(u)
            _schema_ready.add(u)


def data_stamp(conn: Connection) -> Tuple[int, Any]:
    row = conn.execute(select(func.count(PositionImport.id), func.max(PositionImport.imported_at))).first()
    return (int(row[0] or 0), str(row[1]) if row[1] is not None else None)


# --------------------------------------------------------------------------- parsing
def region_args(exam: str) -> Tuple[Optional[str], Tuple[str, ...]]:
    info = importer.region_info(exam)
    return info.get("province"), tuple(info.get("cities") or ())


def exam_limits(exam: str, year: int) -> Optional[Dict[str, Any]]:
    from bot.knowledge import age_limits

    try:
        return age_limits(exam, year)
    except FileNotFoundError:
        return None


def post_age_rules(exam: str, year: int) -> Tuple[Dict[str, Any], ...]:
    """Age rules of special kinds of posts (``post_age`` of the exam year in knowledge/exams.yml)."""
    from bot.knowledge import exam_year

    try:
        data = exam_year(exam, year) or {}
    except FileNotFoundError:
        return ()
    return tuple(dict(r) for r in (data.get("post_age") or ()) if isinstance(r, dict))


@lru_cache(maxsize=65536)
def _parse_cached(exam: str, year: int, values: Tuple[Optional[str], ...]) -> Requirements:
    post = dict(zip(PARSE_FIELDS, values))
    province, cities = region_args(exam)
    req = parse_post(post, exam_year=year, exam_limits=exam_limits(exam, year), province=province,
                     region_places=cities, post_age=post_age_rules(exam, year))
    fields = set((post.get("source_fields") or "").split(",")) - {""}
    conds = list(req.conditions)
    if not fields:
        conds.append(Unparsed("该职位只导入了报名统计，尚无资格条件（请导入职位表）", field_name="资格条件"))
    elif fields & {"major", "major_undergrad", "major_graduate", "major_college"} and \
            not any(isinstance(c, MajorReq) for c in conds):
        # The table has major columns but they are empty for this post: not "any major".
        conds.append(MajorReq("（职位表未列专业要求）"))
    return Requirements(conditions=tuple(conds), notes=req.notes, phone=req.phone)


_CITY = PARSE_FIELDS.index("city")
_PLACE_WORDS = ("户", "生源", "籍")


def requirements_of(exam: str, year: int, post: Mapping[str, Any]) -> Requirements:
    """Parsed requirements of one post (cached by wording). The city only matters to
    household conditions: posts without one share their parse across cities."""
    values = [post.get(f) for f in PARSE_FIELDS]
    if values[_CITY] is not None and not any(
            w in str(post.get(f) or "") for f in ("hukou", "other", "remarks") for w in _PLACE_WORDS):
        values[_CITY] = None
    return _parse_cached(exam, int(year), tuple(values))


def data_gap_notes(post: Mapping[str, Any]) -> Tuple[str, ...]:
    fields = set((post.get("source_fields") or "").split(",")) - {""}
    if not fields:
        return ()
    missing = []
    if "age" not in fields:
        missing.append("年龄")
    if "political" not in fields and "other" not in fields:
        missing.append("政治面貌、性别等其他条件")
    if not missing:
        return ()
    return (f"所收职位数据没有{'、'.join(missing)}栏（年龄按当年考试规定核对），报名前请核对官方职位表",)


# --------------------------------------------------------------------------- loading
def load_posts(conn: Connection, exam: str, year: int) -> List[Dict[str, Any]]:
    cols = [PositionPost.code, PositionPost.family, PositionPost.source_fields] + \
        [getattr(PositionPost, f) for f in POST_FIELDS]
    rows = conn.execute(select(*cols).where(and_(PositionPost.exam == exam, PositionPost.year == year))
                        .order_by(PositionPost.code))
    return [dict(r._mapping) for r in rows]


def load_snapshots(conn: Connection, exam: str, year: int,
                   codes: Optional[Sequence[str]] = None) -> Dict[str, List[Tuple[Any, int, Optional[int]]]]:
    """code -> [(date, applicants, openings on that day)] sorted by date."""
    stmt = select(PositionSnapshot.code, PositionSnapshot.date, PositionSnapshot.applicants,
                  PositionSnapshot.openings).where(
        and_(PositionSnapshot.exam == exam, PositionSnapshot.year == year))
    if codes is not None:
        stmt = stmt.where(PositionSnapshot.code.in_(list(codes)))
    out: Dict[str, List[Tuple[Any, int, Optional[int]]]] = {}
    for r in conn.execute(stmt.order_by(PositionSnapshot.code, PositionSnapshot.date)):
        out.setdefault(r.code, []).append((r.date, r.applicants, r.openings))
    return out


def exams_available(conn: Connection) -> List[Tuple[str, int, int]]:
    rows = conn.execute(select(PositionPost.exam, PositionPost.year, func.count(PositionPost.id))
                        .group_by(PositionPost.exam, PositionPost.year)
                        .order_by(PositionPost.exam, PositionPost.year))
    return [(r[0], int(r[1]), int(r[2])) for r in rows]


@dataclass
class ExamData:
    """Posts of one exam and year with their compiled requirements (cached)."""

    exam: str
    year: int
    posts: List[Dict[str, Any]]
    compiled: CompiledPosts
    stamp: Tuple[int, Any]
    snapshots: Dict[str, List[Tuple[Any, int, Optional[int]]]]
    checked_at: float = 0.0


_cache: Dict[Tuple[str, str, int], ExamData] = {}
_cache_lock = threading.Lock()
STAMP_CHECK_SECONDS = 1.0


def build_exam_data(exam: str, year: int, posts: List[Dict[str, Any]],
                    snapshots: Dict[str, List[Tuple[Any, int, Optional[int]]]], stamp=(0, None)) -> ExamData:
    reqs = [requirements_of(exam, year, p) for p in posts]
    gaps = [data_gap_notes(p) for p in posts]
    cp = compile_posts(exam, year, [p["code"] for p in posts], reqs, gaps)
    return ExamData(exam, int(year), posts, cp, stamp, snapshots, time.monotonic())


def exam_data(exam: str, year: int, url: Optional[str] = None) -> ExamData:
    """Cached per database, exam and year; rebuilt when an import has changed the data
    (checked at most once a second, so other processes' imports are seen too)."""
    u = db_url(url)
    key = (u, exam, int(year))
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None and now - cached.checked_at < STAMP_CHECK_SECONDS:
            return cached
    ensure_schema(u)
    eng = get_engine(u)
    with eng.connect() as conn:
        stamp = data_stamp(conn)
        if cached is not None and cached.stamp == stamp:
            cached.checked_at = now
            return cached
        posts = load_posts(conn, exam, int(year))
        snaps = load_snapshots(conn, exam, int(year))
    data = build_exam_data(exam, int(year), posts, snaps, stamp)
    with _cache_lock:
        _cache[key] = data
    return data


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
        _available.clear()


_available: Dict[str, Tuple[float, Tuple[int, Any], List[Tuple[str, int, int]]]] = {}


def exams_cached(url: Optional[str] = None) -> List[Tuple[str, int, int]]:
    """:func:`exams_available`, re-read only when an import changed the data (checked at
    most once a second, like :func:`exam_data`)."""
    u = db_url(url)
    now = time.monotonic()
    with _cache_lock:
        hit = _available.get(u)
        if hit is not None and now - hit[0] < STAMP_CHECK_SECONDS:
            return hit[2]
    ensure_schema(u)
    with get_engine(u).connect() as conn:
        stamp = data_stamp(conn)
        rows = hit[2] if hit is not None and hit[1] == stamp else exams_available(conn)
    with _cache_lock:
        _available[u] = (now, stamp, rows)
    return rows


# --------------------------------------------------------------------------- imports
def analyse(parsed: importer.ParsedFile, exam: str, year: int) -> ImportReport:
    """Fills the report's condition counts and the most common wordings left to confirm,
    parsing every post as the engine will (exam-year rules included)."""
    rep = parsed.report
    rep.exam, rep.year = exam, int(year)
    if not parsed.is_positions:
        return rep
    source_fields = ",".join(sorted(f for f in parsed.fields if f in importer.POST_FIELDS))
    wording: Dict[Tuple[str, str], int] = {}
    total = open_posts = 0
    for rec in parsed.posts:
        post = {f: rec.get(f) for f in importer.POST_FIELDS}
        post["code"] = rec["code"]
        importer.derive(exam, post)  # the city as stored (household rules read it)
        post["source_fields"] = source_fields
        req = requirements_of(exam, year, post)
        conds = [c for c in req.conditions if type(c).__name__ != "InSchoolReq"]
        total += len(conds)
        open_here = False
        for c in conds:
            if isinstance(c, Unparsed):
                key = (c.field_name or "要求", zh(c.text) or "")
                wording[key] = wording.get(key, 0) + 1
                open_here = True
        open_posts += open_here
    rep.conditions = total
    rep.posts_with_open_conditions = open_posts
    rep.to_confirm = [{"field": f, "text": t, "count": n}
                      for (f, t), n in sorted(wording.items(), key=lambda kv: (-kv[1], kv[0]))]
    return rep


def read_paths(paths: Sequence[Path], exam: Optional[str] = None, year: Optional[int] = None, *,
               snapshot=None, column_map: Optional[Mapping[str, str]] = None,
               ignore: Iterable[str] = ()) -> Tuple[str, int, List[importer.ParsedFile]]:
    """Reads and analyses files without a database; the exam and year default to what the
    files name in their titles or file names (an error names what is missing)."""
    parsed = [importer.read_file(Path(p), exam or "", year or 0, column_map=column_map, ignore=ignore,
                                 snapshot=snapshot) for p in paths]
    if not exam or not year:
        g_exam, g_year = importer.guess_exam_year(parsed)
        exam = exam or g_exam
        year = year or g_year
        if not exam or not year:
            missing = "、".join(x for x, v in (("考试（--exam）", exam), ("年度（--year）", year)) if not v)
            raise importer.PositionImportError(f"无法从文件标题或文件名判断{missing}，请指定")
    for p in parsed:
        analyse(p, exam, int(year))
    return exam, int(year), parsed


def preview_paths(paths: Sequence[Path], exam: Optional[str] = None, year: Optional[int] = None, *,
                  snapshot=None, column_map: Optional[Mapping[str, str]] = None,
                  ignore: Iterable[str] = ()) -> List[ImportReport]:
    """The import report of each file, nothing written (``--dry-run``)."""
    _, _, parsed = read_paths(paths, exam, year, snapshot=snapshot, column_map=column_map, ignore=ignore)
    for p in parsed:
        p.report.dry_run = True
    return [p.report for p in parsed]


def import_paths(paths: Sequence[Path], exam: Optional[str], year: Optional[int], *, url: Optional[str] = None,
                 snapshot=None, column_map: Optional[Mapping[str, str]] = None,
                 ignore: Iterable[str] = (),
                 progress_factory: Optional[Callable[[Path], Any]] = None) -> List[ImportReport]:
    """Imports files in one transaction (all or nothing)."""
    u = db_url(url)
    ensure_schema(u)
    exam, year, parsed = read_paths(paths, exam, year, snapshot=snapshot, column_map=column_map, ignore=ignore)
    reports: List[ImportReport] = []
    with get_engine(u).begin() as conn:
        for p in parsed:
            bar = progress_factory(p.path) if progress_factory else None
            try:
                rep = importer.import_file(conn, p.path, exam, int(year), snapshot=snapshot,
                                           column_map=column_map, ignore=ignore, parsed=p,
                                           progress=(bar.update if bar is not None else None))
            finally:
                if bar is not None:
                    bar.close()
            reports.append(rep)
    clear_cache()
    return reports


def imported_reports(url: Optional[str] = None, limit: int = 20) -> List[Dict[str, Any]]:
    """The reports of the latest imports (newest first), as stored with each file."""
    u = db_url(url)
    ensure_schema(u)
    with get_engine(u).connect() as conn:
        rows = conn.execute(select(PositionImport.exam, PositionImport.year, PositionImport.file_name,
                                   PositionImport.report, PositionImport.imported_at)
                            .order_by(PositionImport.imported_at.desc(), PositionImport.id.desc()).limit(limit))
        return [{**(r.report or {}), "exam": r.exam, "year": int(r.year), "file": r.file_name,
                 "imported_at": r.imported_at} for r in rows]


def imported_hashes(url: Optional[str] = None) -> set:
    u = db_url(url)
    ensure_schema(u)
    with get_engine(u).connect() as conn:
        return {(r.exam, int(r.year), r.sha256) for r in conn.execute(
            select(PositionImport.exam, PositionImport.year, PositionImport.sha256))}
