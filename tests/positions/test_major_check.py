"""专业对口 (bot.positions.major_check) against the catalogues and the shipped tables."""

import json

import numpy as np
import pytest

from bot.positions import api, engine, major_check as mc, rules, store
from bot.positions.profile import Profile


def table(result, exam, degree=0):
    return next(t for t in result["degrees"][degree]["tables"] if t["exam"] == exam)


def level_text(shipped_db, exam, code, level):
    data = store.exam_data(exam, 2026, shipped_db)
    i = data.compiled.index_of[code]
    mid = int(data.compiled.major_of_post[i])
    req = data.compiled.majors[mid]
    return req, (req.text_for(level) if not req.unrestricted else "不限")


def test_catalogue_places_and_json(shipped_db):
    r = mc.check_major("软件工程", url=shipped_db)
    json.dumps(r, ensure_ascii=False)  # JSON-serialisable as it is
    d = r["degrees"][0]
    assert (d["level"], d["level_assumed"]) == ("本科", True)
    nat = d["catalogues"]["national"]
    assert (nat["code"], nat["class"], nat["class_code"], nat["category"]) == ("080902", "计算机类", "0809", "工学")
    places = d["catalogues"]["guangdong"]["places"]
    assert [p["code"] for p in places] == ["B080902"] and "11信息电子类" in places[0]["groups"]
    assert {t["exam"] for t in d["tables"]} == {"河南省考", "湖北省考", "广东省考"}
    assert r["rule"] and any("毕业证" in line for line in r["lines"])


@pytest.mark.parametrize("major, level", [("软件工程", None), ("法学", "本科"), ("民商法学", "研究生"),
                                          ("应用经济学", "研究生"), ("电子信息", "硕士"), ("会计", "大专"),
                                          ("企业管理", "研究生"), ("量子占卜", None)])
def test_counts_agree_with_the_eligibility_engine(shipped_db, major, level):
    """named + by class + 不限 are exactly the posts whose major condition passes in the
    engine; 仅限 / to confirm / other level are the ones it asks about; the rest fail."""
    r = mc.check_major(major, level=level, url=shipped_db)
    lv = r["degrees"][0]["level"]
    profile = Profile.from_dict({"education": {"大专": "大专", "本科": "本科", "研究生": "硕士研究生"}[lv],
                                 "major": r["degrees"][0]["major"]})
    for t in r["degrees"][0]["tables"]:
        data = store.exam_data(t["exam"], t["year"], shipped_db)
        cp = data.compiled
        mstat, _ = engine.major_statuses(cp, profile)
        per_post = np.zeros(cp.size, dtype=np.int8)
        has = cp.major_of_post >= 0
        per_post[has] = mstat[cp.major_of_post[has]]
        parts = ("named", "by_class", "open", "to_confirm", "narrowed", "not_accepted", "other_level_only")
        assert sum(t[k]["count"] for k in parts) == t["posts"] == cp.size
        assert t["accepted"] == int((per_post == rules.OK).sum()), (t["exam"], major)
        assert t["to_confirm"]["count"] + t["narrowed"]["count"] + t["other_level_only"]["count"] == \
            int((per_post == rules.CONFIRM).sum())
        assert t["not_accepted"]["count"] == int((per_post == rules.FAIL).sum())


def test_named_by_class_and_open_examples_are_what_they_say(shipped_db):
    r = mc.check_major("软件工程", url=shipped_db)
    henan = table(r, "河南省考")
    assert henan["named"]["count"] > 0 and henan["by_class"]["count"] > 0 and henan["open"]["count"] > 0
    for ex in henan["named"]["examples"]:
        _, text = level_text(shipped_db, "河南省考", ex["code"], "本科")
        assert "软件工程" in text or "080902" in text
    for ex in henan["by_class"]["examples"]:
        _, text = level_text(shipped_db, "河南省考", ex["code"], "本科")
        assert "软件工程" not in text and ("0809" in text or "08" in text)
    for ex in henan["open"]["examples"]:
        req, text = level_text(shipped_db, "河南省考", ex["code"], "本科")
        assert req.unrestricted or "本科" in req.open_levels or text == "不限"
    assert len(henan["named"]["examples"]) == 3


def test_exact_by_class_and_open_answers_for_one_post(shipped_db):
    t = mc.check_major("民商法学", level="研究生", target="39900022648001", url=shipped_db)["target"]
    assert (t["kind"], t["fits"], t["by_degree"][0]["how"]) == ("post", True, "named")
    t = mc.check_major("软件工程", target="11014011", url=shipped_db)["target"]
    assert (t["fits"], t["by_degree"][0]["how"]) == (True, "by_class") and "计算机类" in t["why"]
    line = mc.explain_post_major({"education": "本科", "major": "法学"}, "30001011", "河南省考", 2026, url=shipped_db)
    assert line["fits"] is False and line["line"].startswith("专业不符合") and "税收学" in line["line"]


def test_narrowing_needs_confirmation(shipped_db):
    r = mc.check_major("应用经济学", level="研究生", url=shipped_db)
    henan = table(r, "河南省考")
    assert henan["narrowed"]["count"] > 0
    for ex in henan["narrowed"]["examples"]:
        _, text = level_text(shipped_db, "河南省考", ex["code"], "研究生")
        assert "仅限" in text
    case = next(c for c in r["degrees"][0]["open_cases"] if c["kind"] == "narrowing")
    assert case["applies"] and "仅限" in case["text"]
    # Guangdong's 其他要求 narrowing: 企业管理（限：财务管理）.
    e = mc.explain_post_major({"education": "硕士研究生", "major": "企业管理"}, "19900252641002", url=shipped_db)
    assert e["fits"] is None and "财务管理" in e["line"]
    e = mc.explain_post_major({"education": "硕士研究生", "major": "财务管理"}, "19900252641002", url=shipped_db)
    assert e["fits"] is True


def test_unknown_major_is_named_not_guessed(shipped_db):
    r = mc.check_major("量子占卜学", url=shipped_db)
    d = r["degrees"][0]
    assert not d["catalogues"]["national"]["found"] and not d["catalogues"]["guangdong"]["found"]
    assert all(t["named"]["count"] == 0 and t["by_class"]["count"] == 0 for t in d["tables"])
    assert any(c["kind"] == "unknown_major" and c["applies"] for c in d["open_cases"])
    assert not any(c["kind"] == "narrowing" and c["applies"] for c in d["open_cases"])


def test_two_degrees_each_checked_on_its_level(shipped_db):
    r = mc.check_major("自动化", level="本科", second=("控制科学与工程", "硕士"), target="0812", url=shipped_db)
    assert [d["level"] for d in r["degrees"]] == ["本科", "研究生"]
    assert r["degrees"][1]["catalogues"]["national"]["code"] == "0811"
    by = r["target"]["by_degree"]
    assert by[0]["fits"] is False and "测绘类" in by[0]["why"]            # 本科 0812 is 测绘类
    assert by[1]["fits"] is False and "计算机科学与技术（0812）" in by[1]["why"]
    assert "two_degrees" in r


@pytest.mark.parametrize("major, level, target, fits, word", [
    ("电子信息工程", None, "计算机类", False, "电子信息类（0807）"),
    ("软件工程", None, "计算机类", True, "0809"),
    ("法学", "本科", "06法律类", True, "法律类"),
    ("计算机科学与技术", "本科", "信息电子类", True, "信息电子类"),
    ("汉语言文学", "本科", "B0809", False, "计算机类"),
    ("民商法学", "研究生", "法学", True, "法学（0301）"),
    ("电子信息", "研究生", "计算机科学与技术", False, "0854"),
    ("会计学", "研究生", "工商管理学", None, "1202"),     # 会计学 may be 1202 or the 会计 degree 1253
])
def test_targets(shipped_db, major, level, target, fits, word):
    t = mc.check_major(major, level=level, target=target, url=shipped_db)["target"]
    assert t["fits"] is fits, t
    assert word in t["why"], t["why"]


def test_nearest_classes_it_does_not_belong_to(shipped_db):
    d = mc.check_major("软件工程", url=shipped_db)["degrees"][0]
    classes = [n["code"] for n in d["nearest_not"]]
    assert "0807" in classes and "0809" not in classes and len(classes) <= 3
    assert all("不属于" in n["why"] for n in d["nearest_not"])


@pytest.mark.parametrize("major, level, kind", [
    ("电子信息", "研究生", "renamed"),            # graduate engineering fields merged in 2022
    ("计算机技术", "研究生", "renamed"),          # an old engineering field name
    ("货币银行学", "本科", "renamed"),            # a former name in Guangdong's catalogue
    ("自考法学", None, "self_study"),
    ("法学（第二学位）", None, "second_degree"),
    ("金融学（英国）", "研究生", "foreign_degree"),
])
def test_undecidable_cases_are_named(shipped_db, major, level, kind):
    d = mc.check_major(major, level=level, url=shipped_db)["degrees"][0]
    case = next(c for c in d["open_cases"] if c["kind"] == kind)
    assert case["applies"] is True, d["open_cases"]
    others = [c for c in d["open_cases"] if c["kind"] in ("foreign_degree", "self_study", "second_degree")
              and c["kind"] != kind]
    assert all(c["applies"] is None for c in others)  # not said: neither claimed nor ruled out


def test_bad_questions_get_clear_errors(shipped_db):
    with pytest.raises(mc.MajorCheckError):
        mc.check_major("  ", url=shipped_db)
    with pytest.raises(mc.MajorCheckError, match="学历层次"):
        mc.check_major("法学", level="小学", url=shipped_db)
    with pytest.raises(api.UnknownExam, match="还没有导入"):
        mc.check_major("法学", exam="国考", url=shipped_db)
    one = mc.check_major("法学", exam="河南", url=shipped_db)
    assert [t["exam"] for t in one["degrees"][0]["tables"]] == ["河南省考"]
    e = mc.explain_post_major({"major": "法学"}, "30001011", url=shipped_db)
    assert e["fits"] is None and "学历" in e["line"]
    e = mc.explain_post_major({"education": "硕士研究生", "major": "民商法学"}, "39900022648001", url=shipped_db)
    assert e["fits"] is True and "本科专业" in e["undergrad_line"]
