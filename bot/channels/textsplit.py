"""Splits long texts into messages under a channel's length limit (Telegram: 4,096).

Telegram counts a message's length, and the offsets of its formatting entities, in UTF-16
code units. A split never falls inside a word (a run of Latin letters and digits), a link,
an e-mail address, a surrogate pair or combining sequence, or a formatting entity; it
prefers, in this order, a blank line, a line break, the end of a sentence, a comma-like
pause, a space, and only then any other boundary between two Chinese characters. Entities
are moved into the part that contains them, with offsets relative to that part. Only a
single word or entity longer than the limit itself is cut (there is no other way), and an
entity cut like that is repeated on each part.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

TELEGRAM_LIMIT = 4096

_PROTECTED = re.compile(
    r"(?:https?://|www\.)[!#-&(-;=?-~]+"                 # links (printable ASCII but quotes and <>)
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"  # e-mail addresses
    r"|[A-Za-z0-9_]+(?:['’.\-][A-Za-z0-9_]+)*"            # Latin words, numbers, codes
)
_SENTENCE_END = set("。！？!?；;…")
_CLOSERS = set("”’」』）)】》\"'")
_PAUSES = set("，,、：:")

# Preference of a break after the character at a position (higher is better).
_BLANK_LINE, _LINE, _SENTENCE, _PAUSE, _SPACE, _ANY = 6, 5, 4, 3, 2, 1


@dataclass
class Part:
    text: str
    entities: List[Dict]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _units(text: str) -> List[int]:
    """UTF-16 offset of each code point index (len(text)+1 entries)."""
    out = [0]
    for ch in text:
        out.append(out[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return out


def _joins_previous(ch: str) -> bool:
    """Characters that must stay with the one before them."""
    if ch in ("\u200d", "\ufe0e", "\ufe0f") or 0x1F3FB <= ord(ch) <= 0x1F3FF:
        return True
    return unicodedata.category(ch) in ("Mn", "Me", "Mc")


def _break_ranks(text: str, protected: Sequence[Tuple[int, int]]) -> List[int]:
    """rank[i] > 0 when the text may be split between code points i-1 and i."""
    n = len(text)
    rank = [0] * (n + 1)
    for i in range(1, n):
        prev, ch = text[i - 1], text[i]
        if _joins_previous(ch) or prev == "\u200d":
            continue
        if prev == "\n" and i >= 2 and text[i - 2] == "\n":
            r = _BLANK_LINE
        elif prev == "\n":
            r = _LINE
        elif (prev in _SENTENCE_END and ch not in _CLOSERS and ch not in _SENTENCE_END) or (
                prev in _CLOSERS and i >= 2 and text[i - 2] in _SENTENCE_END and ch not in _CLOSERS):
            r = _SENTENCE
        elif prev in _PAUSES:
            r = _PAUSE
        elif prev.isspace():
            r = _SPACE
        else:
            r = _ANY
        rank[i] = r
    for start, end in protected:
        for i in range(start + 1, end):
            rank[i] = 0
    return rank


def split_text(text: str, limit: int = TELEGRAM_LIMIT,
               entities: Optional[Sequence[Dict]] = None) -> List[Part]:
    """Splits ``text`` (with optional Telegram entities, offsets in UTF-16) into parts of at
    most ``limit`` UTF-16 code units. Whitespace at the cuts is dropped; empty parts are not
    returned."""
    if limit < 2:
        raise ValueError("limit too small")
    entities = list(entities or [])
    units = _units(text)
    unit_to_index = {u: i for i, u in enumerate(units)}

    def to_index(unit: int) -> int:
        while unit not in unit_to_index:  # an offset inside a surrogate pair: round down
            unit -= 1
        return unit_to_index[unit]

    ents = []
    for e in entities:
        start = to_index(int(e["offset"]))
        end = to_index(int(e["offset"]) + int(e["length"]))
        ents.append((start, end, e))
    protected = [(m.start(), m.end()) for m in _PROTECTED.finditer(text)]
    protected += [(s, e) for s, e, _ in ents]
    rank = _break_ranks(text, protected)

    parts: List[Part] = []
    start = 0
    n = len(text)
    while start < n:
        # Skip whitespace at the start of a part.
        while start < n and text[start].isspace():
            start += 1
        if start >= n:
            break
        if units[n] - units[start] <= limit:
            end = n
        else:
            hard = start
            while hard < n and units[hard + 1] - units[start] <= limit:
                hard += 1
            # hard: the furthest index such that text[start:hard] fits.
            best, best_rank = None, 0
            floor = start + max(1, (hard - start) // 4)  # avoid tiny parts when possible
            for i in range(hard, start, -1):
                r = rank[i]
                if r > best_rank and (i >= floor or best is None):
                    best, best_rank = i, r
                    if r == _BLANK_LINE:
                        break
                if i < floor and best is not None:
                    break
            if best is None:
                # A single word/entity longer than the limit: cut it, but never inside a
                # surrogate pair or before a combining mark.
                best = hard
                while best > start + 1 and _joins_previous(text[best]):
                    best -= 1
            end = best
        chunk_end = end
        while chunk_end > start and text[chunk_end - 1].isspace():
            chunk_end -= 1
        if chunk_end > start:
            base = units[start]
            part_ents = []
            for s, e, ent in ents:
                lo, hi = max(s, start), min(e, chunk_end)
                if lo < hi:
                    part_ents.append({**ent, "offset": units[lo] - base, "length": units[hi] - units[lo]})
            parts.append(Part(text[start:chunk_end], part_ents))
        start = end
    return parts
