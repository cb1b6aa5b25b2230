"""Questions for the recruiting unit: built from the post first, completed from the bank."""

from __future__ import annotations

import pytest

from bot.coaching.questions import MIN_QUESTIONS, QuestionsError, bank, questions_for_post
from bot.positions import api

BANK_TEXTS = {text for _, text in bank()}


def _specific(qs):
    return [q for q in qs if q not in BANK_TEXTS]


def _find_post(url, exam, pred):
    from bot.positions import store

    for p in store.exam_data(exam, 2026, url).posts:
        if pred(p):
            return api.get_post(p["code"], exam, 2026, url)
    raise AssertionError("no such post in the shipped data")


def _check_shape(qs):
    assert len(qs) >= MIN_QUESTIONS
    assert len(set(qs)) == len(qs)
    for q in qs:
        assert q.endswith("？"), q
        assert "None" not in q and "{" not in q


def test_bank_is_loaded_and_large_enough():
    topics = [t for t, _ in bank()]
    assert len(topics) >= MIN_QUESTIONS and len(set(topics)) == len(topics)


def test_narrowed_major_quotes_the_wording_and_the_degree(shipped_db):
    post = api.get_post("15013011", "河南省考", 2026, shipped_db)   # 研究生：工商管理学（1202，仅限会计学…）
    prof = {"education": "硕士研究生", "degree": "硕士", "major": "会计学"}
    qs = questions_for_post(post, prof)
    _check_shape(qs)
    first = qs[0]
    assert "工商管理学（1202，仅限会计学、财务管理、审计学）" in first
    assert "“会计学”" in first and "硕士学位" in first
    # An undergraduate is asked about the undergraduate list instead (no 仅限 there).
    qs_u = questions_for_post(post, {"education": "本科", "major": "财务管理"})
    assert "仅限" not in qs_u[0] and "财务管理" in qs_u[0] and "财政学类" in qs_u[0]


def test_graduate_against_an_undergraduate_only_list(shipped_db):
    post = api.get_post("14230203001000043", "湖北省考", 2026, shipped_db)
    qs = questions_for_post(post, {"education": "硕士研究生", "major": "计算机技术"})
    assert "只列了本科阶段的专业要求" in qs[0]


def test_remarks_become_questions_and_replace_bank_topics(shipped_db):
    post = api.get_post("14230203001000043", "湖北省考", 2026, shipped_db)
    # remarks: 最低服务5年 + avoidance clause; description: 监管改造、监狱信息化建设
    qs = questions_for_post(post, {"education": "本科", "major": "计算机科学与技术"})
    _check_shape(qs)
    text = "\n".join(qs)
    assert "最低服务 5 年" in text
    assert "回避" in text
    assert "监管改造、监狱信息化建设" in text
    assert "招 2 个人" in text                                     # openings
    bank_of = dict(bank())
    assert bank_of["service_years"] not in qs                      # covered by the remark
    assert bank_of["work_content"] not in qs                       # covered by the description
    # Post-specific questions come before the bank.
    spec = _specific(qs)
    assert qs[:len(spec)] == spec and len(spec) >= 5


def test_police_post_asks_about_fitness_and_medical_standard(shipped_db):
    post = _find_post(shipped_db, "河南省考", lambda p: p.get("fitness_test") == "是" and "警察" in (
        p.get("physical_exam") or "") and "国（境）外" in (p.get("remarks") or ""))
    text = "\n".join(questions_for_post(post, None))
    assert "体能测评" in text and "视力" in text and "国（境）外" in text


def test_household_requirement_mentions_the_students_hukou(shipped_db):
    post = _find_post(shipped_db, "河南省考", lambda p: "户籍或生源" in (p.get("other") or ""))
    clause = next(c for c in post["requirements"]["other"].split("；") if "户籍" in c)
    text = "\n".join(questions_for_post(post, {"hukou": "河南郑州"}))
    assert clause in text and "我的户籍在河南郑州" in text


def test_fresh_graduate_only_post(shipped_db):
    post = _find_post(shipped_db, "湖北省考", lambda p: "应届" in (p.get("target_group") or ""))
    earlier = "\n".join(questions_for_post(post, {"grad_year": 2025, "fresh_graduate": True}))
    assert "2025 年毕业" in earlier and "择业期" in earlier
    now = questions_for_post(post, {"grad_year": 2026})
    assert any("2026 年毕业" in q and "毕业证和学位证" in q for q in now)
    assert dict(bank())["materials"] not in now                     # same topic, asked specifically


def test_special_group_and_grassroots_posts(shipped_db):
    post = _find_post(shipped_db, "湖北省考", lambda p: "四项目人员" in (p.get("target_group") or ""))
    assert any("服务年限和考核合格" in q for q in questions_for_post(post, None))
    post = _find_post(shipped_db, "河南省考", lambda p: "基层工作经历" in (p.get("experience") or "")
                      and "两年" in (p.get("experience") or ""))
    qs = questions_for_post(post, {"experience_years": 1.5})
    assert any("基层工作经历" in q and "我有 1.5 年" in q for q in qs)


def test_many_real_posts_give_sound_lists(shipped_db):
    from bot.positions import store

    prof = {"education": "本科", "degree": "学士", "major": "法学", "grad_year": 2026, "hukou": "湖北武汉"}
    for exam in ("河南省考", "湖北省考"):
        posts = store.exam_data(exam, 2026, shipped_db).posts
        for p in posts[::250]:
            post = api.get_post(p["code"], exam, 2026, shipped_db)
            qs = questions_for_post(post, prof)
            _check_shape(qs)
            assert qs == questions_for_post(post, prof)           # deterministic
            assert len(_specific(qs)) >= 1


def test_synthetic_remarks():
    post = {"code": "X1", "name": "综合岗", "openings": 3, "requirements": {
        "remarks": "1.需经常出差；2.本岗位需参与24小时值班值守；3.工作地点：某县某镇；4.录用后服从统一分配；"
                   "5.地处边远山区；6.配偶、父母从事律师工作的不得报考。咨询电话：0710-1234567"}}
    qs = questions_for_post(post)
    text = "\n".join(qs)
    for needle in ("出差", "24小时值班值守", "某县某镇", "服从统一分配", "边远山区", "律师", "招 3 个人"):
        assert needle in text, needle
    assert "0710" not in text
    bank_of = dict(bank())
    for topic in ("overtime", "location"):
        assert bank_of[topic] not in qs


def test_minimal_and_odd_posts_still_get_ten_questions():
    qs = questions_for_post({"code": "1"})
    _check_shape(qs)
    assert qs == [t for _, t in bank()][:len(qs)]
    qs = questions_for_post({"code": "2", "requirements": "不是字典", "openings": "abc", "parsed": 5,
                             "description": None}, profile="也不是字典")  # type: ignore[arg-type]
    _check_shape(qs)
    qs = questions_for_post({"code": "3", "requirements": {"major": "不限专业"}}, {"major": "历史学", "education": "本科"})
    assert not any("专业" in q and "对得上" in q for q in qs)


def test_limit_is_respected_but_never_below_ten():
    post = {"code": "1", "openings": 2, "description": "从事执法检查等工作"}
    assert len(questions_for_post(post, limit=12)) == 12
    assert len(questions_for_post(post, limit=3)) == MIN_QUESTIONS


@pytest.mark.parametrize("bad", [None, "15013011", 42, ["a"], {}])
def test_bad_post_is_a_clear_error(bad):
    with pytest.raises(QuestionsError):
        questions_for_post(bad)  # type: ignore[arg-type]
