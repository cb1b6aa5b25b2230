"""Geometry of the dashboard's SVG charts, drawn server-side (templates/_charts.html).

Each bar carries the link of the case list that shows the cases behind it. Labels are
plain text: the template escapes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence


@dataclass
class Bar:
    label: str
    value: float
    text: str           # the figure printed next to / above the bar
    href: Optional[str]
    title: str          # tooltip
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0
    label_x: float = 0
    label_y: float = 0
    text_x: float = 0
    text_y: float = 0
    show_label: bool = True


@dataclass
class Chart:
    kind: str           # "h" (horizontal bars) or "v" (vertical bars)
    width: int
    height: int
    bars: List[Bar]
    title: str
    empty: bool
    axis_y: float = 0


def horizontal(title: str, bars: Sequence[Bar], label_width: int = 130, width: int = 520,
               row: int = 26, value_space: int = 60) -> Chart:
    bars = list(bars)
    top = max((b.value for b in bars), default=0) or 1
    plot = width - label_width - value_space
    for i, b in enumerate(bars):
        b.x = label_width
        b.y = 6 + i * row
        b.h = row - 8
        b.w = max(1.5 if b.value else 0, plot * (b.value / top))
        b.label_x = label_width - 8
        b.label_y = b.y + b.h / 2 + 4
        b.text_x = b.x + b.w + 6
        b.text_y = b.label_y
    return Chart("h", width, 12 + len(bars) * row, bars, title, empty=not any(b.value for b in bars))


def vertical(title: str, bars: Sequence[Bar], width: int = 560, height: int = 190,
             label_every: int = 1) -> Chart:
    bars = list(bars)
    top = max((b.value for b in bars), default=0) or 1
    left, bottom, top_pad = 8, 34, 18
    plot_h = height - bottom - top_pad
    step = (width - left * 2) / max(1, len(bars))
    for i, b in enumerate(bars):
        b.w = max(2.0, step * 0.72)
        b.x = left + i * step + (step - b.w) / 2
        b.h = max(1.5 if b.value else 0, plot_h * (b.value / top))
        b.y = top_pad + plot_h - b.h
        b.label_x = b.x + b.w / 2
        b.label_y = height - bottom + 14
        b.text_x = b.label_x
        b.text_y = b.y - 4
        b.show_label = (i % label_every == 0) or i == len(bars) - 1
    chart = Chart("v", width, height, bars, title, empty=not any(b.value for b in bars))
    chart.axis_y = top_pad + plot_h
    return chart
