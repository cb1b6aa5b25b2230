"""The vectorised engine gives exactly the scalar rules' answers (bot.positions.engine)."""

import random

import numpy as np
import pytest

from bot.positions import engine, rules, store
from bot.positions.profile import Profile

EDUCATIONS = ["大专", "本科", "硕士研究生", "博士研究生", None]
MAJORS = ["法学", "汉语言文学", "计算机科学与技术", "会计学", "金融学", "应用经济学", "财政学", "民商法学",
          "法律硕士", "临床医学", "护理", "设计学", "中国语言文学", "软件工程", "税收学", "市场营销",
          "土木、水利与交通工程", "农业信息工程", "我也说不清", "学科教学（英语）", "工商管理",
          # Guangdong's catalogue: narrowed / excluded entries, merged programmes, college majors
          "企业管理", "财务管理", "电子信息", "保险学", "金融", "刑事执行", "监狱学", "统计学", "社会学", None]


def random_profiles(n, seed):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        p = {
            "age": rnd.choice([20, 23, 26, 29, 31, 34, 36, 40, None]),
            "education": rnd.choice(EDUCATIONS),
            "degree": rnd.choice([None, "无", "学士", "硕士", "博士"]),
            "major": rnd.choice(MAJORS),
            "grad_year": rnd.choice([2020, 2024, 2025, 2026, 2027, None]),
            "fresh_graduate": rnd.choice([True, False, None]),
            "political_status": rnd.choice(["群众", "共青团员", "中共预备党员", "中共党员", None]),
            "experience_years": rnd.choice([0, 1, 2, 3, 5, None]),
            "gender": rnd.choice(["男", "女", None]),
            "hukou": rnd.choice(["河南郑州", "河南安阳内黄县", "湖北武汉", "河南", "广东广州", None]),
        }
        if rnd.random() < 0.2:
            p["undergrad_major"] = rnd.choice(["法学", "知识产权", "汉语言文学"])
        if rnd.random() < 0.1:
            p["ethnicity"] = rnd.choice(["汉族", "瑶族"])
        if rnd.random() < 0.3:
            p["special_groups"] = rnd.choice([[], ["退役士兵"], ["三支一扶"]])
        if rnd.random() < 0.3:
            p["certificates"] = rnd.choice([[], ["法律职业资格证书A证"], ["执业医师资格"]])
        if rnd.random() < 0.2:
            p["major_code"] = rnd.choice(["020301K", "0202", "1051", "080901"])
        out.append(Profile.from_dict(p))
    return out


@pytest.fixture(scope="module")
def exams(shipped_db):
    return [store.exam_data(e, 2026, shipped_db) for e in ("河南省考", "湖北省考", "广东省考")]


def test_verdicts_equal_the_scalar_rules_on_every_real_post(exams):
    for data in exams:
        for p in random_profiles(8, seed=len(data.exam) + data.compiled.size):
            ev = engine.evaluate(data.compiled, p)
            scalar = np.array([engine.evaluate_scalar(r, p)[0] for r in data.compiled.requirements])
            bad = np.nonzero(scalar != ev.verdict)[0]
            assert len(bad) == 0, (data.exam, p, [data.compiled.codes[i] for i in bad[:5]])


def test_major_statuses_equal_the_scalar_major_rule(exams):
    for data in exams:
        cp = data.compiled
        for p in random_profiles(60, seed=7):
            vec, _ = engine.major_statuses(cp, p)
            ref = np.array([rules.rule_major(p, m).status for m in cp.majors])
            bad = np.nonzero(vec != ref)[0]
            assert len(bad) == 0, (p.education, p.major, p.major_code, [cp.majors[j].text for j in bad[:3]])


@pytest.mark.parametrize("which", [1, 2])
def test_item_statuses_equal_match_item(exams, which):
    cp = exams[which].compiled
    for p in random_profiles(40, seed=11):
        sm = rules.student_major(p.education, p.major, p.major_code)
        vec = engine.item_statuses(cp, sm)
        ref = np.array([rules.match_item(sm, it) for it in cp.items])
        assert (vec == ref).all(), (p.education, p.major, [cp.items[i].text for i in np.nonzero(vec != ref)[0][:5]])


def test_details_name_every_failing_condition(exams):
    data = exams[0]
    p = Profile.from_dict({"age": 45, "education": "大专", "major": "护理", "gender": "男",
                           "political_status": "群众", "grad_year": 2010, "fresh_graduate": False,
                           "experience_years": 0})
    ev = engine.evaluate(data.compiled, p)
    i = data.compiled.index_of["11001021"]  # 本科及以上; 限女性；中共党员; 18-38
    d = ev.details(i)
    assert d["verdict"] == "not_eligible"
    text = " ".join(d["reasons"])
    for word in ("学历要求本科及以上", "年龄", "限女性", "要求中共党员"):
        assert word in text
    assert ev.counts()["not_eligible"] + ev.counts()["eligible"] + ev.counts()["needs_confirmation"] \
        == data.compiled.size


def test_compiled_sharing_keeps_sets_small(exams):
    for data in exams:
        cp = data.compiled
        assert len(cp.sets) < cp.size / 10  # posts share condition sets
        assert len(cp.majors) <= cp.size
