"""What the case page and the exports show of the newer case data, in plain Chinese:

* the profile change history (issue 9) — field, old → new, where the change came from,
  the student's message that caused it, and whether it was undone;
* what the NLU gate did with a student's message (``extra.gate``: out of domain, follow-up,
  answered as a question instead of starting a flow, asked for confirmation, whose facts
  the entities were) and the knowledge topic chosen (``extra.topic``);
* the topic, sources and stored facts behind a knowledge answer (``extra.knowledge``);
* the latest "does my major count?" check (issue 11) and the study plan.

Everything here is a pure function of stored rows and dicts; it tolerates missing keys
(older rows, partial data) and never raises on odd shapes: the case page must open
whatever an older version of the assistant stored.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence

from bot.console.labels import (
    ENTITY_LABELS,
    ENTITY_ROLE_LABELS,
    GATE_REASON_LABELS,
    PROFILE_LABELS,
    PROFILE_SOURCE_LABELS,
    fmt_time,
    intent_label,
)

logger = logging.getLogger(__name__)

LOW_CONFIDENCE = 0.5


def fmt_value(value: Any) -> str:
    """A stored profile value as text ("（空）" for nothing)."""
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return "、".join(fmt_value(v) for v in value)
    if isinstance(value, dict):
        return "，".join(f"{k}：{fmt_value(v)}" for k, v in value.items())
    return str(value)


def _num(value: Any) -> Optional[float]:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _mapping(value: Any) -> Dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _list(value: Any) -> List[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


# -- profile history ---------------------------------------------------------------------------

@dataclass
class ChangeRow:
    at: Optional[dt.datetime]
    field: str
    label: str
    old: str
    new: str
    source: str
    source_label: str
    message: Optional[str]
    undone_at: Optional[dt.datetime]

    @property
    def undone(self) -> bool:
        return self.undone_at is not None


def profile_changes(rows: Sequence[Any]) -> List[ChangeRow]:
    """ProfileChange rows, oldest first, labelled."""
    out = []
    for c in rows:
        out.append(ChangeRow(
            at=c.at, field=c.field, label=PROFILE_LABELS.get(c.field, c.field), old=fmt_value(c.old),
            new=fmt_value(c.new), source=c.source or "", source_label=PROFILE_SOURCE_LABELS.get(c.source, c.source or "—"),
            message=c.message, undone_at=c.undone_at))
    return out


# -- the NLU gate and the topic of a student's message --------------------------------------------

@dataclass
class Note:
    text: str
    kind: str = ""            # css modifier: warn, low, ok, role
    title: str = ""           # hover text with the detail


def gate_notes(extra: Any) -> List[Note]:
    """What the gate did with a student's message, as short labels (none when it let the
    classifier's guess through unchanged and gave no entity a role)."""
    extra = _mapping(extra)
    gate = _mapping(extra.get("gate"))
    out: List[Note] = []
    action = gate.get("action")
    demoted = gate.get("demoted")
    predicted = gate.get("predicted")
    reason = GATE_REASON_LABELS.get(str(gate.get("reason") or ""), "")
    if action == "out_of_domain":
        ood = _num(gate.get("ood"))
        detail = [f"与考公无关的概率 {ood:.2f}" if ood is not None else "",
                  f"分类器原判：{intent_label(predicted)}" if predicted else ""]
        out.append(Note("判为无关", "warn", "；".join(d for d in detail if d)))
    elif action == "follow_up":
        out.append(Note("判为追问：按新目标重看上一步", "ok",
                        f"分类器原判：{intent_label(predicted)}" if predicted else ""))
    elif action == "answer_question":
        text = "按问题回答" + (f"（原判：{intent_label(demoted)}）" if demoted else "")
        out.append(Note(text, "ok", reason))
    elif action == "ask":
        text = "需确认" + (f"（原判：{intent_label(demoted)}）" if demoted else "")
        out.append(Note(text, "warn", (reason + "；" if reason else "") + "助手先问学生“你是想……吗？”"))
    for entity, role in _mapping(gate.get("roles")).items():
        label = ENTITY_ROLE_LABELS.get(str(role), str(role))
        out.append(Note(f"{ENTITY_LABELS.get(entity, entity)}：{label}", "role",
                        "这个值不会直接写进学生资料" if role in ("mentioned", "followup", "parameter") else
                        "助手会先问学生是否记入资料" if role == "offered" else ""))
    typed = extra.get("typed_button")
    if typed:
        out.append(Note("输入的是按钮上的文字，按点按钮处理", "ok", f"按钮：{typed}" if isinstance(typed, str) else ""))
    return out


def topic_note(extra: Any) -> Optional[Note]:
    """The knowledge topic the selector chose for a ``faq`` message, with its confidence."""
    extra = _mapping(extra)
    key = extra.get("topic")
    if not key:
        return None
    title = topic_title(str(key))
    conf = _num(extra.get("topic_confidence"))
    text = f"知识点：{title}" + (f" · {conf:.2f}" if conf is not None else "")
    return Note(text, "low" if conf is not None and conf < LOW_CONFIDENCE else "", str(key))


def topic_title(key: str) -> str:
    try:
        from bot import knowledge_base

        t = knowledge_base.topic(key)
    except Exception:  # the knowledge files are part of the product; a broken one must not break the page
        logger.warning("knowledge topics unavailable")
        t = None
    return t.title if t is not None else str(key)


def safe_url(url: Any) -> Optional[str]:
    """Only web links become links."""
    if isinstance(url, str) and url.strip().lower().startswith(("https://", "http://")):
        return url.strip()
    return None


@dataclass
class KnowledgeInfo:
    key: str
    title: str
    version: Optional[int]
    sources: List[Dict[str, Any]]
    used: List[str]


def knowledge_info(extra: Any) -> Optional[KnowledgeInfo]:
    """The topic, sources and stored facts of a knowledge answer (a bot message)."""
    k = _mapping(_mapping(extra).get("knowledge"))
    if not k.get("key"):
        return None
    sources = []
    for s in _list(k.get("sources")):
        if isinstance(s, Mapping):
            sources.append({"source": str(s.get("source") or "—"), "url": safe_url(s.get("url")),
                            "raw_url": s.get("url") if s.get("url") and not safe_url(s.get("url")) else None,
                            "checked": s.get("checked")})
        elif s:
            sources.append({"source": str(s), "url": None, "raw_url": None, "checked": None})
    version = k.get("version")
    return KnowledgeInfo(key=str(k["key"]), title=str(k.get("title") or topic_title(str(k["key"]))),
                         version=int(version) if isinstance(version, (int, float)) else None,
                         sources=sources, used=[str(u) for u in _list(k.get("used"))])


def message_meta(m: Any) -> List[str]:
    """One-line notes of a message for the exports (gate, topic, sources)."""
    extra = m.extra or {}
    out: List[str] = []
    if m.role == "user":
        notes = gate_notes(extra)
        topic = topic_note(extra)
        if topic:
            notes.append(topic)
        out.extend(n.text for n in notes)
    else:
        info = knowledge_info(extra)
        if info:
            out.append(f"知识点：{info.title}" + (f"（机构修改版 第{info.version}版）" if info.version else ""))
            for s in info.sources:
                out.append("来源：" + s["source"] + (f" {s['url']}" if s["url"] else "")
                           + (f"（核对于 {s['checked']}）" if s["checked"] else ""))
            out.append("用到的学生资料：" + ("、".join(info.used) if info.used else "无"))
    return out


# -- major check (issue 11) ----------------------------------------------------------------------

TABLE_KINDS = (("named", "写明本专业"), ("by_class", "按专业类/学科"), ("open", "不限专业"))
CASE_LABELS = {"unknown_major": "目录中找不到", "narrowing": "“仅限”方向", "renamed": "改名或合并的专业",
               "foreign_degree": "境外学历", "self_study": "自考、成人教育", "second_degree": "第二学位、双学位"}
LEVELS = {"大专": "大专", "本科": "本科", "研究生": "研究生"}


def _count(table: Mapping[str, Any], key: str) -> int:
    entry = table.get(key)
    if isinstance(entry, Mapping):
        return int(_num(entry.get("count")) or 0)
    return int(_num(entry) or 0)


def _examples(table: Mapping[str, Any], key: str) -> List[Dict[str, Any]]:
    entry = table.get(key)
    if not isinstance(entry, Mapping):
        return []
    return [e for e in _list(entry.get("examples")) if isinstance(e, Mapping)]


def asked(query: Any, result: Any) -> str:
    """What the student asked, in one line: their words where stored, else the parameters."""
    q = _mapping(query)
    r = _mapping(result)
    said = q.get("text") or q.get("message") or q.get("question")
    parts = []
    major = q.get("major") or r.get("major")
    if major:
        level = q.get("level") or r.get("level")
        parts.append(f"{level + '专业' if level else '专业'}“{major}”")
    second = q.get("second")
    if isinstance(second, (list, tuple)) and second:
        parts.append(f"{second[1] + '专业' if len(second) > 1 and second[1] else '第二学历'}“{second[0]}”")
    elif isinstance(second, Mapping) and second.get("major"):
        parts.append(f"{(second.get('level') or '第二学历')}专业“{second['major']}”")
    elif isinstance(second, str) and second:
        parts.append(f"第二学历“{second}”")
    target = q.get("target") or _mapping(r.get("target")).get("target")
    if target:
        parts.append(f"能否报“{target}”")
    if q.get("exam"):
        parts.append(f"{q['exam']}{q.get('year') or ''}")
    line = "，".join(parts)
    if said:
        return f"“{said}”" + (f"（按 {line} 查询）" if line else "")
    return line or "—"


def _placement(d: Mapping[str, Any]) -> List[str]:
    cats = _mapping(d.get("catalogues"))
    nat = _mapping(cats.get("national"))
    lines = []
    if nat.get("found"):
        if nat.get("class"):
            lines.append(f"{nat.get('catalogue') or '全国目录'}：{nat.get('name')}（{nat.get('code')}），"
                         f"属于{nat.get('class')}（{nat.get('class_code')}）" +
                         (f"、{nat.get('category')}门类" if nat.get("category") else ""))
        else:
            extra = f"，{nat['direction']}是其下的方向" if nat.get("direction") else ""
            kind = f"，{nat['kind']}" if nat.get("kind") else ""
            lines.append(f"{nat.get('catalogue') or '研究生目录'}：{nat.get('name')}（{nat.get('code')}{kind}）{extra}")
    elif nat.get("note"):
        lines.append(str(nat["note"]))
    else:
        lines.append(f"{nat.get('catalogue') or '全国目录'}：没有找到这个名称")
    gd = _mapping(cats.get("guangdong"))
    places = [p for p in _list(gd.get("places")) if isinstance(p, Mapping)]
    if places:
        lines.append(f"{gd.get('catalogue') or '广东目录'}：" + "；".join(
            " / ".join(str(x) for x in _list(p.get("path"))) or f"{p.get('name')}（{p.get('code')}）"
            for p in places))
    elif gd:
        lines.append(f"{gd.get('catalogue') or '广东目录'}：没有找到")
    return lines


def major_check_view(row: Any) -> Dict[str, Any]:
    """A stored major check, ready for the page: per degree the catalogue placement, per
    table the counts (named / class / 不限 / to confirm), examples, nearest classes it is
    not in, and the cases no rule can settle."""
    r = _mapping(row.result)
    degrees = []
    for d in _list(r.get("degrees")):
        if not isinstance(d, Mapping):
            continue
        tables = []
        for t in _list(d.get("tables")):
            if not isinstance(t, Mapping):
                continue
            counts = {k: _count(t, k) for k in ("named", "by_class", "open", "to_confirm", "narrowed",
                                                 "not_accepted", "other_level_only")}
            tables.append({
                "exam": t.get("exam"), "year": t.get("year"), "posts": int(_num(t.get("posts")) or 0),
                "counts": counts, "accepted": int(_num(t.get("accepted")) or
                                                  counts["named"] + counts["by_class"] + counts["open"]),
                "undecided": counts["to_confirm"] + counts["narrowed"],
                "examples": [(label, _examples(t, k)) for k, label in TABLE_KINDS + (("narrowed", "“仅限”待确认"),
                                                                                     ("to_confirm", "待确认"))
                             if _examples(t, k)],
            })
        cases = [c for c in _list(d.get("open_cases")) if isinstance(c, Mapping)]
        degrees.append({
            "major": d.get("major") or r.get("major"), "said": d.get("said"), "level": d.get("level"),
            "level_assumed": bool(d.get("level_assumed")), "placement": _placement(d), "tables": tables,
            "nearest_not": [n for n in _list(d.get("nearest_not")) if isinstance(n, Mapping)],
            "cases_apply": [dict(c, label=CASE_LABELS.get(c.get("kind"), c.get("kind"))) for c in cases
                            if c.get("applies") is True],
            "cases_maybe": [dict(c, label=CASE_LABELS.get(c.get("kind"), c.get("kind"))) for c in cases
                            if c.get("applies") is None],
        })
    target = _mapping(r.get("target"))
    if target:
        target = dict(target, verdict={True: "符合", False: "不符合"}.get(target.get("fits"), "需确认"))
    return {"at": row.at, "asked": asked(row.query, r), "degrees": degrees, "target": target or None,
            "two_degrees": r.get("two_degrees"), "rule": r.get("rule"),
            "tables_checked": [t for t in _list(r.get("tables_checked")) if isinstance(t, Mapping)],
            "error": r.get("error")}


def major_check_lines(view: Mapping[str, Any]) -> List[str]:
    """The same, as lines for the exports."""
    lines = [f"问题：{view['asked']}（{fmt_time(view['at'])}）"]
    if view.get("error"):
        lines.append(f"结果：{view['error']}")
    for d in view["degrees"]:
        lines.append(f"{d['level'] or ''}专业“{d['major']}”" + ("（学历层次为推断）" if d["level_assumed"] else ""))
        lines.extend("  " + p for p in d["placement"])
        for t in d["tables"]:
            c = t["counts"]
            lines.append(f"  {t['exam']}{t['year']}（{t['posts']} 个职位）：写明本专业 {c['named']}，按专业类/学科 "
                         f"{c['by_class']}，不限专业 {c['open']}，需确认 {t['undecided']}，不符合 {c['not_accepted']}"
                         + (f"，只招其他学历层次 {c['other_level_only']}" if c["other_level_only"] else ""))
        if d["nearest_not"]:
            lines.append("  不属于（常被写在一起的专业类）：" + "、".join(str(n.get("class")) for n in d["nearest_not"]))
        for c in d["cases_apply"]:
            lines.append(f"  无法自动判断（{c['label']}）：{c.get('text')}")
    if view.get("two_degrees"):
        lines.append(view["two_degrees"])
    t = view.get("target")
    if t:
        lines.append(f"“{t.get('target')}”：{t['verdict']}。{t.get('why') or ''}")
    return lines


# -- study plan (issue 11) -----------------------------------------------------------------------

ITEM_SHORT = {"模考": "模考"}


def _planner():
    from bot.coaching import planner

    return planner


def plan_columns(plan: Mapping[str, Any]) -> List[Dict[str, str]]:
    """The week table's columns: the 行测 modules, 申论 and mock papers, in the planner's order
    (items the planner no longer knows go last, so an older plan still shows all its hours)."""
    seen: List[str] = []
    for w in _list(plan.get("weeks")):
        for k in _mapping(_mapping(w).get("items")):
            if k not in seen:
                seen.append(k)
    labels: Dict[str, str] = {}
    order: List[str] = []
    try:
        p = _planner()
        params = p.params()
        labels = {m["key"]: m.get("label") or m["key"] for m in params["modules"]}
        labels[params["shenlun"]["key"]] = params["shenlun"].get("label") or params["shenlun"]["key"]
        labels[params["mock_key"]] = "模考"
        order = list(p.items())
    except Exception:
        logger.warning("study-plan parameters unavailable")
    ordered = [k for k in order if k in seen] + [k for k in seen if k not in order]
    return [{"key": k, "label": labels.get(k, k)} for k in ordered]


def _fmt_h(value: Any) -> str:
    v = _num(value)
    if v is None:
        return "—"
    return str(int(v)) if v.is_integer() else f"{v:g}"


HISTORY_KINDS = {"built": "制定计划", "adjusted": "调整", "checkin": "打卡"}


def _when(value: Any) -> str:
    """A history time (ISO, UTC) in the console's time zone; a plain date as it is."""
    text = str(value or "")
    if "T" in text:
        try:
            return fmt_time(dt.datetime.fromisoformat(text))
        except ValueError:
            return text[:16]
    return text


def plan_events(plan: Mapping[str, Any], history: Any) -> List[Dict[str, Any]]:
    """Everything that happened to the plan, oldest first.

    The case's history (``StudyPlan.history``: every build, adjustment and check-in, kept
    across rebuilt plans) is the record; the current plan's own ``adjustments`` and
    ``progress`` add what the assistant answered (the summary, the check-in message). A
    plan stored without history shows its own lists."""
    adjustments = [_mapping(a) for a in _list(plan.get("adjustments"))]
    progress = [_mapping(p) for p in _list(plan.get("progress"))]
    events: List[Dict[str, Any]] = []
    entries = [_mapping(e) for e in _list(history)]
    if entries:
        for e in entries:
            kind = str(e.get("kind") or "")
            said = e.get("text")
            text = ""
            if kind == "adjusted":
                match = next((a for a in reversed(adjustments) if a.get("text") == said), None)
                text = (match or {}).get("summary") or "已按学生说的调整"
            elif kind == "checkin":
                match = next((p for p in reversed(progress) if p.get("week") == e.get("week")
                              and _num(p.get("share")) == _num(e.get("share"))), None)
                share = _num(e.get("share"))
                text = (match or {}).get("message") or (
                    f"第{e.get('week')}周完成约{round(share * 100)}%" if share is not None else "")
            elif kind == "built":
                text = "按当时的情况生成计划"
            events.append({"at": _when(e.get("at")), "sort": str(e.get("at") or ""),
                           "kind": HISTORY_KINDS.get(kind, kind or "记录"), "said": said, "text": text})
        return events
    for a in adjustments:
        events.append({"at": str(a.get("at") or ""), "sort": str(a.get("at") or ""), "kind": "调整",
                       "said": a.get("text"), "text": a.get("summary") or ""})
    for p in progress:
        share = _num(p.get("share"))
        events.append({"at": str(p.get("at") or ""), "sort": str(p.get("at") or ""), "kind": "打卡", "said": None,
                       "text": p.get("message") or (f"第{p.get('week')}周完成约{round(share * 100)}%"
                                                    if share is not None else "")})
    events.sort(key=lambda e: e["sort"])
    return events


def plan_view(row: Any) -> Optional[Dict[str, Any]]:
    """The stored plan for the page: summary, phases, the full week table, the interview
    phase, warnings, and the adjustments and check-ins in the order they happened."""
    if row is None:
        return None
    plan = _mapping(row.plan)
    if not plan:
        return {"empty": True, "updated_at": row.updated_at, "inputs": _mapping(row.inputs)}
    summary: List[str] = []
    try:
        summary = _planner().summary_lines(plan)
    except Exception:
        logger.warning("study plan summary failed on a stored plan")
    columns = plan_columns(plan)
    weeks = []
    for w in _list(plan.get("weeks")):
        w = _mapping(w)
        items = _mapping(w.get("items"))
        weeks.append({
            "week": w.get("week"), "start": w.get("start"), "end": w.get("end"), "phase": w.get("phase_name") or w.get("phase"),
            "hours": _fmt_h(w.get("hours")), "cells": [_fmt_h(items.get(c["key"], 0)) for c in columns],
            "papers": w.get("mock_papers") or 0, "reduced": bool(w.get("reduced")),
            "tasks": [str(t) for t in _list(w.get("tasks"))],
        })
    events = plan_events(plan, row.history)
    hours = _mapping(plan.get("hours"))
    exam = _mapping(plan.get("exam"))
    return {
        "empty": False, "updated_at": row.updated_at, "built_on": plan.get("built_on"), "summary": summary,
        "exam": exam, "hours": {k: _fmt_h(v) for k, v in hours.items()},
        "ratings": _mapping(plan.get("ratings")),
        "phases": [_mapping(p) for p in _list(plan.get("phases"))], "columns": columns, "weeks": weeks,
        "interview": (dict(_mapping(plan.get("interview")),
                           hours_per_week=_fmt_h(_mapping(plan.get("interview")).get("hours_per_week")))
                      if plan.get("interview") else None),
        "warnings": [str(_mapping(w).get("text") or w) for w in _list(plan.get("warnings"))],
        "events": events,
    }


def plan_lines(view: Mapping[str, Any]) -> List[str]:
    """The plan as lines for the exports (a compact row per week)."""
    if view.get("empty"):
        return ["已开始制定，尚未生成计划"]
    lines = list(view["summary"])
    cols = view["columns"]
    if view["weeks"]:
        lines.append("每周安排（小时）：" + " / ".join(c["label"] for c in cols))
        for w in view["weeks"]:
            lines.append(f"第{w['week']}周 {w['start']}–{w['end']} {w['phase']}：" + " / ".join(w["cells"])
                         + f"，合计 {w['hours']}" + ("（时间减少）" if w["reduced"] else ""))
    for text in view["warnings"]:
        lines.append(f"提醒：{text}")
    for e in view["events"]:
        lines.append(f"{e['kind']}（{e['at']}）：" + (f"“{e['said']}” → " if e.get("said") else "") + (e["text"] or ""))
    return lines
