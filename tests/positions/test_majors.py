"""The major matcher: student wording -> catalogue entry (bot.positions.majors)."""

import json

import pytest
import yaml

from bot.config import ROOT
from bot.positions.majors import (
    GRADUATE,
    UNDERGRADUATE,
    all_major_names,
    lookup_code,
    match_major,
)

KNOWLEDGE = ROOT / "knowledge" / "majors"


@pytest.mark.parametrize(
    "text, name, code, level",
    [
        ("法学", "法学", "030101K", UNDERGRADUATE),
        ("学计算机的", "计算机科学与技术", "080901", UNDERGRADUATE),
        ("会计", "会计学", "120203K", UNDERGRADUATE),
        ("金融学专业", "金融学", "020301K", UNDERGRADUATE),
        ("汉语言文学", "汉语言文学", "050101", UNDERGRADUATE),
        ("软件工程", "软件工程", "080902", UNDERGRADUATE),
        ("我学的是汉语言文学专业", "汉语言文学", "050101", UNDERGRADUATE),
        ("我是软件工程专业大三的", "软件工程", "080902", UNDERGRADUATE),
        ("020301K", "金融学", "020301K", UNDERGRADUATE),
        ("网络空间安全", "网络空间安全", "080911TK", UNDERGRADUATE),
        ("法律硕士", "法律", "0351", GRADUATE),
        ("法律（非法学）", "法律", "0351", GRADUATE),
        ("金融专硕", "金融", "0251", GRADUATE),
        ("MPAcc", "会计", "1253", GRADUATE),
        ("硕士读的法学", "法学", "0301", GRADUATE),
        ("应用经济学", "应用经济学", "0202", GRADUATE),
        ("0812", "计算机科学与技术", "0812", GRADUATE),
    ],
)
def test_matches_student_wording(text, name, code, level):
    m = match_major(text)
    assert m is not None, text
    assert (m.name, m.code, m.level) == (name, code, level)


def test_match_carries_class_and_category():
    m = match_major("金融学")
    assert (m.class_name, m.class_code, m.category, m.category_code) == ("金融学类", "0203", "经济学", "02")
    g = match_major("金融", level=GRADUATE)
    assert (g.code, g.category, g.professional) == ("0251", "经济学", True)


def test_level_hint_picks_the_catalogue():
    assert match_major("法学", level=GRADUATE).code == "0301"
    assert match_major("法学", level=UNDERGRADUATE).code == "030101K"
    # 法律 for an undergraduate means 法学; for a graduate it is the professional degree.
    assert match_major("法律").name == "法学"
    assert match_major("法律", level=GRADUATE).code == "0351"


@pytest.mark.parametrize(
    "text",
    ["", "   ", "今天天气不错", "asdf", "我想考公务员", "好的", "嗯", "哈哈哈哈", "9999",
     "数学不好", "理科", "工程", "x" * 100],
)
def test_nonsense_is_none(text):
    assert match_major(text) is None


def test_confidence_marks_how_it_matched():
    assert match_major("汉语言文学").confidence == "exact"
    assert match_major("计算机").confidence == "alias"
    assert match_major("我是软件工程专业大三的").confidence == "partial"
    assert match_major("汉语言文学").decisive and not match_major("我是软件工程专业大三的").decisive


def test_bad_level_is_a_clear_error():
    with pytest.raises(ValueError, match="level"):
        match_major("法学", level="master")


def test_every_alias_points_into_the_catalogue():
    aliases = yaml.safe_load((KNOWLEDGE / "aliases.yml").read_text(encoding="utf-8"))
    ug = {m["name"] for m in json.loads((KNOWLEDGE / "undergraduate-majors-2026.json").read_text("utf-8"))}
    grad_raw = json.loads((KNOWLEDGE / "graduate-disciplines-2022.json").read_text("utf-8"))
    grad = {i["name"] for c in grad_raw["categories"] for i in c["items"]}
    for alias, target in aliases["undergraduate"].items():
        assert target in ug, (alias, target)
        assert match_major(alias, level=UNDERGRADUATE).name == target
    for alias, target in aliases["graduate"].items():
        assert target in grad, (alias, target)
        assert match_major(alias, level=GRADUATE).name == target


def test_every_catalogue_name_matches_itself():
    ug = json.loads((KNOWLEDGE / "undergraduate-majors-2026.json").read_text("utf-8"))
    for row in ug:
        m = match_major(row["name"], level=UNDERGRADUATE)
        assert (m.code, m.confidence) == (row["code"], "exact"), row


def test_all_major_names_for_the_tokenizer():
    names = all_major_names()
    assert len(names) == len(set(names))
    for expected in ("法学", "计算机科学与技术", "应用经济学", "金融学类", "计算机"):
        assert expected in names
    assert "计算机" not in all_major_names(include_aliases=False)


def test_lookup_code():
    assert lookup_code("120203K").name == "会计学"
    assert lookup_code("120203").name == "会计学"
    assert lookup_code("0251").name == "金融"
    assert lookup_code("12") is None and lookup_code("abc") is None
