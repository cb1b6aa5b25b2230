"""Splitting long messages under Telegram's 4,096-character limit."""

from __future__ import annotations

import random
import re

import pytest

from bot.channels.textsplit import TELEGRAM_LIMIT, split_text, utf16_len

URL = "https://www.gov.cn/zhengce/zhengceku/2026-01/15/content_7001234.htm?from=coach&id=42"
TOKENS = ["公务员", "报考条件", "竞争比", "。", "，", "！", "\n", "\n\n", "Holland", "RIASEC", "2026",
          URL, "student.name@example.edu.cn", "😀", "👩‍💻", "申论", "行测", " ", "“基层”", "（见附件）"]


def _text(seed: int, n: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(TOKENS) for _ in range(n))


def _protected(text):
    return [m.group(0) for m in re.finditer(
        r"https?://[!#-&(-;=?-~]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|[A-Za-z0-9_]+", text)]


@pytest.mark.parametrize("seed", range(8))
def test_parts_fit_keep_every_character_and_never_cut_words_links_or_emoji(seed):
    text = _text(seed, 4000)
    assert utf16_len(text) > 3 * TELEGRAM_LIMIT
    parts = split_text(text)
    assert len(parts) >= 4
    assert all(0 < utf16_len(p.text) <= TELEGRAM_LIMIT for p in parts)
    # Nothing is lost or reordered; only whitespace at the cuts is dropped.
    assert "".join(p.text for p in parts).replace(" ", "").replace("\n", "") == \
        text.replace(" ", "").replace("\n", "")
    # Every word, link and address of the text is whole in one part.
    whole = sorted(_protected(text))
    assert sorted(w for p in parts for w in _protected(p.text)) == whole
    for p in parts:
        assert not p.text[0].isspace() and not p.text[-1].isspace()
        assert not ("\udc00" <= p.text[0] <= "\udfff")
        assert not p.text.startswith("\u200d") and not p.text.endswith("\u200d")


def test_prefers_paragraphs_then_lines_then_sentences():
    para = "第一段。" * 600 + "\n\n" + "第二段。" * 600
    parts = split_text(para)
    assert [p.text[:3] for p in parts] == ["第一段", "第二段"]
    lines = ("一行话，没有句号" * 30 + "\n") * 30
    assert all(p.text.endswith("没有句号") for p in split_text(lines))
    sentences = "这是一句完整的话，后面还有逗号。" * 400
    assert all(p.text.endswith("。") for p in split_text(sentences))


def test_entities_move_with_their_text_and_are_never_cut():
    head = "说明：" + "普通文字。" * 700
    bold = "这一句是加粗的重点内容"
    text = head + bold + "后文。" * 800
    start = utf16_len(head)
    entities = [{"type": "bold", "offset": start, "length": utf16_len(bold)},
                {"type": "text_link", "offset": 0, "length": 3, "url": URL}]
    parts = split_text(text, entities=entities)
    found = [(p, e) for p in parts for e in p.entities if e["type"] == "bold"]
    assert len(found) == 1
    part, entity = found[0]
    # Offsets are UTF-16 units relative to the part.
    encoded = part.text.encode("utf-16-le")
    assert encoded[entity["offset"] * 2:(entity["offset"] + entity["length"]) * 2].decode("utf-16-le") == bold
    links = [e for p in parts for e in p.entities if e["type"] == "text_link"]
    assert links == [{"type": "text_link", "offset": 0, "length": 3, "url": URL}]
    assert any(e["type"] == "text_link" for e in parts[0].entities)


def test_emoji_count_as_two_units():
    text = "😀" * 3000
    parts = split_text(text)
    assert [utf16_len(p.text) for p in parts] == [4096, 1904]


def test_a_word_longer_than_the_limit_is_the_only_thing_cut():
    text = "开头。" + "x" * 5000 + "。结尾"
    parts = split_text(text)
    assert all(utf16_len(p.text) <= TELEGRAM_LIMIT for p in parts)
    assert "".join(p.text for p in parts) == text


def test_short_text_is_one_part_and_blank_text_none():
    assert [p.text for p in split_text("  你好  ")] == ["你好"]
    assert split_text(" \n ") == []
