"""Python API of the position engine (what the dialogue's actions call).

All functions take an optional ``url`` (database URL; default: the configured case
database) and raise subclasses of :class:`PositionsError` whose message is meant for the
user, plus :class:`~bot.positions.profile.ProfileError` for a profile that cannot be read.

Typical use::

    from bot.positions import api
    api.ensure_shipped_data()                       # idempotent, fast when loaded
    report = api.check_eligibility(profile, "河南省考", 2026)
    report.counts            # {"eligible": …, "needs_confirmation": …, "not_eligible": …}
    report.results           # [{"code", "verdict", "reasons", "notes", "phone", …}, …]
    api.get_post("11001011")                        # contract shape of `positions show --json`
    api.compare_posts(["14230201003000001", …], profile=profile)
    png = api.compare_chart([...], profile=profile)  # bytes for the chat channels

Profiles are intake dicts (see :mod:`bot.positions.profile`); a missing key never makes
a verdict guess: the affected posts come back as ``needs_confirmation`` naming the fact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
from sqlalchemy import select

from bot.config import ROOT, settings
from bot.positions import ratios as _ratios
from bot.positions import store
from bot.positions.chart import ChartError, ratio_chart
from bot.positions.engine import ELIGIBLE, VERDICTS, Evaluation, evaluate
from bot.positions.importer import ImportReport, PositionImportError, file_sha256, parse_date
from bot.positions.majors import MajorMatch, all_major_names, match_major
from bot.positions.models import PositionPost
from bot.positions.profile import Profile, ProfileError
from bot.positions.requirements import EducationReq, zh

__all__ = [
    "PositionsError", "UnknownExam", "PostNotFound", "ProfileError", "PositionImportError", "ChartError",
    "EligibilityReport", "MajorMatch", "SHIPPED",
    "ensure_shipped_data", "import_positions", "preview_import", "list_exams", "resolve_exam", "search_posts", "get_post",
    "check_eligibility", "check_post", "post_competition", "compare_posts", "compare_chart",
    "general_conditions", "evaluation_for", "match_major", "all_major_names",
]

ProfileLike = Union[Mapping[str, Any], Profile, None]

KNOWLEDGE_POSITIONS = ROOT / "knowledge" / "positions"
# The data the product ships (knowledge/positions), in import order.
SHIPPED: Tuple[Tuple[str, int, Tuple[str, ...]], ...] = (
    ("河南省考", 2026, ("henan-2026-positions.xlsx",)),
    ("湖北省考", 2026, ("hubei-2026-positions-final.json", "hubei-2026-applicants-by-day.csv",
                    "hubei-2026-applicants-2026-01-14.xlsx")),
    ("广东省考", 2026, ("guangdong-2026-positions.xls",)),
)


class PositionsError(Exception):
    """An error whose message is for the user."""


class UnknownExam(PositionsError):
    pass


class PostNotFound(PositionsError):
    pass


# --------------------------------------------------------------------------- data
DIGEST_CACHE = ROOT / "var" / "cache" / "shipped-sha256.json"
_digests: Dict[str, Tuple[int, int, str]] = {}


def shipped_digest(path: Path) -> str:
    """SHA-256 of a shipped file, remembered by (size, mtime) in var/cache so that a start
    on a loaded database does not hash the ~9 MB of shipped tables again."""
    import json

    st = path.stat()
    sig = (int(st.st_size), int(st.st_mtime_ns))
    if not _digests and DIGEST_CACHE.is_file():
        try:
            _digests.update({k: tuple(v) for k, v in json.loads(DIGEST_CACHE.read_text("utf-8")).items()})
        except (OSError, ValueError, TypeError):
            pass
    hit = _digests.get(path.name)
    if hit is not None and (hit[0], hit[1]) == sig:
        return hit[2]
    digest = file_sha256(path)
    _digests[path.name] = (*sig, digest)
    try:
        DIGEST_CACHE.parent.mkdir(parents=True, exist_ok=True)
        tmp = DIGEST_CACHE.with_suffix(".tmp")
        tmp.write_text(json.dumps(_digests), encoding="utf-8")
        tmp.replace(DIGEST_CACHE)
    except OSError:
        pass  # read-only deployment: hashing again next time is only slower
    return digest


def ensure_shipped_data(url: Optional[str] = None) -> List[ImportReport]:
    """Imports the shipped Henan, Hubei and Guangdong 2026 tables unless already loaded.

    Idempotent: files already imported (same content, exam and year) are skipped, so on a
    loaded database this is a quick no-op. Returns the reports of what it imported."""
    from sqlalchemy.exc import IntegrityError, OperationalError

    reports: List[ImportReport] = []
    for attempt in range(3):
        done = store.imported_hashes(url)
        try:
            for exam, year, files in SHIPPED:
                todo = [KNOWLEDGE_POSITIONS / f for f in files
                        if (exam, year, shipped_digest(KNOWLEDGE_POSITIONS / f)) not in done]
                if todo:
                    reports += store.import_paths(todo, exam, year, url=url)
            return reports
        except (IntegrityError, OperationalError):
            # Another process (a second replica starting at the same time) is loading the
            # same files: its transaction wins, ours rolled back; look again.
            if attempt == 2:
                raise
            import time

            time.sleep(1.0 + attempt)
    return reports


def _import_args(exam: Optional[str], year: Optional[int],
                 snapshot: Union[str, dt.date, None]) -> Tuple[Optional[str], Optional[int], Optional[dt.date]]:
    exam_name = _exam_name(exam) if exam and str(exam).strip() else None
    if year is not None and (not isinstance(year, int) or not 1990 <= year <= 2100):
        raise PositionsError(f"年份不正确：{year}")
    snap: Optional[dt.date] = None
    if snapshot is not None:
        snap = snapshot if isinstance(snapshot, dt.date) else parse_date(snapshot)
        if snap is None:
            raise PositionsError(f"快照日期格式不正确：{snapshot}（应为 YYYY-MM-DD）")
    return exam_name, year, snap


def preview_import(paths: Sequence[Union[str, Path]], exam: Optional[str] = None, year: Optional[int] = None, *,
                   snapshot: Union[str, dt.date, None] = None, column_map: Optional[Mapping[str, str]] = None,
                   ignore: Iterable[str] = ()) -> List[ImportReport]:
    """The report of an import without doing it (``--dry-run``; the console's upload step):
    how each column was understood, posts and conditions parsed, the wordings left to
    confirm. ``exam``/``year`` default to what the file's title or name says."""
    exam_name, year, snap = _import_args(exam, year, snapshot)
    return store.preview_paths([Path(p) for p in paths], exam_name, year, snapshot=snap,
                               column_map=column_map, ignore=ignore)


def import_positions(paths: Sequence[Union[str, Path]], exam: Optional[str], year: Optional[int], *,
                     snapshot: Union[str, dt.date, None] = None, url: Optional[str] = None,
                     column_map: Optional[Mapping[str, str]] = None, ignore: Iterable[str] = (),
                     progress: bool = False) -> List[ImportReport]:
    """Imports position tables / applicant statistics (all files in one transaction) and
    returns the same reports as :func:`preview_import`, with the counts written.

    ``snapshot`` dates a file's single 报名人数 column (else the date in the JSON, title
    row or file name is used). ``exam``/``year`` may be None when the file names them.
    Columns no rule knows are kept with each post (``details``), never refused."""
    exam_name, year, snap = _import_args(exam, year, snapshot)
    factory = None
    if progress:
        from tqdm import tqdm

        def factory(path: Path):  # noqa: E306
            return tqdm(desc=path.name, unit="行", leave=True)
    return store.import_paths([Path(p) for p in paths], exam_name, year, url=url, snapshot=snap,
                              column_map=column_map, ignore=ignore, progress_factory=factory)


def list_exams(url: Optional[str] = None) -> List[Dict[str, Any]]:
    """Exams and years in the database with post counts (cached until an import changes them)."""
    return [{"exam": e, "year": y, "posts": n} for e, y, n in store.exams_cached(url)]


def _exam_name(exam: Optional[str]) -> str:
    """Canonical name from knowledge/exams.yml ("河南" -> 河南省考); other names stay as given."""
    from bot.knowledge import canonical_exam

    if not exam or not str(exam).strip():
        return settings()["exam"]["default_name"]
    return canonical_exam(exam) or str(exam).strip()


def resolve_exam(exam: Optional[str] = None, year: Optional[int] = None,
                 url: Optional[str] = None) -> Tuple[str, int]:
    """Canonical exam name and year present in the database (the latest year when omitted)."""
    name = _exam_name(exam)
    available = list_exams(url)
    years = sorted(x["year"] for x in available if x["exam"] == name)
    if not years:
        have = "、".join(f"{x['exam']} {x['year']}" for x in available) or "无"
        raise UnknownExam(f"“{name}”的职位表还没有导入（已有：{have}）。机构管理员可以在顾问工作台"
                          f"“职位表导入”页上传官方职位表，或用 coach import-positions 导入")
    if year is None:
        return name, years[-1]
    if int(year) not in years:
        raise UnknownExam(f"数据库中没有 {name} {year} 年的职位表（已有年份：{'、'.join(map(str, years))}）")
    return name, int(year)


def _data(exam: Optional[str], year: Optional[int], url: Optional[str]) -> store.ExamData:
    name, y = resolve_exam(exam, year, url)
    return store.exam_data(name, y, url)


def _profile(profile: ProfileLike) -> Profile:
    return profile if isinstance(profile, Profile) else Profile.from_dict(profile or {})


# --------------------------------------------------------------------------- posts
def _summary(post: Mapping[str, Any], ratio_row: Optional[Tuple[Optional[int], Optional[float]]] = None
             ) -> Dict[str, Any]:
    out = {k: post.get(k) for k in store.SUMMARY_FIELDS}
    if ratio_row is not None:
        out["applicants"], out["ratio"] = ratio_row
    return out


def search_posts(exam: Optional[str] = None, year: Optional[int] = None, *, city: Optional[str] = None,
                 keyword: Optional[str] = None, education: Optional[str] = None,
                 family: Optional[str] = None, min_openings: Optional[int] = None,
                 max_ratio: Optional[float] = None, profile: ProfileLike = None,
                 verdict: Optional[str] = None, sort: str = "code", limit: Optional[int] = 50,
                 url: Optional[str] = None) -> List[Dict[str, Any]]:
    """Posts of one exam and year matching all given filters.

    ``city`` matches city, district or organ; ``keyword`` matches organ, unit, name,
    description and the major text; ``education`` (大专/本科/硕士研究生/博士研究生) keeps posts
    admitting that level; ``profile`` + ``verdict`` keep posts with that verdict for the
    student; ``sort`` is ``code``, ``ratio`` (lowest first) or ``-ratio``."""
    data = _data(exam, year, url)
    t = _ratios.ratio_table(data)
    ev = evaluate(data.compiled, _profile(profile)) if profile is not None else None
    if verdict is not None and verdict not in VERDICTS.values():
        raise PositionsError(f"verdict 应为 {', '.join(VERDICTS.values())} 之一")
    if verdict is not None and ev is None:
        raise PositionsError("按资格筛选需要提供档案（profile）")
    edu = None
    if education:
        edu = Profile.from_dict({"education": education}).education
    kw = keyword.strip() if keyword else None
    out = []
    for i, p in enumerate(data.posts):
        if city and not any(city in (p.get(k) or "") for k in ("city", "district", "organ", "work_place")):
            continue
        if family and family not in (p.get("family") or ""):
            continue
        if min_openings is not None and (p.get("openings") or 0) < min_openings:
            continue
        if max_ratio is not None and not (t.ratio[i] <= max_ratio):
            continue
        if kw and not any(kw in (p.get(k) or "") for k in ("organ", "unit", "name", "description", "major",
                                                           "major_undergrad", "major_graduate", "code")):
            continue
        if edu:
            reqs = [c for c in data.compiled.requirements[i].conditions if isinstance(c, EducationReq)]
            if any(edu not in c.allowed for c in reqs):
                continue
        if ev is not None and verdict is not None and VERDICTS[int(ev.verdict[i])] != verdict:
            continue
        row = _summary(p, (None if np.isnan(t.applicants[i]) else int(t.applicants[i]),
                           None if np.isnan(t.ratio[i]) else round(float(t.ratio[i]), 2)))
        if ev is not None:
            row["verdict"] = VERDICTS[int(ev.verdict[i])]
        out.append(row)
    if sort in ("ratio", "-ratio"):
        rev = sort == "-ratio"
        out.sort(key=lambda r: (r["ratio"] is None, (-r["ratio"] if rev else r["ratio"]) if r["ratio"] is not None else 0))
    return out[:limit] if limit else out


def _locate(code: str, exam: Optional[str], year: Optional[int], url: Optional[str]) -> store.ExamData:
    code = str(code).strip()
    if exam is not None or year is not None:
        data = _data(exam, year, url)
        if code not in data.compiled.index_of:
            raise PostNotFound(f"{data.exam} {data.year} 没有职位代码为 {code} 的职位")
        return data
    store.ensure_schema(url)
    with store.engine_for(url).connect() as conn:
        hits = conn.execute(select(PositionPost.exam, PositionPost.year).where(PositionPost.code == code)
                            .order_by(PositionPost.year.desc(), PositionPost.exam)).all()
    if not hits:
        raise PostNotFound(f"没有找到职位代码 {code}（请检查代码，或用 --exam/--year 指定考试）")
    if len(hits) > 1:
        which = "、".join(f"{e} {y}" for e, y in hits)
        raise PostNotFound(f"职位代码 {code} 出现在多个考试中（{which}），请用 --exam 和 --year 指定")
    return store.exam_data(hits[0][0], int(hits[0][1]), url)


_REQ_KEYS = (("education", "education"), ("degree", "degree"), ("major", "major"),
             ("major_college", "major_college"), ("major_undergrad", "major_undergrad"),
             ("major_graduate", "major_graduate"), ("age", "age"), ("political_status", "political"),
             ("grassroots_experience", "experience"), ("service_project", "project"),
             ("target_group", "target_group"), ("identity", "identity"), ("gender", "gender"),
             ("hukou", "hukou"), ("other", "other"), ("remarks", "remarks"),
             ("physical_exam", "physical_exam"), ("fitness_test", "fitness_test"))


def get_post(code: str, exam: Optional[str] = None, year: Optional[int] = None,
             url: Optional[str] = None) -> Dict[str, Any]:
    """One post in the shape of ``coach positions show --json``:
    ``{code, exam, year, organ, unit, name, openings, requirements, snapshots: [{date, applicants, ratio}]}``
    plus ``city``, ``district``, ``family``, ``description``, ``phone``, ``post_type``,
    ``section``, ``details`` (columns of the official table no field takes, as published:
    shown to the reader, never used for a verdict) and ``parsed``."""
    data = _locate(code, exam, year, url)
    i = data.compiled.index_of[str(code).strip()]
    p = data.posts[i]
    with store.engine_for(url).connect() as conn:
        details = conn.execute(select(PositionPost.details).where(
            PositionPost.exam == data.exam, PositionPost.year == data.year,
            PositionPost.code == p["code"])).scalar()
    req = data.compiled.requirements[i]
    requirements = {k: p.get(f) for k, f in _REQ_KEYS if p.get(f) not in (None, "")}
    return {
        "code": p["code"], "exam": data.exam, "year": data.year,
        "organ": p.get("organ"), "unit": p.get("unit"), "name": p.get("name"),
        "openings": p.get("openings"),
        "requirements": requirements,
        "snapshots": [{"date": s["date"], "applicants": s["applicants"], "ratio": s["ratio"]}
                      for s in _ratios.snapshots_of(data, p["code"])],
        "city": p.get("city"), "district": p.get("district"), "family": p.get("family"),
        "description": p.get("description"), "phone": req.phone,
        "post_type": p.get("post_type"), "section": p.get("section"), "details": details or None,
        "parsed": {"conditions": [zh(_describe(c)) for c in req.conditions], "notes": [zh(n) for n in req.notes]},
    }


def _describe(c: Any) -> str:
    kind = {"EducationReq": "学历", "DegreeReq": "学位", "MajorReq": "专业", "AgeReq": "年龄",
            "PoliticalReq": "政治面貌", "GrassrootsReq": "基层工作经历", "FreshGraduateReq": "招录对象",
            "SpecialGroupReq": "招录对象", "GenderReq": "性别", "HouseholdReq": "户籍",
            "CertificateReq": "资格证书", "RegularCollegeReq": "学历性质", "InSchoolReq": "通用条件",
            "PriorMajorReq": "本科专业", "EthnicityReq": "民族",
            "Unparsed": "待人工核对"}.get(type(c).__name__, type(c).__name__)
    return f"{kind}：{c.text}"


# --------------------------------------------------------------------------- eligibility
@dataclass
class EligibilityReport:
    """Verdicts of one profile over every post of one exam and year."""

    exam: str
    year: int
    counts: Dict[str, int]
    results: List[Dict[str, Any]]
    profile_notes: List[str] = field(default_factory=list)
    general_conditions: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return dict(self.__dict__)

    def by_verdict(self, verdict: str) -> List[Dict[str, Any]]:
        return [r for r in self.results if r["verdict"] == verdict]


def _profile_notes(p: Profile) -> List[str]:
    notes = []
    if p.degree_assumed:
        notes.append(f"未提供学位，已按与学历相对应的学位（{p.degree}）判断")
    missing = [label for key, label in (("age", "年龄"), ("education", "学历"), ("major", "专业"),
                                         ("grad_year", "毕业年份"), ("fresh_graduate", "是否应届"),
                                         ("political_status", "政治面貌"), ("experience_years", "基层工作年限"),
                                         ("gender", "性别"), ("hukou", "户籍"))
               if getattr(p, key) is None]
    if missing:
        notes.append("档案缺少：" + "、".join(missing) + "；涉及这些条件的职位标为“需确认”")
    return notes


def general_conditions(exam: str, year: int) -> List[str]:
    """The legal conditions every applicant must meet (Civil Servant Law art. 13, 26, 74)
    and the exam-year age limits from knowledge/exams.yml, as plain sentences."""
    from bot.knowledge import age_limits

    out = [
        "具有中华人民共和国国籍，年满十八周岁，拥护宪法、中国共产党的领导和社会主义制度，具有良好的政治素质和道德品行、"
        "正常履行职责的身体和心理素质，以及职位要求的文化程度和工作能力（《公务员法》第十三条）",
        "曾因犯罪受过刑事处罚、被开除中国共产党党籍、被开除公职、被依法列为失信联合惩戒对象的，不得录用（《公务员法》第二十六条）",
        "与招录机关工作人员有夫妻、直系血亲、三代以内旁系血亲或近姻亲关系，录用后构成回避关系的职位不得报考（《公务员法》第七十四条）",
        "现役军人、在读的非应届毕业生、试用期内公务员等不能报考（以当年招考公告为准）",
    ]
    lim = None
    try:
        lim = age_limits(exam, year)
    except FileNotFoundError:
        pass
    if lim:
        if lim.get("max") is not None:
            s = f"{exam}{year}年度年龄条件：{lim['min']}周岁以上、{lim['max']}周岁以下"
            if lim.get("max_fresh_postgrad"):
                s += f"（应届硕士、博士研究生放宽到{lim['max_fresh_postgrad']}周岁以下）"
        else:
            s = f"{exam}{year}年度年龄条件：{lim['min']}周岁以上，上限以当年招考公告为准"
        out.append(s + (f"；来源：{lim['source']}" if lim.get("source") else ""))
    return out


def evaluation_for(profile: ProfileLike, exam: Optional[str] = None, year: Optional[int] = None,
                   url: Optional[str] = None) -> Tuple[store.ExamData, Evaluation]:
    """The raw vectorised evaluation (arrays) for callers that need more than the report."""
    data = _data(exam, year, url)
    return data, evaluate(data.compiled, _profile(profile))


def check_eligibility(profile: ProfileLike, exam: Optional[str] = None, year: Optional[int] = None, *,
                      url: Optional[str] = None, verdict: Optional[str] = None,
                      codes: Optional[Sequence[str]] = None) -> EligibilityReport:
    """Verdict for every post (or ``codes``) of the exam: eligible / not_eligible with every
    failing condition / needs_confirmation with the reason and the post's phone number."""
    p = _profile(profile)
    data, ev = evaluation_for(p, exam, year, url)
    if codes is not None:
        idx = []
        for c in codes:
            if c not in data.compiled.index_of:
                raise PostNotFound(f"{data.exam} {data.year} 没有职位代码为 {c} 的职位")
            idx.append(data.compiled.index_of[c])
    elif verdict is not None:
        code = {v: k for k, v in VERDICTS.items()}.get(verdict)
        if code is None:
            raise PositionsError(f"verdict 应为 {', '.join(VERDICTS.values())} 之一")
        idx = list(np.nonzero(ev.verdict == code)[0])
    else:
        idx = range(data.compiled.size)
    results = []
    for i in idx:
        d = ev.details(int(i))
        post = data.posts[int(i)]
        d.update(name=post.get("name"), organ=post.get("organ"), unit=post.get("unit"), city=post.get("city"))
        results.append(d)
    return EligibilityReport(data.exam, data.year, ev.counts(), results, _profile_notes(p),
                             general_conditions(data.exam, data.year))


def check_post(profile: ProfileLike, code: str, exam: Optional[str] = None, year: Optional[int] = None,
               url: Optional[str] = None) -> Dict[str, Any]:
    """Verdict, reasons, notes and phone for one post."""
    data = _locate(code, exam, year, url)
    ev = evaluate(data.compiled, _profile(profile))
    return ev.details(data.compiled.index_of[str(code).strip()])


# --------------------------------------------------------------------------- competition
def post_competition(code: str, exam: Optional[str] = None, year: Optional[int] = None,
                     profile: ProfileLike = None, url: Optional[str] = None) -> Dict[str, Any]:
    """Openings, applicants per snapshot, ratio, rank/percentile among all posts and (with a
    profile) among the eligible posts, and the day-by-day trend (``snapshots``)."""
    data = _locate(code, exam, year, url)
    ev = evaluate(data.compiled, _profile(profile)) if profile is not None else None
    return _ratios.post_competition(data, str(code).strip(), ev)


def compare_posts(codes: Sequence[str], exam: Optional[str] = None, year: Optional[int] = None,
                  profile: ProfileLike = None, url: Optional[str] = None,
                  alternatives_per_post: int = 5) -> Dict[str, Any]:
    """A shortlist side by side with the distribution of all / eligible posts and, with a
    profile, eligible alternatives with a lower ratio in the same city or post family."""
    if not codes:
        raise PositionsError("请至少给出一个职位代码")
    data = _locate(codes[0], exam, year, url)
    for c in codes:
        if c not in data.compiled.index_of:
            raise PostNotFound(f"{data.exam} {data.year} 没有职位代码为 {c} 的职位（对比的职位须属于同一考试）")
    ev = evaluate(data.compiled, _profile(profile)) if profile is not None else None
    return _ratios.compare(data, list(codes), ev, alternatives_per_post)


def compare_chart(codes: Sequence[str], exam: Optional[str] = None, year: Optional[int] = None,
                  profile: ProfileLike = None, url: Optional[str] = None) -> bytes:
    """PNG (bytes) of the shortlist's ratios against the eligible posts' distribution
    (all posts of the exam when no profile is given)."""
    comparison = compare_posts(codes, exam, year, profile, url, alternatives_per_post=0)
    data = store.exam_data(comparison["exam"], comparison["year"], url)
    t = _ratios.ratio_table(data)
    if t.date is None:
        raise ChartError(f"{data.exam} {data.year} 没有报名人数数据，无法生成竞争比图表")
    if profile is not None:
        ev = evaluate(data.compiled, _profile(profile))
        values = t.ratio[ev.verdict == ELIGIBLE]
        population = "你符合条件的岗位"
    else:
        values = t.ratio
        population = "全部岗位"
    return ratio_chart(comparison, list(values), population=population)
