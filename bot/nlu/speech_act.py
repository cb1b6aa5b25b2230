"""What a message does, read from its wording: a question, a request, a statement.

A classifier says what a message is *about*; these rules say what the student *does* with
it. "面试要单位同意报考证明，怎么办？" is about an interview but asks a question, so it
must not start the form that logs an interview with a past candidate. Facts inside a
question ("会计学能报吗", "如果我是专科") are not corrections of the profile; facts the
student states about themself inside a question ("我是本科，27了还来得及吗") are offered
for the profile, not written silently.

Everything here is a pure function of the text (and entity offsets), shared by the NLU
gate (bot/nlu/gate.py) and the actions. Text is folded (traditional → simplified,
full-width → ASCII) before matching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from bot.textnorm import fold

# -- questions ------------------------------------------------------------------------------

_QUESTION = re.compile(
    r"[?？]|吗|呢|什么|怎么|怎样|咋|啥|如何|哪|几[个年岁次天月分种门类级]|多少|多久|多长|多大|多高|是否|能否|"
    r"能不能|可不可以|可以不|会不会|有没有|是不是|要不要|该不该|行不行|好不好|算不算|够不够|难不难|"
    r"值不值|有必要|来得及|为何|为什么|为啥|请问|求问|想问|问一下|问下|咨询一下|难吗|能报|能考|可以报|可以考|"
    # "严不严", "认不认", "多不多": the A-not-A question; "……这条路不", "……可以不": a trailing 不/没
    r"([\u4e00-\u9fa5])(?<!不)不\1|(?<=[\u4e00-\u9fa5]{3})[不没][?？。!！~～]*$")
# "这么多岗位", "那么难" are not questions: 么 alone does not count; "什么" etc. do.

_POLITE_REQUEST = re.compile(
    r"(帮|给|替|为)(我|俺|咱)|我(要|想要|想|需要|得|准备|打算)(现在)?(就)?(去|来)?(做|开始|记|生成|导出|删|投诉|评价|打分|"
    r"找|转|加|收藏|重新|看看|查|测|进行|提交|登记|录)|请(你|您)?(帮|给|把|为)|麻烦(你|您)?|能不能(帮|给|替)|可以(帮|给|替)|"
    r"能(帮|给|替)|开始|启动|来(一份|个|一个|一下)|现在就|马上|立刻|直接(给|帮|做|生成|删)")


def is_question(text: str) -> bool:
    return bool(_QUESTION.search(fold(text or "")))


def is_polite_request(text: str) -> bool:
    """"帮我…", "我要…", "请…", "能不能帮我…": asks the assistant to do something."""
    return bool(_POLITE_REQUEST.search(fold(text or "")))


# -- the civil-service path, by name ----------------------------------------------------------

# Words that put a message on the civil-service path whatever else it says: a message that
# names them is about the path (maybe loosely), never out of domain. (The real out-of-domain
# corpora are filtered to hold none of them, so the gate cannot learn this rule by itself.)
DOMAIN_TERMS = re.compile(
    r"公务员|公务猿|考公|公考|国考|省考|联考|申论|行测|选调|遴选|事业单位|事业编|参公|体制内|政审|军队文职|三支一扶|"
    r"西部计划|大学生村官|公务员局|招录|职位表|报录比|进面|编制内|考编|国家公务|gwy", re.IGNORECASE)


def names_the_path(text: str) -> bool:
    return bool(DOMAIN_TERMS.search(fold(text or "")))


# -- explicit requests for actions that start a flow or write to the case ------------------

# An intent in this table may start its flow or write to the case only when the message
# asks for that in so many words. Without its cue the message is about something else
# (a question that shares words with the request), and is answered or clarified instead.
ACTION_CUES: Dict[str, re.Pattern] = {
    "log_candidate_interview": re.compile(
        r"记录|记一下|记下|登记|录入|录一下|访谈|采访|访问了|聊(了|过|完)|谈(了|过|完)|问(了|过)(一|两|三|几)?(位|个)|"
        r"交流(了|过)|(跟|和|与|同).{0,10}(学长|学姐|师兄|师姐|前辈|考生|上岸|过来人|公务员|在职|朋友|同学|老乡).{0,6}"
        r"(聊|谈|交流|问|打听|请教)|过来人|interview"),
    "complain": re.compile(
        r"投诉|举报|不满|太差|很差|真差|差劲|垃圾|辣鸡|气死|什么破|破(机器人|玩意|服务|系统|东西)|什么玩意|烂透|太烂|坑人|坑爹|"
        r"骗人|骗子|骗钱|退钱|退款|没用的|没啥用|毫无用处|答非所问|乱答|乱回|胡说|瞎说|敷衍|态度|差评|失望|生气|恼火|受不了|"
        r"不靠谱|智障|弱智|废物|浪费(我的)?时间|complain"),
    "give_feedback": re.compile(
        r"评价|打分|(给|打|来).{0,6}评分|评分.{0,2}(给|打)|反馈|满意|好评|差评|打(个|一个)?(分|星)|[1-5一二三四五](颗)?星|(给|打)(你们?|这个?)?.{0,3}[1-5一二三四五]分|"
        r"体验(很|挺|不错|还行|一般|不好|太)|建议你们|给你们提|意见|feedback|点赞|好用|挺有用|很有用|有帮助|帮助很大|帮了大忙|"
        r"不好用|不太好用|没帮助"),
    "request_counselor": re.compile(
        r"人工|真人|活人|转接|(转|找|要|接|换|联系|叫|请|约|跟|和|让).{0,5}(顾问|老师|客服|咨询师|专家|工作人员|辅导员|规划师)|"
        r"(顾问|老师|客服|咨询师|规划师)(在吗|呢|联系我|打电话|回电|给我)|human|counselor|agent"),
    "shortlist_post": re.compile(
        r"(加|放|列|纳|存|添|记)(入|进|到|上)?.{0,8}(备选|清单|名单|意向|列表|候选|收藏|shortlist)|加入|收藏|就(报|选)(这个|它|这|第)|"
        r"选(这个|它|第)|报这个|定(这个|了这|下)|关注这个|(加|添)(上|一下)?(这个|它|第.个)|(这个|它).{0,4}(加|添|放|收藏)|"
        r"(加|放|添|收|存)(进去|进来|上去)|也(加|要|选|收藏)|shortlist"),
    "delete_my_data": re.compile(
        r"(删除|删掉|删了|删|清除|清空|注销|抹掉|销毁|移除|擦除).{0,8}(数据|资料|信息|记录|档案|聊天|个人|我的|账号|痕迹)|"
        r"(数据|资料|信息|记录|档案|聊天记录|账号).{0,6}(删除|删掉|删了|删|清除|清空|注销|抹掉|销毁)|删号|忘掉我|forget me|delete"),
    "restart": re.compile(r"重新开始|重来|从头(开始|再来|来)?|重启|restart|reset|重置|再来一(遍|次|回)|推倒重来|清零"),
    # The student's own report: asked for with a verb or as theirs, not any "…报告" named
    # in passing ("半年总结报告", "政府工作报告", "cma报告").
    "get_report": re.compile(
        r"^\W*((做|写|出|要)(个|一份|份)?)?报告|报告.{0,3}(给我|发我)|(我|俺|自己)的.{0,6}报告|(产生|產生|打印|输出|整理|"
        r"汇总|做成|写成|出|给我|发|要|来|看|查看|拿|把|打开|预览|更新|最终|个人|规划|版|份).{0,8}报告|规划书|生成|导出|pdf|"
        r"下载|下載|总结一下我|总结文档|汇总成|出(一)?(份|个)(规划|方案|总结)|report"),
}

# Intents that start a flow without writing anything yet: a question about them counts
# as a request when it is about the student ("我能报哪些岗位？").
FLOW_CUES: Dict[str, re.Pattern] = {
    "check_my_eligibility": re.compile(
        r"(我|俺|本人|自己).{0,10}(能|可以|可|够|符合|适合|有资格|合适)?.{0,4}(报|考|申请)|(查|看|筛|找|匹配|核对|对照|搜|列).{0,8}"
        r"(岗|职位)|能报(哪|什么|几|多少)|(报|考)(哪些|什么)(岗|职位)|符合条件的|资格(核对|审查|自查)|eligib"),
    "start_interest_test": re.compile(r"测(一下|一测|测|试一下)|做.{0,4}(测试|测评|题)|开始.{0,4}(测|试)|霍兰德|holland|riasec|兴趣(测|测试|测评)"),
    "start_self_analysis": re.compile(r"(做|开始|来|进行|帮我|带我).{0,6}(自我分析|swot|剖析|认识自己|职业规划|生涯规划)|自我分析|swot|"
                                      r"分析(一下)?(我|自己)|我.{0,4}适合(什么|哪)"),
    "ask_exam_strategy": re.compile(r"(怎么|如何|该|应该|帮我).{0,6}(选岗|报考|选|备考|准备|规划|打算)|策略|三步|方法|攻略|思路|strategy|步骤"),
    "make_study_plan": re.compile(r"计划|安排|规划|排(一)?(个|下|一下|排)|时间表|进度表|日程|课表|怎么复习|怎么学|分配|"
                                  r"plan|schedule"),
    # Resuming with nothing paused starts the intake: only when the student says so.
    "resume": re.compile(r"继续|接着|接著|繼續|接上|续上|接茬|恢复|(回到|返回).{0,4}(刚才|之前|上次|原来|正题|问卷|表|测试|问题|填)|"
                         r"(刚才|刚刚|之前|上次).{0,8}(填|说|聊|做|问|题|问卷|表)|填完|做完|答完|没填完|剩下|补(完整|充|全)|"
                         r"(更新|改|修改|重新填|补).{0,6}(资料|信息|档案)|资料.{0,6}更新|回来了|go on|continue|keep going|carry on|resume"),
    "compare_ratios": re.compile(r"比(较|一比|一下|比)|对比|竞争|报录比|(几|多少)(个)?人(报|竞争|抢)|比例|热门|冷门|难度|ratio"),
}

GUARDED_INTENTS = frozenset(ACTION_CUES)
# Flows that start a questionnaire: a question about them is not yet a request to start.
QUESTIONNAIRES = frozenset({"start_interest_test", "start_self_analysis", "make_study_plan"})


def has_cue(intent: str, text: str) -> bool:
    cue = ACTION_CUES.get(intent) or FLOW_CUES.get(intent)
    return bool(cue and cue.search(fold(text or "")))


@dataclass(frozen=True)
class Act:
    """The verdict on a predicted intent: keep it, or not without asking."""

    keep: bool
    ask: bool = False     # keep only after a one-tap confirmation ("你是想……吗？")
    reason: str = ""


def judge(intent: str, text: str) -> Act:
    """May ``intent`` (the classifier's guess) run for this wording?

    * Action intents (write to the case or end something) need their cue. With the cue, a
      question that is not a polite request ("报告里有什么内容？") is confirmed first.
    * Flow intents need their cue, or a statement; a question about the student counts.
    * Everything else runs as predicted.
    """
    t = fold(text or "").strip()
    if not t or t.startswith("/"):
        return Act(True)
    if intent in ACTION_CUES:
        if not ACTION_CUES[intent].search(t):
            return Act(False, reason="no_cue")
        if is_question(t) and not is_polite_request(t) and intent not in ("complain", "request_counselor", "give_feedback"):
            return Act(False, ask=True, reason="question_about_action")
        return Act(True)
    if intent in FLOW_CUES:
        cue = FLOW_CUES[intent].search(t)
        if is_polite_request(t) and (cue or intent not in QUESTIONNAIRES):
            return Act(True)
        if not cue:
            # "优缺点帮我分析分析" asks about the job, not for the self-analysis questionnaire.
            return Act(False, ask=True, reason="no_cue")
        if intent in QUESTIONNAIRES and is_question(t) and not _FIRST_PERSON.search(t):
            # "兴趣测试准吗？" asks about the test; "我能报哪些岗位？" asks for the check, and
            # "备考策略怎么做" for the strategy (showing it is the answer).
            return Act(False, ask=True, reason="question_about_flow")
        return Act(True)
    return Act(True)


# -- clauses, persons and hypotheticals ------------------------------------------------------

_CLAUSE_BREAK = re.compile(r"[，,。.!！?？;；…~～\n]+|\s{2,}|但是|不过|可是|然后|所以|而且|另外|还有")
_HYPOTHETICAL = re.compile(r"如果|假如|假设|要是|万一|比如|例如|若是|倘若|假使|比方|哪怕|即使|就算|假若|如若|设想")
_OTHERS = re.compile(
    r"(朋友|同学|室友|舍友|表[哥姐弟妹]|堂[哥姐弟妹]|哥哥|姐姐|弟弟|妹妹|老公|老婆|丈夫|妻子|男朋友|女朋友|男友|女友|对象|"
    r"孩子|儿子|女儿|闺女|亲戚|同事|学长|学姐|师兄|师姐|老乡|邻居|侄子|侄女|外甥|爸|妈|父亲|母亲|他|她|别人|有人|有个人|"
    r"某人|有的人|人家|考生|师弟|师妹|领导)")
_FIRST_PERSON = re.compile(r"我|俺|本人|咱|自己|鄙人")
_SELF_STATEMENT = re.compile(
    r"(我|俺|本人|鄙人)(是|今年|目前|现在|已经|刚|也是|属于|本科|硕士|研究生|专科|大专|博士|学的|读的|念的|专业|的专业|"
    r"毕业|\d|[一二三四五六七八九十两]|还是|今|在|党员|团员|预备|群众|在职|工作|干了|做了|想|打算|准备|计划|目标|要)")


@dataclass(frozen=True)
class Clause:
    start: int
    end: int
    text: str

    @property
    def question(self) -> bool:
        return is_question(self.text)

    @property
    def hypothetical(self) -> bool:
        return bool(_HYPOTHETICAL.search(self.text))

    @property
    def about_others(self) -> bool:
        return bool(_OTHERS.search(self.text))

    @property
    def first_person(self) -> bool:
        return bool(_FIRST_PERSON.search(self.text))

    @property
    def self_statement(self) -> bool:
        if self.about_others and not re.search(r"(我|俺|本人)(是|今年|也|自己)", self.text):
            return False
        return bool(_SELF_STATEMENT.search(self.text)) and not self.hypothetical


def clauses(text: str) -> List[Clause]:
    t = fold(text or "")
    out: List[Clause] = []
    pos = 0
    for match in _CLAUSE_BREAK.finditer(t):
        if match.start() > pos:
            out.append(Clause(pos, match.start(), t[pos:match.start()]))
        pos = match.end()
    if pos < len(t):
        out.append(Clause(pos, len(t), t[pos:]))
    # A break mark belongs to the clause before it: "会计学能报吗？" keeps its question mark.
    if out:
        fixed = []
        for i, clause in enumerate(out):
            end = out[i + 1].start if i + 1 < len(out) else len(t)
            fixed.append(Clause(clause.start, end, t[clause.start:end]))
        out = fixed
    return out or [Clause(0, len(t), t)]


def clause_at(cls: Sequence[Clause], offset: int) -> Optional[Clause]:
    for clause in cls:
        if clause.start <= offset < clause.end:
            return clause
    return cls[-1] if cls else None


# Roles the gate gives to profile entities: a slot mapping without a role ignores them.
MENTIONED = "mentioned"   # in a question, a hypothetical or about someone else: not the profile
OFFERED = "offered"       # stated by the student about themself inside a question: offer it
FOLLOWUP = "followup"     # "那湖北的呢": the target of a follow-up, not a profile change
PARAMETER = "parameter"   # "看湖北省考2026的岗位": the parameter of a request

PROFILE_ENTITIES = ("age", "education", "major", "political_status", "grad_year", "experience_years",
                    "location", "exam")
TARGET_ENTITIES = ("location", "exam")

_TARGET_STATEMENT = re.compile(
    r"(我|俺|本人).{0,8}(想|打算|准备|计划|要|会|决定|考虑|倾向|目标|意向|主攻|只)?.{0,3}(考|报|去|留|回|在|选)|"
    r"目标(是|就是|定在|放在)?|意向(地区|考试|是)?|主攻|就考|只考|改(考|报)|换(考|报)|定(了)?(考|报)")


_FILLER = re.compile(r"[\s,，。.!！~～、/|;；:：()（）\-]|吧|呀|啊|哦|噢|嘛|的|了|是|我|俺|本人|今年|目前|现在|已经|专业|学历|毕业|"
                     r"届|岁|周岁|年|和|跟|还有|也|都|就|在|读|学|念|然后|嗯|额|呃|对|不对|哈")


def _remainder(text: str, spans: Iterable[Tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(max(0, start), min(len(chars), end)):
            chars[i] = " "
    return _FILLER.sub("", "".join(chars))


def entity_role(text: str, entity: Dict, *, intent: Optional[str] = None,
                others: Sequence[Dict] = ()) -> Optional[str]:
    """The role of one profile entity in ``text``, or None when it is the student's own fact.

    A message that is (almost) only the value ("本科", "会计学吧") answers a question and keeps
    no role. Otherwise the clause holding the entity decides: about someone else or
    hypothetical → mentioned; a question without the student stating it → mentioned; the
    student stating it inside a message that asks something → offered.
    """
    t = fold(text or "")
    start = int(entity.get("start") or 0)
    value = t[start:int(entity.get("end") or start)]
    spans = [(int(e.get("start") or 0), int(e.get("end") or 0)) for e in list(others) or [entity]]
    rest = _remainder(t, spans)
    if len(rest) <= 4 and not re.search(r"[?？吗呢那]", rest) and not is_question(rest) and not _HYPOTHETICAL.search(t) \
            and not _OTHERS.search(t):
        return None  # a bare answer, or a list of facts ("本科，会计学，24岁")
    cls = clauses(t)
    clause = clause_at(cls, start)
    if clause is None:
        return None
    kind = entity.get("entity")
    if clause.hypothetical or (clause.about_others and not clause.self_statement):
        return MENTIONED
    # "如果我是专科" may put the hypothetical in the clause before: "如果，我是专科".
    idx = cls.index(clause)
    if idx > 0 and cls[idx - 1].hypothetical and len(cls[idx - 1].text) <= 4:
        return MENTIONED
    if kind in TARGET_ENTITIES:
        if clause.self_statement and _TARGET_STATEMENT.search(clause.text) and not clause.question:
            return None if not is_question(t) else OFFERED
        if intent in ("inform",) and not is_question(t) and _TARGET_STATEMENT.search(t):
            return None
        return PARAMETER if not is_question(t) else MENTIONED
    question = is_question(t)
    own = clause.self_statement or (
        # Chinese drops the subject: "我是25届的，学的会计" — the second clause is still "I".
        _FIRST_PERSON.search(t) is not None and not clause.about_others and not clause.question)
    if own:
        # The student's own fact: recorded when stated, offered when the message asks
        # something ("我是专科，能报吗").
        return OFFERED if question else None
    # Not stated as the student's own ("2016年应届生法语招聘", "会计学能报吗").
    return MENTIONED


# -- follow-ups and ordinals ----------------------------------------------------------------

_FOLLOWUP = re.compile(
    r"^(那|那么|那要是|那如果|换成?|改成?|再看看?|看看?|如果是|要是|是)?(.{1,14}?)(的|这边|那边)?(呢|怎么样|咋样|如何|呐|嘞|的话呢|的话)"
    r"[?？。!！]*$")
_SWITCH = re.compile(r"^(换成?|改成?|看看?|再看看?|那看看?)(.{1,12}?)(的|吧|试试|看看)?[?？。!！]*$")


def is_followup(text: str, entities: Iterable[Dict]) -> bool:
    """"那湖北的呢", "广东呢", "换成国考看看": a short message naming another exam or
    region (and nothing else), which means "the same again, for this target"."""
    t = fold(text or "").strip()
    if not t or len(t) > 18:
        return False
    targets = [e for e in entities if e.get("entity") in ("location", "exam", "grad_year")]
    if not targets:
        return False
    return bool(_FOLLOWUP.match(t) or _SWITCH.match(t))


_ORDINAL = re.compile(r"第\s*(?P<n>[一二三四五六七八九十两\d]{1,3})\s*(个|条|项|家|位|名)?|(?P<last>最后(一个|那个|一条))|"
                      r"(?P<this>(上面|刚才|刚刚|前面|之前)(那个|这个|说的|的那|那条|那项)|(这|那)(个|一个)岗)")
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def ordinal(text: str) -> Optional[int]:
    """1-based position named in the text ("第一个" → 1, "最后一个" → -1, "上面那个" → 0 = the one
    just shown), or None."""
    t = fold(text or "")
    m = _ORDINAL.search(t)
    if not m:
        return None
    if m.group("n"):
        raw = m.group("n")
        if raw.isdigit():
            return int(raw)
        if raw in _CN_DIGITS:
            return _CN_DIGITS[raw]
        if raw.startswith("十") and len(raw) == 2:
            return 10 + _CN_DIGITS.get(raw[1], 0)
        return None
    if m.group("last"):
        return -1
    return 0


def split_questions(text: str) -> List[Tuple[int, int, str]]:
    """Spans of the separate questions in a message ("……？……？"), each at least 4 characters.
    A message with one question (or none) gives one span: the whole text."""
    t = fold(text or "")
    spans: List[Tuple[int, int, str]] = []
    pos = 0
    for m in re.finditer(r"[?？]+|(?<=吗)[，,。\s]|(?<=呢)[，,。\s]", t):
        end = m.end()
        piece = t[pos:end].strip()
        if len(piece) >= 4:
            spans.append((pos, end, t[pos:end]))
        pos = end
    tail = t[pos:].strip()
    if spans and len(tail) >= 6 and is_question(tail):
        spans.append((pos, len(t), t[pos:]))
    if len(spans) <= 1:
        return [(0, len(t), t)]
    return spans


MAIN_QUESTION_MIN = 40


def main_question(text: str) -> Optional[str]:
    """The question a long message ends with ("我30岁，在职，孩子一岁……是直接考公务员还是先考
    事业单位？" → the last clauses that ask), or None for a short message or one without a
    question. Clauses are kept from the last question back to the one before it, so that
    "……事业单位能考虑吗" keeps its subject."""
    t = fold(text or "").strip()
    if len(t) < MAIN_QUESTION_MIN:
        return None
    sentences = [s for s in re.split(r"(?<=[。！？!?；;\n])", t) if s.strip()]
    asking = [i for i, s in enumerate(sentences) if is_question(s)]
    if not asking:
        return None
    last = asking[-1]
    picked = sentences[last].strip()
    if len(picked) < 12 and last > 0:
        picked = sentences[last - 1].strip() + picked
    return picked if len(picked) < len(t) else None
