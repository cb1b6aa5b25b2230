"""Benchmark of the chat channels (``make bench``; or ``.venv/bin/python bench/channels_bench.py``).

Starts the action server and Rasa (the project's credentials.yml, a fresh SQLite case
database, Telegram pointed at the local fake Bot API of tests/channels) and measures, for
the same student turns, the time from the student's message to the moment the whole reply
is where the student sees it:

* REST (the baseline): ``POST /webhooks/rest/webhook`` until the response has arrived;
* Telegram: the update posted to the webhook until the fake Bot API has received the last
  ``sendMessage`` of the reply;
* web chat: ``user_uttered`` emitted on a socket.io WebSocket until the last
  ``bot_uttered`` of the reply has arrived.

REST can only answer when the turn is over (the tracker saved); the channels send each
message as the turn produces it. So a second table compares the end of the turn as well:
the webhook's answer (Telegram) and the acknowledgement of ``user_uttered`` (web chat).

Each channel has its own student; the three take turns message by message (the order
rotates), so that the conversations grow alike and machine noise hits all three. Printed:
p50/p95 per channel over ``--messages`` turns, and the ratio of each channel to REST
(target < 1.2). Options: ``--messages``, ``--model FILE`` (default: COACH_TEST_MODEL or the
newest model for the current data), ``--json FILE`` (default bench/results/channels.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TOKEN = "7000000001:AAH-fake-token-for-bench_0123456789ab"
SECRET = "bench-webhook-secret"
TARGET = 1.2
# Knowledge questions: a real turn (NLU, policies, a custom action) without side effects
# that would differ by channel.
MESSAGES = ["国考年龄限制是多少", "什么算基层工作经历", "应届生怎么认定", "申论怎么阅卷打分的",
            "公务员有什么权利", "行测和申论分别考什么"]


def percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q / 100.0
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return (ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)) * 1000.0


def _model(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    if os.environ.get("COACH_TEST_MODEL"):
        return Path(os.environ["COACH_TEST_MODEL"])
    from bot.training import latest_model

    model = latest_model()
    if model is None:
        raise RuntimeError("no trained model for the current data: run `coach train` first, or pass --model")
    return model


class MiniSocketIO:
    """The few Socket.IO (Engine.IO v4) frames the page uses, over a WebSocket, as the
    browser's socket.io client sends them. (python-socketio's own client needs a newer
    aiohttp than Rasa pins.)"""

    def __init__(self) -> None:
        self.ws = None
        self.handlers: Dict[str, Any] = {}
        self._acks: Dict[int, asyncio.Future] = {}
        self._ids = 0
        self._connected = asyncio.Event()
        self._reader: asyncio.Task | None = None

    def on(self, event: str):
        def register(fn):
            self.handlers[event] = fn
            return fn
        return register

    async def connect(self, url: str, socketio_path: str) -> None:
        import websockets

        ws_url = url.replace("http://", "ws://").rstrip("/") + socketio_path.rstrip("/") + \
            "/?EIO=4&transport=websocket"
        self.ws = await websockets.connect(ws_url, max_size=None, ping_interval=None)
        opened = await self.ws.recv()
        if not str(opened).startswith("0"):
            raise RuntimeError("not an Engine.IO server")
        self._reader = asyncio.create_task(self._read())
        await self.ws.send("40")
        await asyncio.wait_for(self._connected.wait(), 10)

    async def _read(self) -> None:
        async for frame in self.ws:
            if frame == "2":                          # Engine.IO ping
                await self.ws.send("3")
            elif frame.startswith("40"):
                self._connected.set()
            elif frame.startswith("42"):
                name, *args = json.loads(frame[2:].lstrip("0123456789"))
                handler = self.handlers.get(name)
                if handler is not None:
                    await handler(*args)
            elif frame.startswith("43"):
                rest = frame[2:]
                digits = len(rest) - len(rest.lstrip("0123456789"))
                future = self._acks.pop(int(rest[:digits]), None)
                if future is not None and not future.done():
                    args = json.loads(rest[digits:])
                    future.set_result(args[0] if args else None)

    async def emit(self, event: str, data: Any) -> None:
        await self.ws.send("42" + json.dumps([event, data], ensure_ascii=False))

    async def call(self, event: str, data: Any, timeout: float = 120) -> Any:
        self._ids += 1
        future = asyncio.get_running_loop().create_future()
        self._acks[self._ids] = future
        await self.ws.send(f"42{self._ids}" + json.dumps([event, data], ensure_ascii=False))
        return await asyncio.wait_for(future, timeout)

    async def disconnect(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()


class Channels:
    def __init__(self, rasa: str, fake) -> None:
        import httpx

        self.rasa = rasa
        self.fake = fake
        self.http = httpx.AsyncClient(timeout=120.0)
        self.sio = MiniSocketIO()
        self.rest_sender = f"bench-rest-{uuid.uuid4().hex[:8]}"
        self.chat_id = random.randint(10**8, 10**9)
        self.inbox: List[float] = []
        self.session_id: str = ""
        self._confirmed = asyncio.Event()
        self.update_id = int(time.time())

    async def connect(self) -> None:
        sio = self.sio

        @sio.on("session_confirm")
        async def confirm(session_id: str) -> None:
            self.session_id = session_id
            self._confirmed.set()

        @sio.on("bot_uttered")
        async def bot(message: Dict[str, Any]) -> None:
            self.inbox.append(time.monotonic())

        await sio.connect(self.rasa, socketio_path="/webhooks/webchat/socket.io")
        await sio.emit("session_request", {})
        await asyncio.wait_for(self._confirmed.wait(), 30)

    async def close(self) -> None:
        await self.sio.disconnect()
        await self.http.aclose()

    async def rest(self, text: str) -> tuple:
        start = time.monotonic()
        r = await self.http.post(f"{self.rasa}/webhooks/rest/webhook",
                                 json={"sender": self.rest_sender, "message": text})
        r.raise_for_status()
        if not r.json():
            raise RuntimeError("REST turn without a reply")
        elapsed = time.monotonic() - start
        return elapsed, elapsed

    async def telegram(self, text: str) -> float:
        from tests.channels.fake_telegram import text_update

        self.update_id += 1
        update = text_update(self.chat_id, text, update_id=self.update_id)
        mark = self.fake.snapshot()
        start = time.monotonic()
        r = await self.http.post(f"{self.rasa}/webhooks/telegram/webhook", json=update,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        r.raise_for_status()
        done = time.monotonic() - start
        sent = self.fake.since(mark, "sendMessage", chat_id=self.chat_id)
        if not sent:
            raise RuntimeError("Telegram turn without a reply")
        return max(c.at for c in sent) - start, done

    async def webchat(self, text: str) -> float:
        self.inbox.clear()
        start = time.monotonic()
        ack = await self.sio.call("user_uttered", {"message": text, "session_id": self.session_id}, timeout=120)
        done = time.monotonic() - start
        if not (ack or {}).get("ok") or not self.inbox:
            raise RuntimeError(f"web chat turn failed: {ack}")
        return max(self.inbox) - start, done


async def run(rasa: str, fake, n: int, warmup: int = 6) -> Dict[str, List[float]]:
    channels = Channels(rasa, fake)
    await channels.connect()
    kinds = {"rest": channels.rest, "telegram": channels.telegram, "webchat": channels.webchat}
    order = list(kinds)
    times: Dict[str, List[float]] = {k: [] for k in kinds}
    done: Dict[str, List[float]] = {k: [] for k in kinds}
    try:
        for i in range(warmup + n):
            text = MESSAGES[i % len(MESSAGES)]
            rotated = order[i % 3:] + order[:i % 3]
            for kind in rotated:
                reply, finished = await kinds[kind](text)
                if i >= warmup:
                    times[kind].append(reply)
                    done[kind].append(finished)
            if (i + 1) % 50 == 0:
                print(f"  {i + 1 - warmup if i >= warmup else 0}/{n} turns per channel", flush=True)
    finally:
        await channels.close()
    return times, done


def main(argv: List[str] | None = None) -> Dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--model", default=None)
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "channels.json"),
                        help="where to write the figures (default: bench/results/channels.json)")
    args = parser.parse_args(argv)

    from bot.cli import prepare_database_at
    from bot.runner import free_port, start_stack
    from tests.channels.fake_telegram import FakeBotAPI

    model = _model(args.model)
    fake = FakeBotAPI(TOKEN).start()
    tmp = Path(tempfile.mkdtemp(prefix="coach-channels-bench-"))
    db_url = f"sqlite:///{tmp / 'coach.db'}"
    rasa_port, action_port = free_port(), free_port()
    env = dict(os.environ)
    env.update({
        "COACH_DATABASE_URL": db_url,
        "COACH_LOG_LEVEL": "WARNING",
        "COACH_PUBLIC_URL": f"http://127.0.0.1:{rasa_port}",
        "COACH_TELEGRAM_TOKEN": TOKEN,
        "COACH_TELEGRAM_BASE_URL": fake.base_url,
        "COACH_TELEGRAM_SECRET_TOKEN": SECRET,
        "COACH_TELEGRAM_SENDER_KEY": "bench",
        "COACH_TELEGRAM_WEBHOOK_URL": "",
    })
    print(f"channels benchmark: model {model.name}, {args.messages} turns per channel; starting servers …",
          flush=True)
    prepare_database_at(db_url)
    stack = start_stack(model, rasa_port=rasa_port, action_port=action_port, env=env, run_dir=tmp / "run",
                        extra=False)
    try:
        times, done = asyncio.run(run(f"http://127.0.0.1:{rasa_port}", fake, args.messages))
    finally:
        stack.stop()
        fake.stop()

    result: Dict[str, Any] = {"messages": args.messages, "model": model.name, "target_ratio": TARGET}
    for title, key, data in (
            ("time to the whole reply, where the student sees it (target: ratio < 1.2)", "reply", times),
            ("time to the end of the turn (Telegram: webhook answered; web chat: acknowledgement)", "turn", done)):
        base50, base95 = percentile(data["rest"], 50), percentile(data["rest"], 95)
        result[key] = {}
        print(f"\n{title}")
        print(f"{'channel':<10} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'p50/REST':>9} {'p95/REST':>9}")
        for kind in ("rest", "telegram", "webchat"):
            p50, p95 = percentile(data[kind], 50), percentile(data[kind], 95)
            mean = statistics.fmean(data[kind]) * 1000.0
            r50, r95 = p50 / base50, p95 / base95
            result[key][kind] = {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "mean_ms": round(mean, 1),
                                 "ratio_p50": round(r50, 3), "ratio_p95": round(r95, 3), "n": len(data[kind])}
            label = "baseline" if kind == "rest" else ("ok" if max(r50, r95) < TARGET else "ABOVE TARGET")
            print(f"{kind:<10} {p50:>8.1f} {p95:>8.1f} {mean:>8.1f} {r50:>9.2f} {r95:>9.2f}  {label}")
    print("\nREST answers only when the turn is over (tracker saved); Telegram and the web chat deliver "
          "each message as the turn produces it, so their replies can arrive before REST's.")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
