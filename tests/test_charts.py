"""The six-hearts charts: real PNGs of the promised size, Chinese with or without a CJK font."""

from __future__ import annotations

import io
import warnings

import pytest
from PIL import Image

from bot import charts

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

HEARTS_ZH = ["自信", "温暖", "用心", "耐心", "真诚", "细心"]
HEARTS_EN = ["Confidence", "Warmth", "Attentiveness", "Patience", "Sincerity", "Carefulness"]
NAMES_ZH = ["张伟", "李娜", "王芳"]
NAMES_EN = ["Zhang Wei", "Li Na", "Wang Fang"]


def _size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        return image.size


def _radar(scores: list[float], **kwargs: object) -> bytes:
    params: dict[str, object] = {
        "labels": HEARTS_EN,
        "fallback_labels": HEARTS_EN,
        "title": "Zhang Wei",
        "fallback_title": "Zhang Wei",
    }
    params.update(kwargs)
    return charts.radar_png(scores, **params)  # type: ignore[arg-type]


@pytest.fixture
def no_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(charts, "_cjk_font", lambda: None)


@pytest.fixture
def useless_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    """A "CJK" font that is found but lacks the glyphs (DejaVu Sans under another name)."""
    font = charts.CjkFont(charts.BASE_FAMILY, charts._base_font_path())
    monkeypatch.setattr(charts, "_cjk_font", lambda: font)


# --- radar -----------------------------------------------------------------------------------


def test_radar_is_an_800px_png() -> None:
    png = _radar([4, 3, 5, 2, 4, 3], comparison=[3.5, 3.2, 4, 3, 3.8, 3.1])
    assert _size(png) == charts.RADAR_SIZE_PX


def test_radar_differs_with_data() -> None:
    one = _radar([4, 3, 5, 2, 4, 3])
    assert one != _radar([4, 3, 5, 2, 4, 4])
    assert one != _radar([4, 3, 5, 2, 4, 3], comparison=[3, 3, 3, 3, 3, 3])
    assert one == _radar([4, 3, 5, 2, 4, 3])  # deterministic


def test_radar_accepts_the_extremes_of_the_scale() -> None:
    assert _size(_radar([1, 1, 1, 1, 1, 1])) == charts.RADAR_SIZE_PX
    assert _size(_radar([5, 5, 5, 5, 5, 5], comparison=[0, 0, 0, 0, 0, 0]))


@pytest.mark.parametrize(
    ("scores", "kwargs"),
    [
        ([4, 3, 5], {}),
        ([4, 3, 5, 2, 4, 3], {"fallback_labels": HEARTS_EN[:5]}),
        ([4, 3, 5, 2, 4, 3], {"comparison": [3, 3]}),
        ([4, 3, 5, 2, 4, 6], {}),
        ([4, 3, 5, 2, 4, -1], {}),
        ([4, 3, 5, 2, 4, float("nan")], {}),
        ([4, 3], {"labels": ["a", "b"], "fallback_labels": ["a", "b"]}),
        ([4, 3, 5, 2, 4, 3], {"scale_max": 0}),
    ],
)
def test_radar_rejects_bad_input(scores: list[float], kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        _radar(scores, **kwargs)


# --- bars ------------------------------------------------------------------------------------


def test_bars_is_a_png_of_the_promised_size() -> None:
    png = charts.bars_png(
        [24, 18.5, 27],
        labels=NAMES_EN,
        fallback_labels=NAMES_EN,
        title="Front office",
        fallback_title="Front office",
        value_max=30,
    )
    assert _size(png) == charts.bars_size_px(3)


def test_bars_with_one_person_and_with_many() -> None:
    one = charts.bars_png(
        [0], labels=["Li Na"], fallback_labels=["Li Na"], title="t", fallback_title="t"
    )
    assert _size(one) == charts.bars_size_px(1) == (800, charts.BARS_MIN_HEIGHT_PX)
    names = [f"Person {i}" for i in range(120)]
    many = charts.bars_png(
        [i % 30 for i in range(120)],
        labels=names,
        fallback_labels=names,
        title="t",
        fallback_title="t",
    )
    assert _size(many) == charts.bars_size_px(120) == (800, charts.BARS_MAX_HEIGHT_PX)


def test_bars_differ_with_data() -> None:
    def draw(values: list[float]) -> bytes:
        return charts.bars_png(
            values, labels=NAMES_EN, fallback_labels=NAMES_EN, title="t", fallback_title="t"
        )

    assert draw([24, 18, 27]) != draw([24, 18, 28])
    assert draw([24, 18, 27]) == draw([24, 18, 27])


@pytest.mark.parametrize(
    ("values", "labels", "value_max"),
    [
        ([], [], None),
        ([1, 2], NAMES_EN, None),
        ([1, 2, -3], NAMES_EN, None),
        ([1, 2, float("inf")], NAMES_EN, None),
        ([1, 2, 31], NAMES_EN, 30),
        ([1, 2, 3], NAMES_EN, 0),
    ],
)
def test_bars_reject_bad_input(
    values: list[float], labels: list[str], value_max: float | None
) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        charts.bars_png(
            values,
            labels=labels,
            fallback_labels=labels,
            title="t",
            fallback_title="t",
            value_max=value_max,
        )


def test_bars_mismatched_fallbacks_are_an_error() -> None:
    with pytest.raises(ValueError, match="same length"):
        charts.bars_png(
            [1, 2, 3], labels=NAMES_EN, fallback_labels=NAMES_EN[:2], title="t", fallback_title="t"
        )


# --- trend -----------------------------------------------------------------------------------


def test_trend_is_a_png_of_the_promised_size() -> None:
    png = charts.trend_png(
        [("2026-08", 20), ("2026-09", 22.5), ("2026-10", 24)],
        title="Zhang Wei",
        fallback_title="Zhang Wei",
        value_max=30,
    )
    assert _size(png) == charts.TREND_SIZE_PX


def test_trend_with_one_period_and_with_many() -> None:
    one = charts.trend_png([("2026-10", 24)], title="t", fallback_title="t")
    assert _size(one) == charts.TREND_SIZE_PX
    periods = [(f"{2020 + i // 12}-{i % 12 + 1:02d}", 10 + i % 7) for i in range(36)]
    assert _size(charts.trend_png(periods, title="t", fallback_title="t"))


def test_trend_differs_with_data() -> None:
    base = [("2026-09", 20.0), ("2026-10", 24.0)]
    one = charts.trend_png(base, title="t", fallback_title="t")
    assert one != charts.trend_png(
        [("2026-09", 20.0), ("2026-10", 25.0)], title="t", fallback_title="t"
    )
    assert one != charts.trend_png(
        [("2026-08", 20.0), ("2026-10", 24.0)], title="t", fallback_title="t"
    )
    assert one == charts.trend_png(base, title="t", fallback_title="t")


@pytest.mark.parametrize(
    ("points", "value_max"),
    [([], None), ([("2026-10", float("nan"))], None), ([("2026-10", 31)], 30)],
)
def test_trend_rejects_bad_input(points: list[tuple[str, float]], value_max: float | None) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        charts.trend_png(points, title="t", fallback_title="t", value_max=value_max)


# --- fonts and languages ---------------------------------------------------------------------


def _draw_all_in_chinese() -> list[bytes]:
    return [
        charts.radar_png(
            [4, 3, 5, 2, 4, 3],
            labels=HEARTS_ZH,
            fallback_labels=HEARTS_EN,
            title="张伟 · 2026年10月",
            fallback_title="Zhang Wei · 2026-10",
            comparison=[3.5, 3.2, 4, 3, 3.8, 3.1],
            series_label="本人",
            fallback_series_label="You",
            comparison_label="部门平均",
            fallback_comparison_label="Department average",
        ),
        charts.bars_png(
            [24, 18.5, 27],
            labels=NAMES_ZH,
            fallback_labels=NAMES_EN,
            title="前厅部 · 总分",
            fallback_title="Front office · totals",
            value_max=30,
        ),
        charts.trend_png(
            [("2026-09", 22), ("2026-10", 24)],
            title="张伟 · 总分",
            fallback_title="Zhang Wei · total",
        ),
    ]


def _assert_no_warnings_drawing_chinese() -> list[bytes]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pngs = _draw_all_in_chinese()
    for png in pngs:
        assert png.startswith(PNG_SIGNATURE)
    return pngs


@pytest.mark.usefixtures("no_cjk_font")
def test_chinese_without_a_cjk_font_falls_back_to_english() -> None:
    assert not charts.has_cjk_font()
    pngs = _assert_no_warnings_drawing_chinese()
    english = charts.bars_png(
        [24, 18.5, 27],
        labels=NAMES_EN,
        fallback_labels=NAMES_EN,
        title="Front office · totals",
        fallback_title="Front office · totals",
        value_max=30,
    )
    assert pngs[1] == english


@pytest.mark.usefixtures("useless_cjk_font")
def test_a_found_font_without_the_glyphs_also_falls_back() -> None:
    assert charts.has_cjk_font()
    _assert_no_warnings_drawing_chinese()


@pytest.mark.skipif(not charts.has_cjk_font(), reason="no CJK font installed")
def test_chinese_with_a_cjk_font_is_drawn_in_chinese() -> None:
    pngs = _assert_no_warnings_drawing_chinese()
    english = charts.bars_png(
        [24, 18.5, 27],
        labels=NAMES_EN,
        fallback_labels=NAMES_EN,
        title="Front office · totals",
        fallback_title="Front office · totals",
        value_max=30,
    )
    assert pngs[1] != english


def test_undrawable_characters_in_fallbacks_become_question_marks() -> None:
    latin = frozenset(range(0x20, 0x7F))
    assert charts.choose_texts(["张伟"], ["Zhang 伟"], latin) == ["Zhang ?"]
    assert charts.choose_texts(["Li", "张伟"], ["Li", "Zhang"], latin) == ["Li", "Zhang"]
    cjk = latin | {ord("张"), ord("伟")}
    assert charts.choose_texts(["Li", "张伟"], ["Li", "Zhang"], cjk) == ["Li", "张伟"]


def test_dollar_signs_are_not_mathtext() -> None:
    png = charts.bars_png(
        [1, 2],
        labels=["$x", "a$b$"],
        fallback_labels=["$x", "a$b$"],
        title="$",
        fallback_title="$",
    )
    assert png.startswith(PNG_SIGNATURE)


def test_cjk_lookup_finds_a_real_font_or_none() -> None:
    charts._cjk_font.cache_clear()
    font = charts._cjk_font()
    assert font is None or ord("张") in charts._charmap(font.path)
