"""Benchmarks of the dialogue (``make bench``).

  (NLU accuracy, on team-written and on real held-out text: bench/nlu_bench.py)
* ``training`` training time of the full model from a cold cache, next to Rasa's own
               ``rasa init`` project (moodbot) trained in the same run (target < 5 min).
* ``latency``  REST message latency with the action server and the case-database writes,
               p50/p95 over 500 messages, next to the bare moodbot served in the same run
               (target p95 < 150 ms, ratio < 1.5).
* ``stories``  story-level accuracy of the test stories (tests/stories, never trained on).
* ``heavy``    latency of the heaviest turns (eligibility over all posts, chart rendering,
               report generation) next to a light turn (a knowledge question) in the same run.

Each writes ``bench/results/<name>.json`` and prints a short table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bot.training import rasa_bin, rasa_env  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _summary(ms: Sequence[float]) -> Dict[str, float]:
    return {"n": len(ms), "p50_ms": round(_pct(ms, 50), 1), "p95_ms": round(_pct(ms, 95), 1),
            "mean_ms": round(statistics.fmean(ms), 1) if ms else float("nan")}


def _save(name: str, data: Dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    data["measured_at"] = time.strftime("%Y-%m-%d %H:%M:%S")
    data["cpus"] = os.cpu_count()
    (RESULTS / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _run(cmd: List[str], cwd: Path, env: Optional[Dict[str, str]] = None, log: Optional[Path] = None,
         timeout: float = 7200) -> float:
    started = time.perf_counter()
    out = open(log, "w") if log else subprocess.DEVNULL
    try:
        result = subprocess.run(cmd, cwd=cwd, env=env or rasa_env(), stdout=out, stderr=subprocess.STDOUT,
                                timeout=timeout)
    finally:
        if log:
            out.close()
    if result.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log else ""
        raise RuntimeError(f"{' '.join(cmd[:3])} failed ({result.returncode}):\n{tail}")
    return time.perf_counter() - started


# -- moodbot: Rasa's own starter project, the baseline ------------------------------------

def moodbot(work: Path) -> Dict[str, Any]:
    """Creates and trains `rasa init`'s project in ``work``; returns its model and time."""
    project = work / "moodbot"
    project.mkdir(parents=True, exist_ok=True)   # `rasa init --init-dir` wants it to exist
    env = rasa_env()
    env["RASA_CACHE_DIRECTORY"] = str(work / "moodbot-cache")
    seconds = _run([rasa_bin(), "init", "--no-prompt", "--init-dir", str(project)], cwd=work, env=env,
                   log=work / "moodbot-init.log")
    models = sorted((project / "models").glob("*.tar.gz"))
    return {"project": project, "model": models[-1], "init_and_train_seconds": seconds}


# -- training time -----------------------------------------------------------------------

def bench_training() -> Dict[str, Any]:
    from bot import nlp
    from bot.training import _lock

    with _lock(), tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        nlp.ensure_built(force=True)
        build = time.perf_counter() - started
        env = rasa_env()
        env["RASA_CACHE_DIRECTORY"] = str(work / "cache")   # cold cache: everything is trained
        train = _run([rasa_bin(), "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
                      "--out", str(work / "models"), "--fixed-model-name", "bench"], cwd=ROOT, env=env,
                     log=work / "train.log")
        components = _component_times(work / "train.log")
        baseline = moodbot(work)
    total = build + train
    data = {
        "coach_seconds": round(total, 1),
        "nlp_resources_seconds": round(build, 1),
        "rasa_train_seconds": round(train, 1),
        "components_seconds": components,
        "moodbot_init_and_train_seconds": round(baseline["init_and_train_seconds"], 1),
        "ratio_to_moodbot": round(total / baseline["init_and_train_seconds"], 2),
        "target_seconds": 300,
    }
    _save("training", data)
    return data


def _component_times(log: Path) -> Dict[str, float]:
    import re

    starts: Dict[str, float] = {}
    out: Dict[str, float] = {}
    for line in log.read_text(errors="replace").splitlines():
        m = re.search(r"(\d\d):(\d\d):(\d\d) INFO\s+rasa\.engine\.training\.hooks\s+-\s+(Starting to train|Finished training) component '([^']+)'", line)
        if not m:
            continue
        t = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3))
        name = m.group(5)
        if m.group(4).startswith("Starting"):
            starts[name] = t
        elif name in starts:
            out[name] = out.get(name, 0) + (t - starts.pop(name))
    return out


# -- latency -----------------------------------------------------------------------------

STUDENT_TURNS = ["你好", "/affirm", "本科", "法学", "2026", "/affirm", "23", "/inform{\"political_status\":\"共青团员\"}",
                 "/inform{\"experience_years\":\"0\"}", "/inform{\"exam\":\"湖北省考\"}", "武汉", "国考年龄限制是多少",
                 "什么算基层工作经历", "公务员有哪些权利", "谢谢", "申论怎么阅卷", "你是机器人吗", "应届生怎么认定",
                 "我的数据你们存了什么", "不对，我是硕士"]
MOOD_TURNS = ["hi", "great", "I am sad", "yes", "no", "bye", "are you a bot?", "hello there", "very good",
              "not good"]


def _timed_posts(url: str, turns: Sequence[str], n: int, prefix: str) -> List[float]:
    ms: List[float] = []
    session = requests.Session()
    student = 0
    while len(ms) < n:
        sender = f"{prefix}-{student}"
        for text in turns:
            started = time.perf_counter()
            r = session.post(url, json={"sender": sender, "message": text}, timeout=60)
            ms.append((time.perf_counter() - started) * 1000)
            r.raise_for_status()
            if len(ms) >= n:
                break
        student += 1
    return ms


def _start_coach(work: Path, model: Path):
    from bot.cli import prepare_database_at
    from bot.runner import free_port, start_stack

    db = f"sqlite:///{work / 'coach.db'}"
    prepare_database_at(db)
    env = dict(os.environ, COACH_DATABASE_URL=db)
    return start_stack(model, rasa_port=free_port(), action_port=free_port(), env=env, run_dir=work / "run",
                       extra=False)


def bench_latency(n: int = 500) -> Dict[str, Any]:
    from bot.training import ensure_model

    model = ensure_model()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        from bot.training import _lock

        with _lock():  # one training at a time on this machine
            base = moodbot(work)
        from bot.runner import free_port, _spawn

        port = free_port()
        mood = _spawn("moodbot", [rasa_bin(), "run", "--enable-api", "--model", str(base["model"]), "--port", str(port),
                                  "--interface", "127.0.0.1"], rasa_env(), work / "run", f"http://127.0.0.1:{port}/", 300)
        stack = None
        try:
            stack = _start_coach(work, model)
            coach_url = stack.urls["rasa"] + "/webhooks/rest/webhook"
            mood_url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
            _timed_posts(coach_url, STUDENT_TURNS, 40, "warm")
            _timed_posts(mood_url, MOOD_TURNS, 40, "warm")
            # Interleave the two so that machine noise hits both alike.
            coach_ms: List[float] = []
            mood_ms: List[float] = []
            for block in range(n // 50):
                coach_ms += _timed_posts(coach_url, STUDENT_TURNS, 50, f"b{block}")
                mood_ms += _timed_posts(mood_url, MOOD_TURNS, 50, f"b{block}")
        finally:
            if stack:
                stack.stop()
            import os as _os
            import signal

            try:
                _os.killpg(mood.popen.pid, signal.SIGTERM)
                mood.popen.wait(15)
            except Exception:
                pass
    coach, moodbase = _summary(coach_ms), _summary(mood_ms)
    data = {"coach": coach, "moodbot_baseline": moodbase,
            "ratio_p50": round(coach["p50_ms"] / moodbase["p50_ms"], 2),
            "ratio_p95": round(coach["p95_ms"] / moodbase["p95_ms"], 2),
            "target": {"p95_ms": 150, "ratio": 1.5},
            "turns": "consent, intake, knowledge questions, show data, a correction (each writes the case)"}
    _save("latency", data)
    return data


# -- story accuracy ----------------------------------------------------------------------

def bench_stories() -> Dict[str, Any]:
    import yaml

    from bot.training import ensure_model

    model = ensure_model()
    total = sum(len(yaml.safe_load(p.read_text(encoding="utf-8")).get("stories", []))
                for p in (ROOT / "tests" / "stories").glob("*.yml"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results"
        try:
            _run([rasa_bin(), "test", "core", "--model", str(model), "--stories", "tests/stories", "--out", str(out)],
                 cwd=ROOT, log=Path(tmp) / "core.log")
        except RuntimeError:
            pass  # failures are counted below
        failed_file = out / "failed_test_stories.yml"
        failed = 0
        if failed_file.exists():
            content = yaml.safe_load(failed_file.read_text(encoding="utf-8")) or {}
            failed = len(content.get("stories", []) or [])
        report = out / "story_report.json"
        actions = json.loads(report.read_text()) if report.exists() else {}
    data = {"stories": total, "correct": total - failed, "story_accuracy": round((total - failed) / total, 4),
            "action_accuracy": round(actions.get("accuracy", float("nan")), 4) if actions else None,
            "note": "tests/stories are never used for training (held out by construction)"}
    _save("stories", data)
    return data


# -- heaviest turns ----------------------------------------------------------------------

def bench_heavy(reps: int = 20) -> Dict[str, Any]:
    from bot.training import ensure_model

    model = ensure_model()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        stack = _start_coach(work, model)
        try:
            url = stack.urls["rasa"] + "/webhooks/rest/webhook"
            sender = "heavy-1"

            def say(text: str) -> List[Dict[str, Any]]:
                r = requests.post(url, json={"sender": sender, "message": text}, timeout=120)
                r.raise_for_status()
                return r.json()

            for text in STUDENT_TURNS[:11]:
                say(text)
            say("我能报哪些岗位")
            say("女")                                       # the eligibility form asks for it
            from bot.db import session_scope  # noqa: F401  (same DB through the CLI below)

            env = dict(os.environ, COACH_DATABASE_URL=f"sqlite:///{work / 'coach.db'}")
            case = json.loads(subprocess.run([str(Path(sys.executable).with_name("coach")), "cases", "show", sender, "--json"],
                                             cwd=ROOT, env=env, capture_output=True, text=True).stdout)
            for code in (case.get("eligibility") or {}).get("summary", {}).get("shown", [])[:5]:
                say(f"把{code}加入备选")

            def timed(text: str) -> List[float]:
                ms = []
                for _ in range(reps):
                    started = time.perf_counter()
                    say(text)
                    ms.append((time.perf_counter() - started) * 1000)
                return ms

            light = timed("国考年龄限制是多少")
            eligibility = timed("我能报哪些岗位")
            compare = timed("比较一下竞争比")
            report = timed("生成我的生涯规划报告")
        finally:
            stack.stop()
    base = _summary(light)
    data = {"light_turn_baseline": base}
    for name, ms in (("eligibility_all_posts", eligibility), ("compare_with_chart", compare), ("report_pdf", report)):
        s = _summary(ms)
        s["ratio_p95_to_light"] = round(s["p95_ms"] / base["p95_ms"], 1)
        data[name] = s
    _save("heavy_turns", data)
    return data


BENCHES: Dict[str, Callable[[], Dict[str, Any]]] = {
    "training": bench_training, "latency": bench_latency, "stories": bench_stories,
    "heavy": bench_heavy,
}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Dialogue benchmarks")
    parser.add_argument("which", nargs="*", default=list(BENCHES), choices=list(BENCHES))
    args = parser.parse_args(argv)
    for name in args.which:
        print(f"== {name}", flush=True)
        BENCHES[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
