"""Benchmarks of the position engine (``make bench``; or ``.venv/bin/python bench/positions_bench.py``).

Prints:
- import time of both provinces' shipped files into a fresh temporary SQLite database
  (and of an idempotent re-import);
- eligibility of one profile against all posts — p50/p95 over repeated queries at the
  real size (Henan + Hubei 2026, 12,733 posts) and at 100k and 1M posts (the real rows
  replicated with new codes), next to the same query done row by row with pandas
  (``Series.map`` of the scalar rules over the same pre-parsed rows, no precompilation)
  in the same run, with the speed-up and a check that both give identical verdicts.

Options: ``--quick`` (fewer repetitions, no 1M baseline), ``--sizes 12733,100000``,
``--json FILE`` (also write the figures as JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

PROFILES: List[Dict] = [
    {"age": 23, "education": "本科", "degree": "学士", "major": "法学", "grad_year": 2026, "fresh_graduate": True,
     "political_status": "中共党员", "experience_years": 0, "gender": "男", "hukou": "河南郑州"},
    {"age": 22, "education": "本科", "major": "汉语言文学", "grad_year": 2026, "fresh_graduate": True,
     "political_status": "共青团员", "experience_years": 0, "gender": "女", "hukou": "湖北武汉"},
    {"age": 26, "education": "硕士研究生", "degree": "硕士", "major": "金融学", "grad_year": 2026,
     "fresh_graduate": True, "political_status": "中共预备党员", "experience_years": 0, "gender": "女"},
    {"age": 31, "education": "本科", "major": "计算机科学与技术", "grad_year": 2017, "fresh_graduate": False,
     "political_status": "中共党员", "experience_years": 5, "gender": "男", "hukou": "河南安阳内黄县"},
    {"age": 25, "education": "硕士研究生", "major": "会计学", "grad_year": 2026, "fresh_graduate": True,
     "political_status": "共青团员", "experience_years": 0, "gender": "女"},
    {"age": 21, "education": "大专", "major": "护理", "grad_year": 2026, "fresh_graduate": True,
     "political_status": "群众", "gender": "女"},
    {"age": 30, "education": "博士研究生", "major": "计算机科学与技术", "grad_year": 2026, "fresh_graduate": True,
     "political_status": "中共党员", "experience_years": 2.5, "gender": "男"},
    {"education": "本科", "major": "会计"},
]


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q))


def bench_import() -> Dict[str, float]:
    from bot.db import dispose_engines
    from bot.positions import api, store

    out: Dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = "sqlite:///" + os.path.join(tmp, "bench.db")
        t0 = time.perf_counter()
        store.ensure_schema(url)
        out["migrate_s"] = time.perf_counter() - t0
        for exam, year, files in api.SHIPPED:
            t0 = time.perf_counter()
            store.import_paths([api.KNOWLEDGE_POSITIONS / f for f in files], exam, year, url=url)
            out[f"import_{exam}_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        for exam, year, files in api.SHIPPED:
            store.import_paths([api.KNOWLEDGE_POSITIONS / f for f in files], exam, year, url=url)
        out["reimport_both_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        api.ensure_shipped_data(url)
        out["ensure_noop_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        datas = [store.exam_data(exam, year, url) for exam, year, _ in api.SHIPPED]
        out["load_and_compile_s"] = time.perf_counter() - t0
        store.clear_cache()
        dispose_engines()
    return out, datas


def replicate(codes: List[str], reqs: list, n: int):
    """The real rows repeated with new codes until there are ``n`` posts."""
    k = len(codes)
    out_codes = [codes[i % k] if i < k else f"{codes[i % k]}-r{i // k}" for i in range(n)]
    out_reqs = [reqs[i % k] for i in range(n)]
    return out_codes, out_reqs


def time_queries(fn, profiles, reps: int) -> List[float]:
    times = []
    for r in range(reps):
        p = profiles[r % len(profiles)]
        t0 = time.perf_counter()
        fn(p)
        times.append(time.perf_counter() - t0)
    return times


def main(argv: Sequence[str] = ()) -> Dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, skip the 1M baseline")
    ap.add_argument("--sizes", default="real,100000,1000000", help="comma list; 'real' = all real posts")
    ap.add_argument("--json", dest="json_out", help="also write the results to this JSON file")
    args = ap.parse_args(list(argv))

    from bot.positions.engine import compile_posts, evaluate, evaluate_scalar
    from bot.positions.profile import Profile

    print("== Import of the shipped tables (fresh temporary SQLite database)")
    imp, datas = bench_import()
    for k, v in imp.items():
        print(f"  {k:<28} {v:8.2f} s")
    codes: List[str] = []
    reqs: list = []
    for d in datas:
        codes += [f"{d.exam}:{c}" for c in d.compiled.codes]
        reqs += d.compiled.requirements
    real = len(codes)
    profiles = [Profile.from_dict(p) for p in PROFILES]
    sizes = [real if s.strip() == "real" else int(s) for s in args.sizes.split(",") if s.strip()]
    results = {"import": imp, "eligibility": []}
    print(f"\n== Eligibility of one profile against all posts ({len(profiles)} profiles in rotation)")
    print(f"  {'posts':>9} {'compile s':>9} {'engine p50':>11} {'p95 ms':>8} {'pandas p50':>11} {'p95 ms':>9}"
          f" {'speed-up':>9} {'same':>5}")
    for n in sizes:
        c, r = replicate(codes, reqs, n)
        t0 = time.perf_counter()
        cp = compile_posts("bench", 2026, c, r)
        compile_s = time.perf_counter() - t0
        evaluate(cp, profiles[0])  # warm-up (lazy caches of the catalogue)
        reps = 200 if n <= 20000 else 100 if n <= 200000 else 30
        if args.quick:
            reps = max(10, reps // 5)
        eng = time_queries(lambda p: evaluate(cp, p).counts(), profiles, reps)
        # Baseline: pandas row by row over the same pre-parsed rows (no precompilation).
        df = pd.DataFrame({"code": c, "req": r})
        base_reps = 3 if n > 200000 else 5 if n > 20000 else 10
        if args.quick:
            base_reps = 2
        run_base = not (args.quick and n > 200000)
        same = None
        base: List[float] = []
        if run_base:
            def pandas_query(p):
                v = df["req"].map(lambda q: evaluate_scalar(q, p)[0])
                return v.value_counts()

            base = time_queries(pandas_query, profiles, base_reps)
            p = profiles[1]
            ref = df["req"].map(lambda q: evaluate_scalar(q, p)[0]).to_numpy()
            same = bool((ref == evaluate(cp, p).verdict).all())
        row = {"posts": n, "compile_s": compile_s, "engine_p50_ms": pct(eng, 50), "engine_p95_ms": pct(eng, 95),
               "engine_runs": reps, "pandas_p50_ms": pct(base, 50) if base else None,
               "pandas_p95_ms": pct(base, 95) if base else None, "pandas_runs": len(base),
               "speedup_p50": (pct(base, 50) / pct(eng, 50)) if base else None, "identical_verdicts": same}
        results["eligibility"].append(row)
        fmt = lambda x, w, d=2: f"{x:{w}.{d}f}" if x is not None else f"{'-':>{w}}"  # noqa: E731
        print(f"  {n:>9} {compile_s:9.2f} {row['engine_p50_ms']:11.2f} {row['engine_p95_ms']:8.2f} "
              f"{fmt(row['pandas_p50_ms'], 11, 0)} {fmt(row['pandas_p95_ms'], 9, 0)} "
              f"{fmt(row['speedup_p50'], 8, 0)}x {str(same) if same is not None else '-':>5}", flush=True)
        del df, cp, c, r
    print("\n  engine = bot.positions.engine.evaluate (verdict of every post, counts); "
          "pandas = Series.map of the scalar rules per row.")
    print(f"  Target: p95 < 20 ms at 100k posts. Real posts: {real}.")
    if args.json_out:
        Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_out).write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
