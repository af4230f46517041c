"""Reading and checking a roster file (.csv, .xlsx), and the texts its errors are shown with."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import openpyxl
import pytest

import bot.roster
import storage.roster
from bot.i18n import LOCALES_DIR, Catalog, placeholders
from bot.org import DEFAULT_DEPARTMENTS, ROLES
from bot.roster import RosterError, RosterRow, parse_roster, render_errors

CODES = [d.code for d in DEFAULT_DEPARTMENTS]
HEADER = "telegram_id,username,name,department,roles,reports_to,language"


def csv_file(*lines: str, bom: bool = True) -> bytes:
    body = "\r\n".join(lines) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + body.encode("utf-8")


def xlsx_file(*rows: tuple[object, ...]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def problems(filename: str, content: bytes) -> list[tuple[int, str]]:
    parsed = parse_roster(filename, content, department_codes=CODES)
    return [(e.line, e.key.removeprefix("roster.error.")) for e in parsed.errors]


# --- Good files --------------------------------------------------------------------------------


def test_a_good_csv_with_bom_reads_every_row() -> None:
    content = csv_file(
        HEADER + ",notes",
        "1001,@Boss_HK,Wang Li,HK,head; staff,,ZH,head of housekeeping",
        "",
        ",amy_chen,  Amy   Chen ,hk,,@boss_hk,,",
        "1003,,Bo,eng,Staff,1001,en,",
    )
    parsed = parse_roster("Roster.CSV", content, department_codes=CODES)
    assert parsed.errors == []
    assert parsed.rows == [
        RosterRow(2, 1001, "boss_hk", "Wang Li", "hk", ("head", "staff"), None, "zh"),
        RosterRow(4, None, "amy_chen", "Amy Chen", "hk", ("staff",), "boss_hk", None),
        RosterRow(5, 1003, None, "Bo", "eng", ("staff",), "1001", "en"),
    ]


def test_a_csv_without_bom_and_with_a_quoted_comma_reads_too() -> None:
    content = csv_file("name,username,department", '"Chen, Amy",amy_chen,fb', bom=False)
    parsed = parse_roster("r.csv", content, department_codes=CODES)
    assert parsed.errors == []
    assert [(r.name, r.username, r.department) for r in parsed.rows] == [
        ("Chen, Amy", "amy_chen", "fb")
    ]


def test_an_xlsx_with_numeric_ids_and_chinese_headers() -> None:
    content = xlsx_file(
        ("电报ID", "用户名", "姓名", "部门", "角色", "上级", "语言", "备注"),
        (1001, "@wang_li", "王丽", "hk", "head；staff", None, "中文", "x"),
        (1002.0, None, "李雷", "hk", None, 1001.0, "zh", None),
        (None, None, None, None, None, None, None, None),
        ("1004", "zhang_san", "张三", "eng", "", "wang_li", None, None),
    )
    parsed = parse_roster("名单.xlsx", content, department_codes=CODES)
    assert parsed.errors == []
    assert parsed.rows == [
        RosterRow(2, 1001, "wang_li", "王丽", "hk", ("head", "staff"), None, "zh"),
        RosterRow(3, 1002, None, "李雷", "hk", ("staff",), "1001", "zh"),
        RosterRow(5, 1004, "zhang_san", "张三", "eng", ("staff",), "wang_li", None),
    ]


def test_xlsx_errors_carry_the_spreadsheet_line() -> None:
    content = xlsx_file(
        ("Telegram ID", "Name", "Department"),
        (1001, "Amy", "hk"),
        (),
        (1002.5, "Bo", "hk"),
    )
    assert problems("r.xlsx", content) == [(4, "bad_telegram_id")]


# --- Every error, with its line ----------------------------------------------------------------

ROW_ERRORS = [
    pytest.param([",,Amy,hk,,,"], [(2, "no_id")], id="neither-id-nor-username"),
    pytest.param(["abc,,Amy,hk,,,"], [(2, "bad_telegram_id")], id="id-not-a-number"),
    pytest.param(["0,,Amy,hk,,,"], [(2, "bad_telegram_id")], id="id-zero"),
    pytest.param(["-5,,Amy,hk,,,"], [(2, "bad_telegram_id")], id="id-negative"),
    pytest.param(["1.5,,Amy,hk,,,"], [(2, "bad_telegram_id")], id="id-fraction"),
    pytest.param([",@amy,Amy,hk,,,"], [(2, "bad_username")], id="username-too-short"),
    pytest.param([",amy chen,Amy,hk,,,"], [(2, "bad_username")], id="username-with-space"),
    pytest.param([",1amychen,Amy,hk,,,"], [(2, "bad_username")], id="username-digit-first"),
    pytest.param([",a" + "b" * 32 + ",Amy,hk,,,"], [(2, "bad_username")], id="username-long"),
    pytest.param(["1,,,hk,,,"], [(2, "missing_name")], id="missing-name"),
    pytest.param(["1,," + "x" * 65 + ",hk,,,"], [(2, "name_too_long")], id="long-name"),
    pytest.param(["1,,Amy,,,,"], [(2, "missing_department")], id="missing-department"),
    pytest.param(["1,,Amy,spa,,,"], [(2, "unknown_department")], id="unknown-department"),
    pytest.param(["1,,Amy,hk,staff;chef,,"], [(2, "unknown_role")], id="unknown-role"),
    pytest.param(["1,,Amy,hk,,,fr"], [(2, "bad_language")], id="bad-language"),
    pytest.param(["1,,Amy,hk,,1,"], [(2, "reports_to_self")], id="reports-to-self-by-id"),
    pytest.param(
        [",amy_chen,Amy,hk,,@AMY_CHEN,"], [(2, "reports_to_self")], id="reports-to-self-by-name"
    ),
    pytest.param(["1,,Amy,hk,,who?,"], [(2, "bad_reports_to")], id="bad-reports-to"),
    pytest.param(
        ["1,,Amy,hk,,,", "2,,Bo,hk,,,", "1,,Amy again,hk,,,"],
        [(4, "duplicate_person")],
        id="same-id-twice",
    ),
    pytest.param(
        [",amy_chen,Amy,hk,,,", "7,@Amy_Chen,Amy,hk,,,"],
        [(3, "duplicate_person")],
        id="same-username-twice",
    ),
    pytest.param(
        ["1,,Amy,hk,,,", "", "x,,,spa,chef,,fr"],
        [
            (4, "bad_telegram_id"),
            (4, "missing_name"),
            (4, "unknown_department"),
            (4, "unknown_role"),
            (4, "bad_language"),
        ],
        id="every-problem-of-a-line-after-a-blank-line",
    ),
]


@pytest.mark.parametrize(("lines", "expected"), ROW_ERRORS)
def test_each_bad_line_is_reported_with_its_line(
    lines: list[str], expected: list[tuple[int, str]]
) -> None:
    content = csv_file(HEADER, *lines)
    assert problems("roster.csv", content) == expected
    parsed = parse_roster("roster.csv", content, department_codes=CODES)
    assert {r.line for r in parsed.rows}.isdisjoint(line for line, _ in expected)


def test_error_params_name_the_value_and_what_is_allowed() -> None:
    content = csv_file(HEADER, "1,,Amy,hk,staff;Chef,,", "2,,Bo,Spa,,,")
    errors = parse_roster("r.csv", content, department_codes=["hk", "eng"]).errors
    assert errors == [
        RosterError(2, "roster.error.unknown_role", {"value": "Chef", "known": ", ".join(ROLES)}),
        RosterError(3, "roster.error.unknown_department", {"value": "spa", "known": "hk, eng"}),
    ]


FILE_ERRORS = [
    pytest.param("roster.txt", csv_file(HEADER, "1,,Amy,hk,,,"), [(0, "file_type")], id="txt"),
    pytest.param("roster.csv", "姓名,部门\n王丽,hk\n".encode("gbk"), [(0, "not_utf8")], id="gbk"),
    pytest.param("roster.xlsx", b"PK\x03\x04 not really", [(0, "unreadable")], id="broken-xlsx"),
    pytest.param("roster.xlsx", csv_file(HEADER), [(0, "unreadable")], id="csv-named-xlsx"),
    pytest.param("roster.csv", b"", [(0, "empty_file")], id="empty"),
    pytest.param("roster.csv", csv_file("", ",,"), [(0, "empty_file")], id="only-blank"),
    pytest.param("roster.csv", csv_file(HEADER), [(0, "no_rows")], id="header-only"),
    pytest.param(
        "roster.csv",
        csv_file("telegram_id,department", "1,hk"),
        [(1, "missing_column")],
        id="no-name-column",
    ),
    pytest.param(
        "roster.csv",
        csv_file("name,department,roles", "Amy,hk,"),
        [(1, "missing_id_column")],
        id="no-id-columns",
    ),
    pytest.param(
        "roster.csv",
        csv_file("telegram_id,name", "1,Amy"),
        [(1, "missing_column")],
        id="no-department-column",
    ),
    pytest.param(
        "roster.csv",
        csv_file("telegram_id,name,姓名,department", "1,Amy,Amy,hk"),
        [(1, "duplicate_column")],
        id="name-twice",
    ),
]


@pytest.mark.parametrize(("filename", "content", "expected"), FILE_ERRORS)
def test_whole_file_problems(
    filename: str, content: bytes, expected: list[tuple[int, str]]
) -> None:
    parsed = parse_roster(filename, content, department_codes=CODES)
    assert [(e.line, e.key.removeprefix("roster.error.")) for e in parsed.errors] == expected
    assert parsed.rows == []


def test_a_missing_column_is_named() -> None:
    errors = parse_roster("r.csv", csv_file("username"), department_codes=CODES).errors
    assert [(e.key, e.params) for e in errors] == [
        ("roster.error.missing_column", {"column": "name"}),
        ("roster.error.missing_column", {"column": "department"}),
    ]


# --- The texts ---------------------------------------------------------------------------------


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    """Only this feature's catalog files, so other features' texts cannot interfere."""
    for language in ("en", "zh"):
        (tmp_path / language).mkdir()
        shutil.copy(LOCALES_DIR / language / "org.toml", tmp_path / language / "org.toml")
    return Catalog.load("zh", directory=tmp_path)


def test_zh_and_en_have_the_same_keys_and_placeholders(catalog: Catalog) -> None:
    en, zh = catalog.texts["en"], catalog.texts["zh"]
    assert set(en) == set(zh)
    for key, text in en.items():
        assert placeholders(text) == placeholders(zh[key]), key
    assert placeholders(en["roster.done"]) == {"created", "updated", "waiting"}
    assert placeholders(en["roster.error_line"]) == {"line", "reason"}


def test_every_error_the_code_can_report_has_a_text(catalog: Catalog) -> None:
    sources = [Path(m.__file__ or "").read_text("utf-8") for m in (bot.roster, storage.roster)]
    reasons = {
        r for source in sources for r in re.findall(r'_error\(\s*[\w.]+,\s*"(\w+)"', source)
    }
    reasons |= {"not_utf8", "unreadable", "file_type"}  # raised as _Unreadable("…")
    assert len(reasons) >= 20
    for reason in reasons:
        assert catalog.has(f"roster.error.{reason}"), reason


def test_render_errors_gives_one_line_per_error(catalog: Catalog) -> None:
    content = csv_file(HEADER, "1,,Amy,hk,,,", "", "2,,Bo,hk,chef,,")
    errors = parse_roster("r.csv", content, department_codes=CODES).errors
    errors = [RosterError(0, "roster.error.empty_file", {}), *errors]

    def english(key: str, **params: object) -> str:
        return catalog.text("en", key, **params)

    def chinese(key: str, **params: object) -> str:
        return catalog.text("zh", key, **params)

    assert render_errors(errors, english) == [
        "File: the file is empty.",
        "Line 4: unknown role “chef” (roles are: " + ", ".join(ROLES) + ").",
    ]
    assert render_errors(errors[1:], chinese) == [
        "第 4 行：未知角色“chef”（可用角色：" + ", ".join(ROLES) + "）。"
    ]
