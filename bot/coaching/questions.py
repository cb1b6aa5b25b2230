"""Questions to ask a recruiting unit in person (step 2 of the exam strategy).

:func:`questions_for_post` builds, for one post in the shape of
:func:`bot.positions.api.get_post`, first the questions that come from the post itself —
the exact major wording (with the student's degree title where a ``仅限`` narrowing
decides), grass-roots experience, the target group (fresh graduates, service-programme
people, veterans), physical and fitness tests, household registration or origin,
political status, certificates, every clause of the remarks (avoidance, minimum service
years, travel, duty rotas, work place, allocation after hiring, field work, remote
locations …), the duties described and the number of openings — and then completes the
list from ``knowledge/question_bank.yml`` without repeating a topic. The order is fixed,
so the same post and profile always give the same list.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any, Dict, List, Mapping, Optional, Tuple

from bot.knowledge import load_yaml

__all__ = ["QuestionsError", "MIN_QUESTIONS", "questions_for_post", "bank"]

MIN_QUESTIONS = 10
DEFAULT_LIMIT = 15
QUOTE_CHARS = 48


class QuestionsError(ValueError):
    """The post cannot be read (message for the user)."""


@lru_cache(maxsize=1)
def bank() -> Tuple[Tuple[str, str], ...]:
    """``(topic, question)`` pairs of the general bank, in file order."""
    data = load_yaml("question_bank.yml") or {}
    out = []
    seen = set()
    for q in data.get("questions") or []:
        topic, text = str(q.get("topic") or "").strip(), str(q.get("text") or "").strip()
        if topic and text and topic not in seen:
            seen.add(topic)
            out.append((topic, text))
    if len(out) < MIN_QUESTIONS:
        raise RuntimeError(f"knowledge/question_bank.yml needs at least {MIN_QUESTIONS} topics")
    return tuple(out)


def _s(x: Any) -> str:
    if x is None or isinstance(x, bool):
        return ""
    return unicodedata.normalize("NFC", str(x)).strip()


def _quote(text: str, limit: int = QUOTE_CHARS) -> str:
    t = re.sub(r"\s+", " ", text).strip().strip("。；;，,").replace(",", "，").replace(";", "；")
    return t if len(t) <= limit else t[: limit - 1] + "…"


_NONE_WORDS = {"", "无", "无要求", "不限", "否", "无限制", "/", "-", "—"}


def _level(profile: Mapping[str, Any]) -> Optional[str]:
    edu = _s(profile.get("education"))
    if not edu:
        return None
    if any(w in edu for w in ("博士", "硕士", "研究生")):
        return "研究生"
    if "本科" in edu or edu == "学士":
        return "本科"
    if any(w in edu for w in ("大专", "专科", "高职")):
        return "专科"
    return None


def _major_segments(req: Mapping[str, Any]) -> Dict[str, str]:
    """Major text per level: ``{"本科": …, "研究生": …}``; ``{"": text}`` when not split."""
    segs: Dict[str, str] = {}
    for key, level in (("major_college", "专科"), ("major_undergrad", "本科"), ("major_graduate", "研究生")):
        v = _s(req.get(key))
        if v:
            segs[level] = v
    text = _s(req.get("major"))
    if text:
        parts = re.split(r"(专科|本科|研究生)\s*[：:]", text)
        if len(parts) > 1:
            for i in range(1, len(parts) - 1, 2):
                v = parts[i + 1].strip().strip("；;。 ")
                if v:
                    segs.setdefault(parts[i], v)
        else:
            segs.setdefault("", text)
    return segs


def _narrowed_item(seg: str) -> Optional[str]:
    """The list entry carrying a 仅限 narrowing, e.g. ``工商管理学（1202，仅限会计学、财务管理）``."""
    m = re.search(r"[^，,；;、]*?[（(][^（）()]*仅限[^（）()]*[）)]", seg)
    if m:
        return m.group(0).strip()
    m = re.search(r"仅限[^，,；;。]*", seg)
    return m.group(0).strip() if m else None


def _degree_word(profile: Mapping[str, Any]) -> str:
    deg = _s(profile.get("degree"))
    if deg and deg not in ("无", "没有"):
        return deg if deg.endswith("学位") else f"{deg}学位"
    lvl = _s(profile.get("education"))
    return {"本科": "学士学位", "硕士研究生": "硕士学位", "博士研究生": "博士学位"}.get(lvl, "")


def _major_questions(req: Mapping[str, Any], profile: Mapping[str, Any]) -> List[Tuple[str, str]]:
    segs = _major_segments(req)
    if not segs:
        return []
    level = _level(profile)
    major = _quote(_s(profile.get("major")), 20)
    out: List[Tuple[str, str]] = []
    if level and level in segs:
        seg = segs[level]
    elif level and "" not in segs:
        listed = "、".join(k for k in segs if k)
        only = next(iter(segs.values())).strip() if len(segs) == 1 else ""
        if only in _NONE_WORDS or re.fullmatch(r"不限(专业)?", only):
            out.append(("major", f"职位的{listed}专业栏写的是“不限”，没有写{level}的要求，我以{level}学历报考，"
                                 f"专业还会受限制吗？"))
            return out
        out.append(("major", f"职位只列了{listed}阶段的专业要求，我是{level}学历，审核时是看我的{level}专业，"
                             f"还是看我前一阶段所学的专业？"))
        return out
    else:
        seg = segs.get("") or next(iter(segs.values()))
    if seg.strip() in _NONE_WORDS or re.fullmatch(r"不限(专业)?", seg.strip()):
        return out
    narrowed = _narrowed_item(seg)
    if narrowed:
        if major:
            deg = _degree_word(profile)
            who = f"我的{deg}证书上" if deg else "我的学位证书上"
            out.append(("major", f"专业要求里写着“{_quote(narrowed)}”，{who}的专业名称是“{major}”，"
                                 f"这算在“仅限”的范围内吗？需要另外提供成绩单或培养方案来证明吗？"))
        else:
            out.append(("major", f"专业要求里写着“{_quote(narrowed)}”，学位证书上的专业名称必须和“仅限”后面的"
                                 f"写法完全一致吗？相近的研究方向能不能报？"))
    elif major:
        out.append(("major", f"我的专业是“{major}”，和职位要求的“{_quote(seg)}”对得上吗？如果学位证上的专业名称"
                             f"和专业目录的写法不完全一样，以哪个为准？"))
    else:
        out.append(("major", f"职位的专业要求是“{_quote(seg)}”，如果学位证上的专业名称和专业目录的写法不完全一样，"
                             f"审核时以哪个为准？"))
    return out


def _clauses(text: str) -> List[str]:
    t = _s(text)
    if not t:
        return []
    t = re.sub(r"(?:^|(?<=[。；;\s]))[（(]?\d{1,2}[.．、)）]", "\n", t)
    return [c.strip(" ，,") for c in re.split(r"[\n。；;]+", t) if c.strip(" ，,")]


def _remark_questions(remarks: str, profile: Mapping[str, Any]) -> List[Tuple[str, str]]:
    out: List[Tuple[str, str]] = []
    for c in _clauses(remarks):
        if re.search(r"咨询电话|^\d[\d\-－—、，, ]+$", c):
            continue
        if re.search(r"夫妻关系|直系血亲|旁系血亲|近姻亲|回避", c):
            out.append(("avoidance", "备注里有回避的要求：如果我有亲属在本系统的其他单位工作（不在招录单位本身），"
                                     "也需要回避吗？报名时要不要主动说明？"))
        elif "纪检监察" in c and "近亲属" in c:
            out.append(("discipline", "备注写着近亲属是纪检监察机关重点监督对象或在本级纪检监察机关工作的不能报考，"
                                      "这里的“近亲属”具体包括哪些人？"))
        elif "律师" in c:
            out.append(("lawyer", f"备注写着“{_quote(c, 30)}”，其他亲属（比如兄弟姐妹）做律师有没有影响？"))
        elif re.search(r"国（境）外|国\(境\)外|境外|政治考察", c):
            out.append(("overseas", "备注对在国（境）外连续生活六个月以上的经历有要求：短期交换、访学或出国旅游算不算？"
                                    "政治考察具体要准备什么材料？"))
        elif re.search(r"最低服务", c):
            m = re.search(r"(\d+)\s*年", c)
            years = f" {m.group(1)} 年" if m else ""
            out.append(("service_years", f"备注要求在本机关最低服务{years}，这个期限从哪天开始算？服务期内能参加遴选、"
                                         f"考调或者借调吗？"))
        elif "出差" in c:
            out.append(("travel", f"备注说“{_quote(c, 30)}”，一般一个月出差几天？主要去哪些地方？"))
        elif re.search(r"值班|值守|24\s*小时|夜班", c):
            out.append(("overtime", f"岗位需要“{_quote(c, 36)}”，值班大概多久轮一次？值班后能不能补休？"))
        elif re.search(r"工作地点|地点为|乡镇基层所", c):
            out.append(("location", f"备注写着“{_quote(c, 40)}”，具体会在哪个乡镇或站所？交通和住宿怎么解决？"))
        elif re.search(r"统筹分配|统一分配|服从.*分配|分配到|依次选择职位|确定岗位", c):
            out.append(("allocation", f"备注说“{_quote(c, 40)}”，分配的规则是什么？是按综合成绩依次选岗吗？"
                                      f"可能分到哪些单位？"))
        elif re.search(r"野外|高楼|高塔|高山|井下|抢险|救援|应急处置", c):
            out.append(("field", f"岗位需要“{_quote(c, 36)}”，安全防护怎么保障？有没有相应的津贴补贴？"))
        elif re.search(r"边远|偏远|山区", c):
            out.append(("remote", "单位地处边远山区，平时交通、住宿和生活补贴方面有什么安排？"))
        elif re.search(r"体能测评", c):
            out.append(("fitness", "这个职位要参加体能测评，具体测哪些项目、合格标准是多少？没通过能不能补测？"))
        elif re.search(r"^从事.+工作$", c):
            out.append(("work_content", f"备注说这个职位“{_quote(c, 36)}”，入职后哪项任务占的比重最大？"
                                        f"新人多久能独立上手？"))
    return out


def questions_for_post(post: Mapping[str, Any], profile: Optional[Mapping[str, Any]] = None, *,
                       limit: int = DEFAULT_LIMIT) -> List[str]:
    """At least 10 concrete questions (``limit`` caps the total, never below 10) for the
    recruiting unit of ``post`` (the dict of :func:`bot.positions.api.get_post`), phrased
    as the student would ask them. Post-specific questions come first, then the general
    bank; no topic is asked twice. Raises :class:`QuestionsError` when ``post`` is not a
    post dict."""
    if not isinstance(post, Mapping):
        raise QuestionsError("需要一个职位（get_post 返回的职位字典），才能为它准备问题")
    if not any(post.get(k) for k in ("code", "name", "organ", "requirements")):
        raise QuestionsError("职位信息是空的，请先选定一个职位代码")
    prof: Mapping[str, Any] = profile if isinstance(profile, Mapping) else {}
    req = post.get("requirements")
    req = req if isinstance(req, Mapping) else {}
    other = _s(req.get("other"))
    remarks = _s(req.get("remarks"))
    target = _s(req.get("target_group"))
    try:
        year = int(post.get("year")) if post.get("year") is not None else None
    except (TypeError, ValueError):
        year = None

    qs: List[Tuple[str, str]] = []
    qs += _major_questions(req, prof)
    if "主修专业" in other:
        qs.append(("major_minor", "职位写着“限主修专业报考”，我辅修的专业或者第二学位能不能作为报考专业？"))

    grass = _s(req.get("grassroots_experience"))
    grass_text = grass if grass not in _NONE_WORDS else ("" if "基层工作经历" not in target else target)
    if grass_text:
        exp = prof.get("experience_years")
        try:
            exp_f = float(exp) if exp is not None else None
        except (TypeError, ValueError):
            exp_f = None
        mine = f"我有 {exp_f:g} 年基层工作经历，" if exp_f else ""
        qs.append(("grassroots", f"职位要求“{_quote(grass_text, 30)}”，{mine}哪些经历能算进去？实习、志愿服务或劳务派遣算不算？"
                                 f"年限计算到哪一天为止？"))

    if "应届" in target:
        gy = prof.get("grad_year")
        if gy and year and str(gy).isdigit() and int(gy) < year:
            qs.append(("fresh", f"职位只招“{_quote(target, 30)}”，我是 {gy} 年毕业的，毕业后一直没有落实工作单位，"
                                f"还在择业期内，能按应届毕业生报考吗？户口和档案要放在哪里才算？"))
        elif gy:
            qs.append(("fresh", f"职位只招“{_quote(target, 30)}”，我 {gy} 年毕业，毕业证和学位证最晚要在什么时间之前"
                                f"拿到？报名时需要提供学校的什么证明？"))
            qs.append(("materials", ""))  # the bank's materials question is covered
        else:
            qs.append(("fresh", f"职位只招“{_quote(target, 30)}”，择业期内还没有落实工作单位的往届毕业生能报吗？"
                                f"户口和档案要放在哪里才算应届生？"))
    special = re.search(r"项目|退役|两委|事业编制|村（社区）|主职干部", target) or \
        re.search(r"服务基层项目人员|退役士兵|退役军士", other)
    if special:
        src = target if re.search(r"项目|退役|两委|事业编制|村|主职干部", target) else other
        qs.append(("special_group", f"职位限“{_quote(src, 40)}”报考，服务年限和考核合格具体怎么认定？需要提交哪些证明材料？"))

    fitness = _s(req.get("fitness_test"))
    if fitness == "是" or "体能测评" in remarks:
        qs.append(("fitness", "这个职位要参加体能测评，具体测哪些项目、合格标准是多少？没通过能不能补测？"))
    pe = _s(req.get("physical_exam"))
    if pe and re.search(r"警察|特殊|专项", pe):
        qs.append(("physical", f"体检是“{_quote(pe, 30)}”，对视力、色觉、身高体重有哪些具体要求？"
                               f"戴眼镜或做过近视手术有没有影响？"))

    hukou_src = next((c for c in re.split(r"[；;。]", f"{other}；{target}；{remarks}") if re.search(r"户籍|生源", c)), "")
    if hukou_src:
        mine = _s(prof.get("hukou"))
        mine_s = f"我的户籍在{_quote(mine, 20)}，" if mine else ""
        qs.append(("hukou", f"职位写着“{_quote(hukou_src, 36)}”，{mine_s}生源地是按高考报名地还是户口所在地认定？"
                            f"需要什么证明？"))

    pol = f"{_s(req.get('political_status'))}；{other}"
    if "中共党员" in pol and "非中共党员" not in pol:
        if _s(prof.get("political_status")) in ("中共预备党员", "预备党员"):
            qs.append(("political", "职位要求中共党员，我现在是中共预备党员，可以报吗？转正时间有没有要求？"))
        else:
            qs.append(("political", "职位要求中共党员，资格复审时要提供党组织出具的什么证明？对党龄有没有要求？"))
    if re.search(r"法律职业资格", other):
        qs.append(("certificate", "职位要求法律职业资格证书，如果报名时已经通过考试、证书还没发下来，可以报吗？"
                                  "A 证、C 证有区别吗？"))

    qs += _remark_questions(remarks, prof)

    desc = _s(post.get("description"))
    if desc:
        qs.append(("work_content", f"职位简介写的是“{_quote(desc, 40)}”，入职后哪项工作占的比重最大？新人多久能独立上手？"))

    openings = post.get("openings")
    try:
        n = int(openings) if openings is not None else None
    except (TypeError, ValueError):
        n = None
    if n and n >= 2:
        qs.append(("openings", f"这个职位招 {n} 个人，录用后大家在同一个科室，还是会分到不同的岗位？"))
    elif n == 1:
        qs.append(("cutoff", "这个职位只招 1 个人，往年同类职位进面试的笔试分数大概是多少？"))

    parsed = post.get("parsed")
    conds = parsed.get("conditions") if isinstance(parsed, Mapping) else None
    for k, c in enumerate(conds or []):
        c = _s(c)
        if c.startswith("待人工核对："):
            text = c.split("：", 1)[1]
            qs.append((f"unparsed{k}", f"职位表里“{_quote(text, 40)}”这一条具体是什么要求？我需要准备什么材料来证明？"))

    # Post-specific first (dedupe topics and texts), then the bank.
    out: List[str] = []
    topics: set = set()
    for topic, text in list(qs) + list(bank()):
        if topic in topics:
            continue
        topics.add(topic)
        if text and text not in out:
            out.append(text)
    cap = max(int(limit) if isinstance(limit, int) and not isinstance(limit, bool) else DEFAULT_LIMIT,
              MIN_QUESTIONS)
    return out[:cap]
