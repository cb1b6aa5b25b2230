"""Benchmark of the counselor console (``.venv/bin/python bench/console_bench.py``).

Seeds 10,000 synthetic cases of 30 turns each (a turn = the student's message and the
assistant's reply, so 600,000 transcript rows) into a fresh PostgreSQL database, builds the
console's search index, then measures server-side time (Flask's test client, in process:
routing, queries, audit write, template rendering) of

* the case list page (newest activity first, page 1 and a deep page);
* a filtered search (a Chinese search text plus a channel filter), rotating texts of
  different selectivity;
* a case page (random cases);
* the knowledge-gaps page (questions not understood or answered with a topic confidence
  below 0.5, grouped by normalised text; out-of-domain messages; most-answered topics),
  warm, after new messages arrived, and cold (a fresh console process);

each next to a baseline measured in the same run on the same data, with the ratio:

* list page  vs. a bare SELECT of the same 50 rows (lower bound), and vs. the repository's
  ``bot.cases.list_cases`` (counts every case's messages);
* search     vs. the same search without the console's index (substring match over the
  transcript, names and majors: ``EXISTS (… messages.text LIKE …)``), same filters;
* case page  vs. the repository's ``bot.cases.case_json`` of the same case (loads the same
  rows, no rendering).
* gaps page  vs. the same figures computed from the transcript on every request (one
  query over the agency's messages, the JSON fields read in SQL, grouped in Python).

The transcript is realistic for the gaps page: about 1 student message in 6 is a knowledge
question (``faq``, with the selector's topic and confidence; the reply carries the topic's
real sources), 3 % (35 % in "fallback-heavy" cases) are not understood, 4 % are out of
domain, each with what the NLU gate recorded.

Target: p95 < 200 ms for each page. Options: ``--cases``, ``--turns``, ``--reps``,
``--keep`` (keep the database), ``--json FILE``. Needs PostgreSQL (COACH_BENCH_PG_ADMIN_URL,
default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import random
import re
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

ADMIN_URL = os.environ.get("COACH_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = "coach_bench_console"
AGENCY = "default"
SEED = 20261121
TARGET_MS = 200.0

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕鹏辉建国志文婷雪梅宇浩然欣怡子涵思远嘉"
MAJORS = ["汉语言文学", "法学", "金融学", "会计学", "计算机科学与技术", "行政管理", "思想政治教育", "新闻学", "英语",
          "经济学", "财务管理", "公共事业管理", "社会工作", "统计学", "土木工程", "电子信息工程", "临床医学", "护理学",
          "侦查学", "审计学", "税收学", "国际经济与贸易", "市场营销", "人力资源管理", "数学与应用数学", "历史学",
          "哲学", "档案学", "环境工程", "农学", "软件工程", "机械设计制造及其自动化", "化学", "物理学", "教育学"]
REGIONS = ["湖北", "河南", "武汉", "郑州", "宜昌", "洛阳", "襄阳", "南阳", "黄冈", "开封"]
EXAMS = ["国考", "湖北省考", "河南省考", "选调生"]
INTENTS = ["inform", "ask_exam_strategy", "check_my_eligibility", "faq", "start_self_analysis", "shortlist_post",
           "compare_ratios", "ask_post_info", "log_candidate_interview", "show_progress", "affirm", "deny",
           "thank", "greet", "get_report", "give_feedback"]
USER_TEMPLATES = [
    "我是{year}届{major}专业的{edu}，想报{exam}", "{region}的岗位竞争大吗？", "我能报{region}的税务岗位吗",
    "报名时间一般是什么时候", "应届生的身份能保留几年", "我是{political}，有两年基层工作经历",
    "行测和申论怎么准备比较好", "想看看{region}适合{major}的岗位", "这个岗位的竞争比是多少",
    "帮我把这个职位加到清单", "我访谈了一位{year}年考上{region}{exam}的学长", "我的优势是文字功底比较好",
    "选调生和公务员有什么区别", "好的，谢谢", "不太明白你的意思", "我今年{age}岁还能考吗",
]
BOT_TEMPLATES = [
    "好的，已记下你的专业：{major}。", "根据{exam}{year}年的职位表，你符合条件的岗位有 {n} 个。",
    "{region}的平均竞争比约为 {n}:1，热门岗位更高。", "应届毕业生一般指两年择业期内未落实工作单位的毕业生。",
    "行测侧重数量关系、言语理解和判断推理；申论重在阅读和写作。", "已加入你的岗位清单，目前共 {k} 个。",
    "抱歉，我没太明白，可以换个说法吗？", "访谈已记录，这是你的第 {k} 次访谈。", "不客气，祝你备考顺利！",
]
GAP_QUESTIONS = [
    "国考和省考有什么区别", "政审会查征信吗", "公务员工资大概多少", "申论需要背吗", "现在开始准备还来得及吗",
    "面试班是否有必要报", "遴选真的很难吗", "事业编和公务员哪个好", "非全日制研究生能报吗", "体检查乙肝吗",
    "三支一扶算基层工作经历吗", "考公需要英语四级吗", "专升本能考选调生吗", "军队文职和公务员能同时报吗",
    "考上以后可以调回老家吗", "公务员可以考研吗", "试用期工资怎么算", "报名后可以改岗位吗", "调剂怎么申请",
    "第二学位能当专业报考吗", "海外硕士需要认证吗", "在职备考怎么安排时间", "行测做不完怎么办", "结构化面试怎么答",
]
GAP_STYLES = ["{q}？", "{q}", "请问{q}", "{q}呀", "{q}？？", "想问下，{q}", "{q} ", "{q}啊？"]
OOS_TEXTS = ["宁波到杭州的汽车", "距离春节还有多久", "给我打个谜语", "明天天气怎么样", "帮我订一家评分4.5分以上的酒店",
             "打电话给妈妈", "双色球开奖号码", "附近有什么好吃的"]
POLITICAL = ["群众", "共青团员", "中共预备党员", "中共党员"]
EDUCATION = ["本科", "本科", "本科", "硕士研究生", "大专", "博士研究生"]
STAGES = ["intake", "self_analysis", "eligibility", "shortlist", "report"]
TOPIC_KEYS: List[str] = []
KNOWLEDGE_EXTRA: Dict[str, str] = {}
SEARCHES = ["王", "张伟", "金融学", "汉语言", "报名时间", "选调生", "税务岗位", "侦查学", "宜昌", "我是2026届"]


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q))


def summary(values: Sequence[float]) -> Dict[str, float]:
    return {"p50_ms": round(pct(values, 50), 2), "p95_ms": round(pct(values, 95), 2), "n": len(values)}


# -- database ------------------------------------------------------------------------------

def create_database() -> str:
    import psycopg2

    admin = psycopg2.connect(ADMIN_URL)
    admin.autocommit = True
    cur = admin.cursor()
    cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (DB_NAME,))
    cur.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
    cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    admin.close()
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}"


def drop_database() -> None:
    import psycopg2

    admin = psycopg2.connect(ADMIN_URL)
    admin.autocommit = True
    cur = admin.cursor()
    cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (DB_NAME,))
    cur.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
    admin.close()


def _copy(conn, table: str, columns: Sequence[str], rows: List[Sequence[Any]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in rows:
        writer.writerow(["\\N" if v is None else v for v in row])
    buf.seek(0)
    with conn.cursor() as cur:
        cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf)


def seed(url: str, n_cases: int, turns: int, post_codes: List[str]) -> Dict[str, Any]:
    """Synthetic cases straight into the tables (COPY), reproducible (fixed seed)."""
    import psycopg2

    from bot import knowledge_base

    global TOPIC_KEYS, KNOWLEDGE_EXTRA
    TOPIC_KEYS = knowledge_base.keys()
    # What the tracker store keeps beside a knowledge answer: the topic with its real sources.
    KNOWLEDGE_EXTRA = {k: json.dumps(knowledge_base.render(k, {}).metadata(), ensure_ascii=False)
                       for k in TOPIC_KEYS}

    rng = random.Random(SEED)
    now = dt.datetime.now(dt.timezone.utc)
    students, profiles, consents, messages, flags, feedback, shortlist, notes = [], [], [], [], [], [], [], []
    msg_id = flag_id = fb_id = sl_id = note_id = 0
    for sid in range(1, n_cases + 1):
        active = now - dt.timedelta(minutes=rng.randint(0, 365 * 24 * 60))
        created = active - dt.timedelta(minutes=rng.randint(5, 30 * 24 * 60))
        channel = rng.choices(["telegram", "webchat", "rest"], [60, 35, 5])[0]
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
        major = rng.choice(MAJORS)
        stage = rng.choices(STAGES, [35, 20, 20, 15, 10])[0]
        students.append((sid, f"{channel}-{sid:06d}-{rng.getrandbits(32):08x}", channel, AGENCY, created.isoformat(),
                         active.isoformat(), stage, rng.choices(["new", "reviewed", "follow_up"], [60, 30, 10])[0],
                         None, "[]", None, None, name))
        edu = rng.choice(EDUCATION)
        year = rng.choice([2024, 2025, 2026, 2027])
        profiles.append((sid, rng.randint(20, 34), edu, None, major, None, major, year, year >= 2025,
                         rng.choice(POLITICAL), rng.choice([0, 0, 0, 1, 2, 3]), rng.choice(["男", "女"]),
                         rng.choice(REGIONS), rng.choice(REGIONS), rng.choice(EXAMS), 2026, active.isoformat()))
        consents.append((sid, sid, True, "2026-11-v1", channel, created.isoformat()))
        heavy = rng.random() < 0.06
        at = created
        step = (active - created) / max(1, turns * 2)
        k = 0
        for t in range(turns):
            vars_ = {"major": major, "year": year, "edu": edu, "exam": rng.choice(EXAMS), "region": rng.choice(REGIONS),
                     "political": rng.choice(POLITICAL), "age": rng.randint(21, 35), "n": rng.randint(3, 900),
                     "k": k}
            roll = rng.random()
            fallback = roll < (0.35 if heavy else 0.03)
            out_of_domain = not fallback and roll < (0.39 if heavy else 0.07)
            intent = "nlu_fallback" if fallback else "out_of_scope" if out_of_domain else rng.choice(INTENTS)
            conf = round(rng.uniform(0.2, 0.45) if fallback else rng.uniform(0.55, 0.99), 4)
            slots = json.dumps({"major": major}, ensure_ascii=False) if (t == 0) else "{}"
            text_ = rng.choice(USER_TEMPLATES).format(**vars_)
            user_extra = {"input_channel": channel}
            topic_key = None
            if intent == "nlu_fallback":
                guess = rng.choice(["complain", "give_feedback", "inform", "faq", "log_candidate_interview"])
                text_ = rng.choice(GAP_STYLES).format(q=rng.choice(GAP_QUESTIONS))
                user_extra["gate"] = {"predicted": guess, "confidence": conf, "ood": 0.1, "action": "ask",
                                      "demoted": guess, "reason": "no_cue"}
            elif intent == "out_of_scope":
                text_ = rng.choice(OOS_TEXTS)
                user_extra["gate"] = {"predicted": rng.choice(["inform", "faq", "give_feedback"]), "confidence": 0.6,
                                      "ood": round(rng.uniform(0.5, 0.99), 4), "action": "out_of_domain"}
            elif intent == "faq":
                topic_key = rng.choice(TOPIC_KEYS)
                t_conf = round(rng.uniform(0.2, 0.99), 4)
                if t_conf < 0.5:
                    text_ = rng.choice(GAP_STYLES).format(q=rng.choice(GAP_QUESTIONS))
                user_extra.update(topic=f"faq/{topic_key}", topic_confidence=t_conf,
                                  gate={"predicted": "faq", "confidence": conf, "ood": 0.02})
            at = at + step
            msg_id += 1
            messages.append((msg_id, sid, "user", text_, at.isoformat(), intent, conf, slots,
                             json.dumps(user_extra, ensure_ascii=False)))
            at = at + step
            msg_id += 1
            k += 1
            extra = json.dumps({"buttons": [{"title": "好的", "payload": "/affirm"}]}, ensure_ascii=False) \
                if rng.random() < 0.2 else None
            if topic_key:
                extra = KNOWLEDGE_EXTRA[topic_key]
            messages.append((msg_id, sid, "bot", rng.choice(BOT_TEMPLATES).format(**vars_), at.isoformat(),
                             None, None, None, extra))
        for kind, p in (("counselor_requested", 0.08), ("complaint", 0.04), ("low_satisfaction", 0.05)):
            if rng.random() < p:
                flag_id += 1
                resolved = (active + dt.timedelta(hours=2)).isoformat() if rng.random() < 0.5 else None
                flags.append((flag_id, sid, kind, None, active.isoformat(), resolved))
        if rng.random() < 0.4:
            fb_id += 1
            feedback.append((fb_id, sid, rng.choices([1, 2, 3, 4, 5], [5, 7, 15, 35, 38])[0], None, active.isoformat()))
        if post_codes and stage in ("shortlist", "report"):
            for code in rng.sample(post_codes, rng.randint(1, 5)):
                sl_id += 1
                shortlist.append((sl_id, sid, "湖北省考", 2026, code, json.dumps(["工作地点在哪里？"], ensure_ascii=False),
                                  active.isoformat(), None))
        if rng.random() < 0.2:
            note_id += 1
            notes.append((note_id, sid, "张老师", "已电话联系，约了下周面谈。", active.isoformat()))
    conn = psycopg2.connect(url)
    try:
        _copy(conn, "students", ["id", "sender_id", "channel", "agency", "created_at", "last_active_at", "stage",
                                 "review_status", "assigned_to", "tags", "taken_over_by", "channel_address",
                                 "display_name"], students)
        _copy(conn, "profiles", ["student_id", "age", "education", "degree", "major", "major_code", "major_raw",
                                 "grad_year", "fresh_graduate", "political_status", "experience_years", "gender",
                                 "hukou", "target_region", "target_exam", "target_year", "updated_at"], profiles)
        _copy(conn, "consents", ["id", "student_id", "given", "text_version", "channel", "at"], consents)
        _copy(conn, "messages", ["id", "student_id", "role", "text", "at", "intent", "confidence", "slots", "extra"],
              messages)
        _copy(conn, "flags", ["id", "student_id", "kind", "detail", "at", "resolved_at"], flags)
        _copy(conn, "feedback", ["id", "student_id", "score", "comment", "at"], feedback)
        _copy(conn, "shortlist", ["id", "student_id", "exam", "year", "post_code", "questions", "added_at",
                                  "removed_at"], shortlist)
        _copy(conn, "notes", ["id", "student_id", "author", "text", "at"], notes)
        with conn.cursor() as cur:
            for table in ("students", "consents", "messages", "flags", "feedback", "shortlist", "notes"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)")
        conn.commit()
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    finally:
        conn.close()
    return {"cases": len(students), "messages": len(messages), "flags": len(flags), "feedback": len(feedback),
            "shortlist": len(shortlist)}


# -- measuring -------------------------------------------------------------------------------

def timed(fn: Callable[[], Any], reps: int, warmup: int = 3) -> List[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(reps):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def main(argv: Sequence[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--reps", type=int, default=60)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--no-positions", action="store_true",
                        help="skip importing the shipped position tables (shortlists then stay empty)")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "console.json")
    args = parser.parse_args(argv)

    try:
        url = create_database()
    except Exception as exc:
        print(f"error: PostgreSQL not reachable at {ADMIN_URL} ({exc.__class__.__name__})", file=sys.stderr)
        return 2
    os.environ["COACH_DATABASE_URL"] = url
    os.environ.setdefault("COACH_CONSOLE_SECRET_KEY", "bench-" + "0" * 40)
    from bot.config import reset_settings

    reset_settings()
    results: Dict[str, Any] = {"cases": args.cases, "turns": args.turns, "reps": args.reps, "target_p95_ms": TARGET_MS}
    try:
        from sqlalchemy import exists, func, or_, select, text

        from bot.cli import prepare_database_at
        from bot.db import get_engine, upgrade

        started = time.perf_counter()
        if args.no_positions:
            upgrade(url)
            codes: List[str] = []
        else:
            prepare_database_at(url)
            with get_engine(url).connect() as conn:
                codes = list(conn.execute(text(
                    "SELECT code FROM position_posts WHERE exam = '湖北省考' AND year = 2026 ORDER BY code LIMIT 2000"
                )).scalars())
        results["prepare_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        results["seeded"] = seed(url, args.cases, args.turns, codes)
        results["seed_s"] = round(time.perf_counter() - started, 2)
        print(f"seeded {results['seeded']} in {results['seed_s']}s", flush=True)

        from bot.console import search

        engine = get_engine(url)
        started = time.perf_counter()
        indexed = search.refresh(engine, limit=10 ** 9, batch=500)
        results["index_build_s"] = round(time.perf_counter() - started, 2)
        results["index_cases"] = indexed
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE console_case_index"))
            results["index_size_mb"] = round(conn.execute(text(
                "SELECT pg_total_relation_size('console_case_index')")).scalar_one() / 2 ** 20, 1)
        print(f"indexed {indexed} cases in {results['index_build_s']}s "
              f"({results['index_size_mb']} MB with its GIN index)", flush=True)

        # The console, signed in as a counselor.
        from bot.console import accounts
        from bot.console.app import create_app
        from bot.db import session_scope

        with session_scope(url) as s:
            accounts.create_user(s, "benchuser", "Bench-Mark-2026", "counselor", AGENCY, "压测顾问")
        app = create_app()
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert client.post("/login", data={"username": "benchuser", "password": "Bench-Mark-2026",
                                           "csrf_token": token}).status_code == 302
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/cases").get_data(as_text=True)).group(1)

        def get(path: str) -> None:
            r = client.get(path)
            assert r.status_code == 200, (path, r.status_code)

        from bot import cases as repo
        from bot.console.models import CaseIndex
        from bot.db.models import Message, Profile, Student

        # 1. Case list.
        bare_stmt = (select(Student.id, Student.display_name, Student.channel, Student.stage, Student.review_status,
                            Student.last_active_at).where(Student.agency == AGENCY)
                     .order_by(Student.last_active_at.desc()).limit(50))

        def bare_list():
            with engine.connect() as conn:
                conn.execute(bare_stmt).all()

        deep = max(1, args.cases // 50 // 2)
        list_p1 = timed(lambda: get("/cases"), args.reps)
        list_deep = timed(lambda: get(f"/cases?page={deep}"), args.reps)
        list_bare = timed(bare_list, args.reps)
        list_repo = timed(lambda: repo.list_cases(limit=50), max(10, args.reps // 3))
        results["list"] = {
            "page1": summary(list_p1), f"page{deep}": summary(list_deep),
            "baseline_bare_select": summary(list_bare), "baseline_repo_list_cases": summary(list_repo),
        }

        # 2. Filtered search: search text + channel filter.
        handles = []
        for q in SEARCHES:
            r = client.post("/cases/search", data={"q": q, "channel": "telegram", "csrf_token": token})
            handles.append(r.headers["Location"])
        rr = {"i": 0}

        def search_page():
            get(handles[rr["i"] % len(handles)])
            rr["i"] += 1

        def naive_search():
            q = SEARCHES[rr["i"] % len(SEARCHES)]
            rr["i"] += 1
            parts = search.query_runs(q)
            conds = [Student.agency == AGENCY, Student.channel == "telegram"]
            for part in parts:
                conds.append(or_(
                    Student.display_name.contains(part, autoescape=True),
                    Profile.major.contains(part, autoescape=True),
                    exists().where(Message.student_id == Student.id, Message.text.contains(part, autoescape=True)),
                ))
            base = select(Student.id).outerjoin(Profile, Profile.student_id == Student.id).where(*conds)
            with engine.connect() as conn:
                conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
                conn.execute(base.order_by(Student.last_active_at.desc()).limit(50)).all()

        from bot.console import queries

        def indexed_query_only():
            q = SEARCHES[rr["i"] % len(SEARCHES)]
            rr["i"] += 1
            with session_scope(url) as s:
                ids, _ = queries.search_ids(s, queries.Filters(query=q, channel="telegram"), AGENCY)
                queries.rows_for_ids(s, ids[:50])

        hits = {}
        with engine.connect() as conn:
            for q in SEARCHES:
                cond = search.search_condition("postgresql", q)
                hits[q] = conn.execute(select(func.count()).select_from(Student)
                                       .join(CaseIndex, CaseIndex.student_id == Student.id)
                                       .where(Student.agency == AGENCY, Student.channel == "telegram", cond)
                                       ).scalar_one()
        reps_search = max(args.reps, 2 * len(SEARCHES))
        search_t = timed(search_page, reps_search)
        per_text = {q: [] for q in SEARCHES}
        for i in range(3 * len(SEARCHES)):
            started = time.perf_counter()
            get(handles[i % len(handles)])
            per_text[SEARCHES[i % len(SEARCHES)]].append(time.perf_counter() - started)
        rr["i"] = 0
        search_q = timed(indexed_query_only, reps_search)
        rr["i"] = 0
        search_naive = timed(naive_search, max(len(SEARCHES), reps_search // 3), warmup=1)
        results["search"] = {
            "texts": {q: {"matches": hits[q], "page_median_ms": round(float(np.median(per_text[q])) * 1000, 1)}
                      for q in SEARCHES},
            "page": summary(search_t), "search_ids_and_rows": summary(search_q),
            "baseline_without_index": summary(search_naive),
        }

        # 3. Case page.
        ids = random.Random(SEED + 1).sample(range(1, args.cases + 1), min(args.cases, 200))
        with engine.connect() as conn:
            senders = dict(conn.execute(select(Student.id, Student.sender_id).where(Student.id.in_(ids))).all())
        cc = {"i": 0}

        def case_page():
            get(f"/cases/{ids[cc['i'] % len(ids)]}")
            cc["i"] += 1

        def repo_case():
            repo.case_json(senders[ids[cc["i"] % len(ids)]])
            cc["i"] += 1

        case_t = timed(case_page, args.reps)
        cc["i"] = 0
        case_repo = timed(repo_case, args.reps)
        results["case"] = {"page": summary(case_t), "baseline_repo_case_json": summary(case_repo)}

        # 4. Knowledge gaps: cold (a fresh console process builds the per-agency aggregate),
        # warm, and with new transcript rows since the last request.
        from bot.console import gaps

        gap_pages = ["/gaps", "/gaps?days=0", "/gaps?days=0&by=topic", "/gaps?days=90&page=2", "/gaps?days=7"]
        cold = []
        for _ in range(3):
            gaps.clear()
            started = time.perf_counter()
            get("/gaps?days=0")
            cold.append(time.perf_counter() - started)
        gi = {"i": 0}

        def gaps_page():
            get(gap_pages[gi["i"] % len(gap_pages)])
            gi["i"] += 1

        warm = timed(gaps_page, args.reps)
        new_rows = {"i": 0}
        gap_case = ids[0]

        def gaps_after_new_messages():
            with engine.begin() as conn:
                conn.execute(Message.__table__.insert(), [
                    {"student_id": gap_case, "role": "user", "text": f"{GAP_QUESTIONS[new_rows['i'] % 24]}？",
                     "intent": "nlu_fallback", "confidence": 0.3, "at": dt.datetime.now(dt.timezone.utc),
                     "extra": {"gate": {"predicted": "complain", "action": "ask"}}},
                    {"student_id": gap_case, "role": "bot", "text": "你是想……吗？", "intent": None,
                     "confidence": None, "at": dt.datetime.now(dt.timezone.utc), "extra": None}])
            new_rows["i"] += 1
            get("/gaps")

        incremental = timed(gaps_after_new_messages, max(10, args.reps // 2), warmup=1)
        rep = gaps.report(engine, url, AGENCY)

        def naive_gaps():
            """The same figures from the transcript on every request, no aggregate kept."""
            state = gaps.AgencyGaps(AGENCY)
            with engine.connect() as conn:
                gaps.refresh(conn, state)
            gaps._rows(state.gaps, None)
            gaps._rows(state.oos, None)

        naive = timed(naive_gaps, max(5, args.reps // 6), warmup=1)
        results["gaps"] = {
            "groups": rep.gaps.total, "gap_messages": rep.gaps.messages, "oos_groups": rep.oos.total,
            "oos_messages": rep.oos.messages, "topics_listed": len(rep.topics),
            "page_warm": summary(warm), "page_after_new_messages": summary(incremental), "page_cold": summary(cold),
            "baseline_recompute_every_request": summary(naive),
        }

        # Freshness cost when nothing changed: the check every list request makes, and the
        # full comparison the background indexer makes every few seconds.
        results["index_check_request"] = summary(timed(lambda: search.refresh_recent(engine), args.reps))
        results["index_check_full"] = summary(timed(lambda: search.refresh(engine, limit=200), args.reps))
    finally:
        from bot.db import dispose_engines

        dispose_engines()
        if not args.keep:
            drop_database()

    def ratio(a: Dict[str, float], b: Dict[str, float]) -> float:
        return round(a["p95_ms"] / b["p95_ms"], 2) if b["p95_ms"] else float("nan")

    results["ratios_p95"] = {
        "list_page / bare_select": ratio(results["list"]["page1"], results["list"]["baseline_bare_select"]),
        "repo_list_cases / list_page": ratio(results["list"]["baseline_repo_list_cases"], results["list"]["page1"]),
        "search_without_index / search_page": ratio(results["search"]["baseline_without_index"],
                                                    results["search"]["page"]),
        "case_page / repo_case_json": ratio(results["case"]["page"], results["case"]["baseline_repo_case_json"]),
        "gaps_recompute / gaps_page": ratio(results["gaps"]["baseline_recompute_every_request"],
                                            results["gaps"]["page_warm"]),
    }
    pages = {"case list page": results["list"]["page1"], "filtered search page": results["search"]["page"],
             "case page": results["case"]["page"], "gaps page": results["gaps"]["page_warm"],
             "gaps page after new messages": results["gaps"]["page_after_new_messages"]}
    results["target_met"] = {k: v["p95_ms"] < TARGET_MS for k, v in pages.items()}

    print()
    print(f"Console benchmark: {args.cases} cases x {args.turns} turns ({results['seeded']['messages']} messages), "
          f"PostgreSQL, server-side time per request (ms)")
    row = "{:<44} {:>9} {:>9} {:>6}"
    print(row.format("", "p50", "p95", "n"))
    for label, s in (
        ("list page 1", results["list"]["page1"]),
        (f"list page {deep}", results["list"][f"page{deep}"]),
        ("  baseline: bare SELECT of the 50 rows", results["list"]["baseline_bare_select"]),
        ("  baseline: bot.cases.list_cases(50)", results["list"]["baseline_repo_list_cases"]),
        ("search page (text + channel filter)", results["search"]["page"]),
        ("  of which: search_ids + rows (no rendering)", results["search"]["search_ids_and_rows"]),
        ("  baseline: same search without the index", results["search"]["baseline_without_index"]),
        ("case page", results["case"]["page"]),
        ("  baseline: bot.cases.case_json", results["case"]["baseline_repo_case_json"]),
        ("gaps page (warm, rotating filters)", results["gaps"]["page_warm"]),
        ("gaps page after 2 new transcript rows", results["gaps"]["page_after_new_messages"]),
        ("gaps page, cold (fresh process, full build)", results["gaps"]["page_cold"]),
        ("  baseline: recompute from the transcript", results["gaps"]["baseline_recompute_every_request"]),
        ("index check per list request (fresh)", results["index_check_request"]),
        ("index check, full (background indexer)", results["index_check_full"]),
    ):
        print(row.format(label, f"{s['p50_ms']:.1f}", f"{s['p95_ms']:.1f}", s["n"]))
    print()
    print("search texts (matches among the channel's cases, median page time ms): " + "; ".join(
        f"{q} {v['matches']} / {v['page_median_ms']}" for q, v in results["search"]["texts"].items()))
    g = results["gaps"]
    print(f"gaps: {g['groups']} groups of {g['gap_messages']} messages not understood or answered unsure, "
          f"{g['oos_groups']} groups of {g['oos_messages']} out-of-domain messages, {g['topics_listed']} topics listed")
    print()
    for k, v in results["ratios_p95"].items():
        print(f"ratio of p95, {k}: {v}")
    print(f"index build: {results['index_build_s']}s for {results['index_cases']} cases, {results['index_size_mb']} MB")
    print("target p95 < 200 ms: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in results["target_met"].items()))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"figures written to {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json}")
    return 0 if all(results["target_met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
