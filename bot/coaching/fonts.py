"""A CJK font for reportlab (embedded in the PDF) and text sanitising for it.

The font is looked up in this order: ``COACH_CJK_FONT``; the usual font directories for
the known CJK TrueType files (wqy-zenhei first); then the matplotlib/fontconfig finder of
:mod:`bot.positions.chart`. Only fonts with TrueType outlines can be embedded by
reportlab (``.ttc`` collections load with ``subfontIndex=0``); CFF-based OpenType fonts
(Noto/Source Han ``.otf``) are skipped.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import FrozenSet, Iterable, List, Tuple

log = logging.getLogger(__name__)

FONT_NAME = "CoachCJK"
_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", os.path.expanduser("~/.fonts"),
         os.path.expanduser("~/.local/share/fonts"))
_PREFERRED = ("wqy-zenhei.ttc", "wqy-microhei.ttc", "simhei.ttf", "msyh.ttc", "simsun.ttc", "uming.ttc",
              "ukai.ttc", "NotoSansCJK-Regular.ttc", "PingFang.ttc")
# Characters the font may lack, with a stand-in that CJK fonts have.
_SUBSTITUTES = {"•": "·", "●": "·", "▪": "·", "✓": "√", "✔": "√", "✗": "×", "✘": "×", "★": "*", "☆": "*",
                "⚠": "!", "️": "", "\u200b": "", "\u200d": ""}


class FontError(RuntimeError):
    """No usable CJK font (message for the operator)."""


_lock = threading.Lock()
_state: dict = {}


def _candidates() -> List[str]:
    out: List[str] = []
    env = os.environ.get("COACH_CJK_FONT")
    if env and os.path.exists(env):
        out.append(env)
    found = {}
    for d in _DIRS:
        if not os.path.isdir(d):
            continue
        for root, _, files in os.walk(d):
            for name in files:
                if name in _PREFERRED and name not in found:
                    found[name] = os.path.join(root, name)
    out += [found[n] for n in _PREFERRED if n in found]
    if out:
        return out
    try:
        from bot.positions.chart import cjk_font_path

        p = cjk_font_path()
        if p:
            out.append(p)
    except Exception:  # pragma: no cover - matplotlib missing or broken font cache
        pass
    seen, uniq = set(), []
    for p in out:
        if p not in seen:
            seen.add(p)
            uniq.append(p)
    return uniq


def register_font() -> Tuple[str, str]:
    """Registers the CJK font with reportlab once; returns ``(font name, file path)``.

    Raises :class:`FontError` when no TrueType CJK font can be loaded."""
    with _lock:
        if "name" in _state:
            return _state["name"], _state["path"]
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        errors = []
        for path in _candidates():
            try:
                kwargs = {"subfontIndex": 0} if path.lower().endswith(".ttc") else {}
                font = TTFont(FONT_NAME, path, **kwargs)
            except Exception as exc:  # TTFError for CFF outlines, unreadable files ...
                errors.append(f"{os.path.basename(path)}: {exc.__class__.__name__}")
                continue
            pdfmetrics.registerFont(font)
            _state.update(name=FONT_NAME, path=path, chars=frozenset(font.face.charToGlyph))
            log.debug("report font: %s", path)
            return FONT_NAME, path
        raise FontError("未找到可嵌入 PDF 的中文字体；请安装 fonts-wqy-zenhei，或用 COACH_CJK_FONT 指向 TrueType "
                        "中文字体文件" + (f"（已尝试：{'；'.join(errors)}）" if errors else ""))


def covered_chars() -> FrozenSet[int]:
    """Code points the registered font has glyphs for."""
    register_font()
    return _state["chars"]


def sanitize(text: str) -> str:
    """Text the font can draw: known stand-ins for missing symbols, other missing
    characters (emoji …) dropped; new lines and tabs kept."""
    chars = covered_chars()
    out = []
    for ch in str(text):
        if ch in "\n\t" or ord(ch) in chars:
            out.append(ch)
            continue
        sub = _SUBSTITUTES.get(ch)
        if sub is not None and all(ord(c) in chars for c in sub):
            out.append(sub)
    return "".join(out)


def missing_chars(text: Iterable[str]) -> List[str]:
    """Characters of ``text`` the font cannot draw (for tests and diagnostics)."""
    chars = covered_chars()
    return sorted({ch for ch in "".join(text) if ch not in "\n\t" and ord(ch) not in chars})
