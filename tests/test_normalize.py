"""Validation and normalisation of intake answers (bot/normalize.py)."""

import datetime as dt

import pytest

from bot import normalize as n


@pytest.mark.parametrize("raw,value", [
    ("23", 23), ("23岁", 23), ("今年二十三", 23), ("十八岁", 18), ("我今年22周岁", 22),
    ("２５", 25), (24, 24), ("三十五", 35),
])
def test_age_ok(raw, value):
    assert n.normalize_age(raw).value == value


@pytest.mark.parametrize("raw", ["300", "5岁", "-3", "", None, "不知道", "😂", "a" * 5000, "一百"])
def test_age_rejected_with_a_message(raw):
    result = n.normalize_age(raw)
    assert not result.ok and result.error


def test_age_from_birth_year():
    assert n.normalize_age("1999年出生").value == dt.date.today().year - 1999


@pytest.mark.parametrize("raw,value", [
    ("本科学历", "本科"), ("本科", "本科"), ("大四在读", "本科"), ("专科", "大专"), ("高职", "大专"),
    ("研究生", "硕士研究生"), ("硕士在读", "硕士研究生"), ("MPA", "硕士研究生"), ("碩士", "硕士研究生"),
    ("博士", "博士研究生"), ("PhD", "博士研究生"), ("专升本", "本科"), ("硕士研究生", "硕士研究生"),
])
def test_education(raw, value):
    assert n.normalize_education(raw).value == value


@pytest.mark.parametrize("raw", ["高中", "小学", "xyz", ""])
def test_education_rejected(raw):
    assert n.normalize_education(raw).error


@pytest.mark.parametrize("raw,value", [
    ("党员", "中共党员"), ("中共党员", "中共党员"), ("预备党员", "中共预备党员"), ("黨員", "中共党员"),
    ("团员", "共青团员"), ("共青团员", "共青团员"), ("群众", "群众"), ("不是党员", "群众"),
    ("中共预备党员", "中共预备党员"), ("無黨派", "群众"), ("團員", "共青团员"),
])
def test_political_status(raw, value):
    assert n.normalize_political_status(raw).value == value


@pytest.mark.parametrize("raw,value", [
    ("2025", 2025), ("25届", 2025), ("2024年毕业", 2024), ("二〇二三", 2023),
])
def test_grad_year(raw, value):
    assert n.normalize_grad_year(raw).value == value


def test_grad_year_relative_and_range():
    today = dt.date(2026, 11, 21)
    assert n.normalize_grad_year("明年", today).value == 2027
    assert n.normalize_grad_year("去年毕业的", today).value == 2025
    assert n.normalize_grad_year("1900", today).error
    assert n.normalize_grad_year("2040", today).error


@pytest.mark.parametrize("raw,value", [
    ("没有", 0.0), ("无", 0.0), ("两年", 2.0), ("3", 3.0), ("一年半", 1.5), ("半年", 0.5),
    ("0", 0.0), ("干了五年", 5.0),
])
def test_experience_years(raw, value):
    assert n.normalize_experience_years(raw).value == value


def test_experience_years_rejected():
    assert n.normalize_experience_years("一百年").error
    assert n.normalize_experience_years("不清楚呢").error


@pytest.mark.parametrize("raw,value", [
    ("是", True), ("应届生", True), (True, True), ("往届", False), ("已经工作两年了", False), ("不是", False),
])
def test_fresh_graduate(raw, value):
    assert n.normalize_fresh_graduate(raw).value is value


@pytest.mark.parametrize("raw,value", [
    ("湖北", "湖北"), ("武汉", "湖北·武汉市"), ("想回郑州", "河南·郑州市"), ("恩施州", "湖北·恩施州"),
    ("省直", "省直机关"), ("不限", "不限地区"), ("北京市", "北京"),
])
def test_location(raw, value):
    assert n.normalize_location(raw).value == value


def test_location_unknown():
    assert n.normalize_location("火星").error


@pytest.mark.parametrize("raw,region,value", [
    ("国考", None, "国考"), ("國考", None, "国考"), ("河南省考", None, "河南省考"),
    ("省考", "湖北·武汉市", "湖北省考"), ("省考", None, "省考"), ("选调", None, "选调生"),
    ("省考", "江苏", "江苏省考"),
])
def test_exam(raw, region, value):
    assert n.normalize_exam(raw, region).value == value


def test_exam_unknown():
    assert n.normalize_exam("考研").error


@pytest.mark.parametrize("raw,name", [
    ("法学", "法学"), ("学计算机的", "计算机科学与技术"), ("汉语言文学", "汉语言文学"), ("会计", "会计学"),
])
def test_major_matched_to_catalogue(raw, name):
    result = n.normalize_major(raw)
    assert result.value == name and result.extra["major_code"]


def test_major_postgraduate_catalogue_first():
    result = n.normalize_major("法学", education="硕士研究生")
    assert result.ok and result.extra["major_code"].startswith("03")


@pytest.mark.parametrize("raw", ["asdfghjkl", "哈哈哈", "", "我不知道"])
def test_major_nonsense_rejected(raw):
    assert n.normalize_major(raw).error


def test_normalisers_are_idempotent():
    for slot, raw in [("age", "23岁"), ("education", "研究生"), ("political_status", "团员"),
                      ("grad_year", "25届"), ("experience_years", "两年"), ("target_region", "武汉"),
                      ("major", "学计算机的")]:
        once = n.normalize(slot, raw).value
        assert n.normalize(slot, once).value == once, slot


def test_skipped_is_kept():
    assert n.normalize("age", n.SKIPPED).value == n.SKIPPED


def test_chinese_numbers():
    assert n.cn_to_number("二十三") == 23
    assert n.cn_to_number("十") == 10
    assert n.cn_to_number("一九九八") == 1998
    assert n.cn_to_number("两年半") == 2.5
    assert n.cn_to_number("abc") is None
