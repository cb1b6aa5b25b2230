"""The personal career-planning report of the service standard, as Markdown and PDF.

:func:`build_report` reads a case (the dict of :func:`bot.cases.case_json`) and writes the
sections the career-planning service standard asks of a personal report — basic
information, assessment results, development advice (positioning, ability plan, path,
training) — plus the exam-strategy parts of this product: the shortlist with competition
ratios and the next steps of the three-step method. The ability plan carries the student's
week-by-week study plan when the case has one (``study_plan``, see :mod:`.planner`). A nearly empty case gives a short
report in which every missing part says what is still to do.

Both outputs come from one list of blocks (heading, paragraph, list, table), so the
Markdown and the PDF always say the same. The PDF is A4 with the CJK font embedded
(:mod:`bot.coaching.fonts`), tables for the basic information and the shortlist, and
"第 i / n 页" on every page. The report does not query any database: ratios come from the
``comparison`` the caller passes (the dict of :func:`bot.positions.api.compare_posts`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from xml.sax.saxutils import escape as _xml_escape

from bot.knowledge import load_yaml

from . import fonts, riasec
from .swot import build_swot, format_ratio, split_items

__all__ = ["Report", "ReportError", "SECTION_TITLES", "TITLE", "build_report"]

TITLE = "个人职业生涯规划报告（公务员方向）"
SECTION_TITLES: Tuple[str, ...] = (
    "一、基本信息", "二、测评结果", "三、职业定位", "四、能力提升计划", "五、职业发展路径", "六、培训建议",
    "七、备选岗位与竞争比", "八、下一步",
)
INTERVIEW_TARGET = 20
SHORTLIST_TARGET = 5
QUESTIONS_TARGET = 10
ONE_IN_A_THOUSAND = 1000.0

SELF_ANALYSIS_LABELS: Tuple[Tuple[str, str], ...] = (
    ("who_am_i", "我是什么样的人"), ("what_want", "我想要什么"), ("what_can_do", "我能做什么"),
    ("support", "我的职业支撑点"), ("suits_best", "最适合我的"), ("final_choice", "我最终的选择"),
    ("interests", "兴趣爱好"), ("values", "看重的东西"), ("personality_strangers", "面对陌生人时"),
    ("personality_friends", "和熟人相处时"),
)


class ReportError(RuntimeError):
    """The report cannot be produced (message for the user or operator)."""


@dataclass(frozen=True)
class Report:
    """``markdown`` (UTF-8 text), ``pdf`` (bytes), ``title`` and when it was generated."""

    markdown: str
    pdf: bytes
    title: str
    generated_at: dt.datetime

    @property
    def filename(self) -> str:
        return f"career-report-{self.generated_at:%Y%m%d-%H%M}.pdf"


# --------------------------------------------------------------------------- blocks
# ("h1"|"h2"|"h3"|"p"|"note", text) · ("ul"|"ol", [text, ...]) · ("table", header, rows, widths)
Block = Tuple[Any, ...]


@lru_cache(maxsize=1)
def _advice() -> Dict[str, Any]:
    return load_yaml("report.yml")


def _m(x: Any) -> Mapping[str, Any]:
    return x if isinstance(x, Mapping) else {}


def _l(x: Any) -> List[Any]:
    return list(x) if isinstance(x, (list, tuple)) else []


def _t(x: Any) -> str:
    if x is None or isinstance(x, bool):
        return ""
    s = str(x).strip()
    return "" if s in ("未回答", "None", "null") else s


def _num(x: Any) -> Optional[float]:
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if v != v else v


def _int(x: Any) -> Optional[int]:
    v = _num(x)
    return int(v) if v is not None else None


def _date_zh(d: dt.datetime) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


# --------------------------------------------------------------------------- sections
def _basic_info(profile: Mapping[str, Any], eligibility: Mapping[str, Any]) -> List[Block]:
    rows: List[List[str]] = []
    missing: List[str] = []

    def row(label: str, value: str, key: str) -> None:
        if value:
            rows.append([label, value])
        else:
            rows.append([label, "未填写"])
            missing.append(key)

    age = _int(profile.get("age"))
    row("年龄", f"{age} 岁" if age is not None else "", "年龄")
    edu, deg = _t(profile.get("education")), _t(profile.get("degree"))
    row("学历（学位）", f"{edu}（{deg}）" if edu and deg else edu, "学历")
    major = _t(profile.get("major"))
    code = _t(profile.get("major_code"))
    row("所学专业", f"{major}（{code}）" if major and code else major, "专业")
    gy = _int(profile.get("grad_year"))
    fresh = profile.get("fresh_graduate")
    grad = f"{gy} 年" if gy is not None else ""
    if grad and fresh is True:
        grad += "（按应届毕业生报考）"
    elif grad and fresh is False:
        grad += "（往届）"
    elif not grad and fresh is True:
        grad = "应届毕业生"
    row("毕业时间", grad, "毕业年份")
    row("政治面貌", _t(profile.get("political_status")), "政治面貌")
    exp = _num(profile.get("experience_years"))
    row("基层工作经历", ("暂无" if exp == 0 else f"{exp:g} 年") if exp is not None else "", "基层工作年限")
    target = " ".join(x for x in (
        _t(profile.get("target_exam")) or _t(eligibility.get("exam")),
        f"{_int(profile.get('target_year')) or _int(eligibility.get('year'))}年"
        if (_int(profile.get("target_year")) or _int(eligibility.get("year"))) else "",
        _t(profile.get("target_region"))) if x)
    row("报考目标", target, "报考目标")
    blocks: List[Block] = [("h2", SECTION_TITLES[0]), ("table", ["项目", "情况"], rows, [0.28, 0.72])]
    if missing:
        blocks.append(("note", f"还需补充：{'、'.join(missing)}。在对话里直接告诉助手即可更新，补全后资格判断会更准确。"))
    return blocks


def _interest(test: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """The interest result: re-scored from the stored answers when possible."""
    answers = test.get("answers")
    if isinstance(answers, Mapping) and answers:
        try:
            return riasec.score(answers).to_dict()
        except riasec.RiasecError:
            pass
    scores = _m(test.get("scores"))
    if scores.get("code") and scores.get("meaning"):
        return dict(scores)
    code = _t(test.get("code")) or _t(scores.get("code"))
    if code:
        try:
            out: Dict[str, Any] = {"code": code.upper(), "meaning": riasec.describe_code(code)}
        except riasec.RiasecError:
            return None
        per_type = {k: v for k, v in scores.items() if k in riasec.TYPES}
        if per_type:
            out["scores"] = per_type
        return out
    return None


def _assessment(case: Mapping[str, Any], profile: Mapping[str, Any], interest: Optional[Mapping[str, Any]],
                swot: Mapping[str, Any], answers: Mapping[str, Any], confirmed: Any) -> List[Block]:
    blocks: List[Block] = [("h2", SECTION_TITLES[1]), ("h3", "职业兴趣（霍兰德 RIASEC 简版测评）")]
    if interest:
        names = interest.get("code_names") or []
        items = [f"兴趣代码：{interest['code']}" + (f"（{'、'.join(names)}）" if names else "")]
        scores = _m(interest.get("scores"))
        if scores:
            items.append("各类型得分（每类满分 4）：" + "，".join(
                f"{riasec.type_info(t)['name']} {scores[t]}" for t in riasec.TYPES if t in scores))
        fams = _m(interest.get("families"))
        if fams:
            order = interest.get("family_ranking") or sorted(fams, key=lambda f: -fams[f])
            items.append("与三类岗位的契合度（满分 100）：" + "，".join(f"{f} {fams[f]}" for f in order if f in fams))
        blocks.append(("ul", items))
        blocks.append(("p", _t(interest.get("meaning"))))
        if interest.get("suggestion"):
            blocks.append(("p", _t(interest["suggestion"])))
        for n in _l(interest.get("notes")):
            blocks.append(("note", _t(n)))
    else:
        blocks.append(("note", "还没有完成兴趣测评。在对话里说“做兴趣测评”即可开始，一共 12 道题，几分钟就能做完。"))

    blocks.append(("h3", "自我分析要点"))
    highlights = []
    for key, label in SELF_ANALYSIS_LABELS:
        v = _t(answers.get(key))
        if v:
            highlights.append(f"{label}：{v if len(v) <= 120 else v[:119] + '…'}")
    if highlights:
        blocks.append(("ul", highlights))
    else:
        blocks.append(("note", "还没有做自我分析。在对话里说“开始自我分析”，回答六个规划问题以及兴趣、性格、优缺点即可。"))

    blocks.append(("h3", "SWOT 分析"))
    parts = (("S", "优势（S）"), ("W", "劣势（W）"), ("O", "机会（O）"), ("T", "威胁（T）"))
    any_item = False
    for key, label in parts:
        items = [_t(x) for x in _l(swot.get(key)) if _t(x)]
        if items:
            any_item = True
            blocks.append(("p", f"{label}"))
            blocks.append(("ul", items))
    if not any_item:
        blocks.append(("note", "SWOT 小结要在自我分析之后生成：优势和劣势来自你的回答，机会和威胁来自职位表数据。"))
    elif confirmed is False or confirmed is None:
        blocks.append(("note", "这份 SWOT 小结你还没有确认，如有不准确的地方可以在对话里修改。"))
    return blocks


def _positioning(profile: Mapping[str, Any], interest: Optional[Mapping[str, Any]], eligibility: Mapping[str, Any],
                 comparison: Mapping[str, Any], facts: Mapping[str, Any]) -> Tuple[List[Block], Optional[str]]:
    items: List[str] = []
    family: Optional[str] = None
    fams = _m(interest.get("families")) if interest else {}
    if fams:
        order = list(interest.get("family_ranking") or sorted(fams, key=lambda f: -fams[f]))  # type: ignore[union-attr]
        family = order[0]
        s = f"职位类别：建议以{family}为主"
        if len(order) > 1 and fams[order[0]] - fams[order[1]] < 8:
            s += f"，{order[1]}作为第二选择"
        s += f"。兴趣测评中你与{family}的契合度最高（{fams[family]} 分）。"
        items.append(s)
    major = _m(facts.get("major"))
    if major.get("accepting_posts"):
        items.append(f"专业方面：{facts.get('year', '')}年{facts.get('exam', '')}有 {major['accepting_posts']} 个岗位"
                     f"点名接收你的专业“{major.get('name')}”，其中 {major.get('eligible_accepting', 0)} 个你的各项条件都符合，"
                     f"专业对口的岗位值得优先看。")
    fam_count: Dict[str, int] = {}
    for p in _l(comparison.get("posts")):
        f = _t(_m(p).get("family"))
        if f:
            fam_count[f] = fam_count.get(f, 0) + 1
    if fam_count:
        s = "你目前的备选岗位：" + "，".join(f"{f} {n} 个" for f, n in sorted(fam_count.items(), key=lambda x: -x[1])) + "。"
        if family and family not in fam_count:
            s += f"其中没有{family}岗位，可以考虑补充一两个这一类的岗位。"
        items.append(s)
    exam = _t(profile.get("target_exam")) or _t(eligibility.get("exam")) or _t(facts.get("exam"))
    year = _int(profile.get("target_year")) or _int(eligibility.get("year")) or _int(facts.get("year"))
    region = _t(profile.get("target_region"))
    counts = _m(eligibility.get("counts")) or _m(facts.get("counts"))
    if exam:
        s = f"考试与地区：以{year}年{exam}为主要目标" if year else f"考试与地区：以{exam}为主要目标"
        if region:
            s += f"，地区偏好为{region}"
        s += "。"
        if counts:
            e, c, n = (_int(counts.get(k)) or 0 for k in ("eligible", "needs_confirmation", "not_eligible"))
            s += f"按你目前的条件，符合条件的岗位 {e} 个，需要进一步确认的 {c} 个，不符合的 {n} 个。"
        items.append(s)
    if profile.get("fresh_graduate") is True:
        items.append("身份优势：你按应届毕业生报考，只招应届生的岗位不对往届生开放；应届身份一般只保留到毕业后两年的择业期，要抓紧用好。")
    if _t(profile.get("political_status")) == "中共党员":
        items.append("政治面貌：你是中共党员，可以报考要求党员的岗位，这部分岗位的报考人群相对更窄。")
    exp = _num(profile.get("experience_years"))
    if exp is not None and exp >= 2:
        items.append(f"基层经历：你有 {exp:g} 年基层工作经历，可以报考要求两年以上基层工作经历的岗位。")
    age = _m(facts.get("age"))
    if age.get("limit_known") and age.get("years_left") is not None and 0 <= age["years_left"] <= 3:
        items.append(f"年龄：离{exam or '该考试'}的年龄上限只差 {age['years_left']} 岁，建议集中精力在最近一两次考试中争取上岸。")
    blocks: List[Block] = [("h2", SECTION_TITLES[2])]
    if items:
        blocks.append(("ul", items))
    else:
        blocks.append(("note", "完成兴趣测评、填写报考目标并做一次资格查询后，这里会给出职位类别和考试地区的建议。"))
    return blocks, family


def _study_plan(raw: Any) -> List[Block]:
    """The student's own study plan (the case's ``study_plan``, see :mod:`.planner`): the
    head, a week-by-week table, the interview phase, warnings and check-ins. Empty when
    the case has no usable plan."""
    from . import planner

    plan = _m(raw)
    if isinstance(plan.get("plan"), Mapping):
        plan = plan["plan"]
    weeks = [_m(w) for w in _l(plan.get("weeks"))]
    try:
        head = planner.summary_lines(plan)
    except (KeyError, TypeError, ValueError, AttributeError):
        return []
    blocks: List[Block] = [("h3", "个人备考计划"), ("ul", head)]
    keys = list(planner.xingce_modules()) + [planner.params()["shenlun"]["key"], planner.params()["mock_key"]]
    labels = {m["key"]: m["label"] for m in planner.params()["modules"]}
    labels[keys[-2]], labels[keys[-1]] = "申论", "模考"
    if not any(_num(_m(w.get("items")).get(keys[-1])) for w in weeks):
        keys = keys[:-1]
    rows: List[List[str]] = []
    for w in weeks:
        items = _m(w.get("items"))
        try:
            start, end = dt.date.fromisoformat(str(w.get("start"))), dt.date.fromisoformat(str(w.get("end")))
        except ValueError:
            continue
        cells = [f"第{_int(w.get('week'))}周", f"{start.month}/{start.day}–{end.month}/{end.day}", _t(w.get("phase_name"))]
        cells += [f"{_num(items.get(k)) or 0:g}" for k in keys]
        cells.append(f"{_num(w.get('hours')) or 0:g}")
        rows.append(cells)
    if rows:
        n = len(keys)
        widths = [0.1, 0.16, 0.08] + [(0.66 - 0.08) / n] * n + [0.08]
        blocks.append(("table", ["周次", "日期", "阶段"] + [labels[k] for k in keys] + ["合计"], rows, widths))
        blocks.append(("note", "表中为每周小时数。" + "、".join(labels[k] for k in keys[:5]) + "是行测的五个模块"
                       + ("；模考指按考试时间完整做一套行测和申论并复盘。" if keys[-1] == planner.params()["mock_key"] else "。")))
    iv = _m(plan.get("interview"))
    if iv.get("tasks"):
        blocks.append(("p", "笔试之后：" + "；".join(_t(x) for x in _l(iv.get("tasks")) if _t(x)) + "。"
                       + (_t(iv.get("basis")) + "。" if iv.get("basis") else "")))
    done = [_m(p) for p in _l(plan.get("progress")) if _t(_m(p).get("message"))]
    if done:
        blocks.append(("h3", "打卡记录"))
        blocks.append(("ul", [_t(p["message"]) for p in done]))
    for w in _l(plan.get("warnings")):
        if _t(_m(w).get("text")):
            blocks.append(("note", _t(_m(w)["text"])))
    source = _t(_m(plan.get("exam")).get("source"))
    if source:
        blocks.append(("note", f"笔试日期依据：{source}"))
    return blocks


def _ability(swot: Mapping[str, Any], answers: Mapping[str, Any], study_plan: Any = None) -> List[Block]:
    adv = _advice()
    weak = [_t(x) for x in _l(swot.get("W")) if _t(x)] or split_items(answers.get("weaknesses"))
    actions: List[str] = []
    for w in weak:
        action = None
        for rule in adv["weakness_actions"]:
            if any(k in w for k in rule["keywords"]):
                action = rule["action"]
                break
        if action is None:
            item = re.sub(r"^面对陌生人时：", "", w)
            action = adv["weakness_default"].format(item=item if len(item) <= 30 else item[:29] + "…")
        if action not in actions:
            actions.append(action)
    blocks: List[Block] = [("h2", SECTION_TITLES[3]), ("h3", "针对个人短板")]
    if actions:
        blocks.append(("ul", actions))
    else:
        blocks.append(("note", "你还没有谈到自己的不足。想到了可以在对话里补充，计划会随之调整；眼下先从笔试准备做起。"))
    personal = _study_plan(study_plan)
    blocks += personal
    plan = adv["exam_plan"]
    blocks += [("h3", "笔试：行测"), ("ul", list(plan["xingce"])),
               ("h3", "笔试：申论"), ("ul", list(plan["shenlun"])),
               ("h3", "面试"), ("ul", list(plan["interview"]))]
    if not personal:
        blocks += [("h3", "备考节奏"), ("ol", list(plan["stages"])),
                   ("note", "想按自己的考试日期和每天能学的时间排出每周的计划，在对话里说“做个备考计划”就行。")]
    return blocks


def _paths(family: Optional[str], interest: Optional[Mapping[str, Any]]) -> List[Block]:
    adv = _advice()
    paths = adv["paths"]
    blocks: List[Block] = [("h2", SECTION_TITLES[4]),
                           ("ul", [f"{paths[k]['name']}：{paths[k]['what']}" for k in ("traditional", "dual", "lateral",
                                                                                      "network")])]
    fit: List[str] = []
    reasons: List[str] = []
    if family:
        fit += list(adv["path_fit"]["by_family"].get(family, []))
        reasons.append(f"你倾向的{family}岗位")
    ranking = _l(interest.get("ranking")) if interest else []
    code = _t(interest.get("code")) if interest else ""
    top = ranking[0] if ranking else (code[0] if code else None)
    if top in adv["path_fit"]["by_type"]:
        k = adv["path_fit"]["by_type"][top]
        if k not in fit:
            fit.append(k)
        reasons.append(f"以{riasec.type_info(top)['name']}为主的兴趣")
    if fit:
        names = "、".join(paths[k]["name"] for k in fit)
        blocks.append(("p", f"结合{'和'.join(reasons)}，比较适合你的是：{names}。"))
        tips = {
            "traditional": "走传统路径要在每个岗位上把本职工作做扎实，年度考核争取优秀等次，为逐级晋升积累资历。",
            "dual": "走双重路径要尽早确定专业方向，持续积累业务能力和资格证书，职级晋升同样看重专业贡献。",
            "lateral": "走横向路径可以主动争取轮岗、下基层和跨部门交流，多岗位的经历会让你更全面。",
            "network": "走网状路径要给自己定期做规划，想清楚每段经历要补哪方面的能力，再决定纵向还是横向移动。",
        }
        blocks.append(("ul", [tips[k] for k in fit]))
    else:
        blocks.append(("note", "完成兴趣测评后会给出更有针对性的路径建议。大多数人入职后先沿传统路径起步，"
                               "再通过轮岗和交流拓宽经历。"))
    return blocks


def _training(family: Optional[str], interest: Optional[Mapping[str, Any]], agency: str) -> List[Block]:
    adv = _advice()["training"]
    items = list(adv["common"])
    if family and family in adv["by_family"]:
        items.append(adv["by_family"][family])
    ranking = _l(interest.get("ranking")) if interest else []
    code = _t(interest.get("code")) if interest else ""
    top = ranking[0] if ranking else (code[0] if code else None)
    if top in adv["by_type"]:
        items.append(adv["by_type"][top])
    items.append(f"需要一对一辅导时，在对话里说“找顾问”，{agency}的生涯顾问会和你联系。")
    return [("h2", SECTION_TITLES[5]), ("ul", items)]


def _risk(ratio: Optional[float], dist: Mapping[str, Any]) -> str:
    if ratio is None:
        return "暂无报名数据"
    if ratio >= ONE_IN_A_THOUSAND:
        return "千里挑一，风险极高"
    p90, p75, p25 = (_num(dist.get(k)) for k in ("p90", "p75", "p25"))
    if p90 is not None and ratio >= p90:
        return "竞争非常激烈"
    if p75 is not None and ratio >= p75:
        return "偏热门"
    if p25 is not None and ratio <= p25:
        return "相对冷门，机会较好"
    return "中等"


def _shortlist(shortlist: List[Mapping[str, Any]], comparison: Mapping[str, Any]) -> Tuple[List[Block], Dict[str, Any]]:
    comp_posts = [_m(p) for p in _l(comparison.get("posts")) if _t(_m(p).get("code"))]
    by_code = {_t(p["code"]): p for p in comp_posts}
    codes: List[str] = []
    for s in shortlist:
        c = _t(s.get("post_code"))
        if c and c not in codes:
            codes.append(c)
    for p in comp_posts:
        if _t(p["code"]) not in codes:
            codes.append(_t(p["code"]))
    questions = {_t(s.get("post_code")): [q for q in _l(s.get("questions")) if _t(q)] for s in shortlist}
    dist = _m(comparison.get("eligible_posts")) or _m(comparison.get("all_posts"))
    stats = {"risky": 0, "thousand": 0}
    blocks: List[Block] = [("h2", SECTION_TITLES[6])]
    if not codes:
        blocks.append(("note", f"还没有加入备选岗位。目标是选出至少 {SHORTLIST_TARGET} 个你符合条件的岗位：先做资格查询，"
                               f"再在对话里说“加入备选 + 职位代码”。"))
        return blocks, stats
    rows = []
    for i, code in enumerate(codes, 1):
        p = by_code.get(code, {})
        where = "".join(x for x in (_t(p.get("unit")) or _t(p.get("organ")), _t(p.get("name"))) if x) or "—"
        ratio = _num(p.get("ratio"))
        risk = _risk(ratio, dist) if p else "未做竞争比对照"
        if ratio is not None and (ratio >= ONE_IN_A_THOUSAND or risk in ("竞争非常激烈", "偏热门")):
            stats["risky"] += 1
        if ratio is not None and ratio >= ONE_IN_A_THOUSAND:
            stats["thousand"] += 1
        openings = _int(p.get("openings"))
        applicants = _int(p.get("applicants"))
        pct = _num(p.get("percentile_eligible"))
        rows.append([str(i), code, where, str(openings) if openings is not None else "—",
                     str(applicants) if applicants is not None else "—", format_ratio(ratio),
                     f"{pct:g}%" if pct is not None else "—", risk, str(len(questions.get(code, [])))])
    blocks.append(("table", ["序号", "职位代码", "单位与职位", "招录", "报名", "竞争比", "热度位次", "风险提示", "提问"],
                   rows, [0.05, 0.21, 0.255, 0.055, 0.065, 0.08, 0.09, 0.14, 0.055]))
    notes = ["“热度位次”指在你符合条件的岗位中，竞争比不高于该岗位的岗位所占比例：越接近 100% 越热门。"]
    date = _t(comparison.get("date"))
    el, al = _m(comparison.get("eligible_posts")), _m(comparison.get("all_posts"))
    if el.get("median") is not None:
        s = f"你符合条件的 {el.get('posts')} 个有报名数据的岗位中，竞争比中位数为 {format_ratio(el['median'])}"
        if al.get("median") is not None:
            s += f"，全部岗位为 {format_ratio(al['median'])}"
        s += f"（报名数据截至 {date}）。" if date else "。"
        notes.insert(0, s)
    elif comparison and comparison.get("note"):
        notes.insert(0, _t(comparison.get("note")) + "。")
    elif not comparison:
        notes.insert(0, "还没有做竞争比对照：在对话里说“对比竞争比”，助手会把备选岗位和你能报的其他岗位放在一起比较。")
    blocks.append(("ul", notes))
    if stats["thousand"]:
        blocks.append(("p", f"风险提示：有 {stats['thousand']} 个备选岗位的竞争比达到 1000:1 以上，相当于千里挑一。"
                            "把希望寄托在这样的岗位上，胜算和抽奖差不多，建议至少换掉一部分。"))
    alt_items = []
    shown = set(codes)
    for code in codes:
        p = by_code.get(code, {})
        ratio = _num(p.get("ratio"))
        alts = [_m(a) for a in _l(p.get("alternatives")) if _t(_m(a).get("code")) not in shown]
        if not alts or ratio is None:
            continue
        if dist.get("median") is not None and ratio <= float(dist["median"]):
            continue
        picks = []
        for a in alts[:3]:
            shown.add(_t(a.get("code")))
            where = "".join(x for x in (_t(a.get("unit")) or _t(a.get("organ")), _t(a.get("name"))) if x)
            picks.append(f"{a.get('code')} {where}（{format_ratio(_num(a.get('ratio')))}，{_t(a.get('why')) or '同类'}）")
        alt_items.append(f"{code}（{format_ratio(ratio)}）可以换成：" + "；".join(picks))
    if alt_items:
        blocks.append(("h3", "竞争更小的替代岗位"))
        blocks.append(("ul", alt_items))
    return blocks, stats


def _next_steps(profile: Mapping[str, Any], interviews: List[Mapping[str, Any]], shortlist: List[Mapping[str, Any]],
                comparison: Mapping[str, Any], stats: Mapping[str, Any], interest: Optional[Mapping[str, Any]],
                self_analysis: Mapping[str, Any]) -> List[Block]:
    n = len(interviews)
    mine = _t(profile.get("major"))
    majors = [_t(i.get("major")) for i in interviews if _t(i.get("major"))]
    differ = sum(1 for m in majors if mine and m != mine)
    s1 = f"第一步 访谈往届考生：已完成 {n}/{INTERVIEW_TARGET}"
    if mine and majors:
        s1 += f"，其中 {differ} 人与你专业不同"
    if n >= INTERVIEW_TARGET:
        s1 += "，数量已达标。"
    else:
        s1 += f"，还差 {INTERVIEW_TARGET - n} 人。"
    if majors and mine and differ < max(1, len(majors) // 2):
        s1 += "访谈对象的专业还不够多样，多找几位和你专业不同的人聊聊他们是怎么选岗的。"
    elif n == 0:
        s1 += "每聊完一位，在对话里说“记录访谈”，把对方的专业、考试、岗位、结果和建议记下来。"
    k = len([s for s in shortlist if _t(s.get("post_code"))])
    ready = sum(1 for s in shortlist if len([q for q in _l(s.get("questions")) if _t(q)]) >= QUESTIONS_TARGET)
    s2 = f"第二步 选定备选岗位：已选 {k}/{SHORTLIST_TARGET}"
    if k:
        s2 += f"，其中 {ready} 个岗位已备好 {QUESTIONS_TARGET} 个以上的当面提问"
    s2 += "。" if k >= SHORTLIST_TARGET else f"，还需要再选 {SHORTLIST_TARGET - k} 个。"
    if k:
        s2 += "条件允许的话，带着提问清单亲自去招录单位问一问。"
    if comparison and _l(comparison.get("posts")):
        s3 = "第三步 竞争比对照：已完成。"
        if stats.get("risky"):
            s3 += f"有 {stats['risky']} 个备选岗位明显偏热，建议参考上面的替代岗位做调整。"
        else:
            s3 += "备选岗位的竞争程度总体适中，报名期间留意每天的报名人数变化。"
    else:
        s3 = "第三步 竞争比对照：还没做。选好备选岗位后，把它们和你能报的其他岗位、往年数据比一比，避开千里挑一的岗位。"
    items = [s1, s2, s3]
    if not interest:
        items.append("完成兴趣测评（12 道题），让职位类别的建议更有依据。")
    if not _m(self_analysis.get("answers")):
        items.append("完成自我分析，回答六个规划问题，梳理自己的优势和不足。")
    elif self_analysis.get("confirmed") is not True:
        items.append("确认或修改 SWOT 小结。")
    return [("h2", SECTION_TITLES[7]), ("ol", items)]


def _appendix(shortlist: List[Mapping[str, Any]]) -> List[Block]:
    blocks: List[Block] = []
    for s in shortlist:
        qs = [_t(q) for q in _l(s.get("questions")) if _t(q)]
        code = _t(s.get("post_code"))
        if qs and code:
            if not blocks:
                blocks.append(("h2", "附录：向招录单位当面提问清单"))
            blocks.append(("h3", f"职位 {code}"))
            blocks.append(("ol", qs))
    return blocks


def _blocks(case: Mapping[str, Any], agency: str, eligibility: Mapping[str, Any], comparison: Mapping[str, Any],
            facts: Mapping[str, Any], when: dt.datetime) -> List[Block]:
    profile = _m(case.get("profile"))
    sa = _m(case.get("self_analysis"))
    answers = _m(sa.get("answers"))
    swot = _m(sa.get("swot"))
    if not any(_l(swot.get(k)) for k in "SWOT") and (answers or facts):
        swot = build_swot(answers, profile, facts)
    interest = _interest(_m(case.get("interest_test")))
    shortlist = [_m(s) for s in _l(case.get("shortlist"))]
    interviews = [_m(i) for i in _l(case.get("interviews"))]
    blocks: List[Block] = [("h1", TITLE), ("p", f"服务机构：{agency}　　生成日期：{_date_zh(when)}")]
    blocks += _basic_info(profile, eligibility)
    blocks += _assessment(case, profile, interest, swot, answers, sa.get("confirmed"))
    pos, family = _positioning(profile, interest, eligibility, comparison, facts)
    blocks += pos
    blocks += _ability(swot, answers, case.get("study_plan"))
    blocks += _paths(family, interest)
    blocks += _training(family, interest, agency)
    sl_blocks, stats = _shortlist(shortlist, comparison)
    blocks += sl_blocks
    blocks += _next_steps(profile, interviews, shortlist, comparison, stats, interest, sa)
    blocks += _appendix(shortlist)
    blocks.append(("footer", f"本报告由{agency}于{_date_zh(when)}生成，依据你在对话中提供的信息和已导入的职位表数据，"
                             f"仅供职业规划参考；报考条件以当年招考公告和职位表为准。"))
    return blocks


# --------------------------------------------------------------------------- markdown
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def _md(text: str) -> str:
    t = re.sub(r"\s*\n\s*", " ", str(text)).strip()
    t = _MD_SPECIAL.sub(r"\\\1", t)
    # Line starts that Markdown would read as a heading, list item or rule.
    t = re.sub(r"^(#+|[-+=])(?=\s|$)", r"\\\1", t)
    return re.sub(r"^(\d+)([.)])(?=\s|$)", r"\1\\\2", t)


def _markdown(blocks: Sequence[Block]) -> str:
    out: List[str] = []
    for b in blocks:
        kind = b[0]
        if kind == "h1":
            out += [f"# {_md(b[1])}", ""]
        elif kind == "h2":
            out += [f"## {_md(b[1])}", ""]
        elif kind == "h3":
            out += [f"### {_md(b[1])}", ""]
        elif kind == "p":
            out += [_md(b[1]), ""]
        elif kind == "note":
            out += [f"*{_md(b[1])}*", ""]
        elif kind == "footer":
            out += ["---", "", _md(b[1]), ""]
        elif kind in ("ul", "ol"):
            for i, item in enumerate(b[1], 1):
                out.append(f"{i}. {_md(item)}" if kind == "ol" else f"- {_md(item)}")
            out.append("")
        elif kind == "table":
            header, rows = b[1], b[2]
            out.append("| " + " | ".join(_md(h) for h in header) + " |")
            out.append("|" + "|".join("---" for _ in header) + "|")
            for r in rows:
                out.append("| " + " | ".join(_md(c) or " " for c in r) + " |")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------- pdf
def _pdf(blocks: Sequence[Block], title: str, agency: str, when: dt.datetime) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas as rl_canvas
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    try:
        font, _ = fonts.register_font()
    except fonts.FontError as exc:
        raise ReportError(str(exc)) from exc

    def x(text: Any) -> str:
        return _xml_escape(fonts.sanitize(str(text))).replace("\n", "<br/>")

    green = colors.HexColor("#1a7f4b")
    grey = colors.HexColor("#666666")
    base = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK", spaceAfter=4)
    styles = {
        "h1": ParagraphStyle("h1", parent=base, fontSize=19, leading=26, alignment=TA_CENTER, spaceAfter=6,
                             textColor=colors.HexColor("#123d2a")),
        "h2": ParagraphStyle("h2", parent=base, fontSize=14.5, leading=20, spaceBefore=12, spaceAfter=6, textColor=green),
        "h3": ParagraphStyle("h3", parent=base, fontSize=12, leading=17, spaceBefore=6, spaceAfter=3,
                             textColor=colors.HexColor("#234")),
        "p": base,
        "note": ParagraphStyle("note", parent=base, textColor=grey, fontSize=10),
        "footer": ParagraphStyle("footer", parent=base, textColor=grey, fontSize=9, leading=14, spaceBefore=14),
        "meta": ParagraphStyle("meta", parent=base, alignment=TA_CENTER, textColor=grey, fontSize=10),
        "li": ParagraphStyle("li", parent=base, leftIndent=14, bulletIndent=3, bulletFontName=font,
                             bulletFontSize=12, spaceAfter=2),
        "oli": ParagraphStyle("oli", parent=base, leftIndent=16, bulletIndent=1, bulletFontName=font,
                              bulletFontSize=10.5, spaceAfter=2),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.8, leading=12.5, spaceAfter=0),
        "head": ParagraphStyle("head", parent=base, fontSize=9, leading=12.5, spaceAfter=0, textColor=colors.white),
    }
    width = A4[0] - 36 * mm
    story: List[Any] = []
    first_p = True
    for b in blocks:
        kind = b[0]
        if kind == "h1":
            story.append(Paragraph(x(b[1]), styles["h1"]))
        elif kind == "h2":
            story.append(Paragraph(x(b[1]), styles["h2"]))
        elif kind in ("h3", "note", "footer"):
            story.append(Paragraph(x(b[1]), styles[kind]))
        elif kind == "p":
            story.append(Paragraph(x(b[1]), styles["meta"] if first_p else styles["p"]))
            if first_p:
                story.append(Spacer(1, 4 * mm))
            first_p = False
        elif kind in ("ul", "ol"):
            items = list(b[1])
            for i, t in enumerate(items, 1):
                st = styles["li"] if kind == "ul" else styles["oli"]
                bullet = "·" if kind == "ul" else f"{i}."
                story.append(Paragraph(x(t), st, bulletText=bullet))
            story.append(Spacer(1, 2 * mm))
        elif kind == "table":
            header, rows, widths = b[1], b[2], b[3]
            data = [[Paragraph(x(h), styles["head"]) for h in header]]
            data += [[Paragraph(x(c), styles["cell"]) for c in r] for r in rows]
            t = Table(data, colWidths=[w * width for w in widths], repeatRows=1, hAlign="LEFT")
            t.setStyle(TableStyle([
                ("BACKGROUND", (0, 0), (-1, 0), green),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#b5c9bd")),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f1f7f3")]),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ]))
            story.append(t)
            story.append(Spacer(1, 3 * mm))
    # Keep headings together with the first flowable that follows them (a list's first item).
    kept: List[Any] = []
    i = 0
    while i < len(story):
        j = i
        while j < len(story) and isinstance(story[j], Paragraph) and story[j].style.name in ("h2", "h3"):
            j += 1
        if j > i and j < len(story):
            kept.append(KeepTogether(story[i:j + 1]))
            i = j + 1
        else:
            kept.append(story[i])
            i += 1

    header_left = fonts.sanitize(agency)
    header_right = fonts.sanitize(title)
    date_s = _date_zh(when)

    class NumberedCanvas(rl_canvas.Canvas):
        """Draws header, footer and "第 i / n 页" once the page count is known."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: List[Dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab API
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            w, h = A4
            self.saveState()
            self.setFont(font, 8.5)
            self.setFillColor(grey)
            self.drawString(18 * mm, h - 12 * mm, header_left)
            self.drawRightString(w - 18 * mm, h - 12 * mm, header_right)
            self.setStrokeColor(colors.HexColor("#b5c9bd"))
            self.setLineWidth(0.6)
            self.line(18 * mm, h - 14 * mm, w - 18 * mm, h - 14 * mm)
            self.drawCentredString(w / 2, 10 * mm, f"第 {self._pageNumber} / {total} 页")
            self.drawRightString(w - 18 * mm, 10 * mm, date_s)
            self.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=20 * mm,
                            bottomMargin=18 * mm, title=fonts.sanitize(title), author=fonts.sanitize(agency),
                            subject="个人职业生涯规划报告", creator=fonts.sanitize(agency), lang="zh-CN")
    doc.build(kept, canvasmaker=NumberedCanvas)
    return buf.getvalue()


# --------------------------------------------------------------------------- API
def build_report(case: Mapping[str, Any], *, agency_name: str, eligibility: Optional[Mapping[str, Any]] = None,
                 comparison: Optional[Mapping[str, Any]] = None, generated_at: Optional[dt.datetime] = None,
                 facts: Optional[Mapping[str, Any]] = None) -> Report:
    """The personal career-planning report of ``case`` (the dict of ``coach cases show --json``).

    ``eligibility``: the case's eligibility entry or ``EligibilityReport.to_dict()``
    (``exam``, ``year``, ``counts``; default: ``case["eligibility"]``). ``comparison``: the
    dict of :func:`bot.positions.api.compare_posts` for the shortlist (ratios, risks,
    alternatives). ``facts``: optionally :func:`bot.coaching.swot.market_facts` (demand for
    the major, age limit) for the positioning. Missing parts of the case are reported as
    still to do. Raises :class:`ReportError` for a case that is not a dict, an empty agency
    name, or when no CJK font can be embedded."""
    if not isinstance(case, Mapping):
        raise ReportError("生成报告需要一个案例（case_json 返回的字典）")
    agency = _t(agency_name)
    if not agency:
        raise ReportError("生成报告需要服务机构名称（agency_name）")
    when = generated_at if isinstance(generated_at, dt.datetime) else dt.datetime.now()
    if eligibility is not None and not isinstance(eligibility, Mapping) and hasattr(eligibility, "to_dict"):
        eligibility = eligibility.to_dict()  # an EligibilityReport
    elig = _m(eligibility) or _m(case.get("eligibility"))
    blocks = _blocks(case, agency, elig, _m(comparison), _m(facts), when)
    markdown = _markdown(blocks)
    pdf = _pdf(blocks, TITLE, agency, when)
    return Report(markdown=markdown, pdf=pdf, title=TITLE, generated_at=when)
