"""The RIASEC questionnaire: items, answer parsing, deterministic scoring (hand-computed)."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from bot.coaching import riasec
from bot.coaching.riasec import RiasecError, parse_answer, score

# Hand-computed example of the module docstring:
# R 0+0=0, I 2+1=3, A 1+1=2, S 2+2=4, E 2+1=3, C 1+2=3
EXAMPLE = {"R1": 0, "R2": 0, "I1": 2, "I2": 1, "A1": 1, "A2": 1, "S1": 2, "S2": 2, "E1": 2, "E2": 1,
           "C1": 1, "C2": 2}


def test_twelve_items_two_per_type():
    its = riasec.items()
    assert len(its) == 12
    assert len({i.id for i in its}) == 12
    assert Counter(i.type for i in its) == {t: 2 for t in "RIASEC"}
    for it in its:
        assert it.id[0] == it.type
        assert len(it.text) >= 8 and any("\u4e00" <= ch <= "\u9fff" for ch in it.text)


def test_prompt_and_options():
    assert riasec.prompt("s1").startswith("第 7/12 题：")
    assert riasec.answer_options() == [("喜欢", 2), ("一般", 1), ("不喜欢", 0)]
    with pytest.raises(RiasecError):
        riasec.prompt("Z9")


@pytest.mark.parametrize("text,value", [
    ("喜欢", 2), ("很喜欢", 2), ("超喜欢", 2), ("非常喜欢！", 2), (" 喜欢 ", 2), ("我喜欢", 2), ("喜欢吧", 2),
    ("还行", 1), ("一般", 1), ("无所谓", 1), ("一般般", 1), ("还可以吧", 1),
    ("不喜欢", 0), ("讨厌", 0), ("没兴趣", 0), ("不感兴趣", 0), ("还是不喜欢吧", 0),
    ("0", 0), ("1", 1), ("2", 2), ("２", 2), ("2分", 2), ("1。", 1), ("👍 喜欢", 2),
])
def test_parse_answer_accepts(text, value):
    assert parse_answer(text) == value


@pytest.mark.parametrize("text", [None, "", "   ", "3", "12", "-1", "1.5", "asdf", "我喜欢吃饭", "今天天气不错",
                                  "喜欢不喜欢", "？", True, [], 5])
def test_parse_answer_rejects(text):
    assert parse_answer(text) is None


def test_button_titles_parse_to_their_values():
    for title, value in riasec.answer_options():
        assert parse_answer(title) == value


def test_score_hand_computed_example():
    r = score(EXAMPLE)
    assert r.scores == {"R": 0, "I": 3, "A": 2, "S": 4, "E": 3, "C": 3}
    assert r.percent == {"R": 0, "I": 75, "A": 50, "S": 100, "E": 75, "C": 75}
    # S first; I, E and C tie at 3: the fixed R-I-A-S-E-C order keeps I then E.
    assert r.ranking == ["S", "I", "E", "C", "A", "R"]
    assert r.code == "SIE"
    assert r.code_names == ["社会型", "研究型", "企业型"]
    # 综合: (0·0 + 1·.75 + 1·.5 + 2·1 + 2·.75 + 2·.75) / 8 = 6.25/8 = 78.1
    # 执法: (2·0 + 1·.75 + 0·.5 + 1·1 + 2·.75 + 1·.75) / 7 = 4/7 = 57.1
    # 专技: (2·0 + 2·.75 + 1·.5 + 0·1 + 0·.75 + 1·.75) / 6 = 2.75/6 = 45.8
    assert r.families == {"综合管理类": 78, "行政执法类": 57, "专业技术类": 46}
    assert r.family_ranking == ["综合管理类", "行政执法类", "专业技术类"]
    assert r.answered == 12 and r.missing == 0 and r.complete
    assert len(r.ties) == 1 and "常规型" in r.ties[0]
    assert "SIE" in r.meaning and "社会型" in r.meaning
    assert "综合管理类" in r.suggestion
    assert 1 <= r.suggestion.count("。") <= 3


def test_score_partial_answers():
    # R = 2/2 -> 1.0; I = (1+1)/4 -> .5; S = 0/4 -> 0; A, E, C unanswered.
    r = score({"R1": 2, "I1": 1, "I2": 1, "S1": 0, "S2": 0})
    assert r.code == "RIS"
    assert r.answered == 5 and r.missing == 7
    assert set(r.missing_items) == {"R2", "A1", "A2", "E1", "E2", "C1", "C2"}
    assert r.percent["A"] is None and r.percent["R"] == 100
    # 综合 (R0, I1, S2): .5/3 = 16.7 -> 17; 执法 (R2, I1, S1): 2.5/4 = 62.5 -> 63; 专技 (R2, I2, S0): 3/4 = 75
    assert r.families == {"综合管理类": 17, "行政执法类": 63, "专业技术类": 75}
    assert r.family_ranking[0] == "专业技术类"
    assert any("7 道题没有回答" in n for n in r.notes)


def test_only_realistic_liked_favours_technical_and_enforcement():
    answers = {it.id: (2 if it.type == "R" else 0) for it in riasec.items()}
    r = score(answers)
    assert r.code[0] == "R"
    # 综合 0/8 = 0; 执法 2/7 = 28.6 -> 29; 专技 2/6 = 33.3 -> 33
    assert r.families == {"综合管理类": 0, "行政执法类": 29, "专业技术类": 33}


def test_all_equal_answers_use_fixed_order_and_say_so():
    r = score({it.id: 1 for it in riasec.items()})
    assert r.code == "RIA"
    assert set(r.families.values()) == {50}
    assert r.family_ranking == ["综合管理类", "行政执法类", "专业技术类"]
    assert any("很接近" in n for n in r.notes)


def test_all_zero_answers_give_a_cautious_result():
    r = score({it.id: 0 for it in riasec.items()})
    assert r.code == "RIA"
    assert any("都不太感兴趣" in n for n in r.notes)
    assert "看不出明显偏好" in r.suggestion


def test_text_answers_and_lowercase_ids_score_like_numbers():
    words = {2: "喜欢", 1: "一般", 0: "不喜欢"}
    as_text = {k.lower(): words[v] for k, v in EXAMPLE.items()}
    assert score(as_text).to_dict() == score(EXAMPLE).to_dict()


def test_score_is_independent_of_answer_order():
    keys = list(EXAMPLE)
    rnd = random.Random(7)
    for _ in range(5):
        rnd.shuffle(keys)
        assert score({k: EXAMPLE[k] for k in keys}).to_dict() == score(EXAMPLE).to_dict()


@pytest.mark.parametrize("answers,needle", [
    ({}, "还没有回答"),
    ({"R1": None, "I1": ""}, "还没有回答"),
    (None, "格式不正确"),
    ("R1=2", "格式不正确"),
    ({"X9": 1}, "X9"),
    ({"R1": 3}, "0、1 或 2"),
    ({"R1": -1}, "0、1 或 2"),
    ({"R1": "也许吧"}, "无法识别"),
    ({"R1": True}, "无法识别"),
    ({"R1": [2]}, "无法识别"),
])
def test_score_rejects_bad_input_clearly(answers, needle):
    with pytest.raises(RiasecError) as exc:
        score(answers)
    assert needle in str(exc.value)


def test_result_serialises_and_summarises():
    import json

    r = score(EXAMPLE)
    d = json.loads(json.dumps(r.to_dict(), ensure_ascii=False))
    assert d["code"] == "SIE" and d["top_family"] == "综合管理类"
    text = r.summary_text()
    assert "SIE" in text and "综合管理类 78" in text and "R 0" in text


def test_describe_code():
    assert "企业型" in riasec.describe_code("ecs")
    with pytest.raises(RiasecError):
        riasec.describe_code("xyz")
