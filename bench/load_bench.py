"""The production profile under load, with faults (``make bench``, and a short guard in
``make test``: tests/production/test_load_guard.py).

    .venv/bin/python -m bench load                  # everything below (about 35 minutes)
    .venv/bin/python bench/load_bench.py --conversations 100 --turns 20 --fault-conversations 30
    .venv/bin/python bench/load_bench.py --only scaling      # 1 replica, then 2
    .venv/bin/python bench/load_bench.py --only faults --faults redis,rabbitmq

What runs (:class:`ProductionStack`), all on this machine:

* PostgreSQL (127.0.0.1:5432, a fresh database per run), the Redis lock store
  (127.0.0.1:6379) and RabbitMQ (127.0.0.1:5672): the machine's own services;
* two Rasa replicas (``endpoints.production.yml``) and two action servers;
* HAProxy with deploy/haproxy/haproxy.cfg (round-robin, no sticky sessions) in front of
  the replicas (students), of the action servers (Rasa's action endpoint) and of the
  console, which runs under gunicorn.

Students (:class:`Student`) talk over the REST channel, concurrently, in real flows:
greeting, consent (the consent button's payload), the intake (buttons where offered,
typed answers otherwise, some facts typed as free text), the eligibility check, a post
shortlisted from its button, knowledge questions in free text, and feedback. A student who
gets the polite "send it again" answer (or no answer at all) waits and sends the same
message again, as a person would.

After a run (:func:`verify`): every turn is in the tracker and in the case transcript
exactly once and in order; every case holds what its conversation gave (consent, profile,
shortlist, feedback); no 5xx outside fault windows; every answer during a fault was either
a real reply or the polite request to send again.

Figures: p50/p95/p99 latency and throughput with 2 replicas against 1 replica in the same
run (the scaling ratio), and for each fault what the students saw and the recovery time
(from the fault to the first successful turn; and to the moment every conversation had
been answered again). Results go to bench/results/load.json.

Faults act on the machine's services and restart them the way this machine starts them
(:data:`SERVICES`). They disturb anything else using those services at the time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
HAPROXY_CFG = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
HAPROXY_ERRORS = ROOT / "deploy" / "haproxy" / "errors"
PG_ADMIN_URL = os.environ.get("COACH_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
VENV_BIN = Path(sys.executable).parent

# What the student sees when a turn could not be processed: the channels' text
# (bot/channels/ratelimit.py) or the balancer's (deploy/haproxy/errors).
APOLOGY_MARKERS = ("请稍等几秒，再发一次", "再发一次")
DONE_INTAKE = "基本情况记好了"

# -- the machine's services ----------------------------------------------------------------


def _pg_version() -> str:
    try:
        return sorted(os.listdir("/etc/postgresql"))[-1]
    except OSError:
        return "15"


# How this machine stops and starts each service (the start commands are the ones the
# machine itself uses).
SERVICES: Dict[str, Dict[str, Any]] = {
    "postgres": {
        "port": 5432,
        "stop": ["pg_ctlcluster", "--skip-systemctl-redirect", _pg_version(), "main", "stop", "-m", "fast"],
        "start": ["pg_ctlcluster", "--skip-systemctl-redirect", _pg_version(), "main", "start"],
    },
    "redis": {
        "port": 6379,
        "stop": ["redis-cli", "-p", "6379", "shutdown", "nosave"],
        "start": ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
                  "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
                  "--logfile", "/var/log/redis/ci.log"],
    },
    "rabbitmq": {
        "port": 5672,
        "stop": ["rabbitmqctl", "stop"],
        "start": ["rabbitmq-server", "-detached"],
    },
}


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 1.0) -> bool:
    with socket.socket() as s:
        s.settimeout(timeout)
        return s.connect_ex((host, port)) == 0


def service_ready(name: str) -> bool:
    """The service answers (not merely listens)."""
    if name == "postgres":
        try:
            import psycopg2

            psycopg2.connect(PG_ADMIN_URL, connect_timeout=2).close()
            return True
        except Exception:
            return False
    if name == "redis":
        try:
            import redis

            return bool(redis.Redis(port=SERVICES["redis"]["port"], socket_timeout=2).ping())
        except Exception:
            return False
    if name == "rabbitmq":
        async def probe() -> None:
            connection = await _amqp_connect(timeout=3)
            await connection.close()

        try:
            asyncio.run(probe())
            return True
        except Exception:
            return False
    raise KeyError(name)


AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


async def _amqp_connect(timeout: float = 10):
    import aio_pika

    return await asyncio.wait_for(aio_pika.connect(AMQP_URL, timeout=timeout), timeout)


def drain_queue(queue: str, delete: bool = False) -> List[Dict[str, Any]]:
    """Every message waiting in ``queue`` (acknowledged, so the queue is emptied)."""
    async def drain() -> List[Dict[str, Any]]:
        connection = await _amqp_connect()
        try:
            channel = await connection.channel()
            q = await channel.declare_queue(queue, durable=True)
            out = []
            while True:
                message = await q.get(no_ack=True, fail=False)
                if message is None:
                    break
                out.append(json.loads(message.body))
            if delete:
                await channel.queue_delete(queue)
            return out
        finally:
            await connection.close()

    return asyncio.run(drain())


def stop_service(name: str) -> None:
    subprocess.run(SERVICES[name]["stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    deadline = time.time() + 60
    while time.time() < deadline and port_open(SERVICES[name]["port"]):
        time.sleep(0.2)


def start_service(name: str, timeout: float = 120) -> float:
    """Starts the service the way this machine does; returns when it answers (seconds taken)."""
    started = time.time()
    if not service_ready(name):
        subprocess.run(SERVICES[name]["start"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=180)
    while time.time() - started < timeout:
        if service_ready(name):
            return time.time() - started
        time.sleep(0.5)
    raise RuntimeError(f"{name} did not come back within {timeout:.0f}s")


def ensure_services() -> None:
    """Every service the production profile needs is up (started the machine's way if not)."""
    for name in SERVICES:
        if not service_ready(name):
            start_service(name)


# -- the stack -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Proc:
    name: str
    cmd: List[str]
    env: Dict[str, str]
    health: str
    log: Path
    port: int
    popen: Optional[subprocess.Popen] = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.log, "a")
        fh.write(f"\n---- start {time.strftime('%H:%M:%S')}\n")
        fh.flush()
        self.popen = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=fh, stderr=subprocess.STDOUT,
                                      start_new_session=True)

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def healthy(self) -> bool:
        import requests

        try:
            return requests.get(self.health, timeout=2).status_code < 500
        except requests.RequestException:
            return False

    def wait(self, timeout: float) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.alive():
                tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
                raise RuntimeError(f"{self.name} exited while starting:\n{tail}")
            if self.healthy():
                return
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} did not come up within {timeout:.0f}s (log: {self.log})")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.popen is not None and self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)


def render_haproxy(servers: Dict[str, List[Tuple[str, int]]], source: Path = HAPROXY_CFG) -> str:
    """deploy/haproxy/haproxy.cfg with its server-template lines replaced by ``servers``
    (backend name -> [(server name, local port)]), and without the Docker DNS resolver."""
    text = source.read_text(encoding="utf-8")
    text = re.sub(r"\nresolvers docker\n(?:[ \t]+.*\n|[ \t]*#.*\n)*", "\n", text)
    out: List[str] = []
    backend = None
    for line in text.splitlines():
        head = line.strip().split()
        if head and not line.startswith((" ", "\t")):
            backend = head[1] if head[0] == "backend" and len(head) > 1 else None
        if head and head[0] == "server-template":
            for name, port in servers.get(backend or "", []):
                out.append(f"    server {name} 127.0.0.1:{port} check")
            continue
        out.append(line)
    return "\n".join(out) + "\n"


class ProductionStack:
    """The production profile on this machine; see the module docstring."""

    def __init__(self, model: Path, workdir: Path, replicas: int = 2, action_servers: int = 2,
                 console: bool = True, env: Optional[Dict[str, str]] = None,
                 max_requests_per_10s: int = 600, lock_lifetime: int = 30) -> None:
        self.model = Path(model)
        self.workdir = Path(workdir)
        self.n_replicas = replicas
        self.n_actions = action_servers
        self.with_console = console
        self.extra_env = dict(env or {})
        self.max_requests_per_10s = max_requests_per_10s
        self.lock_lifetime = lock_lifetime
        self.tag = uuid.uuid4().hex[:10]
        self.db_name = f"coach_load_{self.tag}"
        self.db_url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{self.db_name}"
        self.queue = f"coach_load_{self.tag}"
        self.token = "load-" + uuid.uuid4().hex
        self.ports = {"front": free_port(), "actions_front": free_port(), "console_front": free_port()}
        self.replicas: List[Proc] = []
        self.actions: List[Proc] = []
        self.console: Optional[Proc] = None
        self.haproxy: Optional[Proc] = None
        self.env: Dict[str, str] = {}

    # -- life cycle ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['front']}"

    @property
    def console_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['console_front']}"

    @property
    def socket_path(self) -> Path:
        return self.workdir / "haproxy.sock"

    def start(self, timeout: float = 420) -> "ProductionStack":
        import psycopg2
        import yaml

        from bot.training import rasa_bin, rasa_env

        ensure_services()
        if shutil.which("haproxy") is None:
            raise RuntimeError("haproxy is not installed (make system-deps installs it)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        admin = psycopg2.connect(PG_ADMIN_URL)
        admin.autocommit = True
        admin.cursor().execute(f'CREATE DATABASE "{self.db_name}"')
        admin.close()
        from bot.deploycheck import migrate

        # As the deployment's migration job does, before any replica starts (replicas
        # starting together on an empty database race to create Rasa's events table).
        migrate(self.db_url)

        endpoints = yaml.safe_load((ROOT / "endpoints.production.yml").read_text(encoding="utf-8"))
        endpoints["event_broker"]["queues"] = [self.queue]
        endpoints["lock_store"]["key_prefix"] = f"coachload{self.tag}"
        ep_file = self.workdir / "endpoints.production.yml"
        ep_file.write_text(yaml.safe_dump(endpoints, allow_unicode=True), encoding="utf-8")

        env = rasa_env()
        env.update({
            "COACH_DATABASE_URL": self.db_url,
            "COACH_ENDPOINTS": str(ep_file),
            "COACH_REDIS_HOST": "127.0.0.1",
            "COACH_RABBITMQ_HOST": "127.0.0.1",
            "COACH_RABBITMQ_USER": "guest",
            "COACH_RABBITMQ_PASSWORD": "guest",
            "COACH_RASA_TOKEN": self.token,
            "COACH_ACTIONS_URL": f"http://127.0.0.1:{self.ports['actions_front']}/webhook",
            "COACH_PUBLIC_URL": self.url,
            "COACH_CONSOLE_SECRET_KEY": "load-" + uuid.uuid4().hex,
            "COACH_LOG_LEVEL": "INFO",
            "TICKET_LOCK_LIFETIME": str(self.lock_lifetime),
            # Students of the load test type faster than people do.
            "COACH_AGENCY_RATE_LIMIT_MESSAGES": "120",
        })
        env.update(self.extra_env)
        self.env = env
        logs = self.workdir / "logs"
        for i in range(1, self.n_actions + 1):
            port = free_port()
            self.actions.append(Proc(f"actions{i}", [rasa_bin(), "run", "actions", "--actions", "actions",
                                                     "--port", str(port)],
                                     {**env, "COACH_WARM_UP": "1"}, f"http://127.0.0.1:{port}/health",
                                     logs / f"actions{i}.log", port))
        for i in range(1, self.n_replicas + 1):
            port = free_port()
            self.replicas.append(Proc(f"rasa{i}", [
                rasa_bin(), "run", "--enable-api", "--model", str(self.model), "--port", str(port),
                "--endpoints", str(ep_file), "--credentials", str(ROOT / "credentials.yml"),
                "--interface", "127.0.0.1", "--auth-token", self.token],
                env, f"http://127.0.0.1:{port}/", logs / f"rasa{i}.log", port))
        if self.with_console:
            port = free_port()
            self.console = Proc("console", [str(VENV_BIN / "gunicorn"), "--workers", "2", "--threads", "4",
                                            "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "10",
                                            "bot.console.wsgi:app"],
                                env, f"http://127.0.0.1:{port}/healthz", logs / "console.log", port)
        self._write_haproxy()
        self.haproxy = Proc("haproxy", ["haproxy", "-db", "-f", str(self.workdir / "haproxy.cfg")],
                            self._haproxy_env(), f"{self.url}/proxy-health", logs / "haproxy.log",
                            self.ports["front"])
        everything = self.actions + self.replicas + ([self.console] if self.console else []) + [self.haproxy]
        try:
            for proc in everything:
                proc.start()
            for proc in everything:
                proc.wait(timeout)
            self._wait_balanced(timeout=30)
        except Exception:
            self.stop()
            raise
        return self

    def _haproxy_env(self) -> Dict[str, str]:
        return dict(os.environ, HAPROXY_SOCKET=str(self.socket_path), HAPROXY_ERRORS=str(HAPROXY_ERRORS),
                    PROXY_BIND=f"127.0.0.1:{self.ports['front']}",
                    ACTIONS_BIND=f"127.0.0.1:{self.ports['actions_front']}",
                    CONSOLE_BIND=f"127.0.0.1:{self.ports['console_front']}",
                    RASA_SERVICE="unused:1", ACTIONS_SERVICE="unused:1", CONSOLE_SERVICE="unused:1",
                    PROXY_MAX_REQ_PER_10S=str(self.max_requests_per_10s))

    def _write_haproxy(self) -> None:
        servers = {
            "rasa": [(p.name, p.port) for p in self.replicas],
            "actions": [(p.name, p.port) for p in self.actions],
            "console": [(self.console.name, self.console.port)] if self.console else [],
        }
        (self.workdir / "haproxy.cfg").write_text(render_haproxy(servers), encoding="utf-8")

    def _wait_balanced(self, timeout: float) -> None:
        """Until HAProxy's health checks see every server up."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            states = self.server_states()
            if states and all(s == "UP" for s in states.values()):
                return
            time.sleep(0.5)
        raise RuntimeError(f"HAProxy does not see every server up: {self.server_states()}")

    def stop(self) -> None:
        for proc in [self.haproxy, self.console, *self.replicas, *self.actions]:
            if proc is not None:
                proc.kill(signal.SIGTERM)
        self._drop()

    def _drop(self) -> None:
        try:
            import psycopg2

            admin = psycopg2.connect(PG_ADMIN_URL, connect_timeout=5)
            admin.autocommit = True
            cur = admin.cursor()
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                        (self.db_name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{self.db_name}"')
            admin.close()
        except Exception:
            pass
        try:
            drain_queue(self.queue, delete=True)
        except Exception:
            pass
        try:
            import redis

            from bot.channels.ratelimit import redis_url_from_env
            from bot.rasa_patches import counts_key

            url = redis_url_from_env(self.env) if self.env else ""
            if url:
                redis.Redis.from_url(url, socket_timeout=2).delete(counts_key([self.queue]))
        except Exception:
            pass

    # -- HAProxy runtime API ---------------------------------------------------------------

    def haproxy_command(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(str(self.socket_path))
            s.sendall(command.encode() + b"\n")
            chunks = []
            while True:
                data = s.recv(65536)
                if not data:
                    break
                chunks.append(data)
        return b"".join(chunks).decode(errors="replace")

    def server_states(self) -> Dict[str, str]:
        try:
            out = self.haproxy_command("show stat")
        except OSError:
            return {}
        states = {}
        for line in out.splitlines():
            parts = line.split(",")
            if len(parts) > 17 and parts[0] in ("rasa", "actions", "console") and parts[1] not in ("FRONTEND", "BACKEND"):
                states[f"{parts[0]}/{parts[1]}"] = parts[17]
        return states

    def use_replicas(self, n: int) -> None:
        """Only the first ``n`` Rasa replicas and action servers take traffic (maintenance
        mode for the others); the baseline of the scaling figure."""
        for backend, procs in (("rasa", self.replicas), ("actions", self.actions)):
            for i, proc in enumerate(procs):
                state = "ready" if i < n else "maint"
                self.haproxy_command(f"set server {backend}/{proc.name} state {state}")
        time.sleep(1)

    # -- faults on our own processes -------------------------------------------------------

    def restart(self, proc: Proc, timeout: float = 300) -> float:
        started = time.time()
        proc.kill()
        proc.start()
        proc.wait(timeout)
        return time.time() - started

    def recover(self) -> None:
        """After a fault: the machine's services up, every process alive, HAProxy sending to all."""
        ensure_services()
        for proc in self.replicas + self.actions:
            if not proc.alive():
                self.restart(proc)
        self._wait_balanced(60)

    # -- reading what was recorded ---------------------------------------------------------

    def tracker_user_texts(self, sender: str) -> List[str]:
        import requests

        r = requests.get(f"{self.url}/conversations/{sender}/tracker",
                         params={"token": self.token, "include_events": "ALL"}, timeout=60)
        r.raise_for_status()
        return [e.get("text") for e in r.json().get("events", []) if e.get("event") == "user"]

    def case(self, sender: str) -> Optional[Dict[str, Any]]:
        from bot import cases

        with _database(self.db_url):
            return cases.case_json(sender)

    def queued_events(self) -> List[Dict[str, Any]]:
        """Everything the event broker received (the queue is emptied)."""
        return drain_queue(self.queue)


class _database:
    """Points this process's case repository at ``url`` for a while."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.saved: Optional[str] = None

    def __enter__(self) -> None:
        from bot.config import reset_settings

        self.saved = os.environ.get("COACH_DATABASE_URL")
        os.environ["COACH_DATABASE_URL"] = self.url
        reset_settings()

    def __exit__(self, *exc: Any) -> None:
        from bot.config import reset_settings

        if self.saved is None:
            os.environ.pop("COACH_DATABASE_URL", None)
        else:
            os.environ["COACH_DATABASE_URL"] = self.saved
        reset_settings()


# -- students ------------------------------------------------------------------------------

MAJORS = ("法学", "汉语言文学", "会计学", "计算机科学与技术", "行政管理", "英语", "金融学", "新闻学",
          "社会工作", "土木工程")
GREETINGS = ("你好", "您好", "老师好", "在吗", "你好，想咨询考公")
QUESTIONS = ("国考年龄限制是多少", "什么算基层工作经历", "应届生怎么认定", "申论怎么阅卷打分的",
             "公务员有什么权利", "行测和申论分别考什么", "公务员的职业发展路径有哪些", "考公务员有什么好处和坏处")
COMMENTS = ("挺有用的，谢谢", "岗位分析很清楚", "希望能多讲讲面试", "回答很快，不错")
EXAMS = (("湖北省考", "武汉"), ("河南省考", "郑州"))


@dataclass
class Plan:
    """What one student will say about themselves."""

    education: str
    major: str
    grad_year: int
    age: int
    political_status: str
    experience_years: int
    exam: str
    region: str
    gender: str
    score: int
    comment: str
    typed_education: bool     # types "本科" instead of pressing the button

    @classmethod
    def random(cls, rng: random.Random) -> "Plan":
        exam, region = rng.choice(EXAMS)
        grad_year = rng.choice((2024, 2025, 2026))
        return cls(education=rng.choice(("本科", "本科", "硕士研究生")), major=rng.choice(MAJORS),
                   grad_year=grad_year, age=rng.randint(21, 27),
                   political_status=rng.choice(("共青团员", "中共党员", "群众")),
                   experience_years=rng.choice((0, 0, 1, 2)), exam=exam, region=region,
                   gender=rng.choice(("男", "女")), score=rng.choice((3, 4, 5)), comment=rng.choice(COMMENTS),
                   typed_education=rng.random() < 0.3)


@dataclass
class Attempt:
    text: str
    started: float
    ended: float
    status: int                 # HTTP status; 0: no answer (timeout, connection error)
    kind: str                   # reply | apology | empty | error | rate_limited
    reply: str = ""
    body: str = ""


@dataclass
class Turn:
    text: str
    attempts: List[Attempt] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return bool(self.attempts) and self.attempts[-1].kind == "reply"


class Protocol(Exception):
    """The conversation did not go as a student's would (unexpected question)."""


def _classify(status: int, body: str, messages: Any) -> Tuple[str, str]:
    if status == 0:
        return "error", ""
    texts = "\n".join(str(m.get("text") or "") for m in messages if isinstance(m, dict)) \
        if isinstance(messages, list) else ""
    if status >= 500 or status == 429:
        polite = any(marker in texts for marker in APOLOGY_MARKERS) or "请求太频繁" in texts
        return ("apology" if polite else "error"), texts
    if status != 200:
        return "error", texts
    if not messages:
        return "empty", ""
    if "发得有点快" in texts:
        return "rate_limited", texts
    if any(marker in texts for marker in APOLOGY_MARKERS[:1]):
        return "apology", texts
    return "reply", texts


class Student:
    """One student talking to the REST channel; see the module docstring."""

    def __init__(self, base_url: str, plan: Plan, turns: int, rng: random.Random, http: Any,
                 retry_wait: float = 1.5, max_attempts: int = 40, clock: Callable[[], float] = time.time) -> None:
        self.base_url = base_url
        self.plan = plan
        self.turns_wanted = turns
        self.rng = rng
        self.http = http
        self.sender = f"load-{uuid.uuid4().hex[:14]}"
        self.turns: List[Turn] = []
        self.retry_wait = retry_wait
        self.max_attempts = max_attempts
        self.clock = clock
        self.given: Dict[str, Any] = {}        # what the case must hold
        self.consented = False
        self.shortlisted: Optional[str] = None
        self.feedback: Optional[Tuple[int, Optional[str]]] = None
        self.failure: Optional[str] = None
        self._last_messages: List[Dict[str, Any]] = []
        # Set during a fault run: the last turn waits for the service to be back, so every
        # conversation goes on after the restore however fast the machine is.
        self.hold_last: Optional[asyncio.Event] = None

    # -- talking ---------------------------------------------------------------------------

    async def _post(self, text: str) -> Attempt:
        import aiohttp

        started = self.clock()
        try:
            async with self.http.post(f"{self.base_url}/webhooks/rest/webhook",
                                      json={"sender": self.sender, "message": text}) as r:
                body = await r.text()
                status = r.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return Attempt(text, started, self.clock(), 0, "error", body=f"{type(exc).__name__}: {exc}"[:200])
        try:
            messages = json.loads(body)
        except ValueError:
            messages = None
        kind, reply = _classify(status, body, messages)
        if kind == "reply":
            self._last_messages = messages
        return Attempt(text, started, self.clock(), status, kind, reply, body[:500])

    async def say(self, text: str) -> str:
        """Sends ``text`` until it gets a real reply (resending after apologies and
        silences, as a student would); returns the reply text."""
        if self.hold_last is not None and self.left == 1:
            await self.hold_last.wait()
        turn = Turn(text)
        self.turns.append(turn)
        for _ in range(self.max_attempts):
            attempt = await self._post(text)
            turn.attempts.append(attempt)
            if attempt.kind == "reply":
                return attempt.reply
            # As asked: a few seconds (the balancer's answers say how many).
            wait = self.retry_wait * (1 + self.rng.random())
            if attempt.status in (429, 502, 503, 504):
                wait = max(wait, 5.0)
            await asyncio.sleep(wait)
        raise Protocol(f"no reply after {self.max_attempts} attempts")

    def _payloads(self) -> List[str]:
        return [str(b.get("payload")) for m in self._last_messages for b in (m.get("buttons") or [])]

    def _payload(self, contains: str) -> Optional[str]:
        return next((p for p in self._payloads() if contains in p), None)

    @property
    def left(self) -> int:
        return self.turns_wanted - len(self.turns)

    # -- the conversation --------------------------------------------------------------------

    async def run(self) -> None:
        try:
            await self._run()
        except Protocol as exc:
            self.failure = str(exc)

    async def _run(self) -> None:
        p = self.plan
        reply = await self.say(self.rng.choice(GREETINGS))
        consent = self._payload("/affirm")
        if not consent:
            raise Protocol("no consent button after the greeting: " + reply[:80])
        if not self.left:
            return
        await self.say(consent)
        self.consented = True
        reply = self._last_reply()
        for _ in range(14):
            if DONE_INTAKE in reply or not self.left:
                break
            reply = await self._answer_intake(reply)
        if not self.left:
            return
        if DONE_INTAKE not in reply:
            raise Protocol("intake did not finish: " + reply[-80:])
        # Knowledge questions (free text) until the remaining flows fit.
        flows = 6
        while self.left > flows:
            await self.say(self.rng.choice(QUESTIONS))
        if self.left >= 4:
            reply = await self.say("/check_my_eligibility")
            if self._payload("男") and "性别" in reply:
                reply = await self.say(p.gender)
                self.given["gender"] = p.gender
            code = self._payload("/shortlist_post")
            if code and self.left >= 4:
                reply = await self.say(code)
                if "备选" in reply:
                    self.shortlisted = json.loads(code[len("/shortlist_post"):])["post_code"]
        while self.left > 3:
            await self.say(self.rng.choice(QUESTIONS))
        if self.left == 3:
            reply = await self.say("/give_feedback")
            score = self._payload(str(p.score))
            if score is None:
                raise Protocol("no score buttons: " + reply[-80:])
            reply = await self.say(score)
            self.feedback = (p.score, None)
            if "还有什么想说" in reply:
                await self.say(p.comment)
                self.feedback = (p.score, p.comment)
        while self.left > 0:
            await self.say(self.rng.choice(QUESTIONS))

    def _last_reply(self) -> str:
        return "\n".join(str(m.get("text") or "") for m in self._last_messages)

    async def _answer_intake(self, question: str) -> str:
        p = self.plan
        last = question.split("\n")[-1] if question else ""
        if self._payload('"education"'):
            self.given["education"] = p.education
            if p.typed_education:
                return await self.say("本科" if p.education == "本科" else "硕士")
            return await self.say(self._payload(f'"{p.education}"') or self._payload('"本科"'))
        if self._payload('"political_status"'):
            self.given["political_status"] = p.political_status
            return await self.say(self._payload(f'"{p.political_status}"'))
        if self._payload('"experience_years"'):
            self.given["experience_years"] = p.experience_years
            return await self.say(self._payload(f'"{p.experience_years}"'))
        if self._payload('"exam"'):
            self.given["target_exam"] = p.exam
            return await self.say(self._payload(f'"{p.exam}"'))
        if "应届" in last and self._payload("/affirm"):
            fresh = p.experience_years == 0
            self.given["fresh_graduate"] = fresh
            return await self.say("/affirm" if fresh else "/deny")
        asked = [(question.rfind(phrase), key) for phrase, key in (
            ("什么专业", "major"), ("哪一年毕业", "grad_year"), ("多大", "age"), ("哪个地区", "target_region"))
            if phrase in question]
        if asked:
            key = max(asked)[1]
            value = {"major": p.major, "grad_year": p.grad_year, "age": p.age, "target_region": p.region}[key]
            self.given[key] = value
            return await self.say(str(value))
        raise Protocol("unexpected intake question: " + question[-80:])


# -- a load run ------------------------------------------------------------------------------


@dataclass
class Fault:
    """A fault injected during a run: ``inject`` at ``at_fraction`` of the planned turns,
    ``restore`` ``hold`` seconds later (both blocking; run in a thread)."""

    name: str
    inject: Callable[[], None]
    restore: Callable[[], Any]
    hold: float = 10.0
    at_fraction: float = 0.3
    injected_at: Optional[float] = None
    restored_at: Optional[float] = None
    restore_seconds: Optional[float] = None


@dataclass
class RunResult:
    label: str
    students: List[Student]
    started: float
    ended: float
    fault: Optional[Fault] = None

    @property
    def attempts(self) -> List[Attempt]:
        return [a for s in self.students for t in s.turns for a in t.attempts]

    def stats(self) -> Dict[str, Any]:
        ok = [a for a in self.attempts if a.kind == "reply"]
        lat = sorted(a.ended - a.started for a in ok)
        kinds: Dict[str, int] = {}
        for a in self.attempts:
            kinds[a.kind] = kinds.get(a.kind, 0) + 1
        statuses: Dict[str, int] = {}
        for a in self.attempts:
            statuses[str(a.status)] = statuses.get(str(a.status), 0) + 1
        wall = self.ended - self.started
        out: Dict[str, Any] = {
            "label": self.label,
            "conversations": len(self.students),
            "turns": sum(len(s.turns) for s in self.students),
            "turns_answered": len(ok),
            "wall_seconds": round(wall, 1),
            "throughput_turns_per_s": round(len(ok) / wall, 2) if wall > 0 else None,
            "latency_ms": {"p50": _pct(lat, 50), "p95": _pct(lat, 95), "p99": _pct(lat, 99),
                           "max": round(lat[-1] * 1000, 1) if lat else None},
            "attempts_by_kind": kinds,
            "attempts_by_status": statuses,
            "protocol_failures": [s.failure for s in self.students if s.failure][:5],
            "protocol_failure_count": sum(1 for s in self.students if s.failure),
        }
        if self.fault is not None:
            out["fault"] = self.fault_figures()
        return out

    def fault_figures(self) -> Dict[str, Any]:
        f = self.fault
        assert f is not None and f.injected_at is not None
        after = [a for a in self.attempts if a.ended >= f.injected_at]
        first_ok = min((a.ended for a in after if a.kind == "reply" and a.started >= f.injected_at),
                       default=None)
        # Per conversation: the first answer that reached it after the fault.
        per_student = []
        for s in self.students:
            ends = [a.ended for t in s.turns for a in t.attempts if a.kind == "reply" and a.ended >= f.injected_at]
            if ends:
                per_student.append(min(ends) - f.injected_at)
        seen: Dict[str, int] = {}
        samples: Dict[str, str] = {}
        window_end = (f.restored_at or f.injected_at) + 60
        for a in after:
            if a.started <= window_end:
                seen[a.kind] = seen.get(a.kind, 0) + 1
                if a.kind != "reply" and a.kind not in samples:
                    samples[a.kind] = (a.reply or a.body or f"HTTP {a.status}")[:160]
        return {
            "name": f.name,
            "held_seconds": round((f.restored_at or f.injected_at) - f.injected_at, 1),
            "service_back_after_s": round(f.restore_seconds, 1) if f.restore_seconds is not None else None,
            "recovery_first_success_s": round(first_ok - f.injected_at, 2) if first_ok else None,
            "recovery_all_conversations_s": round(max(per_student), 2) if per_student else None,
            "what_students_saw": seen,
            "samples": samples,
        }


def _pct(sorted_values: Sequence[float], q: float) -> Optional[float]:
    if not sorted_values:
        return None
    k = (len(sorted_values) - 1) * q / 100.0
    lo, hi = int(k), min(int(k) + 1, len(sorted_values) - 1)
    return round((sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)) * 1000, 1)


async def _run_load(base_url: str, conversations: int, turns: int, seed: int, fault: Optional[Fault],
                    label: str, timeout: float) -> RunResult:
    import aiohttp

    rng = random.Random(seed)
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=timeout)) as http:
        students = [Student(base_url, Plan.random(rng), turns, random.Random(rng.random()), http)
                    for _ in range(conversations)]
        started = time.time()
        fault_task = None
        if fault is not None:
            back = asyncio.Event()
            for s in students:
                s.hold_last = back
            fault_task = asyncio.create_task(_drive_fault(fault, students, conversations * turns, back))
        tasks = [asyncio.create_task(s.run()) for s in students]
        await asyncio.gather(*tasks)
        if fault_task is not None:
            await fault_task
        return RunResult(label, students, started, time.time(), fault)


async def _drive_fault(fault: Fault, students: List[Student], planned: int, back: asyncio.Event) -> None:
    try:
        await _inject_and_restore(fault, students, planned)
    finally:
        back.set()


async def _inject_and_restore(fault: Fault, students: List[Student], planned: int) -> None:
    loop = asyncio.get_running_loop()
    while sum(len(s.turns) for s in students) < planned * fault.at_fraction:
        # Every conversation finished or waiting at its last turn (which waits for the restore).
        if all(s.failure or s.left <= 1 for s in students):
            break
        await asyncio.sleep(0.2)
    fault.injected_at = time.time()
    await loop.run_in_executor(None, fault.inject)
    await asyncio.sleep(fault.hold)
    started = time.time()
    fault.restore_seconds = await loop.run_in_executor(None, fault.restore)
    if not isinstance(fault.restore_seconds, (int, float)):
        fault.restore_seconds = time.time() - started
    fault.restored_at = time.time()


def run_load(stack: ProductionStack, conversations: int, turns: int, *, seed: int = 1,
             fault: Optional[Fault] = None, label: str = "load", timeout: float = 150) -> RunResult:
    return asyncio.run(_run_load(stack.url, conversations, turns, seed, fault, label, timeout))


# -- checking what was recorded --------------------------------------------------------------


def verify(stack: ProductionStack, result: RunResult) -> List[str]:
    """Everything wrong with what the run recorded (empty: all good)."""
    from bot.privacy import REDACTED

    problems: List[str] = []
    for s in result.students:
        who = s.sender
        if s.failure:
            problems.append(f"{who}: conversation went off script: {s.failure}")
            continue
        sent = [t.text for t in s.turns if t.done]
        unanswered = [t.text for t in s.turns if not t.done]
        if unanswered:
            problems.append(f"{who}: turns never answered: {unanswered}")
        # Before consent the tracker keeps the message redacted.
        expected = [REDACTED] + sent[1:] if sent else []
        try:
            tracked = stack.tracker_user_texts(who)
        except Exception as exc:
            problems.append(f"{who}: tracker unreadable ({type(exc).__name__})")
            continue
        if tracked != expected:
            problems.append(f"{who}: tracker user messages differ: {_diff(expected, tracked)}")
        case = stack.case(who)
        if not s.consented:
            if case is not None and case.get("consent"):
                problems.append(f"{who}: a case with consent although none was given")
            continue
        if case is None:
            problems.append(f"{who}: no case")
            continue
        transcript = [m["text"] for m in case["transcript"] if m["role"] == "user"]
        if transcript != expected:
            problems.append(f"{who}: transcript differs: {_diff(expected, transcript)}")
        if not (case.get("consent") or {}).get("given"):
            problems.append(f"{who}: consent not recorded")
        profile = case.get("profile") or {}
        for key, value in s.given.items():
            # Regions are stored normalised ("武汉" -> "湖北·武汉市").
            same = str(value) in str(profile.get(key)) if key == "target_region" else profile.get(key) == value
            if not same:
                problems.append(f"{who}: profile {key} = {profile.get(key)!r}, the student gave {value!r}")
        codes = [e["post_code"] for e in case.get("shortlist") or []]
        if codes != ([s.shortlisted] if s.shortlisted else []):
            problems.append(f"{who}: shortlist {codes}, the student shortlisted {s.shortlisted}")
        feedback = [(f.get("score"), f.get("comment")) for f in case.get("feedback") or []]
        if feedback != ([s.feedback] if s.feedback else []):
            problems.append(f"{who}: feedback {feedback}, the student gave {s.feedback}")
    return problems


def _diff(expected: List[str], got: List[Optional[str]]) -> str:
    for i, (a, b) in enumerate(zip(expected, got)):
        if a != b:
            return f"first difference at message {i}: expected {a!r}, recorded {b!r} " \
                   f"({len(expected)} expected, {len(got)} recorded)"
    return f"{len(expected)} expected, {len(got)} recorded"


def what_students_saw_is_acceptable(result: RunResult) -> List[str]:
    """No silence, no error page, no stack trace: a reply, or the polite request to send again."""
    problems = []
    for a in result.attempts:
        if a.kind in ("empty",):
            problems.append(f"silence (HTTP {a.status}, no message) for {a.text!r}")
        elif a.kind == "error" and a.status != 0:
            problems.append(f"HTTP {a.status} without a polite message: {a.body[:120]!r}")
        if "Traceback" in a.body or "Exception" in a.body:
            problems.append(f"a stack trace reached a student: {a.body[:120]!r}")
    return problems


def broker_check(stack: ProductionStack, result: RunResult) -> Dict[str, Any]:
    """User messages of the run that reached the event broker, against the trackers. Delivery
    is at least once (a copy is recognised by its timestamp); each replica publishes in order,
    and a conversation's turns alternate between replicas, so the order that counts is the
    events' timestamps (``conversations_reordered``: arrival order differs, for information)."""
    events = stack.queued_events()
    by_sender: Dict[str, List[Dict[str, Any]]] = {}
    for e in events:
        if e.get("event") == "user":
            by_sender.setdefault(e.get("sender_id"), []).append(e)
    missing = duplicated = reordered = wrong = 0
    for s in result.students:
        tracked = stack.tracker_user_texts(s.sender)
        got = by_sender.get(s.sender, [])
        once = {e.get("timestamp"): e for e in got}
        in_time = [once[t].get("text") for t in sorted(once, key=float)]
        missing += max(0, len(tracked) - len(once))
        duplicated += len(got) - len(once)
        if len(once) == len(tracked) and in_time != tracked:
            wrong += 1
        if in_time == tracked and [e.get("text") for e in got] != tracked:
            reordered += 1
    return {"events": len(events), "user_messages_tracked": sum(len(v) for v in by_sender.values()),
            "missing_user_messages": missing, "duplicated_user_messages": duplicated,
            "conversations_reordered": reordered, "conversations_wrong_by_timestamp": wrong}


def broker_counts(stack: ProductionStack) -> Optional[Dict[str, int]]:
    """What the replicas' event-broker outboxes counted (bot/rasa_patches.py, 5.): outages,
    events published after waiting, dropped, waiting now."""
    from bot.channels.ratelimit import redis_url_from_env
    from bot.rasa_patches import event_broker_counts

    return event_broker_counts([stack.queue], redis_url_from_env(stack.env))


def wait_for_outboxes(stack: ProductionStack, timeout: float = 60) -> Optional[Dict[str, int]]:
    """Until no replica holds events for the broker (they publish them once reconnected)."""
    deadline = time.time() + timeout
    counts = broker_counts(stack)
    while counts is not None and counts["pending"] > 0 and time.time() < deadline:
        time.sleep(1)
        counts = broker_counts(stack)
    time.sleep(1)       # the last confirmed batch reaches the queue
    return broker_counts(stack)


def broker_problems(check: Dict[str, Any], before: Optional[Dict[str, int]],
                    after: Optional[Dict[str, int]]) -> List[str]:
    """Events the broker never got that the replicas did not count either (the issue: buffered,
    or the gap logged and counted)."""
    counted = 0
    if before is not None and after is not None:
        counted = (after["dropped"] - before["dropped"]) + after["pending"]
    problems = []
    if check["missing_user_messages"] and not counted:
        problems.append(f"{check['missing_user_messages']} user messages never reached the event broker and "
                        "the replicas counted no gap")
    if check.get("conversations_wrong_by_timestamp"):
        problems.append(f"{check['conversations_wrong_by_timestamp']} conversations differ at the broker "
                        "from the tracker, even ordered by timestamp")
    return problems


# -- faults ------------------------------------------------------------------------------------


def fault(stack: ProductionStack, name: str, hold: Optional[float] = None, at: float = 0.3) -> Fault:
    """One of the issue's faults, ready to inject into a run."""
    if name == "action_server":
        victim = stack.actions[0]
        return Fault(name, lambda: victim.kill(), lambda: stack.restart(victim), hold if hold is not None else 10, at)
    if name == "rasa_replica":
        victim = stack.replicas[0]
        return Fault(name, lambda: victim.kill(), lambda: stack.restart(victim), hold if hold is not None else 5, at)
    if name == "postgres":
        return Fault(name, lambda: stop_service("postgres"), lambda: start_service("postgres"),
                     hold if hold is not None else 2, at)
    if name == "redis":
        return Fault(name, lambda: stop_service("redis"), lambda: start_service("redis"),
                     hold if hold is not None else 10, at)
    if name == "rabbitmq":
        return Fault(name, lambda: stop_service("rabbitmq"), lambda: start_service("rabbitmq"),
                     hold if hold is not None else 10, at)
    raise KeyError(name)


FAULTS = ("action_server", "rasa_replica", "postgres", "redis", "rabbitmq")


# -- bad input at scale -----------------------------------------------------------------------

JUNK_ADDRESS = "127.0.0.2"   # the junk comes from another client address than the students


def _junk_payloads(secret: str) -> List[Tuple[str, Dict[str, str], Optional[bytes]]]:
    rest = "/webhooks/rest/webhook"
    telegram = "/webhooks/telegram/webhook"
    update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "你好",
                                          "chat": {"id": 1, "type": "private"},
                                          "from": {"id": 1, "is_bot": False, "first_name": "x"}}}
    junk = [
        (rest, {}, b"{not json"),
        (rest, {}, b"[1, 2, 3]"),
        (rest, {}, json.dumps({"sender": "x", "message": 42}).encode()),
        (rest, {}, json.dumps({"sender": "", "message": "你好"}).encode()),
        (rest, {}, json.dumps({"sender": "huge", "message": "考" * 40_000}, ensure_ascii=False).encode()),
        (rest, {}, json.dumps({"sender": "a" * 500, "message": "你好"}).encode()),
        (rest, {}, None),                                     # an unknown sender each time
    ]
    if secret:  # Telegram is configured on this stack
        junk += [
            (telegram, {"X-Telegram-Bot-Api-Secret-Token": secret}, b'{"update_id": "x"}'),
            (telegram, {}, json.dumps(update).encode()),      # without the webhook secret
        ]
    return junk


async def junk_burst(url: str, seconds: float, secret: str = "", workers: int = 8) -> Dict[str, Any]:
    """Malformed bodies, huge texts, unknown senders and forged Telegram updates from
    :data:`JUNK_ADDRESS` for ``seconds``: the answers' status codes, and any 5xx or stack trace."""
    import aiohttp

    payloads = _junk_payloads(secret)
    statuses: Dict[str, int] = {}
    bad: List[Tuple[int, str]] = []
    deadline = time.time() + seconds
    connector = aiohttp.TCPConnector(local_addr=(JUNK_ADDRESS, 0), limit=workers)

    async def worker(k: int, session: Any) -> None:
        i = k
        while time.time() < deadline:
            path, headers, body = payloads[i % len(payloads)]
            i += 7
            if body is None:
                body = json.dumps({"sender": uuid.uuid4().hex, "message": "你好"}).encode()
            try:
                async with session.post(url + path, data=body,
                                        headers={"Content-Type": "application/json", **headers}) as r:
                    text = await r.text()
                    statuses[str(r.status)] = statuses.get(str(r.status), 0) + 1
                    if r.status >= 500 or "Traceback" in text:
                        bad.append((r.status, text[:200]))
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                statuses[type(exc).__name__] = statuses.get(type(exc).__name__, 0) + 1

    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        await asyncio.gather(*(worker(k, session) for k in range(workers)))
    return {"statuses": statuses, "bad": bad, "requests": sum(statuses.values())}


def run_under_junk(stack: ProductionStack, conversations: int, turns: int, seed: int,
                   seconds: Optional[float] = None, secret: str = "") -> Tuple[RunResult, Dict[str, Any]]:
    """Students talk while the junk burst runs (until they are done, or ``seconds``)."""
    async def both() -> Tuple[RunResult, Dict[str, Any]]:
        done = asyncio.Event()

        async def students() -> RunResult:
            try:
                return await _run_load(stack.url, conversations, turns, seed, None, "under junk", 150)
            finally:
                done.set()

        async def junk() -> Dict[str, Any]:
            out: Dict[str, Any] = {"statuses": {}, "bad": [], "requests": 0}
            started = time.time()
            while not done.is_set() and (seconds is None or time.time() - started < seconds):
                part = await junk_burst(stack.url, 5, secret)
                for k, v in part["statuses"].items():
                    out["statuses"][k] = out["statuses"].get(k, 0) + v
                out["bad"] += part["bad"]
                out["requests"] += part["requests"]
            return out

        result, junk_out = await asyncio.gather(students(), junk())
        return result, junk_out

    return asyncio.run(both())


# -- the benchmark -------------------------------------------------------------------------------


def _model(explicit: Optional[str]) -> Path:
    if explicit:
        return Path(explicit)
    if os.environ.get("COACH_TEST_MODEL"):
        return Path(os.environ["COACH_TEST_MODEL"])
    from bot.training import latest_model

    model = latest_model()
    if model is None:
        raise RuntimeError("no trained model for the current data: run `coach train` first, or pass --model")
    return model


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/load_bench.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--fault-conversations", type=int, default=30,
                        help="conversations per fault run")
    parser.add_argument("--only", choices=("scaling", "junk", "faults"), default=None)
    parser.add_argument("--junk-conversations", type=int, default=20,
                        help="students talking during the junk burst (and alone, as its baseline)")
    parser.add_argument("--faults", default="all", help=f"comma-separated, from {', '.join(FAULTS)}")
    parser.add_argument("--model", default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", default=str(RESULTS / "load.json"))
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    args = parser.parse_args(argv)

    chosen = list(FAULTS) if args.faults == "all" else [f.strip() for f in args.faults.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in FAULTS]
    if unknown:
        parser.error(f"unknown fault(s): {', '.join(unknown)}")
    model = _model(args.model)
    workdir = Path(tempfile.mkdtemp(prefix="coach-load-"))
    report: Dict[str, Any] = {"conversations": args.conversations, "turns": args.turns,
                              "cores": os.cpu_count(), "model": model.name, "runs": {}, "faults": {},
                              "problems": {}}
    failed = False
    print(f"starting the production profile (work folder {workdir}) …", flush=True)

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)      # runs the clean-up below

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    stack = ProductionStack(model, workdir).start()
    try:
        if args.only in (None, "scaling"):
            for n in (1, 2):
                stack.use_replicas(n)
                label = f"{n}_replica" + ("s" if n > 1 else "")
                print(f"load: {args.conversations} conversations x {args.turns} turns, {label} …", flush=True)
                result = run_load(stack, args.conversations, args.turns, seed=args.seed + n, label=label)
                report["runs"][label] = result.stats()
                problems = verify(stack, result) + what_students_saw_is_acceptable(result)
                if problems:
                    failed = True
                    report["problems"][label] = problems[:20]
                print(json.dumps(report["runs"][label], ensure_ascii=False), flush=True)
            one, two = report["runs"]["1_replica"], report["runs"]["2_replicas"]
            report["scaling"] = {
                "throughput_ratio_2_vs_1": round(two["throughput_turns_per_s"] / one["throughput_turns_per_s"], 2),
                "p95_ratio_2_vs_1": round(two["latency_ms"]["p95"] / one["latency_ms"]["p95"], 2),
            }
            stack.use_replicas(2)
        if args.only in (None, "junk"):
            n = args.junk_conversations
            print(f"bad input at scale: {n} conversations x {args.turns} turns, alone then under junk …", flush=True)
            alone = run_load(stack, n, args.turns, seed=args.seed + 5, label="students alone")
            under, junk = run_under_junk(stack, n, args.turns, seed=args.seed + 6)
            report["junk"] = {"alone": alone.stats(), "under_junk": under.stats(), "junk": {
                "requests": junk["requests"], "statuses": junk["statuses"], "5xx_or_trace": junk["bad"][:5]}}
            a, u = report["junk"]["alone"]["latency_ms"], report["junk"]["under_junk"]["latency_ms"]
            report["junk"]["p95_ratio_under_junk"] = round(u["p95"] / a["p95"], 2) if a["p95"] else None
            problems = verify(stack, under) + what_students_saw_is_acceptable(under) + \
                [f"junk answered {b[0]}: {b[1]}" for b in junk["bad"]]
            if problems:
                failed = True
                report["problems"]["junk"] = problems[:20]
            print(json.dumps(report["junk"], ensure_ascii=False), flush=True)
        if args.only in (None, "faults"):
            n = args.fault_conversations
            for i, name in enumerate(chosen):
                print(f"fault {name}: {n} conversations x {args.turns} turns …", flush=True)
                if name == "rabbitmq":
                    stack.queued_events()   # start from an empty queue
                    counts_before = broker_counts(stack)
                result = run_load(stack, n, args.turns, seed=args.seed + 10 + i, fault=fault(stack, name),
                                  label=f"fault_{name}")
                stack.recover()
                stats = result.stats()
                problems = verify(stack, result) + what_students_saw_is_acceptable(result)
                if name == "rabbitmq":
                    counts_after = wait_for_outboxes(stack)
                    stats["broker"] = broker_check(stack, result)
                    if counts_before is not None and counts_after is not None:
                        stats["broker"]["counted_by_replicas"] = {
                            k: counts_after[k] - (counts_before[k] if k != "pending" else 0) for k in counts_after}
                    problems += broker_problems(stats["broker"], counts_before, counts_after)
                report["faults"][name] = stats
                if problems:
                    failed = True
                    report["problems"][f"fault_{name}"] = problems[:20]
                print(json.dumps(stats, ensure_ascii=False), flush=True)
    finally:
        stack.stop()
        ensure_services()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(_summary(report))
    print(f"written {out}")
    return 1 if failed else 0


def _summary(report: Dict[str, Any]) -> str:
    lines = []
    for label, r in report.get("runs", {}).items():
        lat = r["latency_ms"]
        lines.append(f"{label:<12} {r['throughput_turns_per_s']:>6} turns/s  p50 {lat['p50']} ms  p95 {lat['p95']} ms"
                     f"  p99 {lat['p99']} ms  ({r['turns_answered']} turns, {r['wall_seconds']} s)")
    if "scaling" in report:
        lines.append(f"scaling: throughput x{report['scaling']['throughput_ratio_2_vs_1']}, "
                     f"p95 x{report['scaling']['p95_ratio_2_vs_1']} (2 replicas vs 1)")
    if "junk" in report:
        j = report["junk"]
        lines.append(f"junk: {j['junk']['requests']} junk requests {j['junk']['statuses']}; students p95 "
                     f"{j['alone']['latency_ms']['p95']} ms alone, {j['under_junk']['latency_ms']['p95']} ms "
                     f"under junk (x{j['p95_ratio_under_junk']})")
    for name, r in report.get("faults", {}).items():
        f = r.get("fault", {})
        lines.append(f"fault {name:<14} first success after {f.get('recovery_first_success_s')} s, every "
                     f"conversation after {f.get('recovery_all_conversations_s')} s; saw {f.get('what_students_saw')}")
        if "broker" in r:
            b = r["broker"]
            lines.append(f"      broker: {b['missing_user_messages']} user messages missing, "
                         f"{b['duplicated_user_messages']} twice; replicas counted {b.get('counted_by_replicas')}")
    for label, problems in report.get("problems", {}).items():
        lines.append(f"PROBLEMS in {label}: {len(problems)} (first: {problems[0]})")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
