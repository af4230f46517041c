"""What every workbook the bot sends shares (bot.sheets)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook, load_workbook

from bot.sheets import excel_time, fill, sheet_names


def test_text_that_looks_like_a_formula_stays_text() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    typed = ['=HYPERLINK("http://example.com","pay rise")', "+1", "-5 stars", "@boss", "fine"]
    fill(sheet, ["comment", "score"], [[text, 4] for text in typed])
    saved = io.BytesIO()
    workbook.save(saved)
    read = load_workbook(io.BytesIO(saved.getvalue())).active
    assert read is not None
    cells = [(row[0].value, row[0].data_type, row[1].value) for row in read.iter_rows(min_row=2)]
    assert cells == [(text, "s", 4) for text in typed]


def test_sheet_names_are_excel_safe_and_unique() -> None:
    names = sheet_names(["客房部", "a/b:c", "x" * 40, "客房部", ""], fallback="Sheet")
    assert names == ["客房部", "a b c", "x" * 31, "客房部 (2)", "Sheet 5"]


def test_times_are_the_hotels_wall_clock() -> None:
    moment = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    wall_clock = datetime(2026, 11, 27, 10, 0, tzinfo=UTC).replace(tzinfo=None)
    assert excel_time(moment, ZoneInfo("Asia/Shanghai")) == wall_clock
    assert excel_time(None, ZoneInfo("Asia/Shanghai")) is None
