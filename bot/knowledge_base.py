"""The knowledge topics the assistant answers (knowledge/topics/*.yml), rendered for a student.

Each topic is an answer written in our own words with the facts behind it (statement,
source, URL, date checked). Figures that change by exam and year are placeholders filled
from knowledge/exams.yml, so changing the data changes the answer. Where the case already
knows a fact the answer depends on (age, graduation year, education, major, political
status, grass-roots years, target exam), one line relates the answer to it and says which
stored fact it used. An admin may replace an answer's text in the console (versioned in
the case database); the facts and their sources stay those of knowledge/.

    answer = render("faq/age_limit", profile={"age": 27, "target_exam": "国考"})
    answer.text, answer.sources, answer.used
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import yaml

from bot import knowledge
from bot.config import ROOT

TOPICS_DIR = ROOT / "knowledge" / "topics"
RETRIEVAL_INTENT = "faq"

STAGE_LABELS = {
    "announcement": "公告", "registration": "报名", "fee_confirmation": "缴费确认",
    "admission_ticket": "打印准考证", "written": "笔试", "results": "查成绩", "interview": "面试",
    "medical": "体检", "political_review": "考察政审", "publicity": "公示",
}
FACT_LABELS = {
    "age": "年龄", "education": "学历", "fresh_graduate": "应届身份", "grad_year": "毕业年份",
    "major": "专业", "political_status": "政治面貌", "experience_years": "基层工作年限",
    "target_exam": "报考类型", "target_region": "意向地区",
}


@dataclass(frozen=True)
class Topic:
    key: str
    group: str
    title: str
    answer: str
    more: Optional[str] = None
    placeholders: Tuple[str, ...] = ()
    personal: Tuple[str, ...] = ()
    varies: bool = False
    facts: Tuple[Dict[str, Any], ...] = ()
    related: Tuple[str, ...] = ()


@dataclass
class Answer:
    key: str
    title: str
    text: str
    more: Optional[str] = None
    sources: List[Dict[str, str]] = field(default_factory=list)
    used: List[str] = field(default_factory=list)        # stored facts the answer used
    version: Optional[int] = None                         # console override version, if any

    def metadata(self) -> Dict[str, Any]:
        """What the transcript keeps next to the bot message (shown to counselors)."""
        return {"knowledge": {"key": self.key, "title": self.title, "sources": self.sources,
                              "used": self.used, "version": self.version}}


def bare_key(key: str) -> str:
    return key.split("/", 1)[1] if key.startswith(RETRIEVAL_INTENT + "/") else key


@lru_cache(maxsize=1)
def topics() -> Dict[str, Topic]:
    out: Dict[str, Topic] = {}
    for path in sorted(TOPICS_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        group = str(data.get("group") or path.stem)
        for raw in data.get("topics") or []:
            key = str(raw["key"])
            if key in out:
                raise ValueError(f"knowledge topic {key!r} is defined twice ({path.name})")
            facts = tuple({k: str(v) for k, v in f.items() if v is not None} for f in raw.get("facts") or [])
            out[key] = Topic(
                key=key, group=group, title=str(raw.get("title") or key), answer=str(raw["answer"]).strip(),
                more=(str(raw["more"]).strip() if raw.get("more") else None),
                placeholders=tuple(raw.get("placeholders") or ()), personal=tuple(raw.get("personal") or ()),
                varies=bool(raw.get("varies")), facts=facts, related=tuple(raw.get("related") or ()))
    return out


def topic(key: Optional[str]) -> Optional[Topic]:
    return topics().get(bare_key(key or ""))


def keys() -> List[str]:
    return sorted(topics())


# -- placeholders: figures that change by exam and year (knowledge/exams.yml) -------------------

def _ordered_exams(first: Optional[str]) -> List[str]:
    names = list(knowledge.exams())
    if first in names:
        names.remove(first)
        names.insert(0, first)
    return names


def age_limit_lines(first_exam: Optional[str] = None) -> List[str]:
    """One line per exam and year that knowledge/exams.yml has an age rule for."""
    lines = []
    for exam in _ordered_exams(first_exam):
        for year in sorted(knowledge.known_years(exam), reverse=True):
            limits = knowledge.age_limits(exam, year)
            if not limits:
                continue
            if limits.get("max") is None:
                lines.append(f"· {year}年{exam}：年满{limits['min']}周岁，上限以当年招考公告为准")
                continue
            line = f"· {year}年{exam}：{limits['min']}～{limits['max']}周岁"
            if limits.get("max_fresh_postgrad"):
                line += f"（应届硕士、博士研究生放宽到{limits['max_fresh_postgrad']}周岁）"
            lines.append(line)
    return lines


def _date(value: Any) -> Optional[dt.date]:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _span(stage: Mapping[str, Any], with_year: bool = False) -> str:
    start, end = _date(stage.get("start")), _date(stage.get("end"))
    if start is None:
        return "待公布"
    fmt = (lambda d: f"{d.year}年{d.month}月{d.day}日") if with_year else (lambda d: f"{d.month}月{d.day}日")
    if end is None or end == start:
        return fmt(start)
    return f"{fmt(start)}～{fmt(end) if end.year != start.year or with_year else f'{end.month}月{end.day}日'}"


def calendars(exam: str) -> List[Tuple[int, bool, List[Dict[str, Any]]]]:
    """(year, estimated, stages) of an exam, oldest first: announced rounds, then estimates."""
    info = knowledge.exams().get(exam) or {}
    out = []
    for source, estimated in (("years", False), ("estimated_years", True)):
        for year, data in sorted(((int(y), d) for y, d in (info.get(source) or {}).items()), key=lambda x: x[0]):
            stages = list((data or {}).get("calendar") or [])
            if stages:
                out.append((year, estimated or any(s.get("estimate") for s in stages), stages))
    return out


def calendar_lines(first_exam: Optional[str] = None, limit_others: int = 1) -> List[str]:
    lines: List[str] = []
    for i, exam in enumerate(_ordered_exams(first_exam)):
        rounds = calendars(exam)
        if not rounds:
            continue
        shown = rounds[-2:] if i == 0 else rounds[-limit_others:]
        for year, estimated, stages in shown:
            parts = [f"{STAGE_LABELS.get(s.get('stage'), s.get('stage'))} {_span(s)}" for s in stages]
            label = f"{year}年度{exam}" + ("（预计，以公告为准）" if estimated else "")
            lines.append(f"· {label}：" + "；".join(parts))
    return lines


def exam_day_lines(first_exam: Optional[str] = None) -> List[str]:
    lines = []
    for exam in _ordered_exams(first_exam):
        info = knowledge.exams().get(exam) or {}
        for year in sorted((int(y) for y in info.get("years") or {}), reverse=True):
            day = ((info["years"].get(year) or {}).get("exam_day") or {})
            papers = day.get("papers") or []
            if not papers:
                continue
            parts = []
            for p in papers:
                when = f"{p.get('start')}–{p.get('end')}" if p.get("start") else ""
                mins = f"（{p['minutes']}分钟）" if p.get("minutes") else ""
                parts.append(f"{p.get('paper')} {when}{mins}".strip())
            date = _date(papers[0].get("date"))
            lines.append(f"· {year}年度{exam}" + (f"（{date.month}月{date.day}日）" if date else "") + "：" + "；".join(parts))
            break
    return lines


def pass_line_lines() -> List[str]:
    lines = []
    for exam, info in knowledge.exams().items():
        for year in sorted((int(y) for y in info.get("years") or {}), reverse=True):
            data = (info["years"].get(year) or {}).get("pass_line") or {}
            if not data.get("lines"):
                continue
            for line in data["lines"]:
                if line.get("total") is not None:
                    lines.append(f"· {line['scope']}：总分{line['total']}分、行测{line.get('xingce')}分")
                elif line.get("professional") is not None:
                    lines.append(f"· {line['scope']}：{line['professional']}分")
            return [f"{year}年度{exam}笔试合格线："] + lines
    return lines


def next_written(first_exam: Optional[str] = None, today: Optional[dt.date] = None) -> Optional[str]:
    """The next written test (the target exam first), "预计" when it is an estimate."""
    today = today or dt.date.today()
    for exam in _ordered_exams(first_exam or "国考"):
        for year, estimated, stages in calendars(exam):
            for stage in stages:
                end = _date(stage.get("end")) or _date(stage.get("start"))
                if stage.get("stage") == "written" and end and end >= today:
                    est = bool(estimated or stage.get("estimate"))
                    return f"{year}年度{exam}笔试{_span(stage, with_year=True)}" + ("（预计）" if est else "")
        if first_exam and exam == first_exam:
            continue
    return None


def placeholder_values(profile: Mapping[str, Any], agency: Mapping[str, Any],
                       today: Optional[dt.date] = None) -> Dict[str, Callable[[], str]]:
    exam = profile.get("target_exam")
    return {
        "age_limit_table": lambda: "\n".join(age_limit_lines(exam)),
        "calendar_table": lambda: "\n".join(calendar_lines(exam)) or "各考试的日程以当年公告为准。",
        "exam_day_table": lambda: "\n".join(exam_day_lines(exam)) or "考试当天的安排以准考证和当年公告为准。",
        "pass_line_table": lambda: "\n".join(pass_line_lines()) or "合格线以当年公布为准。",
        "next_written": lambda: next_written(exam, today) or "下一次笔试日期还没有公布",
        "agency_name": lambda: str(agency.get("name", "")),
        "retention_days": lambda: str(agency.get("retention_days", "")),
        "contact": lambda: str(agency.get("contact", "")),
    }


def fill(text: str, values: Mapping[str, Callable[[], str]]) -> str:
    out = text
    for name, value in values.items():
        token = "{" + name + "}"
        if token in out:
            out = out.replace(token, value())
    return out


# -- personal lines: the answer related to what the case knows ----------------------------------

def _age_note(topic_key: str, profile: Mapping[str, Any]) -> Optional[Tuple[str, Tuple[str, ...]]]:
    age = profile.get("age")
    if not isinstance(age, (int, float)):
        return None
    age = int(age)
    if topic_key == "police_posts":
        top = 35 if profile.get("fresh_graduate") and profile.get("education") in ("硕士研究生", "博士研究生") else 30
        verdict = "在这条线以内" if age <= top else "超过了这条线，公安职位大多报不了"
        return (f"按你登记的{age}岁：公安职位常见的年龄线是{top}周岁以下，你{verdict}（以职位表为准）。",
                ("age",))
    exam = profile.get("target_exam") or "国考"
    years = knowledge.known_years(exam)
    limits = knowledge.age_limits(exam, years[-1]) if years else None
    if not limits or limits.get("max") is None:
        return None
    top = limits["max"]
    if profile.get("fresh_graduate") is True and profile.get("education") in ("硕士研究生", "博士研究生") \
            and limits.get("max_fresh_postgrad"):
        top = limits["max_fresh_postgrad"]
    used = ("age", "target_exam") if profile.get("target_exam") else ("age",)
    if age < limits["min"]:
        return f"按你登记的{age}岁，还没到{limits['min']}周岁的最低要求。", used
    if age <= top:
        return f"按你登记的{age}岁，{limits['year']}年{exam}的年龄条件（{top}周岁以下）你是满足的。", used
    return (f"按你登记的{age}岁，已经超过{limits['year']}年{exam}{top}周岁的上限，"
            "可以留意放宽年龄的职位，或者看看别的考试。"), used


def _fresh_note(topic_key: str, profile: Mapping[str, Any]) -> Optional[str]:
    year, fresh = profile.get("grad_year"), profile.get("fresh_graduate")
    if year is None and fresh is None:
        return None
    parts = []
    if year is not None:
        parts.append(f"{int(year)}年毕业")
    if fresh is not None:
        parts.append("应届" if fresh else "非应届")
    line = f"你登记的是{'、'.join(parts)}"
    if year is not None:
        line += f"；按两年择业期算，大致到{int(year) + 2}年毕业季前后，没落实工作的话还能按应届身份报（具体以公告为准）"
    return line + "。"


def _education_note(topic_key: str, profile: Mapping[str, Any]) -> Optional[str]:
    edu = profile.get("education")
    if not edu:
        return None
    if topic_key == "junior_college":
        return (f"你登记的学历是{edu}：" + ("职位表里写“大专及以上”或“专科及以上”的职位你可以看，"
                                        "这类职位多在乡镇、街道。" if edu == "大专" else "专科的限制对你不适用。"))
    return f"这条回答按你登记的学历（{edu}）来看。"


def _major_note(topic_key: str, profile: Mapping[str, Any]) -> Optional[str]:
    major = profile.get("major")
    if not major:
        return None
    try:
        from bot.positions.majors import match_major

        level = "graduate" if profile.get("education") in ("硕士研究生", "博士研究生") else "undergraduate"
        match = match_major(str(major), level)
    except Exception:  # the catalogue is data; an unreadable entry must not break an answer
        match = None
    if match is None or not match.decisive:
        return f"你登记的专业是{major}，目录里没有找到同名专业；报考时以毕业证上的名称对照职位表。想细查就说“我的专业能报哪些岗位”。"
    where = "研究生目录" if match.level == "graduate" else "本科目录"
    return (f"你登记的专业是{major}，在{where}里属于{match.class_name}（{match.class_code}）。"
            "想看它能报多少岗位，就说“我的专业能报哪些岗位”。")


def _political_note(topic_key: str, profile: Mapping[str, Any]) -> Optional[str]:
    status = profile.get("political_status")
    if not status:
        return None
    if status == "中共党员":
        verdict = "要求中共党员的职位你可以报"
    elif status == "中共预备党员":
        verdict = "要求中共党员的职位要看公告或备注有没有写“含预备党员”，拿不准就问招录单位"
    else:
        verdict = "要求中共党员的职位你现在报不了"
    return f"你登记的政治面貌是{status}：{verdict}。"


def _experience_note(topic_key: str, profile: Mapping[str, Any]) -> Optional[str]:
    years = profile.get("experience_years")
    if years is None:
        return None
    y = float(years)
    have = "没有基层工作经历" if y == 0 else f"有{y:g}年基层工作经历"
    verdict = "已满足" if y >= 2 else "还不满足"
    return f"你登记的是{have}：要求“两年以上基层工作经历”的职位，你{verdict}。"


def _exam_note(topic_key: str, profile: Mapping[str, Any]) -> Optional[str]:
    exam = profile.get("target_exam")
    if not exam:
        return None
    return f"你登记的目标是{exam}，上面先列了它。"


# Each returns the line, or (the line, the profile fields it used); a bare line used the fact
# it is registered under (FACT_FIELDS says which fields that is).
PERSONAL: Dict[str, Callable[[str, Mapping[str, Any]], Any]] = {
    "age": _age_note, "fresh_graduate": _fresh_note, "grad_year": _fresh_note, "education": _education_note,
    "major": _major_note, "political_status": _political_note, "experience_years": _experience_note,
    "target_exam": _exam_note,
}
FACT_FIELDS = {"fresh_graduate": ("fresh_graduate", "grad_year"), "grad_year": ("fresh_graduate", "grad_year")}


def personal_lines(t: Topic, profile: Mapping[str, Any]) -> Tuple[List[str], List[str]]:
    lines, used, seen = [], [], set()
    for fact in t.personal:
        fn = PERSONAL.get(fact)
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        line = fn(t.key, profile)
        if not line:
            continue
        line, fields = line if isinstance(line, tuple) else (line, FACT_FIELDS.get(fact, (fact,)))
        lines.append(line)
        used.extend(FACT_LABELS[f] for f in fields if profile.get(f) is not None and FACT_LABELS[f] not in used)
    return lines, used


# -- rendering ----------------------------------------------------------------------------------

def render(key: str, profile: Optional[Mapping[str, Any]] = None, *, agency: Optional[Mapping[str, Any]] = None,
           override: Optional[Mapping[str, Any]] = None, detail: bool = False,
           today: Optional[dt.date] = None) -> Optional[Answer]:
    """The answer of a topic for this student (``profile`` = what the case holds, with consent)."""
    t = topic(key)
    if t is None:
        return None
    profile = dict(profile or {})
    values = placeholder_values(profile, agency or {}, today)
    body = (override or {}).get("answer") or t.answer
    more = (override or {}).get("more") or t.more
    text = fill(more if detail and more else body, values)
    lines, used = personal_lines(t, profile)
    if lines:
        text += "\n" + "\n".join(lines)
        text += f"\n（这条回答用到了你资料里的：{'、'.join(used)}）" if used else ""
    sources = []
    for f in t.facts:
        entry = {"source": f.get("source", "")}
        if f.get("url"):
            entry["url"] = f["url"]
        if f.get("checked"):
            entry["checked"] = f["checked"]
        if entry not in sources:
            sources.append(entry)
    return Answer(key=t.key, title=t.title, text=text.strip(), more=None if detail else (fill(more, values) if more else None),
                  sources=sources, used=used, version=(override or {}).get("version"))


def check() -> List[str]:
    """Problems in knowledge/topics (used by the tests): missing sources, unknown placeholders..."""
    problems = []
    known = set(placeholder_values({}, {}).keys())
    for key, t in topics().items():
        if not t.facts:
            problems.append(f"{key}: no facts")
        for f in t.facts:
            if not f.get("source") or not f.get("checked"):
                problems.append(f"{key}: a fact without source or checked date")
        for name in t.placeholders:
            if name not in known:
                problems.append(f"{key}: unknown placeholder {name}")
        for fact in t.personal:
            if fact not in PERSONAL:
                problems.append(f"{key}: unknown personal fact {fact}")
        for rel in t.related:
            if rel not in topics():
                problems.append(f"{key}: unknown related topic {rel}")
    return problems


# -- Rasa's view of the topics -----------------------------------------------------------------

RESPONSES_FILE = ROOT / "data" / "nlu" / "faq_responses.yml"
RESPONSES_HEADER = ("# GENERATED by bot/knowledge_base.py from knowledge/topics — do not edit; run\n"
                    "# `python -m bot.knowledge_base`. Rasa wants a response per retrieval key; the\n"
                    "# assistant itself answers with action_answer_question (personal lines, sources,\n"
                    "# console edits), which renders the same texts.\n")


def responses_yaml() -> str:
    responses = {f"utter_{RETRIEVAL_INTENT}/{key}": [{"text": t.answer}] for key, t in sorted(topics().items())}

    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)

    _Dumper.add_representer(str, _str)
    return RESPONSES_HEADER + yaml.dump({"version": "3.1", "responses": responses}, Dumper=_Dumper,
                                        allow_unicode=True, sort_keys=False, width=1000)


def main(argv: Optional[List[str]] = None) -> int:
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="Writes data/nlu/faq_responses.yml from knowledge/topics.")
    parser.add_argument("--check", action="store_true", help="only check that the file is current")
    args = parser.parse_args(argv)
    text = responses_yaml()
    if args.check:
        if not RESPONSES_FILE.exists() or RESPONSES_FILE.read_text(encoding="utf-8") != text:
            print("out of date: data/nlu/faq_responses.yml (run `python -m bot.knowledge_base`)", file=sys.stderr)
            return 1
        return 0
    RESPONSES_FILE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
