"""What every workbook the bot sends shares (the VIP archive, the six-hearts export):
Excel-safe sheet names, readable headers and column widths, and times on the hotel's clock.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
SHEET_NAME_MAX = 31
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
FORMULA_STARTS = ("=", "+", "-", "@")

Cell = str | int | float | bool | datetime | None
Text = Callable[..., str]


def label(text: Text, key: str, **params: object) -> str:
    """A catalog text as plain text for a cell (catalog texts are Telegram HTML)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text(key, **params)))


def sheet_names(names: Sequence[str], fallback: str = "Sheet") -> list[str]:
    """Excel-safe sheet names: no []:*?/\\, at most 31 characters, unique ignoring case."""
    taken: set[str] = set()
    out = []
    for index, name in enumerate(names, start=1):
        base = _SHEET_NAME_FORBIDDEN.sub(" ", name).strip().strip("'") or f"{fallback} {index}"
        candidate = base[:SHEET_NAME_MAX]
        number = 2
        while candidate.casefold() in taken:
            suffix = f" ({number})"
            candidate = base[: SHEET_NAME_MAX - len(suffix)] + suffix
            number += 1
        taken.add(candidate.casefold())
        out.append(candidate)
    return out


def excel_time(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    if moment is None:
        return None
    # Deliberately naive: openpyxl cannot store aware datetimes, so the cell holds the
    # wall-clock time in the hotel's zone.
    return moment.astimezone(zone).replace(tzinfo=None)


def _width(shown: str) -> int:
    """Roughly how many character widths `shown` takes: CJK characters count double."""
    return sum(1 if ord(char) < 0x1100 else 2 for char in shown)


def fill(
    sheet: Worksheet,
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    min_width: int = 8,
) -> None:
    """Bold frozen headers, the rows, columns as wide as their content (up to a limit),
    times formatted, multi-line cells wrapped."""
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    sheet.freeze_panes = "A2"
    widths = [max(min_width, _width(header) + 2) for header in headers]
    for row in rows:
        sheet.append(list(row))
        for index, value in enumerate(row):
            if isinstance(value, datetime):
                width = 17
            elif value is None:
                width = 0
            else:
                width = max(_width(line) for line in str(value).splitlines() or [""])
            widths[index] = max(widths[index], min(width + 2, 60))
    for row_cells in sheet.iter_rows(min_row=2):
        for cell in row_cells:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                # A name or comment like "=HYPERLINK(…)" is text people typed, never a
                # formula for the reader's Excel to run.
                cell.data_type = "s"
            if isinstance(cell.value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(cell.value, str) and "\n" in cell.value:
                cell.alignment = Alignment(vertical="top", wrap_text=True)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
