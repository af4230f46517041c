"""Charts of the six-hearts staff evaluation, drawn as PNG bytes for sending as Telegram photos.

Pure: no Telegram, no database, no clock. Drawing uses matplotlib's object API with the Agg
canvas (`Figure` + `FigureCanvasAgg`), never pyplot or the global `rcParams`, so it is safe in
a server and from several threads.

Every text (title, axis labels, legend) comes from the caller, already in the reader's language,
together with an English fallback. A chart is drawn in the caller's language when the fonts at
hand have a glyph for every character of every text on it; otherwise the whole chart is drawn
with the fallbacks, so it never shows tofu boxes and matplotlib never warns about missing glyphs.
Characters that even the fallback font lacks are drawn as "?".

Chinese labels need a CJK font on the server, for example (Debian/Ubuntu):

    apt install fonts-noto-cjk
    rm -rf ~/.cache/matplotlib   # matplotlib caches its font list; then restart the bot

Fonts are looked up on the first chart drawn (not at import) and the answer is kept for the life
of the process.

Sizes: the radar is 800x800 px, the trend 800x600 px, and the bar chart 800 px wide and as tall
as `bars_size_px` says for its number of bars (480-4000 px), well under Telegram's photo limits.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import cast

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.projections.polar import PolarAxes

DPI = 100
RADAR_SIZE_PX = (800, 800)
TREND_SIZE_PX = (800, 600)
BARS_WIDTH_PX = 800
BARS_MIN_HEIGHT_PX = 480
BARS_MAX_HEIGHT_PX = 4000

# Preferred CJK families, best first.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "AR PL UMing CN",
)
BASE_FAMILY = "DejaVu Sans"  # ships with matplotlib

MAX_LABEL_CHARS = 32
MAX_TITLE_CHARS = 70

COLOR_MAIN = "#c0392b"
COLOR_COMPARISON = "#2c7fb8"
COLOR_GRID = "#bbbbbb"

_PROBE = "张"  # a CJK ideograph: a font without it is no CJK font


@dataclass(frozen=True)
class CjkFont:
    """An installed font able to draw Chinese."""

    family: str
    path: str


@dataclass(frozen=True)
class _Fonts:
    families: tuple[str, ...]
    codepoints: frozenset[int]


def _charmap(path: str) -> frozenset[int]:
    return frozenset(font_manager.get_font(path).get_charmap())


@lru_cache(maxsize=1)
def _cjk_font() -> CjkFont | None:
    """The best installed CJK font, found through matplotlib's font list."""
    by_family: dict[str, str] = {}
    for entry in font_manager.fontManager.ttflist:
        by_family.setdefault(entry.name, entry.fname)
    for family in CJK_FAMILIES:
        path = by_family.get(family)
        if path is None:
            continue
        try:
            covered = ord(_PROBE) in _charmap(path)
        except (OSError, RuntimeError, ValueError):
            continue
        if covered:
            return CjkFont(family, path)
    return None


def _base_font_path() -> str:
    return str(Path(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf"))


def _fonts() -> _Fonts:
    """The font families to draw with and every character they can draw together."""
    codepoints = _charmap(_base_font_path())
    cjk = _cjk_font()
    if cjk is None:
        return _Fonts((BASE_FAMILY,), codepoints)
    return _Fonts((cjk.family, BASE_FAMILY), codepoints | _charmap(cjk.path))


def has_cjk_font() -> bool:
    """Whether charts can show Chinese (a CJK font is installed and known to matplotlib)."""
    return _cjk_font() is not None


# --- texts -----------------------------------------------------------------------------------


def _covered(text: str, codepoints: frozenset[int]) -> bool:
    return all(ch == "\n" or ord(ch) in codepoints for ch in text)


def _sanitize(text: str, codepoints: frozenset[int]) -> str:
    return "".join(ch if ch == "\n" or ord(ch) in codepoints else "?" for ch in text)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def choose_texts(
    texts: Sequence[str], fallbacks: Sequence[str], codepoints: frozenset[int]
) -> list[str]:
    """`texts` if the fonts draw all of them, else `fallbacks` with undrawable characters as "?".

    One choice for the whole chart, so a chart is never half Chinese, half English.
    """
    if len(texts) != len(fallbacks):
        raise ValueError("every text needs a fallback")
    if all(_covered(t, codepoints) for t in texts):
        return list(texts)
    return [_sanitize(f, codepoints) for f in fallbacks]


# --- checks ----------------------------------------------------------------------------------


def _finite(values: Sequence[float], what: str) -> list[float]:
    out = [float(v) for v in values]
    if not all(math.isfinite(v) for v in out):
        raise ValueError(f"{what} must be finite numbers")
    return out


def _check_max(values: Sequence[float], value_max: float | None) -> None:
    if value_max is None:
        return
    if not (math.isfinite(value_max) and value_max > 0):
        raise ValueError("value_max must be a positive number")
    if values and max(values) > value_max:
        raise ValueError("a value is above value_max")


def _auto_top(values: Sequence[float], value_max: float | None) -> float:
    if value_max is not None:
        return value_max
    top = max(values, default=0.0)
    return top * 1.15 if top > 0 else 1.0


def _fmt(value: float) -> str:
    return f"{round(value, 2):g}"


# --- drawing ---------------------------------------------------------------------------------


def _figure(size_px: tuple[int, int]) -> Figure:
    fig = Figure(figsize=(size_px[0] / DPI, size_px[1] / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _props(fonts: _Fonts, size: float, weight: str = "normal") -> FontProperties:
    return FontProperties(family=list(fonts.families), size=size, weight=weight)


def _title(fig: Figure, text: str, fonts: _Fonts) -> None:
    fig.suptitle(text, fontproperties=_props(fonts, 16, "bold"), parse_math=False)


def bars_size_px(count: int) -> tuple[int, int]:
    """The pixel size of a bar chart with `count` bars."""
    height = min(max(160 + 44 * count, BARS_MIN_HEIGHT_PX), BARS_MAX_HEIGHT_PX)
    return BARS_WIDTH_PX, height


def radar_png(
    scores: Sequence[float],
    *,
    labels: Sequence[str],
    fallback_labels: Sequence[str],
    title: str,
    fallback_title: str,
    comparison: Sequence[float] | None = None,
    series_label: str = "",
    fallback_series_label: str = "",
    comparison_label: str = "",
    fallback_comparison_label: str = "",
    scale_max: int = 5,
) -> bytes:
    """A radar of one person's scores (one axis per label), optionally over a comparison.

    `scores` and `comparison` lie in 0..`scale_max`; there are at least three axes. The legend
    (shown only with a comparison) names the two polygons `series_label` and `comparison_label`.
    """
    n = len(labels)
    if n < 3:
        raise ValueError("a radar needs at least three axes")
    if len(fallback_labels) != n or len(scores) != n:
        raise ValueError("scores, labels and fallback_labels must have the same length")
    if comparison is not None and len(comparison) != n:
        raise ValueError("comparison must have one value per label")
    if scale_max < 1:
        raise ValueError("scale_max must be at least 1")
    values = _finite(scores, "scores")
    others = None if comparison is None else _finite(comparison, "comparison")
    if any(not 0 <= v <= scale_max for v in values + (others or [])):
        raise ValueError(f"scores must lie between 0 and {scale_max}")

    fonts = _fonts()
    texts = choose_texts(
        [title, series_label, comparison_label, *labels],
        [fallback_title, fallback_series_label, fallback_comparison_label, *fallback_labels],
        fonts.codepoints,
    )
    title_text, series_text, comparison_text = texts[:3]
    axis_texts = [_shorten(t, MAX_LABEL_CHARS) for t in texts[3:]]

    fig = _figure(RADAR_SIZE_PX)
    ax = cast(PolarAxes, fig.add_subplot(projection="polar"))
    ax.set_theta_offset(math.pi / 2)
    ax.set_theta_direction(-1)
    angles = np.linspace(0, 2 * math.pi, n, endpoint=False)
    closed = np.append(angles, angles[0])

    if others is not None:
        ax.plot(closed, [*others, others[0]], color=COLOR_COMPARISON, linewidth=2, linestyle="--")
        ax.fill(closed, [*others, others[0]], color=COLOR_COMPARISON, alpha=0.10)
    ax.plot(closed, [*values, values[0]], color=COLOR_MAIN, linewidth=2.5, marker="o")
    ax.fill(closed, [*values, values[0]], color=COLOR_MAIN, alpha=0.25)
    for angle, value in zip(angles, values, strict=True):
        ax.annotate(
            _fmt(value),
            (angle, value),
            xytext=(0, 9),
            textcoords="offset points",
            ha="center",
            fontsize=11,
            color=COLOR_MAIN,
            fontweight="bold",
        )

    ax.set_ylim(0, scale_max)
    ax.set_yticks(range(1, scale_max + 1))
    ax.tick_params(axis="y", labelsize=9, labelcolor="#777777")
    ax.set_rlabel_position(180 / n)  # between the first two axes, clear of the values
    ax.set_xticks(angles, axis_texts, fontproperties=_props(fonts, 13), parse_math=False)
    ax.tick_params(axis="x", pad=12)
    ax.grid(color=COLOR_GRID)

    if others is not None:
        handles = ax.get_lines()
        legend = ax.legend(
            [handles[1], handles[0]],
            [series_text, comparison_text],
            loc="upper right",
            bbox_to_anchor=(1.12, 1.10),
            prop=_props(fonts, 11),
        )
        for text in legend.get_texts():
            text.set_parse_math(False)

    _title(fig, _shorten(title_text, MAX_TITLE_CHARS), fonts)
    return _png(fig)


def bars_png(
    values: Sequence[float],
    *,
    labels: Sequence[str],
    fallback_labels: Sequence[str],
    title: str,
    fallback_title: str,
    value_max: float | None = None,
) -> bytes:
    """Horizontal bars, one per label, top to bottom in the given order, each with its value.

    Values are finite and not negative; with `value_max` the axis runs to it (a value above it
    is an error), without it the axis fits the largest value.
    """
    n = len(values)
    if n == 0:
        raise ValueError("a bar chart needs at least one value")
    if len(labels) != n or len(fallback_labels) != n:
        raise ValueError("values, labels and fallback_labels must have the same length")
    numbers = _finite(values, "values")
    if min(numbers) < 0:
        raise ValueError("values must not be negative")
    _check_max(numbers, value_max)

    fonts = _fonts()
    texts = choose_texts([title, *labels], [fallback_title, *fallback_labels], fonts.codepoints)
    bar_texts = [_shorten(t, MAX_LABEL_CHARS) for t in texts[1:]]

    fig = _figure(bars_size_px(n))
    ax: Axes = fig.add_subplot()
    positions = list(range(n))
    ax.barh(positions, numbers, color=COLOR_MAIN, height=0.6)
    for pos, value in zip(positions, numbers, strict=True):
        ax.annotate(
            _fmt(value),
            (value, pos),
            xytext=(5, 0),
            textcoords="offset points",
            va="center",
            fontsize=11,
        )
    ax.set_yticks(positions, bar_texts, fontproperties=_props(fonts, 12), parse_math=False)
    ax.set_ylim(n - 0.5, -0.5)  # first value on top
    top = _auto_top(numbers, value_max)
    ax.set_xlim(0, top * 1.08 if value_max is not None else top)
    ax.grid(axis="x", color=COLOR_GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)

    _title(fig, _shorten(texts[0], MAX_TITLE_CHARS), fonts)
    return _png(fig)


def trend_png(
    points: Sequence[tuple[str, float]],
    *,
    title: str,
    fallback_title: str,
    value_max: float | None = None,
) -> bytes:
    """A line through (period, value) points in the given order, e.g. ("2026-10", 24).

    One point draws a single marker. Values are finite; with `value_max` the axis runs from 0
    to it (a value above it is an error), without it the axis fits the largest value.
    """
    if not points:
        raise ValueError("a trend needs at least one point")
    periods = [str(p) for p, _ in points]
    numbers = _finite([v for _, v in points], "values")
    _check_max(numbers, value_max)

    fonts = _fonts()
    title_text = choose_texts([title], [fallback_title], fonts.codepoints)[0]
    period_texts = [_sanitize(_shorten(p, 16), fonts.codepoints) for p in periods]

    fig = _figure(TREND_SIZE_PX)
    ax: Axes = fig.add_subplot()
    xs = list(range(len(points)))
    ax.plot(xs, numbers, color=COLOR_MAIN, linewidth=2.5, marker="o", markersize=8)
    for x, value in zip(xs, numbers, strict=True):
        ax.annotate(
            _fmt(value),
            (x, value),
            xytext=(0, 9),
            textcoords="offset points",
            ha="center",
            fontsize=11,
        )
    many = len(points) > 8
    ax.set_xticks(
        xs,
        period_texts,
        fontproperties=_props(fonts, 11),
        parse_math=False,
        rotation=45 if many else 0,
        ha="right" if many else "center",
    )
    ax.set_xlim(-0.5, len(points) - 0.5)
    low = min(0.0, min(numbers))
    top = _auto_top(numbers, value_max)
    ax.set_ylim(low, top * 1.08 if value_max is not None else top)
    ax.grid(color=COLOR_GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)

    _title(fig, _shorten(title_text, MAX_TITLE_CHARS), fonts)
    return _png(fig)
