"""Import of official position tables and applicant statistics (XLSX, CSV, JSON).

Tables are read as published: title rows above the header are skipped (the header row is
the one whose cells best match known column names), every sheet of a workbook is read,
and columns are mapped to canonical fields through aliases (招考人数/招录人数,
报名人数/报考人数, 基层工作最低年限/工作经历要求 …). A column no alias knows stops the
import with a message naming it (``column_map`` / ``--map 列名=字段`` maps it, ``ignore``
/ ``--ignore 列名`` skips it).

Re-importing is idempotent: posts are upserted by ``(exam, year, code)`` and applicant
counts by ``(exam, year, code, date)``, so daily snapshots of several days and years
accumulate. A file that carries requirement columns is a *position table* and is
authoritative for the post fields it has; a file with only counts (a daily applicant
sheet) only fills posts or fields that are still empty.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.engine import Connection

from bot.positions.models import PositionImport, PositionPost, PositionSnapshot, utcnow


class PositionImportError(Exception):
    """An import that cannot proceed; the message is for the user (no traceback)."""


# Canonical field -> header aliases (compared after NFKC, without spaces and brackets' content kept).
FIELD_ALIASES: Dict[str, Tuple[str, ...]] = {
    "code": ("职位代码", "岗位代码", "职位编码", "岗位编码", "职位编号", "岗位编号", "招考职位代码",
             "招录职位代码", "职位代码(必填)"),
    "dept_code": ("部门代码", "单位代码", "机关代码", "招录机关代码"),
    "organ": ("招录机关", "招录机关(单位)", "招考机关", "部门名称", "招录机关名称", "主管部门", "招考部门",
              "招录单位(机关)"),
    "unit": ("用人单位", "招录部门", "用人司局", "招录单位", "单位名称", "招考单位", "用人单位名称"),
    "name": ("职位名称", "招考职位", "岗位名称", "招录职位", "职位"),
    "description": ("职位简介", "职位描述", "岗位简介", "职位职责", "岗位职责", "工作内容"),
    "openings": ("招录人数", "招考人数", "录用人数", "计划招录人数", "招录计划", "拟录用人数", "招聘人数",
                 "计划数", "招录名额", "招考计划"),
    "applicants": ("报考人数", "报名人数", "报名数", "报考数", "报名人数合计", "已报名人数"),
    "approved": ("审核通过人数", "通过审核人数", "资格审查通过人数", "过审人数", "审核通过数"),
    "education": ("学历", "学历要求"),
    "degree": ("学位", "学位要求"),
    "major": ("专业", "专业要求", "所学专业", "专业名称及代码", "专业及代码"),
    "major_college": ("专科专业", "大专专业", "高职专科专业"),
    "major_undergrad": ("本科专业",),
    "major_graduate": ("研究生专业",),
    "age": ("年龄", "年龄要求"),
    "political": ("政治面貌",),
    "experience": ("基层工作最低年限", "工作经历要求", "基层工作经历", "工作经历", "工作年限",
                   "基层工作年限", "基层工作经历要求"),
    "project": ("服务基层项目工作经历",),
    "target_group": ("招录对象", "招考对象", "报考对象"),
    "other": ("其他要求", "其他条件", "其它条件", "其它要求", "其他资格条件"),
    "remarks": ("备注",),
    "physical_exam": ("体检标准",),
    "fitness_test": ("是否进行体能测评", "体能测评", "是否体能测评"),
    "city": ("城市", "地市", "所在地市", "市州", "地区"),
    "district": ("district", "区县", "县区", "县(市、区)"),
    "work_place": ("工作地点",),
    "phone": ("咨询电话", "咨询电话1", "联系电话"),
}
# Columns that official tables carry and the engine deliberately does not use (kept in raw).
IGNORED_ALIASES: Tuple[str, ...] = (
    "序号", "部门网站", "机构性质", "机构层级", "考试类别", "职位属性", "职位分布", "落户地点",
    "是否在面试阶段组织专业能力测试", "面试人员比例", "咨询电话2", "咨询电话3", "竞争比", "职位类别",
    "职级", "考区", "招录职位类别", "网站", "笔试类别", "面试比例", "开考比例",
)
REQUIREMENT_FIELDS = ("education", "degree", "major", "major_college", "major_undergrad",
                      "major_graduate", "age", "political", "experience", "project",
                      "target_group", "other")
POST_FIELDS = ("organ", "unit", "name", "description", "city", "district", "work_place", "openings",
               *REQUIREMENT_FIELDS, "remarks", "physical_exam", "fitness_test", "phone")
_DATE = r"(20\d{2})[-./年_](\d{1,2})[-./月_](\d{1,2})日?"
_WIDE = re.compile(r"^(?P<f>报名人数|报考人数|报名数|审核通过人数|过审人数)[_\-\s]*" + _DATE + r"$")


def _key(header: object) -> str:
    t = unicodedata.normalize("NFKC", str(header if header is not None else ""))
    return re.sub(r"\s+", "", t).strip().lower()


_ALIAS_INDEX: Dict[str, str] = {}
for _field, _aliases in FIELD_ALIASES.items():
    for _a in _aliases:
        _ALIAS_INDEX[_key(_a)] = _field
_IGNORED = {_key(a) for a in IGNORED_ALIASES}


def parse_date(text: object) -> Optional[dt.date]:
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    m = re.search(_DATE, unicodedata.normalize("NFKC", str(text or "")))
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


@dataclass
class ColumnPlan:
    """How the columns of one table map to fields."""

    fields: Dict[int, str]                     # column index -> canonical field
    wide: Dict[int, Tuple[str, dt.date]]       # column index -> (applicants|approved, date)
    ignored: List[str]
    headers: List[str]


def map_columns(headers: Sequence[object], column_map: Optional[Mapping[str, str]] = None,
                ignore: Iterable[str] = ()) -> Tuple[ColumnPlan, List[str]]:
    """(plan, unmappable header names)."""
    user = {_key(k): v for k, v in (column_map or {}).items()}
    skip = {_key(x) for x in ignore}
    fields: Dict[int, str] = {}
    wide: Dict[int, Tuple[str, dt.date]] = {}
    ignored: List[str] = []
    unknown: List[str] = []
    used: Dict[str, int] = {}
    for i, h in enumerate(headers):
        k = _key(h)
        if not k or k.startswith("unnamed:"):
            continue
        if k in skip or k in _IGNORED:
            ignored.append(str(h))
            continue
        f = user.get(k) or _ALIAS_INDEX.get(k)
        if f is None:
            m = _WIDE.match(unicodedata.normalize("NFKC", str(h)).replace(" ", ""))
            if m:
                kind = "approved" if "审核" in m.group("f") or "过审" in m.group("f") else "applicants"
                wide[i] = (kind, dt.date(int(m.group(2)), int(m.group(3)), int(m.group(4))))
                continue
            unknown.append(str(h))
            continue
        if f == "ignore":
            ignored.append(str(h))
            continue
        if f in used:  # a second column for the same field (咨询电话1/联系电话): keep the first
            ignored.append(str(h))
            continue
        used[f] = i
        fields[i] = f
    return ColumnPlan(fields, wide, ignored, [str(h) for h in headers]), unknown


def _score(row: Sequence[object]) -> Tuple[int, bool]:
    hits, has_code = 0, False
    for cell in row:
        k = _key(cell)
        if not k:
            continue
        f = _ALIAS_INDEX.get(k)
        if f or k in _IGNORED or _WIDE.match(k):
            hits += 1
        if f == "code":
            has_code = True
    return hits, has_code


def detect_header(rows: Sequence[Sequence[object]], limit: int = 20) -> Optional[int]:
    """Index of the header row among the first ``limit`` rows, or None."""
    best, best_hits = None, 1
    for i, row in enumerate(rows[:limit]):
        hits, has_code = _score(row)
        if has_code and hits > best_hits:
            best, best_hits = i, hits
    return best


# --------------------------------------------------------------------------- readers
@dataclass
class Table:
    name: str                     # sheet name or file name
    title: str                    # text above the header (for a snapshot date)
    headers: List[object]
    rows: List[List[object]]
    meta_date: Optional[dt.date] = None


def _read_xlsx(path: Path) -> List[Table]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException …
        raise PositionImportError(f"{path.name}：无法作为 Excel 工作簿读取（{exc.__class__.__name__}）") from None
    tables = []
    try:
        for ws in wb.worksheets:
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
            tables.append(_table(ws.title, rows))
    finally:
        wb.close()
    return tables


def _table(name: str, rows: List[List[object]]) -> Table:
    h = detect_header(rows)
    if h is None:
        return Table(name, "", [], [])
    title = " ".join(str(c) for r in rows[:h] for c in r if c not in (None, ""))
    return Table(name, title, rows[h], rows[h + 1:])


def _read_csv(path: Path) -> List[Table]:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise PositionImportError(f"{path.name}：无法识别文件编码（支持 UTF-8 和 GBK/GB18030）")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows = [list(r) for r in csv.reader(io.StringIO(text), dialect)]
    return [_table(path.name, rows)]


def _read_json(path: Path) -> List[Table]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PositionImportError(f"{path.name}：不是有效的 JSON（{exc}）") from None
    meta_date = None
    records = data
    if isinstance(data, dict):
        meta_date = parse_date(data.get("date")) if data.get("date") else None
        records = next((data[k] for k in ("data", "positions", "rows", "items", "records")
                        if isinstance(data.get(k), list)), None)
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise PositionImportError(f"{path.name}：JSON 应为职位对象列表，或 {{\"data\": [...]}} 形式")
    headers: List[object] = []
    for r in records:
        for k in r:
            if k not in headers:
                headers.append(k)
    rows = [[r.get(h) for h in headers] for r in records]
    return [Table(path.name, "", headers, rows, meta_date=meta_date)]


def read_tables(path: Path) -> List[Table]:
    if not path.exists():
        raise PositionImportError(f"文件不存在：{path}")
    if path.is_dir():
        raise PositionImportError(f"{path} 是目录，请给出文件")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path)
    if suffix == ".json":
        return _read_json(path)
    if suffix == ".xls":
        raise PositionImportError(f"{path.name}：不支持旧版 .xls，请在 Excel/WPS 中另存为 .xlsx 后导入")
    raise PositionImportError(f"{path.name}：不支持的文件类型（支持 .xlsx、.csv、.json）")


# --------------------------------------------------------------------------- values
def _text(v: object) -> Optional[str]:
    if v is None:
        return None
    if isinstance(v, float):
        if v != v:  # NaN
            return None
        if v.is_integer():
            v = int(v)
    s = unicodedata.normalize("NFKC", str(v)).strip() if not isinstance(v, str) else v.strip()
    return s or None


def _code(v: object) -> Optional[str]:
    if v is None:
        return None
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v:
            return None
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        raise PositionImportError(f"职位代码 {v!r} 以浮点数存储，已丢失精度；请把代码列设为文本格式后重新导出")
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(v)))
    if s.endswith(".0") and s[:-2].isdigit():
        s = s[:-2]
    return s or None


def _int(v: object) -> Optional[int]:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return None if v != v else int(v)
    m = re.search(r"\d+", unicodedata.normalize("NFKC", str(v)))
    return int(m.group(0)) if m else None


# --------------------------------------------------------------------------- derived fields
def _knowledge_yaml(name: str) -> Any:
    from bot.knowledge import load_yaml

    try:
        return load_yaml(name) or {}
    except FileNotFoundError:
        return {}


def region_info(exam: str) -> Dict[str, Any]:
    return (_knowledge_yaml("positions/regions.yml") or {}).get(exam) or {}


def post_family(name: Optional[str], description: Optional[str] = None,
                physical_exam: Optional[str] = None) -> str:
    cfg = _knowledge_yaml("positions/families.yml")
    text = f"{name or ''} {description or ''}"
    for keyword, family in cfg.get("order", []):
        if keyword in (name or ""):
            return family
    if physical_exam and "警察" in physical_exam:
        return "行政执法类"
    for keyword, family in cfg.get("order", []):
        if keyword in text:
            return family
    return cfg.get("default", "综合管理类")


_DISTRICT = re.compile(r"^(?:中共)?([\u4e00-\u9fff]{1,6}?(?:县|市|区))")


def derive(exam: str, post: Dict[str, Any]) -> None:
    """Fills city/district/work place/family where the table does not give them."""
    info = region_info(exam)
    if not post.get("city"):
        prefixes = info.get("code_prefix_city") or {}
        city = prefixes.get(str(post["code"])[:2]) if prefixes else None
        if city:
            post["city"] = city
    if not post.get("district") and post.get("organ") and post.get("city") not in (None, "省直"):
        m = _DISTRICT.match(post["organ"])
        if m:
            d = m.group(1)
            post["district"] = "市直" if d == post.get("city") else d
    if not post.get("work_place"):
        m = re.search(r"工作地点(?:为|在|:|：)\s*([^。；;，,]+)", post.get("remarks") or "")
        if m:
            post["work_place"] = m.group(1).strip()
    post["family"] = post_family(post.get("name"), post.get("description"), post.get("physical_exam"))


# --------------------------------------------------------------------------- import
@dataclass
class ImportReport:
    file: str
    exam: str
    year: int
    kind: str                   # positions / applicants / mixed
    sheets: List[str] = field(default_factory=list)
    rows: int = 0
    posts_new: int = 0
    posts_updated: int = 0
    posts_unchanged: int = 0
    snapshots_new: int = 0
    snapshots_updated: int = 0
    snapshot_dates: List[str] = field(default_factory=list)
    skipped_rows: int = 0
    ignored_columns: List[str] = field(default_factory=list)
    already_imported: bool = False

    def summary(self) -> str:
        parts = [f"{self.file}（{self.exam} {self.year}，{'、'.join(self.sheets)}）：读取 {self.rows} 行"]
        parts.append(f"职位 新增 {self.posts_new}、更新 {self.posts_updated}、未变 {self.posts_unchanged}")
        if self.snapshot_dates:
            parts.append(f"报名快照 新增 {self.snapshots_new}、更新 {self.snapshots_updated}"
                         f"（日期：{'、'.join(self.snapshot_dates)}）")
        if self.skipped_rows:
            parts.append(f"跳过无职位代码的行 {self.skipped_rows}")
        return "；".join(parts)

    def to_dict(self) -> Dict[str, Any]:
        return dict(self.__dict__)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _rows_of(path: Path, tables: List[Table], column_map, ignore, snapshot: Optional[dt.date]
             ) -> Tuple[List[Dict[str, Any]], List[Tuple[str, dt.date, str, Optional[int]]], bool, List[str], List[str], int, set]:
    """(posts, snapshots (code, date, kind, value), is_position_table, sheets, ignored, skipped, fields)."""
    posts: List[Dict[str, Any]] = []
    snaps: List[Tuple[str, dt.date, str, Optional[int]]] = []
    sheets: List[str] = []
    ignored_all: List[str] = []
    skipped = 0
    all_fields: set = set()
    usable = [t for t in tables if t.headers]
    if not usable:
        raise PositionImportError(
            f"{path.name}：在前 20 行中没有找到表头（需要一行包含“职位代码”等列名）")
    for t in usable:
        plan, unknown = map_columns(t.headers, column_map, ignore)
        if unknown:
            raise PositionImportError(
                f"{path.name}（{t.name}）：无法识别的列：{'、'.join(unknown)}。"
                f"请用 --map \"列名=字段\" 指定（字段：{', '.join(sorted(set(FIELD_ALIASES) | {'ignore'}))}），"
                f"或用 --ignore \"列名\" 跳过")
        fields = set(plan.fields.values())
        if "code" not in fields:
            raise PositionImportError(f"{path.name}（{t.name}）：缺少职位代码列")
        if not (fields & set(POST_FIELDS)) and not plan.wide and "applicants" not in fields:
            raise PositionImportError(f"{path.name}（{t.name}）：除职位代码外没有可导入的列")
        date = snapshot or t.meta_date or parse_date(t.title) or parse_date(path.stem)
        if "applicants" in fields and date is None:
            raise PositionImportError(
                f"{path.name}：含报名人数但无法确定统计日期，请用 --snapshot YYYY-MM-DD 指定")
        sheets.append(t.name)
        ignored_all += [c for c in plan.ignored if c not in ignored_all]
        all_fields |= fields
        dept_col = next((i for i, f in plan.fields.items() if f == "dept_code"), None)
        for row in t.rows:
            rec: Dict[str, Any] = {}
            raw: Dict[str, Any] = {}
            for i, f in plan.fields.items():
                v = row[i] if i < len(row) else None
                if f == "code":
                    rec["code"] = _code(v)
                elif f in ("openings", "applicants", "approved"):
                    rec[f] = _int(v)
                elif f != "dept_code":
                    rec[f] = _text(v)
            for i, h in enumerate(plan.headers):
                if h and h != "None" and i < len(row) and row[i] not in (None, ""):
                    raw[h] = row[i] if isinstance(row[i], (int, float, str)) else str(row[i])
            code = rec.get("code")
            if not code or not re.search(r"\d", code):
                if any(v not in (None, "") for v in row):
                    skipped += 1
                continue
            if dept_col is not None and row[dept_col] not in (None, ""):
                rec["_dept"] = _code(row[dept_col])
            rec["raw"] = raw
            rec["_sheet"] = t.name
            rec["_date"] = date
            rec["_wide"] = [(kind, d, _int(row[i] if i < len(row) else None)) for i, (kind, d) in plan.wide.items()]
            posts.append(rec)
    # Post codes are unique on their own in provincial tables and the national exam; where a
    # table repeats them across departments, the department code makes them unique.
    codes = [p["code"] for p in posts]
    if len(codes) != len(set(codes)) and all(p.get("_dept") for p in posts):
        for p in posts:
            if not p["code"].startswith(p["_dept"]):
                p["code"] = f"{p['_dept']}-{p['code']}"
    for rec in posts:
        code, date = rec["code"], rec.pop("_date")
        if rec.get("applicants") is not None:
            snaps.append((code, date, "applicants", rec["applicants"]))  # type: ignore[arg-type]
        if rec.get("approved") is not None and date is not None:
            snaps.append((code, date, "approved", rec["approved"]))
        for kind, d, v in rec.pop("_wide"):
            if v is not None:
                snaps.append((code, d, kind, v))
    is_positions = bool(all_fields & set(REQUIREMENT_FIELDS))
    codes = [p["code"] for p in posts]
    if len(codes) != len(set(codes)):
        dup = sorted({c for c in codes if codes.count(c) > 1})[:5] if len(codes) < 50000 else []
        raise PositionImportError(f"{path.name}：职位代码重复（如 {'、'.join(dup)}），无法确定唯一职位")
    return posts, snaps, is_positions, sheets, ignored_all, skipped, all_fields


def import_file(conn: Connection, path: Path, exam: str, year: int, *,
                snapshot: Optional[dt.date] = None, column_map: Optional[Mapping[str, str]] = None,
                ignore: Iterable[str] = (), progress: Optional[Callable[[int], None]] = None,
                sha256: Optional[str] = None) -> ImportReport:
    """Imports one file inside the caller's transaction."""
    path = Path(path)
    tables = read_tables(path)
    posts, snaps, is_positions, sheets, ignored, skipped, fields = _rows_of(
        path, tables, column_map, list(ignore), snapshot)
    report = ImportReport(file=path.name, exam=exam, year=int(year),
                          kind="positions" if is_positions else "applicants",
                          sheets=sheets, rows=len(posts), skipped_rows=skipped, ignored_columns=ignored)
    if is_positions and snaps:
        report.kind = "mixed"
    source_fields = ",".join(sorted(f for f in fields if f in POST_FIELDS))
    now = utcnow()
    # Existing posts of this exam and year.
    cols = [PositionPost.id, PositionPost.code] + [getattr(PositionPost, f) for f in POST_FIELDS] + \
        [PositionPost.family, PositionPost.source_fields]
    existing: Dict[str, Dict[str, Any]] = {}
    for row in conn.execute(select(*cols).where(and_(PositionPost.exam == exam, PositionPost.year == year))):
        existing[row.code] = dict(row._mapping)
    new_rows: List[Dict[str, Any]] = []
    upd_rows: List[Dict[str, Any]] = []
    for n, rec in enumerate(posts, 1):
        code = rec["code"]
        post = {f: rec.get(f) for f in POST_FIELDS if f in rec}
        post["code"] = code
        old = existing.get(code)
        if is_positions:
            merged = dict(old or {})
            merged.update(post)
        else:
            merged = dict(old or {})
            for f, v in post.items():
                if merged.get(f) in (None, "") and v not in (None, ""):
                    merged[f] = v
        derive(exam, merged)
        if old is None:
            values = {f: merged.get(f) for f in POST_FIELDS}
            values.update(exam=exam, year=int(year), code=code, family=merged.get("family"),
                          source_fields=source_fields if is_positions else None,
                          raw=rec["raw"], source=path.name, updated_at=now)
            new_rows.append(values)
            existing[code] = {**values, "id": None}
        else:
            changes = {f: merged.get(f) for f in (*POST_FIELDS, "family") if merged.get(f) != old.get(f)}
            if is_positions and old.get("source_fields") != source_fields:
                changes["source_fields"] = source_fields
            if changes and old.get("id") is not None:
                if is_positions:
                    changes["raw"] = rec["raw"]
                    changes["source"] = path.name
                changes["updated_at"] = now
                upd_rows.append({"_id": old["id"], **changes})
                report.posts_updated += 1
            else:
                report.posts_unchanged += 1
        if progress and n % 500 == 0:
            progress(500)
    if progress:
        progress(len(posts) % 500)
    report.posts_new = len(new_rows)
    if new_rows:
        for i in range(0, len(new_rows), 2000):
            conn.execute(insert(PositionPost), new_rows[i:i + 2000])
    # Updates grouped by the set of changed columns (executemany needs one shape).
    by_shape: Dict[Tuple[str, ...], List[Dict[str, Any]]] = {}
    for r in upd_rows:
        by_shape.setdefault(tuple(sorted(k for k in r if k != "_id")), []).append(r)
    for shape, rows in by_shape.items():
        stmt = update(PositionPost).where(PositionPost.id == bindparam("_id")).values(
            {k: bindparam(k) for k in shape})
        conn.execute(stmt, rows)
    # Snapshots.
    if snaps:
        merged_snaps: Dict[Tuple[str, dt.date], Dict[str, Any]] = {}
        openings = {p["code"]: p.get("openings") for p in posts}
        for code, d, kind, value in snaps:
            s = merged_snaps.setdefault((code, d), {"code": code, "date": d})
            s[kind] = value
        current = {}
        for row in conn.execute(select(PositionSnapshot.id, PositionSnapshot.code, PositionSnapshot.date,
                                       PositionSnapshot.applicants, PositionSnapshot.approved,
                                       PositionSnapshot.openings)
                                .where(and_(PositionSnapshot.exam == exam, PositionSnapshot.year == year))):
            current[(row.code, row.date)] = row
        ins, upd = [], []
        for (code, d), s in merged_snaps.items():
            old = current.get((code, d))
            if old is None:
                if s.get("applicants") is None:
                    continue  # approved counts alone, without applicants: nothing to rank
                ins.append({"exam": exam, "year": int(year), "code": code, "date": d,
                            "applicants": s["applicants"], "approved": s.get("approved"),
                            "openings": openings.get(code), "source": path.name})
            else:
                new_app = s.get("applicants", old.applicants)
                new_apr = s.get("approved", old.approved)
                new_open = openings.get(code) if openings.get(code) is not None else old.openings
                if (new_app, new_apr, new_open) != (old.applicants, old.approved, old.openings):
                    upd.append({"_id": old.id, "applicants": new_app, "approved": new_apr,
                                "openings": new_open, "source": path.name})
        for i in range(0, len(ins), 5000):
            conn.execute(insert(PositionSnapshot), ins[i:i + 5000])
        if upd:
            conn.execute(update(PositionSnapshot).where(PositionSnapshot.id == bindparam("_id")).values(
                applicants=bindparam("applicants"), approved=bindparam("approved"),
                openings=bindparam("openings"), source=bindparam("source")), upd)
        report.snapshots_new, report.snapshots_updated = len(ins), len(upd)
        report.snapshot_dates = sorted({d.isoformat() for (_, d) in merged_snaps})
    # Import log (one row per file content, exam, year and --snapshot).
    digest = sha256 or file_sha256(path)
    snap_key = snapshot.isoformat() if snapshot else ""
    log = conn.execute(select(PositionImport.id).where(and_(
        PositionImport.exam == exam, PositionImport.year == year, PositionImport.sha256 == digest,
        PositionImport.snapshot == snap_key))).first()
    values = dict(exam=exam, year=int(year), file_name=path.name, sha256=digest, snapshot=snap_key,
                  kind=report.kind, posts=len(posts), snapshots=len(snaps), imported_at=now)
    if log is None:
        conn.execute(insert(PositionImport), [values])
    else:
        report.already_imported = True
        conn.execute(update(PositionImport).where(PositionImport.id == log.id).values(**values))
    return report
