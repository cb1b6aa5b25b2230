"""Derives ``knowledge/majors/guangdong-2026-major-catalogue.json`` from the official file.

Guangdong writes the majors of its position tables with the codes of its own reference
catalogue (广东省2026年考试录用公务员专业参考目录, attachment 3 of the 2026 notice, shipped
as ``knowledge/majors/guangdong-2026-major-catalogue.xls``):

* ``A`` graduate, ``B`` undergraduate, ``C`` college (大专) level, then the digits:
  ``A03`` category (学科门类), ``A0301`` discipline (学科), ``A030105`` major (专业);
* sheet 1 groups disciplines and a few single majors into 21 专业大类 (``06法律类``);
* sheet 2 lists, per level side by side, category / discipline / major and the major's
  former names (旧专业名称), continuing over page breaks that repeat the left columns.

The JSON keeps exactly that: categories, disciplines and majors per level (with former
names, ``（部分）`` partial mappings, ``（含：…）`` inclusions and professional-degree
flags) and the groups with their member codes. :mod:`bot.positions.gdmajors` loads it.

Run: ``.venv/bin/python -m bot.positions.derive_guangdong_catalogue`` (rerun when the
shipped catalogue changes; ``tests/positions/test_gdmajors.py`` checks the JSON is current).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from typing import Any, Dict, List, Optional, Tuple

from bot.config import ROOT

SOURCE = ROOT / "knowledge" / "majors" / "guangdong-2026-major-catalogue.xls"
OUT = ROOT / "knowledge" / "majors" / "guangdong-2026-major-catalogue.json"
LEVELS = {"A": "研究生", "B": "本科", "C": "大专"}
_CODE_IN_CELL = re.compile(r"^(?P<name>.*?)[（(]\s*(?P<code>[ABC]\d{2,6})\s*[）)]\s*$")


def clean(text: object) -> str:
    """Official wording without line breaks and padding; full-width brackets kept."""
    t = str(text if text is not None else "")
    t = re.sub(r"\s+", "", t)
    return t.replace("∶", "：")


def _split_name(name: str) -> Tuple[str, List[str], bool, bool]:
    """(core name, included names, partial, professional) of a catalogue name such as
    ``金融学（含：保险学）``, ``统计学（部分）``, ``金融硕士（专业硕士）``."""
    included: List[str] = []
    partial = "（部分）" in name or "(部分)" in name
    professional = "专业硕士" in name or "专业学位" in name
    m = re.search(r"[（(]含[：:]?(.+?)[）)]", name)
    if m:
        included = [x for x in re.split(r"[、，,]", m.group(1)) if x]
    core = re.sub(r"[（(][^（）()]*[）)]", "", name).strip()
    return core or name, included, partial, professional


def _groups(sheet) -> Dict[str, Dict[str, Any]]:
    groups: Dict[str, Dict[str, Any]] = {}
    current: Optional[str] = None
    for r in range(sheet.nrows):
        head = clean(sheet.cell_value(r, 0))
        m = re.match(r"^(.+?类)[（(](\d{2})[）)]$", head)
        if m:
            current = m.group(2)
            groups[current] = {"name": m.group(1), "members": []}
        if current is None:
            continue
        for c in range(1, sheet.ncols):
            cell = clean(sheet.cell_value(r, c))
            mm = _CODE_IN_CELL.match(cell)
            if not mm:
                continue
            name, _, partial, _ = _split_name(mm.group("name"))
            member = {"code": mm.group("code"), "name": name}
            if partial:
                member["partial"] = True
            if member not in groups[current]["members"]:
                groups[current]["members"].append(member)
    return groups


def _levels(sheet) -> Tuple[Dict[str, Dict[str, Any]], List[str]]:
    out: Dict[str, Dict[str, Any]] = {}
    warnings: List[str] = []
    header = None
    for r in range(min(10, sheet.nrows)):
        if "专业名称" in "".join(clean(sheet.cell_value(r, c)) for c in range(sheet.ncols)):
            header = r
            break
    if header is None:
        raise ValueError("catalogue sheet 2: no header row with 专业名称")
    for offset, letter in ((0, "A"), (6, "B"), (12, "C")):
        cats: Dict[str, str] = {}
        discs: Dict[str, Dict[str, str]] = {}
        majors: Dict[str, Dict[str, Any]] = {}
        cur_disc: Optional[str] = None
        cur_major: Optional[str] = None
        for r in range(header + 1, sheet.nrows):
            cell = [clean(sheet.cell_value(r, offset + i)) for i in range(6)]
            cat, dcode, dname, mcode, mname, old = cell
            m = re.match(r"^(" + letter + r"\d{2})(.+)$", cat)
            if m:
                cats[m.group(1)] = m.group(2)
            if re.fullmatch(letter + r"\d{4}", dcode):
                if dcode != cur_disc:
                    cur_major = None
                cur_disc = dcode
                entry = discs.setdefault(dcode, {"name": "", "category": dcode[:3]})
                if dname and not entry["name"]:
                    entry["name"] = dname
            elif dcode:
                warnings.append(f"{letter} row {r + 1}: discipline code {dcode!r} not understood")
            elif dname and cur_disc and not discs[cur_disc]["name"]:
                discs[cur_disc]["name"] = dname  # the name one row below its code
            if re.fullmatch(r"\d{6}(?:\.0)?", mcode):
                # A code stored as a number, without its level letter (C130204 once).
                warnings.append(f"{letter} row {r + 1}: major code {mcode!r} read as {letter}{mcode[:6]}")
                mcode = letter + mcode[:6]
            if re.fullmatch(letter + r"\d{6}", mcode):
                cur_major = mcode
                if mcode[:5] != cur_disc:
                    cur_disc = mcode[:5]
                    discs.setdefault(cur_disc, {"name": "", "category": cur_disc[:3]})
                entry = majors.setdefault(mcode, {"name": "", "discipline": mcode[:5], "former": []})
                if mname and not entry["name"]:
                    entry["name"] = mname
            elif mcode:
                warnings.append(f"{letter} row {r + 1}: major code {mcode!r} not understood")
            if old:
                if cur_major is None:
                    warnings.append(f"{letter} row {r + 1}: former name {old!r} without a major")
                elif old not in majors[cur_major]["former"]:
                    majors[cur_major]["former"].append(old)
        for code, d in discs.items():
            if not d["name"]:
                warnings.append(f"{letter}: discipline {code} has no name")
        for code, entry in majors.items():
            core, included, partial, professional = _split_name(entry["name"])
            entry["core"] = core
            if included:
                entry["includes"] = included
            if partial:
                entry["partial"] = True
            if professional:
                entry["professional"] = True
        out[letter] = {"level": LEVELS[letter], "categories": dict(sorted(cats.items())),
                       "disciplines": dict(sorted(discs.items())), "majors": dict(sorted(majors.items()))}
    return out, warnings


def derive() -> Dict[str, Any]:
    import xlrd

    book = xlrd.open_workbook(str(SOURCE))
    groups = _groups(book.sheet_by_index(0))
    levels, warnings = _levels(book.sheet_by_index(1))
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()
    return {
        "meta": {
            "title": "广东省2026年考试录用公务员专业参考目录",
            "source_file": SOURCE.name,
            "source_sha256": digest,
            "note": "A = 研究生, B = 本科, C = 大专; derived by bot/positions/derive_guangdong_catalogue.py",
            "warnings": warnings,
        },
        "groups": groups,
        "levels": levels,
    }


def main() -> None:
    data = derive()
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    counts = {k: (len(v["disciplines"]), len(v["majors"])) for k, v in data["levels"].items()}
    print(f"wrote {OUT.relative_to(ROOT)}: groups {len(data['groups'])}, (disciplines, majors) {counts}, "
          f"warnings {len(data['meta']['warnings'])}")
    for w in data["meta"]["warnings"][:30]:
        print("  ", w)


if __name__ == "__main__":
    main()
