"""Import of official position tables and applicant statistics (XLS, XLSX, CSV, JSON).

Tables are read as published, in any province's layout:

* every sheet of a workbook is read (``.xls`` through xlrd, ``.xlsx`` through openpyxl);
  merged cells are filled with their value (an organ merged over its posts, a header merged
  over two rows or over its sub-columns);
* the header is found among the first rows by how many cells name known columns; a header
  on two rows (``专业`` over ``研究生 | 本科 | 大专``) is combined; title rows above it are
  kept as the sheet's title (dates, notes such as 配套措施);
* columns are mapped to canonical fields through aliases (招考人数/招录人数/录用人数,
  基层工作最低年限/工作经历要求 …), then through keywords (``研究生专业名称及代码`` ->
  graduate majors) and yes/no headers (``是否要求2年以上基层工作经历``: 是 -> 具有2年以上
  基层工作经历). A column none of these knows is **kept**: it is stored with the post
  (``details``) and shown with it, never used for a verdict. Only a sheet with no code
  column, or with nothing but codes, is refused, with a message naming what is missing;
* rows without a post code are skipped, except a lone heading such as ``面向服务基层项目人员
  职位``, which becomes the section of the posts below it (the sheet name is the section
  otherwise).

Re-importing is idempotent: posts are upserted by ``(exam, year, code)`` and applicant
counts by ``(exam, year, code, date)``, so daily snapshots of several days and years
accumulate. A file that carries requirement columns is a *position table* and is
authoritative for the post fields it has; a file with only counts (a daily applicant
sheet) only fills posts or fields that are still empty.

:func:`read_file` does all of the reading without a database (``--dry-run`` and the
console's preview use it); :func:`import_file` writes.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.engine import Connection

from bot.positions.models import PositionImport, PositionPost, PositionSnapshot, utcnow


class PositionImportError(Exception):
    """An import that cannot proceed; the message is for the user (no traceback)."""


# Canonical field -> header aliases (compared after NFKC, without spaces).
FIELD_ALIASES: Dict[str, Tuple[str, ...]] = {
    "code": ("职位代码", "岗位代码", "职位编码", "岗位编码", "职位编号", "岗位编号", "招考职位代码",
             "招录职位代码", "职位代码(必填)", "职位代码(十位)"),
    "dept_code": ("部门代码", "单位代码", "机关代码", "招录机关代码", "招考单位代码", "用人单位代码"),
    "organ": ("招录机关", "招录机关(单位)", "招考机关", "部门名称", "招录机关名称", "主管部门", "招考部门",
              "招录单位(机关)", "招考单位", "招录机关(单位)名称"),
    "unit": ("用人单位", "招录部门", "用人司局", "招录单位", "单位名称", "用人单位名称", "内设机构"),
    "name": ("职位名称", "招考职位", "岗位名称", "招录职位", "职位", "招考职位名称", "拟任职位"),
    "description": ("职位简介", "职位描述", "岗位简介", "职位职责", "岗位职责", "工作内容", "职位说明"),
    "post_type": ("职位类型", "职位类别", "考试类别", "岗位类别", "岗位类型", "笔试类别"),
    "openings": ("招录人数", "招考人数", "录用人数", "计划招录人数", "招录计划", "拟录用人数", "招聘人数",
                 "计划数", "招录名额", "招考计划", "拟招录人数", "招考名额"),
    "applicants": ("报考人数", "报名人数", "报名数", "报考数", "报名人数合计", "已报名人数"),
    "approved": ("审核通过人数", "通过审核人数", "资格审查通过人数", "过审人数", "审核通过数"),
    "education": ("学历", "学历要求", "最低学历"),
    "degree": ("学位", "学位要求"),
    "major": ("专业", "专业要求", "所学专业", "专业名称及代码", "专业及代码", "专业条件"),
    "major_college": ("专科专业", "大专专业", "高职专科专业", "大专专业名称及代码", "专科专业名称及代码"),
    "major_undergrad": ("本科专业", "本科专业名称及代码"),
    "major_graduate": ("研究生专业", "研究生专业名称及代码"),
    "age": ("年龄", "年龄要求", "年龄条件"),
    "political": ("政治面貌", "政治面貌要求"),
    "experience": ("基层工作最低年限", "工作经历要求", "基层工作经历", "工作经历", "工作年限",
                   "基层工作年限", "基层工作经历要求", "基层工作经历最低年限"),
    "project": ("服务基层项目工作经历",),
    "target_group": ("招录对象", "招考对象", "报考对象"),
    "identity": ("现有身份要求", "身份要求", "身份"),
    "gender": ("性别", "性别要求"),
    "hukou": ("户籍", "户籍要求", "户籍条件", "户籍或生源要求"),
    "other": ("其他要求", "其他条件", "其它条件", "其它要求", "其他资格条件", "其他报考条件"),
    "remarks": ("备注", "说明"),
    "physical_exam": ("体检标准",),
    "fitness_test": ("是否进行体能测评", "体能测评", "是否体能测评"),
    "city": ("城市", "地市", "所在地市", "市州", "地区", "考区"),
    "district": ("district", "区县", "县区", "县(市、区)"),
    "work_place": ("工作地点",),
    "phone": ("咨询电话", "咨询电话1", "联系电话", "考生咨询电话", "报名咨询电话"),
}
# Columns official tables carry that no field takes: kept with the post (details), named here
# so that the report says they are known (序号, 机构性质 …) rather than new to the importer.
DETAIL_ALIASES: Tuple[str, ...] = (
    "序号", "部门网站", "单位网站", "网站", "网址", "机构性质", "机构层级", "职位分布", "职位属性", "落户地点",
    "面试人员比例", "面试比例", "开考比例", "咨询电话2", "咨询电话3", "竞争比", "职级", "招录职位类别",
    "进面最低分数", "进入面试最低分数", "最低进面分数",
)
IGNORED_ALIASES = DETAIL_ALIASES  # former name, kept for callers
REQUIREMENT_FIELDS = ("education", "degree", "major", "major_college", "major_undergrad",
                      "major_graduate", "age", "political", "experience", "project",
                      "target_group", "identity", "gender", "hukou", "other")
POST_FIELDS = ("organ", "unit", "name", "description", "city", "district", "work_place", "openings",
               *REQUIREMENT_FIELDS, "remarks", "physical_exam", "fitness_test", "phone",
               "post_type", "tests", "section", "section_notes")
# What each field is, for the import report.
FIELD_LABELS: Dict[str, str] = {
    "code": "职位代码", "dept_code": "部门代码（职位代码重复时用于区分）", "organ": "招录机关",
    "unit": "用人单位", "name": "职位名称", "description": "职位简介", "post_type": "职位类型",
    "openings": "招录人数", "applicants": "报名人数（快照）", "approved": "审核通过人数（快照）",
    "education": "学历", "degree": "学位", "major": "专业", "major_college": "大专专业",
    "major_undergrad": "本科专业", "major_graduate": "研究生专业", "age": "年龄", "political": "政治面貌",
    "experience": "基层工作经历", "project": "服务基层项目经历", "target_group": "招录对象",
    "identity": "身份要求（应届等）", "gender": "性别", "hukou": "户籍", "other": "其他要求",
    "remarks": "备注", "physical_exam": "体检标准", "fitness_test": "体能测评", "city": "城市",
    "district": "区县", "work_place": "工作地点", "phone": "咨询电话", "tests": "加试/测评",
}
_DATE = r"(20\d{2})[-./年_](\d{1,2})[-./月_](\d{1,2})日?"
_WIDE = re.compile(r"^(?P<f>报名人数|报考人数|报名数|审核通过人数|过审人数)[_\-\s]*" + _DATE + r"$")
_YES = {"是", "需要", "要求", "有", "√", "限", "y", "yes", "true", "1"}
_NO = {"否", "不", "不需要", "不要求", "无", "×", "n", "no", "false", "0", "不限"}


def _key(header: object) -> str:
    t = unicodedata.normalize("NFKC", str(header if header is not None else ""))
    return re.sub(r"\s+", "", t).strip().lower()


_ALIAS_INDEX: Dict[str, str] = {}
for _field, _aliases in FIELD_ALIASES.items():
    for _a in _aliases:
        _ALIAS_INDEX[_key(_a)] = _field
_DETAILS = {_key(a) for a in DETAIL_ALIASES}


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


# --------------------------------------------------------------------------- columns
@dataclass(frozen=True)
class Flag:
    """A yes/no column whose header carries the condition (``是否要求2年以上基层工作经历``)."""

    yes: str                  # the text a 是 stands for
    label: str                # for the report


def _flag(k: str) -> Optional[Tuple[str, Flag]]:
    """Field and meaning of a ``是否…`` header, or None."""
    if not k.startswith("是否"):
        return None
    m = re.search(r"(\d+|[一二两三四五])年(?:及)?以上(?:的)?(基层)?工作(?:经历|经验)", k)
    if m:
        text = f"具有{m.group(1)}年以上{m.group(2) or ''}工作经历"
        return "experience", Flag(text, f"是 → {text}")
    if "应届" in k:
        return "identity", Flag("限应届毕业生", "是 → 限应届毕业生；其他文字（如“2026届高校毕业生”）照录")
    if "体能" in k:
        return "fitness_test", Flag("是", "是 → 需进行体能测评")
    rest = re.sub(r"^(?:在)?面试阶段", "", k[2:])
    rest = re.sub(r"^(?:组织|开展|进行|参加|要求|需要)", "", rest)
    if re.search(r"(?:测评|测试|考试|考核)$", rest) and 2 <= len(rest) <= 12:
        return "tests", Flag(rest, f"是 → 需参加{rest}")
    return None


def _guess(k: str) -> Optional[str]:
    """A field for a header no alias names, from its words (``研究生专业要求`` …)."""
    if "代码" in k and ("职位" in k or "岗位" in k):
        return "code"
    if "专业" in k and not re.search(r"是否|能力|技术资格|测试", k):
        if "研究生" in k or "硕士" in k:
            return "major_graduate"
        if "本科" in k:
            return "major_undergrad"
        if "大专" in k or "专科" in k:
            return "major_college"
        if k.startswith("专业") or k.endswith("专业"):
            return "major"
    if re.search(r"(招录|招考|录用|招聘|计划)(人数|名额|计划)", k):
        return "openings"
    if "学历" in k and "学位" not in k:
        return "education"
    if "学位" in k and "学历" not in k:
        return "degree"
    if "政治面貌" in k:
        return "political"
    if "年龄" in k:
        return "age"
    if "性别" in k:
        return "gender"
    if "户籍" in k or "生源" in k:
        return "hukou"
    if "基层" in k and ("经历" in k or "年限" in k):
        return "experience"
    if ("其他" in k or "其它" in k) and ("要求" in k or "条件" in k):
        return "other"
    if "电话" in k:
        return "phone"
    if re.search(r"职位|岗位", k) and re.search(r"名称$", k):
        return "name"
    if re.search(r"简介|职责|工作内容", k):
        return "description"
    return None


def field_of(header: object, column_map: Optional[Mapping[str, str]] = None) -> Tuple[Optional[str], Optional[Flag], str]:
    """(field, yes/no meaning, how) of one header; field None = kept as a detail."""
    k = _key(header)
    user = {_key(a): b for a, b in (column_map or {}).items()}
    if k in user:
        return user[k], None, "按 --map 指定"
    if k in _ALIAS_INDEX:
        return _ALIAS_INDEX[k], None, "列名"
    if k in _DETAILS:
        return None, None, "已知列，随职位显示"
    fl = _flag(k)
    if fl:
        return fl[0], fl[1], fl[1].label
    g = _guess(k)
    if g:
        return g, None, "按列名中的词识别"
    return None, None, "未识别，随职位显示"


@dataclass
class ColumnPlan:
    """How the columns of one table map to fields."""

    fields: Dict[int, str]                     # column index -> canonical field
    wide: Dict[int, Tuple[str, dt.date]]       # column index -> (applicants|approved, date)
    ignored: List[str]                         # dropped on request (--ignore)
    headers: List[str]
    flags: Dict[int, Flag] = field(default_factory=dict)
    details: Dict[int, str] = field(default_factory=dict)   # column index -> header kept as a detail
    how: List[Dict[str, Any]] = field(default_factory=list)  # for the report, one per column


def map_columns(headers: Sequence[object], column_map: Optional[Mapping[str, str]] = None,
                ignore: Iterable[str] = ()) -> Tuple[ColumnPlan, List[str]]:
    """(plan, header names no rule knows). Unknown columns are kept as details."""
    skip = {_key(x) for x in ignore}
    plan = ColumnPlan({}, {}, [], [str(h) if h is not None else "" for h in headers])
    unknown: List[str] = []
    used: Dict[str, int] = {}
    for i, h in enumerate(headers):
        k = _key(h)
        if not k or k.startswith("unnamed:") or k == "none":
            continue
        name = re.sub(r"\s+", "", str(h))  # as published (full-width brackets kept), without line breaks
        if k in skip:
            plan.ignored.append(name)
            plan.how.append({"column": name, "field": None, "as": "按 --ignore 跳过"})
            continue
        m = _WIDE.match(unicodedata.normalize("NFKC", str(h)).replace(" ", ""))
        if m and k not in _ALIAS_INDEX:
            kind = "approved" if "审核" in m.group("f") or "过审" in m.group("f") else "applicants"
            plan.wide[i] = (kind, dt.date(int(m.group(2)), int(m.group(3)), int(m.group(4))))
            plan.how.append({"column": name, "field": kind, "as": f"{FIELD_LABELS[kind]}，日期 {plan.wide[i][1]}"})
            continue
        f, flag, how = field_of(h, column_map)
        if f == "ignore":
            plan.ignored.append(name)
            plan.how.append({"column": name, "field": None, "as": "按 --map 跳过"})
            continue
        if f is not None and f in used:
            # A second column for the same field (咨询电话1 / 联系电话): kept as a detail.
            f, how = None, f"与“{plan.headers[used[f]]}”同义，随职位显示"
        if f is None:
            plan.details[i] = name
            if how.startswith("未识别"):
                unknown.append(name)
            plan.how.append({"column": name, "field": None, "as": how})
            continue
        used[f] = i
        plan.fields[i] = f
        if flag is not None:
            plan.flags[i] = flag
        plan.how.append({"column": name, "field": f, "as": f"{FIELD_LABELS.get(f, f)}（{how}）"})
    return plan, unknown


def _hits(row: Sequence[object]) -> Tuple[int, bool]:
    """(distinct fields + known detail columns, has a code column) of a candidate header."""
    fields: set = set()
    others = 0
    for cell in row:
        k = _key(cell)
        if not k or len(k) > 40:
            continue
        f = _ALIAS_INDEX.get(k) or (_flag(k) or (None,))[0] or _guess(k)
        if f:
            fields.add(f)
        elif k in _DETAILS or _WIDE.match(k):
            others += 1
    return len(fields) + others, "code" in fields


def _combine(parent: Sequence[object], child: Sequence[object]) -> List[object]:
    """One header from two rows: the child name, or parent+child when only that is known
    (``专业`` / ``研究生`` -> ``专业研究生``), or the parent over an empty child."""
    out: List[object] = []
    group: Optional[object] = None   # a parent spanning several children (no merge info: CSV)

    def known(k: str) -> bool:
        return bool(k in _ALIAS_INDEX or k in _DETAILS or _flag(k) or _guess(k))

    for j in range(max(len(parent), len(child))):
        p = parent[j] if j < len(parent) else None
        c = child[j] if j < len(child) else None
        pk, ck = _key(p), _key(c)
        if not ck:
            group = None
            out.append(p)
            continue
        if not pk and group is not None and not known(ck):
            p, pk = group, _key(group)
        if not pk or pk == ck:
            out.append(c)
            continue
        if known(ck):
            group = None
            out.append(c)
        elif known(pk + ck):
            group = p
            out.append(f"{unicodedata.normalize('NFKC', str(p)).strip()}{unicodedata.normalize('NFKC', str(c)).strip()}")
        else:
            group = None
            out.append(c)
    return out


def header_span(rows: Sequence[Sequence[object]], limit: int = 25) -> Optional[Tuple[int, int, List[object]]]:
    """(first header row, last header row, combined header) among the first ``limit`` rows."""
    best: Optional[Tuple[int, int, List[object]]] = None
    best_hits = 0
    n = min(limit, len(rows))
    for i in range(n):
        hits, has_code = _hits(rows[i])
        if has_code and hits > best_hits:
            best, best_hits = (i, i, list(rows[i])), hits
        if i + 1 < len(rows):
            combined = _combine(rows[i], rows[i + 1])
            h2, code2 = _hits(combined)
            # Two rows only when together they name more columns than either row alone.
            if code2 and h2 > best_hits and h2 > hits and h2 > _hits(rows[i + 1])[0]:
                best, best_hits = (i, i + 1, combined), h2
    return best


def detect_header(rows: Sequence[Sequence[object]], limit: int = 25) -> Optional[int]:
    """Index of the (last) header row among the first ``limit`` rows, or None."""
    span = header_span(rows, limit)
    return span[1] if span else None


# --------------------------------------------------------------------------- readers
@dataclass
class Table:
    name: str                     # sheet name or file name
    title: str                    # text above the header (for a snapshot date)
    headers: List[object]
    rows: List[List[object]]
    meta_date: Optional[dt.date] = None
    above: List[str] = field(default_factory=list)   # the rows above the header, one string each


def _fill_merged(rows: List[List[object]], ranges: Iterable[Tuple[int, int, int, int]]) -> None:
    """Copies each merged range's top-left value into its other cells (row/col, 0-based, end exclusive)."""
    for r0, r1, c0, c1 in ranges:
        if r0 >= len(rows):
            continue
        row0 = rows[r0]
        value = row0[c0] if c0 < len(row0) else None
        if value in (None, ""):
            continue
        for r in range(r0, min(r1, len(rows))):
            row = rows[r]
            if len(row) < c1:
                row.extend([None] * (c1 - len(row)))
            for c in range(c0, c1):
                if r == r0 and c == c0:
                    continue
                if row[c] in (None, ""):
                    row[c] = value


def _xlsx_merges(wb, ws) -> List[Tuple[int, int, int, int]]:
    """Merged ranges of a read-only worksheet, from the sheet's XML (openpyxl's read-only
    mode does not parse them)."""
    from openpyxl.utils.cell import range_boundaries

    path = getattr(ws, "_worksheet_path", None)
    archive = getattr(wb, "_archive", None)
    if not path or archive is None:
        return []
    try:
        xml = archive.read(path)
    except KeyError:
        return []
    out = []
    for ref in re.findall(rb'<mergeCell[^>]*\sref="([A-Z]+\d+:[A-Z]+\d+)"', xml):
        c0, r0, c1, r1 = range_boundaries(ref.decode())
        out.append((r0 - 1, r1, c0 - 1, c1))
    return out


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
            _fill_merged(rows, _xlsx_merges(wb, ws))
            tables.append(_table(ws.title, rows))
    finally:
        wb.close()
    return tables


def _read_xls(path: Path) -> List[Table]:
    """The legacy binary format most provinces still publish (Guangdong 2026 …)."""
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    except Exception:
        try:
            book = xlrd.open_workbook(str(path), on_demand=True)
        except Exception as exc:  # xlrd.XLRDError, CompDocError, struct.error …
            raise PositionImportError(
                f"{path.name}：无法作为 Excel（.xls）工作簿读取（{exc.__class__.__name__}）") from None
    tables = []
    try:
        for idx in range(book.nsheets):
            sh = book.sheet_by_index(idx)
            rows: List[List[object]] = []
            for r in range(sh.nrows):
                row: List[object] = []
                for c in range(sh.ncols):
                    cell = sh.cell(r, c)
                    v: object = cell.value
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        try:
                            v = xlrd.xldate_as_datetime(cell.value, book.datemode)
                        except Exception:
                            v = cell.value
                    elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        v = None
                    elif cell.ctype == xlrd.XL_CELL_ERROR:
                        v = None
                    row.append(v)
                rows.append(row)
            _fill_merged(rows, [(r0, r1, c0, c1) for r0, r1, c0, c1 in getattr(sh, "merged_cells", [])])
            tables.append(_table(sh.name, rows))
            book.unload_sheet(idx)
    finally:
        book.release_resources()
    return tables


def _cell_text(v: object) -> str:
    return unicodedata.normalize("NFKC", str(v)).strip() if v not in (None, "") else ""


def _table(name: str, rows: List[List[object]]) -> Table:
    span = header_span(rows)
    if span is None:
        return Table(name, "", [], [])
    first, last, headers = span
    above = []
    for r in rows[:first]:
        cells = []
        for c in r:
            t = re.sub(r"\s+", "", _cell_text(c))
            if t and t not in cells:
                cells.append(t)
        if cells:
            above.append("".join(cells[:1]) + ("：" + "".join(cells[1:]) if len(cells) > 1 else ""))
    title = " ".join(above)
    return Table(name, title, headers, rows[last + 1:], above=above)


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
    if suffix == ".xls":
        return _read_xls(path)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path)
    if suffix == ".json":
        return _read_json(path)
    raise PositionImportError(f"{path.name}：不支持的文件类型（支持 .xls、.xlsx、.csv、.json）")


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
                physical_exam: Optional[str] = None, post_type: Optional[str] = None) -> str:
    """综合管理类 / 行政执法类 / 专业技术类: the table's own 职位类型 where it names one,
    else from the keywords of knowledge/positions/families.yml."""
    cfg = _knowledge_yaml("positions/families.yml")
    families = {f for _, f in cfg.get("order", [])} | {cfg.get("default", "综合管理类")}
    if post_type:
        for fam in families:
            if fam in post_type or fam.replace("类", "") in post_type:
                return fam
        for keyword, family in cfg.get("order", []):
            if keyword in post_type:
                return family
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
    elif info.get("cities") and post["city"] not in info["cities"]:
        # 考区 "广州" -> 广州市 (the province's own spelling of its cities)
        full = next((c for c in info["cities"] if re.sub(r"(市|地区|盟)$", "", c) == post["city"]), None)
        if full:
            post["city"] = full
    if not post.get("district") and post.get("organ") and post.get("city") not in (None, "省直"):
        m = _DISTRICT.match(post["organ"])
        if m:
            d = m.group(1)
            post["district"] = "市直" if d == post.get("city") else d
    if not post.get("work_place"):
        m = re.search(r"工作地点(?:为|在|:|：)\s*([^。；;，,]+)", post.get("remarks") or "")
        if m:
            post["work_place"] = m.group(1).strip()
    post["family"] = post_family(post.get("name"), post.get("description"), post.get("physical_exam"),
                                 post.get("post_type"))


# --------------------------------------------------------------------------- reading
@dataclass
class ImportReport:
    """What one file held and how it was understood (also the ``--dry-run`` report)."""

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
    dry_run: bool = False
    columns: List[Dict[str, Any]] = field(default_factory=list)     # {sheets, column, field, as}
    unknown_columns: List[str] = field(default_factory=list)        # kept as details
    sections: Dict[str, int] = field(default_factory=dict)          # section -> posts
    conditions: int = 0                                             # parsed conditions (all posts)
    posts_with_open_conditions: int = 0                             # posts with wording to confirm
    to_confirm: List[Dict[str, Any]] = field(default_factory=list)  # {field, text, count}, most common first
    sheets_without_header: List[str] = field(default_factory=list)

    def summary(self) -> str:
        verb = "将读取" if self.dry_run else "读取"
        parts = [f"{self.file}（{self.exam} {self.year}，{'、'.join(self.sheets)}）：{verb} {self.rows} 行"]
        if self.dry_run:
            parts.append("试读，未写入数据库")
        else:
            parts.append(f"职位 新增 {self.posts_new}、更新 {self.posts_updated}、未变 {self.posts_unchanged}")
        if self.snapshot_dates:
            if self.dry_run:
                parts.append(f"含报名人数（日期：{'、'.join(self.snapshot_dates)}）")
            else:
                parts.append(f"报名快照 新增 {self.snapshots_new}、更新 {self.snapshots_updated}"
                             f"（日期：{'、'.join(self.snapshot_dates)}）")
        if self.skipped_rows:
            parts.append(f"跳过无职位代码的行 {self.skipped_rows}")
        return "；".join(parts)

    def lines(self, top: int = 15) -> List[str]:
        """The full report: columns, sections, conditions and the wordings to confirm."""
        out = [self.summary()]
        if self.sheets_without_header:
            out.append(f"  未找到表头而跳过的工作表：{'、'.join(self.sheets_without_header)}")
        out.append("  列的识别：")
        for c in self.columns:
            where = f"［{'、'.join(c['sheets'])}］" if c.get("sheets") and len(self.sheets) > 1 and \
                len(c["sheets"]) < len(self.sheets) else ""
            out.append(f"    {c['column']} → {c['as']}{where}")
        if self.unknown_columns:
            out.append(f"  未识别的列（原样保存，随职位显示，不参与资格判断）：{'、'.join(self.unknown_columns)}")
        if self.sections and any(k for k in self.sections):
            out.append("  分区（工作表/分组标题）：" + "，".join(f"{k or '（无）'} {v} 个" for k, v in self.sections.items()))
        if self.kind != "applicants":
            out.append(f"  解析出资格条件 {self.conditions} 条；有 {self.posts_with_open_conditions} 个职位含需人工确认的条件")
            if self.to_confirm:
                out.append(f"  最常见的待确认表述（前 {min(top, len(self.to_confirm))} 种）：")
                for t in self.to_confirm[:top]:
                    out.append(f"    {t['count']:>5} 个职位  [{t['field']}] {t['text']}")
        return out

    def to_dict(self) -> Dict[str, Any]:
        return dict(self.__dict__)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_GENERIC_SHEET = re.compile(r"^(sheet|工作表|表)\s*\d*$|职位表$|^data$", re.I)
_HEADING = re.compile(r"面向|职位|岗位|计划|专项|机关|系统|类$")
_SECTION_NOTE = re.compile(r"服务年限|最低服务|服务期|配套措施")


@dataclass
class ParsedFile:
    """A file read into post records, without touching a database."""

    path: Path
    posts: List[Dict[str, Any]]
    snapshots: List[Tuple[str, dt.date, str, Optional[int]]]
    report: ImportReport
    fields: set
    is_positions: bool
    titles: List[str]


def _section_of(sheet: str) -> str:
    return "" if _GENERIC_SHEET.search(sheet.strip()) else sheet.strip()


def _heading(row: Sequence[object]) -> Optional[str]:
    """A row that is only a heading (``面向服务基层项目人员职位``), else None."""
    values = []
    for c in row:
        t = _cell_text(c)
        if t and t not in values:
            values.append(t)
    if len(values) != 1:
        return None
    v = values[0]
    if len(v) > 40 or re.search(r"\d{5,}", v) or re.fullmatch(r"合计|总计|小计", v):
        return None
    return v if _HEADING.search(v) else None


def read_file(path: Path, exam: str = "", year: int = 0, *, column_map: Optional[Mapping[str, str]] = None,
              ignore: Iterable[str] = (), snapshot: Optional[dt.date] = None,
              tables: Optional[List[Table]] = None) -> ParsedFile:
    """Reads one file into post records and applicant counts, with the column report."""
    path = Path(path)
    tables = read_tables(path) if tables is None else tables
    ignore = list(ignore)
    posts: List[Dict[str, Any]] = []
    snaps: List[Tuple[str, dt.date, str, Optional[int]]] = []
    report = ImportReport(file=path.name, exam=exam, year=int(year or 0), kind="positions")
    usable = [t for t in tables if t.headers]
    report.sheets_without_header = [t.name for t in tables if not t.headers and t.rows != []]
    if not usable:
        raise PositionImportError(
            f"{path.name}：在前 25 行中没有找到表头（需要一行包含“职位代码”等列名）")
    all_fields: set = set()
    columns: Dict[Tuple[str, Optional[str], str], List[str]] = {}
    unknown_all: List[str] = []
    titles: List[str] = []
    skipped = 0
    plans = []
    for t in usable:
        plan, unknown = map_columns(t.headers, column_map, ignore)
        fields = set(plan.fields.values())
        if "code" not in fields:
            raise PositionImportError(f"{path.name}（{t.name}）：找不到职位代码列（如“职位代码”“岗位代码”），无法区分职位")
        if not (fields - {"code", "dept_code"}) and not plan.wide:
            raise PositionImportError(
                f"{path.name}（{t.name}）：除职位代码外没有可识别的列（职位名称、资格条件或人数），"
                f"请检查表头，或用 --map \"列名=字段\" 指定")
        plans.append((t, plan, unknown, fields))
    for t, plan, unknown, fields in plans:
        date = snapshot or t.meta_date or parse_date(t.title) or parse_date(path.stem)
        if ("applicants" in fields or "approved" in fields) and date is None:
            raise PositionImportError(
                f"{path.name}：含报名人数但无法确定统计日期，请用 --snapshot YYYY-MM-DD 指定")
        report.sheets.append(t.name)
        titles.extend(t.above[:1])
        report.ignored_columns += [c for c in plan.ignored if c not in report.ignored_columns]
        unknown_all += [c for c in unknown if c not in unknown_all]
        for h in plan.how:
            columns.setdefault((h["column"], h["field"], h["as"]), []).append(t.name)
        all_fields |= fields
        dept_col = next((i for i, f in plan.fields.items() if f == "dept_code"), None)
        header_keys = {_key(h) for h in t.headers if _key(h)}
        sheet_section = _section_of(t.name)
        section_notes = "；".join(a for a in t.above if _SECTION_NOTE.search(a))
        section = sheet_section
        for row in t.rows:
            rec: Dict[str, Any] = {}
            raw: Dict[str, Any] = {}
            details: Dict[str, Any] = {}
            for i, f in plan.fields.items():
                v = row[i] if i < len(row) else None
                if f == "code":
                    rec["code"] = _code(v)
                elif f in ("openings", "applicants", "approved"):
                    rec[f] = _int(v)
                elif f != "dept_code":
                    text = _text(v)
                    flag = plan.flags.get(i)
                    if flag is not None and text is not None:
                        low = text.lower()
                        text = flag.yes if low in _YES else (None if low in _NO else text)
                    rec[f] = text
            for i, h in enumerate(plan.headers):
                if h and h != "None" and i < len(row) and row[i] not in (None, ""):
                    value = row[i] if isinstance(row[i], (int, float, str)) else str(row[i])
                    raw[h] = value
                    if i in plan.details:
                        details[plan.details[i]] = _text(value) if not isinstance(value, (int, float)) else (
                            int(value) if isinstance(value, float) and value.is_integer() else value)
            code = rec.get("code")
            if not code or not re.search(r"\d", code):
                heading = _heading(row)
                if heading:
                    section = f"{sheet_section}·{heading}" if sheet_section and heading not in sheet_section else heading
                elif any(v not in (None, "") for v in row) and \
                        not ({_key(c) for c in row if _key(c)} <= header_keys):
                    skipped += 1
                continue
            if dept_col is not None and dept_col < len(row) and row[dept_col] not in (None, ""):
                rec["_dept"] = _code(row[dept_col])
            rec["raw"] = raw
            rec["details"] = details or None
            rec["section"] = section or None
            rec["section_notes"] = section_notes or None
            rec["_sheet"] = t.name
            rec["_date"] = date
            rec["_wide"] = [(kind, d, _int(row[i] if i < len(row) else None)) for i, (kind, d) in plan.wide.items()]
            posts.append(rec)
            report.sections[section] = report.sections.get(section, 0) + 1
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
    if not is_positions:
        for rec in posts:
            rec.pop("section", None)
            rec.pop("section_notes", None)
        report.sections = {}
    codes = [p["code"] for p in posts]
    if len(codes) != len(set(codes)):
        seen: set = set()
        dup = []
        for c in codes:
            if c in seen and c not in dup:
                dup.append(c)
            seen.add(c)
        raise PositionImportError(f"{path.name}：职位代码重复（如 {'、'.join(dup[:5])}），无法确定唯一职位")
    report.kind = ("mixed" if snaps else "positions") if is_positions else "applicants"
    report.rows = len(posts)
    report.skipped_rows = skipped
    report.unknown_columns = unknown_all
    report.snapshot_dates = sorted({d.isoformat() for (_, d, _, _) in snaps})
    report.columns = [{"column": c, "field": f, "as": how, "sheets": sheets}
                      for (c, f, how), sheets in columns.items()]
    return ParsedFile(path, posts, snaps, report, all_fields, is_positions, titles)


def guess_exam_year(parsed: Sequence["ParsedFile"]) -> Tuple[Optional[str], Optional[int]]:
    """The exam and year a table names in its titles, sheet or file name
    (``广东省2026年考试录用公务员职位表`` -> 广东省考, 2026), or None where it does not."""
    from bot.knowledge import canonical_exam

    texts: List[str] = []
    for p in parsed:
        texts += p.titles + [p.path.stem] + p.report.sheets
    exam = None
    year = None
    for t in texts:
        if exam is None:
            exam = canonical_exam(t) if re.search(r"省|国考|国家|中央|公务员", t) or canonical_exam(t) else None
        if year is None:
            m = re.search(r"(20\d{2})\s*(?:年|年度)", t) or re.search(r"(?<!\d)(20\d{2})(?!\d)", t)
            if m:
                year = int(m.group(1))
    return exam, year


# --------------------------------------------------------------------------- import
def import_file(conn: Connection, path: Path, exam: str, year: int, *,
                snapshot: Optional[dt.date] = None, column_map: Optional[Mapping[str, str]] = None,
                ignore: Iterable[str] = (), progress: Optional[Callable[[int], None]] = None,
                sha256: Optional[str] = None, parsed: Optional[ParsedFile] = None) -> ImportReport:
    """Imports one file inside the caller's transaction."""
    path = Path(path)
    if parsed is None:
        parsed = read_file(path, exam, year, column_map=column_map, ignore=ignore, snapshot=snapshot)
    posts, snaps, is_positions, fields = parsed.posts, parsed.snapshots, parsed.is_positions, parsed.fields
    report = parsed.report
    report.exam, report.year, report.dry_run = exam, int(year), False
    source_fields = ",".join(sorted(f for f in fields if f in POST_FIELDS))
    now = utcnow()
    # Existing posts of this exam and year.
    cols = [PositionPost.id, PositionPost.code] + [getattr(PositionPost, f) for f in POST_FIELDS] + \
        [PositionPost.family, PositionPost.source_fields, PositionPost.details]
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
                          raw=rec["raw"], details=rec.get("details"), source=path.name, updated_at=now)
            new_rows.append(values)
            existing[code] = {**values, "id": None}
        else:
            changes = {f: merged.get(f) for f in (*POST_FIELDS, "family") if merged.get(f) != old.get(f)}
            if is_positions and old.get("source_fields") != source_fields:
                changes["source_fields"] = source_fields
            if is_positions and rec.get("details") != old.get("details"):
                changes["details"] = rec.get("details")
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
                  kind=report.kind, posts=len(posts), snapshots=len(snaps), imported_at=now,
                  report=_json_safe(report.to_dict()))
    if log is None:
        conn.execute(insert(PositionImport), [values])
    else:
        report.already_imported = True
        conn.execute(update(PositionImport).where(PositionImport.id == log.id).values(**values))
    return report


def _json_safe(obj: Any) -> Any:
    return json.loads(json.dumps(obj, ensure_ascii=False, default=str))
