"""The summary report's charts (matplotlib, Agg), in a CJK font, legible at print size.

Each figure is drawn at the size it is embedded in the report (``width_mm``), so a 10 pt label
prints at 10 pt; nothing is smaller than :data:`MIN_PT`. PNGs are deterministic: fixed dpi, no
software/date metadata, so the same figures give the same bytes.

The font is taken by file path from Debian packages (FandolHei from texlive-lang-chinese, else
Noto Sans CJK from fonts-noto-cjk); matplotlib's own font search would fall back to DejaVu Sans
and draw boxes instead of hanzi.
"""

from __future__ import annotations

import os
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from . import cnnum
from .aggregate import FUNDING_IDS, KIND_LABELS, NationalSummary
from .errors import MissingDependencyError

DPI = 200
BASE_PT = 10
MIN_PT = 9
WIDTH_MM = 150

# (path, face index) in order of preference
CJK_FONT_FILES: tuple[tuple[str, int], ...] = (
    ("/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol/FandolHei-Regular.otf", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)

FUNDING_SHORT = {
    "funding.central": "中央财政", "funding.provincial": "省级、副省级财政", "funding.municipal": "市级财政",
    "funding.county": "县级财政", "funding.enterprise": "企业赞助", "funding.in_kind": "实物投入",
    "funding.other": "其他经费",
}
KIND_SHORT = {"province": "省级", "city": "计划单列市、\n副省级城市", "department": "中央有关部门", "other": "其他"}
OFFLINE_COLOR = "#1f5fa8"
ONLINE_COLOR = "#e08a1e"
BAR_COLOR = "#1f5fa8"


def cjk_font_file() -> str:
    """Path of the CJK font the charts use; :class:`MissingDependencyError` if none is installed."""
    for path, _ in CJK_FONT_FILES:
        if os.path.exists(path):
            return path
    raise MissingDependencyError(
        "no CJK font for the charts (looked for FandolHei, Noto Sans CJK, WenQuanYi Zen Hei)",
        hint="run scripts/quickstart.sh setup, or: apt-get install texlive-lang-chinese fonts-noto-cjk")


@lru_cache(maxsize=1)
def _setup() -> str:
    import matplotlib
    matplotlib.use("Agg", force=True)
    from matplotlib import font_manager, rcParams

    path = cjk_font_file()
    font_manager.fontManager.addfont(path)
    family = font_manager.FontProperties(fname=path).get_name()
    rcParams.update({
        "font.family": [family],
        "font.size": BASE_PT,
        "axes.titlesize": BASE_PT + 1,
        "axes.labelsize": BASE_PT,
        "xtick.labelsize": MIN_PT,
        "ytick.labelsize": MIN_PT,
        "legend.fontsize": MIN_PT,
        "axes.unicode_minus": False,
        "svg.hashsalt": "kjhdz",
        "path.simplify": True,
        "axes.spines.top": False,
        "axes.spines.right": False,
    })
    return family


def font_family() -> str:
    """The family name matplotlib uses for the charts (e.g. ``FandolHei``)."""
    return _setup()


def _figure(width_mm: float, height_mm: float):
    _setup()
    import matplotlib.pyplot as plt

    return plt.figure(figsize=(width_mm / 25.4, height_mm / 25.4), dpi=DPI)


def _save(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    fig.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    os.replace(tmp, path)
    return path


def _wan(value) -> float:
    return float(Decimal(value) / 10_000)


def funding_structure(summary: NationalSummary, path: Path, *, width_mm: float = WIDTH_MM) -> Path:
    """Horizontal bars of the 7 funding sources, each labelled with 万元 and its share."""
    totals = summary.totals
    shares = summary.funding_shares
    ids = list(FUNDING_IDS)
    fig = _figure(width_mm, 80)
    ax = fig.add_subplot()
    raw = [Decimal(totals[k]) for k in ids]
    in_yi = max(raw, default=0) >= 10_000
    values = [float(v / 10_000) if in_yi else float(v) for v in raw]
    y = list(range(len(ids)))[::-1]
    ax.barh(y, values, color=BAR_COLOR, height=0.6)
    ax.set_yticks(y, [FUNDING_SHORT[k] for k in ids])
    top = max(values) if any(values) else 1.0
    ax.set_xlim(0, top * 1.5)
    for yi, k, v in zip(y, ids, values):
        ax.text(v + top * 0.02, yi, f"{cnnum.money_wan(totals[k])}（{cnnum.percent(shares[k], 1)}）",
                va="center", fontsize=MIN_PT)
    ax.set_xlabel("亿元" if in_yi else "万元")
    ax.set_title(f"活动经费投入结构（合计{cnnum.money_wan(summary.derived['funding.total'])}）")
    _axis_format(ax.xaxis)
    fig.tight_layout()
    return _save(fig, path)


def participation_by_unit(summary: NationalSummary, path: Path, *, top: int = 10,
                          width_mm: float = WIDTH_MM) -> Path:
    """The ``top`` units by public participation, offline and online stacked (万人次)."""
    ranked = summary.rankings.get("public", [])[:top]
    rows = [summary.unit(r.unit) for r in ranked]
    fig = _figure(width_mm, 30 + 8 * max(len(rows), 3))
    ax = fig.add_subplot()
    y = list(range(len(rows)))[::-1]
    off = [_wan(r.values["public.offline"]) for r in rows]
    on = [_wan(r.values["public.online"]) for r in rows]
    ax.barh(y, off, color=OFFLINE_COLOR, height=0.6, label="线下")
    ax.barh(y, on, left=off, color=ONLINE_COLOR, height=0.6, label="线上")
    ax.set_yticks(y, [r.unit for r in rows])
    most = max((a + b for a, b in zip(off, on)), default=0) or 1.0
    ax.set_xlim(0, most * 1.3)
    for yi, r, a, b in zip(y, rows, off, on):
        ax.text(a + b + most * 0.02, yi, cnnum.count(r.public, "人次"), va="center", fontsize=MIN_PT)
    ax.set_xlabel("万人次")
    _axis_format(ax.xaxis)
    ax.set_title(f"群众参与数量前{len(rows)}位的地方和部门")
    ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    return _save(fig, path)


def offline_online(summary: NationalSummary, path: Path, *, width_mm: float = WIDTH_MM) -> Path:
    """Offline against online participation, nationally and by kind of unit (万人次)."""
    groups = [("全国", summary.totals)] + [(KIND_SHORT.get(k, k), t) for k, t in summary.by_kind.items()
                                         if k in KIND_LABELS and any(t.values())]
    fig = _figure(width_mm, 24 + 16 * len(groups))
    ax = fig.add_subplot()
    y = [len(groups) - 1 - i for i in range(len(groups))]
    h = 0.36
    off = [_wan(t["public.offline"]) for _, t in groups]
    on = [_wan(t["public.online"]) for _, t in groups]
    ax.barh([i + h / 2 for i in y], off, h, color=OFFLINE_COLOR, label="线下活动")
    ax.barh([i - h / 2 for i in y], on, h, color=ONLINE_COLOR, label="线上活动")
    most = max(off + on, default=0) or 1.0
    ax.set_xlim(0, most * 1.25)
    for i, (_, t) in zip(y, groups):
        for dy, key in ((h / 2, "public.offline"), (-h / 2, "public.online")):
            ax.text(_wan(t[key]) + most * 0.015, i + dy, cnnum.count(t[key], "人次"), va="center",
                    fontsize=MIN_PT)
    ax.set_yticks(y, [g for g, _ in groups])
    ax.set_xlabel("万人次")
    _axis_format(ax.xaxis)
    share = summary.online_share
    ax.set_title(f"线下与线上群众参与（线上占{cnnum.percent(share, 1)}）")
    ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    return _save(fig, path)


def activities_by_unit(summary: NationalSummary, path: Path, *, top: int = 10, width_mm: float = WIDTH_MM) -> Path:
    """The ``top`` units by number of activities."""
    ranked = summary.rankings.get("activities", [])[:top]
    fig = _figure(width_mm, 30 + 8 * max(len(ranked), 3))
    ax = fig.add_subplot()
    y = list(range(len(ranked)))[::-1]
    vals = [int(r.value) for r in ranked]
    ax.barh(y, vals, color=BAR_COLOR, height=0.6)
    ax.set_yticks(y, [r.unit for r in ranked])
    most = max(vals, default=0) or 1
    ax.set_xlim(0, most * 1.25)
    for yi, v in zip(y, vals):
        ax.text(v + most * 0.02, yi, cnnum.count(v, "次"), va="center", fontsize=MIN_PT)
    ax.set_xlabel("次")
    _axis_format(ax.xaxis)
    ax.set_title(f"科普活动开展次数前{len(ranked)}位的地方和部门")
    fig.tight_layout()
    return _save(fig, path)


def _axis_format(axis) -> None:
    """At most 5 ticks with thousands separators (long numbers must not collide)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=5, min_n_ticks=3))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"))


CHARTS = {
    "chart_funding": ("funding.png", funding_structure),
    "chart_participation": ("participation.png", participation_by_unit),
    "chart_offline_online": ("offline_online.png", offline_online),
    "chart_activities": ("activities.png", activities_by_unit),
}


def draw_all(summary: NationalSummary, folder: Path, *, width_mm: float = WIDTH_MM) -> dict[str, Path]:
    """Every chart of the report into ``folder``; returns template key → PNG path."""
    return {key: fn(summary, folder / name, width_mm=width_mm) for key, (name, fn) in CHARTS.items()}
