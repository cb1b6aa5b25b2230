"""Benchmarks of the position engine (``make bench``; or ``.venv/bin/python bench/positions_bench.py``).

Prints:
- import time of each shipped table (Henan, Hubei, Guangdong 2026) into a fresh temporary
  SQLite database, the idempotent re-import, ``ensure_shipped_data`` on the loaded
  database (warm, and cold in a fresh process: what a start-up pays) and the load+compile
  time per exam;
- eligibility of one profile over all shipped tables together, as the product runs it
  (one compiled table per exam) — p50/p95 over repeated queries with profiles in rotation,
  next to the same query done row by row with pandas in the same run (the baseline);
- eligibility at the real size and at 100k and 1M posts (the real rows replicated with
  new codes, one compiled table), next to the same query done row by row with pandas
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
    {"age": 25, "education": "硕士研究生", "degree": "硕士", "major": "企业管理", "grad_year": 2026,
     "fresh_graduate": True, "political_status": "中共党员", "gender": "女", "hukou": "广东广州"},
    {"age": 22, "education": "大专", "major": "刑事执行", "grad_year": 2026, "fresh_graduate": True,
     "political_status": "共青团员", "gender": "男"},
]


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q))


def bench_import(quick: bool = False) -> Dict[str, float]:
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
        out["ensure_noop_warm_s"] = time.perf_counter() - t0
        # Cold: a fresh process; with the schema check (alembic) and without it.
        out["ensure_noop_cold_s"], out["ensure_noop_cold_after_schema_s"] = _cold_ensure(url)
        datas = []
        for exam, year, _ in api.SHIPPED:
            t0 = time.perf_counter()
            datas.append(store.exam_data(exam, year, url))
            out[f"load_and_compile_{exam}_s"] = time.perf_counter() - t0
        major = bench_major_check(url, datas, quick)
        store.clear_cache()
        dispose_engines()
    return out, datas, major


MAJOR_QUESTIONS = [("软件工程", None, "计算机类"), ("法学", "本科", None), ("民商法学", "研究生", None),
                   ("电子信息", "研究生", "11014011"), ("会计学", "硕士", None), ("汉语言文学", None, None),
                   ("刑事执行", "大专", None), ("自动化", "本科", "0812"), ("量子占卜", None, None),
                   ("企业管理", "研究生", "19900252641002"), ("金融学", None, None), ("临床医学", "本科", None)]


def bench_major_check(url: str, datas, quick: bool) -> Dict[str, object]:
    """``check_major`` over every shipped table (a chat turn's work), against the same
    counts done with the scalar major rule per distinct requirement, in the same run."""
    from bot.positions import major_check as mc
    from bot.positions import rules as R

    t0 = time.perf_counter()
    mc.warm(url)
    warm_s = time.perf_counter() - t0
    for q in MAJOR_QUESTIONS:
        mc.check_major(q[0], level=q[1], target=q[2], url=url)
    reps = 36 if quick else 240
    times = []
    for i in range(reps):
        q = MAJOR_QUESTIONS[i % len(MAJOR_QUESTIONS)]
        t = time.perf_counter()
        mc.check_major(q[0], level=q[1], target=q[2], url=url)
        times.append(time.perf_counter() - t)

    def scalar(q):
        lv, _ = mc.normalise_level(q[1], q[0])
        sm = R.student_major({"大专": "大专", "本科": "本科", "研究生": "硕士研究生"}[lv], q[0], None)
        return [sum(1 for req in d.compiled.majors if R.major_outcome(sm, req).status == R.OK) for d in datas]

    base = []
    for i in range(4 if quick else 24):
        q = MAJOR_QUESTIONS[i % len(MAJOR_QUESTIONS)]
        t = time.perf_counter()
        scalar(q)
        base.append(time.perf_counter() - t)
    row = {"warm_s": warm_s, "p50_ms": pct(times, 50), "p95_ms": pct(times, 95), "runs": reps,
           "scalar_p50_ms": pct(base, 50), "scalar_p95_ms": pct(base, 95), "scalar_runs": len(base),
           "posts": sum(d.compiled.size for d in datas)}
    return row


def _cold_ensure(url: str) -> float:
    """``ensure_shipped_data`` on the loaded database in a fresh process (after its imports):
    the start-up cost, schema check included (median of 3 processes)."""
    import subprocess

    code = ("import time,sys;from bot.positions import api,store;t=time.perf_counter();"
            "store.ensure_schema(sys.argv[1]);s=time.perf_counter();"
            "api.ensure_shipped_data(sys.argv[1]);e=time.perf_counter();print(e-t,e-s)")
    runs = []
    for _ in range(3):
        r = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, cwd=str(ROOT),
                           timeout=300)
        runs.append(tuple(float(x) for x in r.stdout.strip().splitlines()[-1].split()))
    runs.sort()
    return runs[1]


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


def bench_all_tables(datas, profiles, quick: bool) -> Dict[str, object]:
    """One profile over every shipped table, as the product evaluates it (one compiled
    table per exam), against pandas row by row over the same posts, in the same run."""
    from bot.positions.engine import evaluate, evaluate_scalar

    for d in datas:
        evaluate(d.compiled, profiles[0])  # warm-up (catalogue caches)
    reps = 40 if quick else 300
    eng = time_queries(lambda p: [evaluate(d.compiled, p).counts() for d in datas], profiles, reps)
    frames = [pd.DataFrame({"req": d.compiled.requirements}) for d in datas]
    base_reps = 2 if quick else 8

    def pandas_query(p):
        return [f["req"].map(lambda q: evaluate_scalar(q, p)[0]).value_counts() for f in frames]

    base = time_queries(pandas_query, profiles, base_reps)
    same = True
    for p in profiles[:3]:
        for d, f in zip(datas, frames):
            ref = f["req"].map(lambda q: evaluate_scalar(q, p)[0]).to_numpy()
            same &= bool((ref == evaluate(d.compiled, p).verdict).all())
    posts = sum(d.compiled.size for d in datas)
    row = {"posts": posts, "tables": [d.exam for d in datas], "engine_p50_ms": pct(eng, 50),
           "engine_p95_ms": pct(eng, 95), "engine_runs": reps, "pandas_p50_ms": pct(base, 50),
           "pandas_p95_ms": pct(base, 95), "pandas_runs": base_reps,
           "speedup_p50": pct(base, 50) / pct(eng, 50), "identical_verdicts": same}
    print(f"\n== One profile over all shipped tables together ({posts} posts in {len(datas)} tables, "
          f"{len(profiles)} profiles in rotation)")
    print(f"  engine  p50 {row['engine_p50_ms']:7.2f} ms  p95 {row['engine_p95_ms']:7.2f} ms  ({reps} runs)")
    print(f"  pandas  p50 {row['pandas_p50_ms']:7.0f} ms  p95 {row['pandas_p95_ms']:7.0f} ms  ({base_reps} runs, "
          f"baseline in the same run)")
    print(f"  speed-up {row['speedup_p50']:.0f}x, identical verdicts: {same}.  Target: p95 < 20 ms.")
    return row


def main(argv: Sequence[str] = ()) -> Dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, skip the 1M baseline")
    ap.add_argument("--sizes", default="real,100000,1000000", help="comma list; 'real' = all real posts")
    ap.add_argument("--json", dest="json_out", help="also write the results to this JSON file")
    args = ap.parse_args(list(argv))

    from bot.positions.engine import compile_posts, evaluate, evaluate_scalar
    from bot.positions.profile import Profile

    print("== Import of the shipped tables (fresh temporary SQLite database)")
    imp, datas, major = bench_import(args.quick)
    for k, v in imp.items():
        print(f"  {k:<36} {v * 1000:10.1f} ms" if v < 1 else f"  {k:<36} {v:10.2f} s")
    print(f"\n== check_major over all shipped tables ({major['posts']} posts, {len(MAJOR_QUESTIONS)} questions "
          f"in rotation; indexes built once in {major['warm_s'] * 1000:.0f} ms)")
    print(f"  vectorised   p50 {major['p50_ms']:7.2f} ms  p95 {major['p95_ms']:7.2f} ms  ({major['runs']} runs)")
    print(f"  scalar rule  p50 {major['scalar_p50_ms']:7.1f} ms  p95 {major['scalar_p95_ms']:7.1f} ms  "
          f"({major['scalar_runs']} runs, counts only, same run).  Target: p95 < 50 ms.")
    codes: List[str] = []
    reqs: list = []
    for d in datas:
        codes += [f"{d.exam}:{c}" for c in d.compiled.codes]
        reqs += d.compiled.requirements
    real = len(codes)
    profiles = [Profile.from_dict(p) for p in PROFILES]
    sizes = [real if s.strip() == "real" else int(s) for s in args.sizes.split(",") if s.strip()]
    results = {"import": imp, "major_check": major, "eligibility": [],
               "all_tables": bench_all_tables(datas, profiles, args.quick)}
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
