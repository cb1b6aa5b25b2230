"""Character-for-character text folding shared by the NLU pipeline and normalisation.

``fold`` never changes the length of a string: every character maps to one character.
"""

from __future__ import annotations

# Traditional characters common in students' messages, to simplified (one to one).
_TRADITIONAL = (
    "碩黨員團國預備學會計歲畢業無沒經歷屆專讀應漢語與術機電腦軟體濟稅務區縣鄉鎮鄭陽蘇廣東"
    "濱貴雲遼寧黑龍陝齊魯豐歡實幹嗎麼這個們為說話時間題問試職選調層並碼隊兩萬門關號類師範論"
    "報請嗎謝見聽講認識們對讓還隻給麼開關準備們從內發現態憂慮進讀寫測評價興趣顧刪除記錄資料"
    "權義責條禮節過復習試卷閱題較競爭審核崗位單員額編紀檢監察規則導師長們後來當覺錢買賣錯妳"
)
_SIMPLIFIED = (
    "硕党员团国预备学会计岁毕业无没经历届专读应汉语与术机电脑软体济税务区县乡镇郑阳苏广东"
    "滨贵云辽宁黑龙陕齐鲁丰欢实干吗么这个们为说话时间题问试职选调层并码队两万门关号类师范论"
    "报请吗谢见听讲认识们对让还只给么开关准备们从内发现态忧虑进读写测评价兴趣顾删除记录资料"
    "权义责条礼节过复习试卷阅题较竞争审核岗位单员额编纪检监察规则导师长们后来当觉钱买卖错你"
)
assert len(_TRADITIONAL) == len(_SIMPLIFIED)

_TABLE = {ord(t): s for t, s in zip(_TRADITIONAL, _SIMPLIFIED) if t != s}
# Full-width ASCII (！ to ～) and the ideographic space.
_TABLE.update({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)})
_TABLE[0x3000] = ord(" ")


def fold(text: str) -> str:
    """Traditional → simplified, full-width → ASCII, lower case; same length."""
    if not text:
        return text or ""
    out = text.translate(_TABLE)
    lowered = out.lower()
    return lowered if len(lowered) == len(out) else out
