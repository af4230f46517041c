"""The staff roster file (.csv or .xlsx) as rules: read it, check every line, report errors.

Pure: no Telegram, no database, no clock. `parse_roster` never raises on a bad file; every
problem comes back as a `RosterError` with the spreadsheet line it is on (the header is
line 1; 0 means the whole file).
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from bot.org import ROLES, normalise_username

NAME_MAX = 64
DEFAULT_ROLES: tuple[str, ...] = ("staff",)
LANGUAGE_CODES = ("zh", "en")

# A Telegram username: 5–32 letters, digits or underscores, starting with a letter (so it can
# never be mistaken for a numeric telegram id in the reports_to column).
USERNAME_RE = re.compile(r"[a-z][a-z0-9_]{4,31}")
TELEGRAM_ID_RE = re.compile(r"[0-9]+")

# Header aliases, compared after `_header_key` (lower case, spaces and dashes as "_").
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "telegram_id": ("telegram_id", "telegramid", "tg_id", "tgid", "电报id", "tg号", "飞机id"),
    "username": ("username", "telegram_username", "tg_username", "用户名", "电报用户名"),
    "name": ("name", "full_name", "姓名", "名字"),
    "department": ("department", "dept", "department_code", "部门", "部门代码"),
    "roles": ("roles", "role", "角色"),
    "reports_to": ("reports_to", "evaluator", "manager", "上级", "评估人", "汇报对象"),
    "language": ("language", "lang", "语言"),
}
_ALIAS_TO_COLUMN = {
    alias: column for column, aliases in COLUMN_ALIASES.items() for alias in aliases
}
LANGUAGE_ALIASES = {"中文": "zh", "chinese": "zh", "英文": "en", "english": "en"}
ROLE_SEPARATORS = re.compile(r"[;；]")


@dataclass(frozen=True)
class RosterRow:
    line: int
    telegram_id: int | None
    username: str | None  # normalised: lower case, without "@"
    name: str
    department: str  # a department code, lower case
    roles: tuple[str, ...]
    reports_to: str | None  # raw: digits (a telegram id) or a normalised username
    language: str | None


@dataclass(frozen=True)
class RosterError:
    line: int  # the spreadsheet line (header = 1); 0 for the whole file
    key: str  # a catalog key, e.g. "roster.error.unknown_role"
    params: dict[str, str]


@dataclass(frozen=True)
class RosterParse:
    """The rows that read well, and every error; import only when `errors` is empty."""

    rows: list[RosterRow]
    errors: list[RosterError]


def _error(line: int, reason: str, **params: str) -> RosterError:
    return RosterError(line, f"roster.error.{reason}", dict(params))


# --- Reading the file into lines of text cells -------------------------------------------------


class _Unreadable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _cell_text(value: Any) -> str:
    """One cell as text; spreadsheets give numbers back as int or float (1001.0 → "1001")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _read_csv(content: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Unreadable("not_utf8") from exc
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        return [(line, [_cell_text(c) for c in cells]) for line, cells in enumerate(reader, 1)]
    except csv.Error as exc:
        raise _Unreadable("unreadable") from exc


def _read_xlsx(content: bytes) -> list[tuple[int, list[str]]]:
    import openpyxl  # only needed for spreadsheets; keeps importing this module cheap

    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it does not know; harmless here.
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=False, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                rows = sheet.iter_rows(min_row=1, values_only=True)
                return [
                    (line, [_cell_text(c) for c in cells]) for line, cells in enumerate(rows, 1)
                ]
            finally:
                workbook.close()
    except Exception as exc:  # a broken xlsx raises zipfile, XML and openpyxl errors alike
        raise _Unreadable("unreadable") from exc


def _read_lines(filename: str, content: bytes) -> list[tuple[int, list[str]]]:
    """Non-blank lines with their spreadsheet line numbers."""
    lowered = filename.strip().lower()
    if lowered.endswith(".csv"):
        lines = _read_csv(content)
    elif lowered.endswith(".xlsx"):
        lines = _read_xlsx(content)
    else:
        raise _Unreadable("file_type")
    return [(line, cells) for line, cells in lines if any(cells)]


# --- The header --------------------------------------------------------------------------------


def _header_key(raw: str) -> str:
    return re.sub(r"[\s\-]+", "_", raw.strip().lower())


def _read_header(line: int, cells: list[str]) -> tuple[dict[str, int], list[RosterError]]:
    """Which cell holds which column, and what is wrong with the header."""
    columns: dict[str, int] = {}
    errors: list[RosterError] = []
    for index, cell in enumerate(cells):
        column = _ALIAS_TO_COLUMN.get(_header_key(cell))
        if column is None:
            continue  # an extra column: ignored
        if column in columns:
            errors.append(_error(line, "duplicate_column", column=cell))
            continue
        columns[column] = index
    if "telegram_id" not in columns and "username" not in columns:
        errors.append(_error(line, "missing_id_column"))
    errors.extend(
        _error(line, "missing_column", column=required)
        for required in ("name", "department")
        if required not in columns
    )
    return columns, errors


# --- One line ----------------------------------------------------------------------------------


def _parse_line(
    line: int, cell: Callable[[str], str], department_codes: Collection[str]
) -> tuple[RosterRow | None, list[RosterError]]:
    errors: list[RosterError] = []

    telegram_id: int | None = None
    raw_id = cell("telegram_id")
    if raw_id:
        if TELEGRAM_ID_RE.fullmatch(raw_id) and int(raw_id) > 0:
            telegram_id = int(raw_id)
        else:
            errors.append(_error(line, "bad_telegram_id", value=raw_id))

    username: str | None = None
    raw_username = cell("username")
    if raw_username:
        candidate = normalise_username(raw_username)
        if USERNAME_RE.fullmatch(candidate):
            username = candidate
        else:
            errors.append(_error(line, "bad_username", value=raw_username))

    if not raw_id and not raw_username:
        errors.append(_error(line, "no_id"))

    name = " ".join(cell("name").split())
    if not name:
        errors.append(_error(line, "missing_name"))
    elif len(name) > NAME_MAX:
        errors.append(_error(line, "name_too_long", max=str(NAME_MAX)))

    department = cell("department").lower()
    if not department:
        errors.append(_error(line, "missing_department"))
    elif department not in department_codes:
        errors.append(
            _error(line, "unknown_department", value=department, known=", ".join(department_codes))
        )

    roles: list[str] = []
    for piece in ROLE_SEPARATORS.split(cell("roles")):
        role = piece.strip().lower()
        if not role or role in roles:
            continue
        if role in ROLES:
            roles.append(role)
        else:
            errors.append(
                _error(line, "unknown_role", value=piece.strip(), known=", ".join(ROLES))
            )

    reports_to: str | None = None
    raw_reports_to = cell("reports_to")
    if raw_reports_to:
        candidate = normalise_username(raw_reports_to)
        if TELEGRAM_ID_RE.fullmatch(candidate) and int(candidate) > 0:
            reports_to = str(int(candidate))
        elif USERNAME_RE.fullmatch(candidate):
            reports_to = candidate
        else:
            errors.append(_error(line, "bad_reports_to", value=raw_reports_to))
        if reports_to is not None and reports_to in (str(telegram_id), username):
            errors.append(_error(line, "reports_to_self"))

    language: str | None = None
    raw_language = cell("language")
    if raw_language:
        code = LANGUAGE_ALIASES.get(raw_language.lower(), raw_language.lower())
        if code in LANGUAGE_CODES:
            language = code
        else:
            errors.append(_error(line, "bad_language", value=raw_language))

    if errors:
        return None, errors
    row = RosterRow(
        line=line,
        telegram_id=telegram_id,
        username=username,
        name=name,
        department=department,
        roles=tuple(roles) or DEFAULT_ROLES,
        reports_to=reports_to,
        language=language,
    )
    return row, []


def duplicate_errors(rows: Iterable[RosterRow]) -> list[RosterError]:
    """A second line for someone already listed (same telegram id or same username)."""
    first_seen: dict[tuple[str, object], int] = {}
    errors: list[RosterError] = []
    for row in rows:
        identities = [("id", row.telegram_id), ("username", row.username)]
        keys = [key for key in identities if key[1] is not None]
        earlier = [first_seen[key] for key in keys if key in first_seen]
        if earlier:
            errors.append(_error(row.line, "duplicate_person", first_line=str(min(earlier))))
            continue
        for key in keys:
            first_seen[key] = row.line
    return errors


# --- The whole file ----------------------------------------------------------------------------


def parse_roster(
    filename: str, content: bytes, *, department_codes: Collection[str]
) -> RosterParse:
    """Read and check a roster; any error at all means nothing should be imported."""
    try:
        lines = _read_lines(filename, content)
    except _Unreadable as exc:
        return RosterParse([], [_error(0, exc.reason)])
    if not lines:
        return RosterParse([], [_error(0, "empty_file")])

    header_line, header_cells = lines[0]
    columns, errors = _read_header(header_line, header_cells)
    if errors:
        return RosterParse([], errors)
    if len(lines) == 1:
        return RosterParse([], [_error(0, "no_rows")])

    codes = list(dict.fromkeys(code.strip().lower() for code in department_codes))
    rows: list[RosterRow] = []
    for line, cells in lines[1:]:

        def cell(column: str, cells: list[str] = cells) -> str:
            index = columns.get(column)
            return cells[index] if index is not None and index < len(cells) else ""

        row, row_errors = _parse_line(line, cell, codes)
        errors.extend(row_errors)
        if row is not None:
            rows.append(row)
    duplicates = duplicate_errors(rows)
    errors.extend(duplicates)
    rows = [row for row in rows if row.line not in {e.line for e in duplicates}]
    errors.sort(key=lambda e: e.line)
    return RosterParse(rows, errors)


def render_errors(errors: Sequence[RosterError], text: Callable[..., str]) -> list[str]:
    """One line of text per error, e.g. "Line 4: unknown role “chef” (roles are: …)"."""
    rendered: list[str] = []
    for error in errors:
        reason = text(error.key, **error.params)
        if error.line > 0:
            rendered.append(text("roster.error_line", line=error.line, reason=reason))
        else:
            rendered.append(text("roster.error_file", reason=reason))
    return rendered
