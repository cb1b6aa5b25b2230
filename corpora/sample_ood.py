"""Sample more real out-of-domain text into corpora/ood (the second QBQTC / SMP2017 sample).

Reads the public data sets from local snapshots of their repositories (the `fetch` tool puts
them under /work/.mirror/<owner>+<name>/repo), applies the filters of corpora/README.md
("Every OOD line passed these filters") and appends a seeded random sample that repeats no
line already in corpora/questions or corpora/ood. Run once; the output file is data, kept in
git like the other corpora:

    python -m corpora.sample_ood /work/.mirror > corpora/ood/more_2026_11_30.jsonl
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

from corpora.split import load

SEED = 20261130

# The civil-service words and the ambiguous ones of corpora/README.md: a text with any of them
# is in neither set.
EXCLUDED = re.compile(
    "公务员|国考|省考|考公|选调|遴选|事业单位|事业编|编制|考编|编外|在编|公考|行测|申论|文职|政审|体制内|公职|"
    "考录|招录|录用|人事考试|铁饭碗|参公|三支一扶|西部计划|村官|特岗|招警|辅警|公务|机关|上岸|公基|人社局|组织部|"
    "结构化|无领导|群面|基层|乡镇|党员|第一学历|最高学历|非全日制|应届生身份|政府办|县委|街道办")
PRIVATE = re.compile(r"\d{7,}|[\w.+-]+@[\w-]+\.[\w.]+")
# `near`: other exams and general job hunting (keyword-based, as in the first sample).
NEAR = re.compile("考研|研究生|教资|教师资格|驾照|科目[一二三四]|四六级|四级|六级|雅思|托福|法考|司法考试|专升本|自考|"
                  "成人高考|考证|会计证|注会|求职|简历|面试|招聘|实习|工资|薪资|薪水|社保|公积金|辞职|跳槽|找工作|"
                  "就业|毕业生|offer|入职|离职|加班|五险")

SOURCES = {
    # name: (repository snapshot, commit, files)
    "QBQTC": ("CLUEbenchmark+QBQTC", "37a90b8923ae", ["dataset/dev.json", "dataset/test.json",
                                                     "dataset/test_public.json"]),
    "SMP2017-ECDT": ("NOXITONG+SMP2017-ECDT-task1", "a55694ceabbf", ["preprocessing/Chinese_data.csv"]),
}
URL = "github.com/{repo}@{commit}:{path}"


def _show(mirror: Path, snapshot: str, path: str) -> str:
    return subprocess.run(["git", "-C", str(mirror / snapshot / "repo"), "show", f"HEAD:{path}"],
                          check=True, capture_output=True, text=True).stdout


def _qbqtc(mirror: Path) -> Iterable[Tuple[str, str, str]]:
    snapshot, commit, paths = SOURCES["QBQTC"]
    for path in paths:
        for line in _show(mirror, snapshot, path).splitlines():
            if line.strip():
                yield json.loads(line)["query"], "QBQTC", URL.format(repo="CLUEbenchmark/QBQTC", commit=commit, path=path)


def _smp2017(mirror: Path) -> Iterable[Tuple[str, str, str]]:
    snapshot, commit, paths = SOURCES["SMP2017-ECDT"]
    for line in _show(mirror, snapshot, paths[0]).splitlines()[1:]:
        text, _, domain = line.rpartition("\t")
        source = "SMP2017-ECDT (chat)" if domain == "chat" else "SMP2017-ECDT (task domains)"
        url = URL.format(repo="NOXITONG/SMP2017-ECDT-task1", commit=commit, path=paths[0])
        yield text, source, url if domain == "chat" else f"{url} ({domain})"


def keep(text: str) -> bool:
    return 2 <= len(text) <= 300 and not EXCLUDED.search(text) and not PRIVATE.search(text)


def sample(mirror: Path, sizes: Dict[str, int]) -> List[dict]:
    seen = {str(r["text"]).strip() for r in load("questions") + load("ood")}
    pools: Dict[str, List[Tuple[str, str, str]]] = {}
    for text, source, url in list(_qbqtc(mirror)) + list(_smp2017(mirror)):
        text = text.replace("\ufeff", "").strip()
        if text in seen or not keep(text):
            continue
        seen.add(text)
        pools.setdefault(source, []).append((text, source, url))
    rng = random.Random(SEED)
    rows = []
    for source, size in sizes.items():
        pool = sorted(pools.get(source, []))
        for text, src, url in rng.sample(pool, min(size, len(pool))):
            rows.append({"text": text, "label": "out_of_scope", "also": [], "source": src, "url": url,
                         "near": bool(NEAR.search(text))})
    return rows


def main(argv: List[str]) -> int:
    mirror = Path(argv[0] if argv else "/work/.mirror")
    sizes = {"QBQTC": 1500, "SMP2017-ECDT (chat)": 600, "SMP2017-ECDT (task domains)": 240}
    for row in sample(mirror, sizes):
        print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
