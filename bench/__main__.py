"""`make bench`: every benchmark of the product, one after the other.

    python -m bench                 # all of them (about an hour on 2 cores)
    python -m bench nlu latency     # some of them

Results go to bench/results/*.json; bench/results/summary.md collects the headline figures.
Nothing here runs in `make test`: timings are never asserted by unit tests.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"


def _dialogue(which: str) -> Callable[[], object]:
    def run() -> object:
        from bench import dialogue_bench

        return dialogue_bench.main([which])
    return run


def _module(name: str, *args: str) -> Callable[[], object]:
    def run() -> object:
        module = __import__(f"bench.{name}", fromlist=["main"])
        return module.main(list(args))
    return run


BENCHES: Dict[str, Callable[[], object]] = {
    "nlu": _module("nlu_bench", "cv", "realtext", "gate-cv", "baseline"),
    "training": _dialogue("training"),
    "latency": _dialogue("latency"),
    "stories": _dialogue("stories"),
    "heavy": _dialogue("heavy"),
    "positions": _module("positions_bench", "--json", str(RESULTS / "positions.json")),
    "channels": _module("channels_bench"),
    "console": _module("console_bench"),
    "load": _module("load_bench"),
}


def summary() -> str:
    lines = ["# Benchmark results", "", f"Collected {time.strftime('%Y-%m-%d %H:%M')} from bench/results/*.json.", ""]
    for path in sorted(RESULTS.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        lines += [f"## {path.stem}", "", "```json", json.dumps(data, ensure_ascii=False, indent=1)[:4000], "```", ""]
    return "\n".join(lines)


def main(argv: List[str]) -> int:
    chosen = argv or list(BENCHES)
    unknown = [c for c in chosen if c not in BENCHES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    failed = []
    for name in chosen:
        print(f"\n######## {name}", flush=True)
        started = time.perf_counter()
        try:
            code = BENCHES[name]()
            if isinstance(code, int) and code != 0:
                failed.append(name)
        except Exception as exc:  # one broken benchmark must not hide the others
            print(f"{name} failed: {exc}", file=sys.stderr)
            failed.append(name)
        print(f"######## {name} took {time.perf_counter() - started:.0f}s", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "summary.md").write_text(summary(), encoding="utf-8")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
