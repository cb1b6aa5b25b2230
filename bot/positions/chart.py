"""PNG chart of a shortlist's competition ratios against the eligible distribution."""

from __future__ import annotations

import io
import os
import subprocess
from functools import lru_cache
from typing import Any, Dict, Optional, Sequence

import numpy as np

KNOWN_CJK = ("wqy-zenhei.ttc", "wqy-microhei.ttc", "NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf",
             "SourceHanSansSC-Regular.otf", "simhei.ttf", "msyh.ttc", "PingFang.ttc", "uming.ttc")
CJK_FAMILIES = ("WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC",
                "SimHei", "Microsoft YaHei", "PingFang SC", "AR PL UMing CN")


ONE_IN_A_THOUSAND = 1000.0


class ChartError(RuntimeError):
    """The chart cannot be drawn (message for the user)."""


@lru_cache(maxsize=1)
def cjk_font_path() -> Optional[str]:
    """A font file that renders Chinese: COACH_CJK_FONT, matplotlib's font list, then fontconfig."""
    env = os.environ.get("COACH_CJK_FONT")
    if env and os.path.exists(env):
        return env
    from matplotlib import font_manager

    for f in font_manager.fontManager.ttflist:
        if os.path.basename(f.fname) in KNOWN_CJK or f.name in CJK_FAMILIES:
            return f.fname
    for d in ("/usr/share/fonts", "/usr/local/share/fonts", os.path.expanduser("~/.fonts")):
        for root, _, files in os.walk(d):
            for name in files:
                if name in KNOWN_CJK:
                    return os.path.join(root, name)
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10)
        for line in out.stdout.splitlines():
            path = line.split(":")[0].strip()
            if path and os.path.exists(path):
                return path
    except (OSError, subprocess.SubprocessError):
        pass
    return None


def ratio_chart(comparison: Dict[str, Any], eligible_ratios: Sequence[float], *,
                title: Optional[str] = None, population: str = "可报岗位") -> bytes:
    """Histogram of the eligible posts' ratios (log scale) with one marked line per
    shortlisted post. ``comparison`` is :func:`bot.positions.ratios.compare`'s result."""
    font = cjk_font_path()
    if font is None:
        raise ChartError("未找到中文字体，无法生成图表；请安装 fonts-wqy-zenhei（或设置 COACH_CJK_FONT 指向 CJK 字体文件）")
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import font_manager
    from matplotlib.figure import Figure

    fp = font_manager.FontProperties(fname=font)
    fp_small = font_manager.FontProperties(fname=font, size=8)
    values = np.asarray([v for v in eligible_ratios if v is not None and not np.isnan(v)], dtype=float)
    posts = [p for p in comparison.get("posts", []) if p.get("ratio") is not None]
    if len(values) == 0 and not posts:
        raise ChartError("没有可用的报名人数数据，无法生成竞争比图表")
    fig = Figure(figsize=(8, 4.6), dpi=110)
    ax = fig.subplots()
    positive = values[values > 0]
    lo = max(0.1, min([positive.min()] + [p["ratio"] for p in posts if p["ratio"] > 0]) if len(positive) else 0.5)
    hi = max([values.max() if len(values) else 1.0] + [p["ratio"] for p in posts]) * 1.2
    bins = np.logspace(np.log10(lo), np.log10(max(hi, lo * 10)), 40)
    if len(positive):
        ax.hist(positive, bins=bins, color="#9ecae1", edgecolor="#6baed6",
                label=f"{population}（{len(values)} 个）")
    ax.set_xscale("log")
    colors = ["#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]
    for k, p in enumerate(posts):
        x = max(p["ratio"], lo)
        c = colors[k % len(colors)]
        ax.axvline(x, color=c, linewidth=2)
        pct = p.get("percentile_eligible") if population != "全部岗位" else p.get("percentile_all")
        label = f"{p['code']} {p.get('name') or ''}：{p['ratio']:g}" + (
            f"（≥{pct:g}%的{population}）" if pct is not None else "")
        ax.plot([], [], color=c, linewidth=2, label=label)
    if hi > ONE_IN_A_THOUSAND / 2:
        ax.axvline(ONE_IN_A_THOUSAND, color="#444444", linestyle="--", linewidth=1)
        ax.text(ONE_IN_A_THOUSAND, 0.5, " 千里挑一 ", transform=ax.get_xaxis_transform(), rotation=90,
                fontproperties=fp_small, va="center", ha="right", color="#444444")
    date = comparison.get("date")
    ax.set_title(title or f"{comparison.get('exam', '')}{comparison.get('year', '')} 竞争比"
                 f"（报名人数/招录人数{('，' + date) if date else ''}）", fontproperties=fp, fontsize=12)
    ax.set_xlabel("竞争比（对数刻度）", fontproperties=fp)
    ax.set_ylabel("岗位数", fontproperties=fp)
    ax.legend(prop=fp_small, loc="best")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
