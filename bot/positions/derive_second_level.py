"""Derives ``knowledge/majors/graduate-second-level-observed.json``.

No public file of the old second-level graduate disciplines (二级学科, e.g. 金融学 020204
under 应用经济学 0202) was found. The official position tables themselves carry that
knowledge: Hubei 2026 lists graduate majors with their 6-digit codes ("020204金融学") and
Henan 2026 narrows first-level disciplines by name ("应用经济学（0202，仅限金融学）").
This script collects, for every second-level name, the first-level disciplines it is filed
under in those tables, and writes the names that point to exactly one discipline or
professional degree of the 2022 catalogue (a name seen under two codes, or under a code
that does not exist in 2022, is left out so that it stays "needs confirmation").

Run: ``.venv/bin/python -m bot.positions.derive_second_level`` (rerun when the shipped
tables change).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Dict, Set

from bot.config import ROOT
from bot.positions.requirements import norm, parse_majors

KNOWLEDGE = ROOT / "knowledge"
OUT = KNOWLEDGE / "majors" / "graduate-second-level-observed.json"


def derive() -> Dict[str, object]:
    import openpyxl

    grad = json.loads((KNOWLEDGE / "majors" / "graduate-disciplines-2022.json").read_text("utf-8"))
    catalogue = {i["code"]: i["name"] for c in grad["categories"] for i in c["items"]}
    names_2022 = {i["name"] for c in grad["categories"] for i in c["items"]}
    seen: Dict[str, Set[str]] = defaultdict(set)
    evidence: Dict[str, Set[str]] = defaultdict(set)

    def collect(req, source: str) -> None:
        if req is None or not getattr(req, "segments", None):
            return
        for level, items in req.segments:
            if level != "研究生":
                continue
            for it in items:
                digits = re.sub(r"[^0-9]", "", it.code)
                if it.kind == "second" and len(digits) >= 4:
                    for nm in {it.name, *it.included}:
                        seen[nm].add(digits[:4])
                        evidence[nm].add(source)
                if it.kind == "discipline" and it.narrowing:
                    for nm in it.narrowing:
                        seen[nm].add(digits[:4])
                        evidence[nm].add(source)

    data = json.loads((KNOWLEDGE / "positions" / "hubei-2026-positions-final.json").read_text("utf-8"))
    for row in data["data"]:
        collect(parse_majors(graduate=row.get("研究生专业")), "湖北2026职位表")
    wb = openpyxl.load_workbook(KNOWLEDGE / "positions" / "henan-2026-positions.xlsx", read_only=True)
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=4, values_only=True):
            if len(row) > 7 and row[7]:
                collect(parse_majors(major=row[7]), "河南2026职位表")
    wb.close()
    mapping = {}
    dropped = {}
    for name, codes in sorted(seen.items()):
        name = norm(name)
        if not name or name in names_2022:
            continue
        valid = {c for c in codes if c in catalogue}
        if len(valid) == 1 and valid == codes:
            code = valid.pop()
            mapping[name] = {"discipline": code, "discipline_name": catalogue[code],
                             "sources": sorted(evidence[name])}
        else:
            cats = {c[:2] for c in valid}
            dropped[name] = {"codes": sorted(codes), "candidates": sorted(valid),
                             "category": cats.pop() if len(cats) == 1 and valid else None}
    return {
        "meta": {
            "what": "second-level graduate discipline names -> first-level discipline (2022 code)",
            "how": "collected from the 6-digit codes and 仅限 lists of the shipped official position "
                   "tables; a name filed under exactly one 2022 code is in `names`; names seen under "
                   "several codes (or codes that do not exist in 2022) are in `ambiguous` with the "
                   "valid `candidates` and, when all share one, their `category`",
            "generator": "bot/positions/derive_second_level.py",
        },
        "names": mapping,
        "ambiguous": dropped,
    }


def main() -> None:
    out = derive()
    OUT.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{OUT.relative_to(ROOT)}: {len(out['names'])} names, {len(out['ambiguous'])} ambiguous")


if __name__ == "__main__":
    main()
