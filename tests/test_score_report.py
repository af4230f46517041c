"""Six-hearts reports as numbers: department blocks, ranks, changes, standings, trends, who may
ask, naming a person, message splitting, and the workbook (numbers stay numbers)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.hearts import HEARTS
from bot.i18n import Catalog
from bot.org import Person
from bot.score_report import (
    SCOPE_ALL,
    SCOPE_OWN,
    Candidate,
    Result,
    Text,
    build_report,
    change_text,
    chunks,
    department_report,
    match_person,
    may_export,
    mean,
    report_scope,
    scores_workbook,
    sheet_names,
    standing,
    trend_points,
)

CATALOG = Catalog.load()
SHANGHAI = ZoneInfo("Asia/Shanghai")


def texts(language: str) -> Text:
    return lambda key, **params: CATALOG.text(language, key, **params)


def scores(*values: int) -> dict[str, int]:
    assert len(values) == len(HEARTS)
    return dict(zip(HEARTS, values, strict=True))


def result(
    staff_id: int,
    name: str,
    department: str | None,
    values: tuple[int, ...],
    *,
    period: str = "2026-11",
    evaluator: str = "Hannah Head",
    **extra: object,
) -> Result:
    return Result(
        period=period,
        evaluee_id=staff_id,
        name=name,
        department=department,
        evaluator_id=2,
        evaluator=evaluator,
        scores=scores(*values),
        **extra,  # type: ignore[arg-type]
    )


SAM = result(3, "Sam Staff", "hk", (5, 5, 4, 4, 5, 4))  # 27
SUE = result(4, "Sue Staff", "hk", (4, 3, 4, 2, 4, 4))  # 21
HANNAH = result(2, "Hannah Head", "hk", (4, 4, 4, 4, 4, 4))  # 24
FAY = result(6, "Fay Staff", "fb", (3, 3, 3, 3, 3, 3))  # 18
SAM_OCT = result(3, "Sam Staff", "hk", (4, 4, 4, 4, 4, 4), period="2026-10")  # 24
SUE_OCT = result(4, "Sue Staff", "hk", (4, 4, 4, 4, 4, 3), period="2026-10")  # 23


def person(roles: str, *, active: bool = True, configured_admin: bool = False) -> Person:
    return Person(
        telegram_id=1000,
        roles=frozenset(roles.split()),
        department="hk",
        is_active=active,
        is_configured_admin=configured_admin,
    )


@pytest.mark.parametrize(
    ("roles", "active", "is_evaluator", "configured_admin", "expected"),
    [
        ("director", True, False, False, SCOPE_ALL),
        ("gm", True, False, False, SCOPE_ALL),
        ("head", True, False, False, SCOPE_OWN),
        ("ops_manager", True, False, False, SCOPE_OWN),
        ("staff", True, True, False, SCOPE_OWN),  # a reports-to without a manager's role
        ("staff", True, False, False, None),
        ("admin", True, False, False, None),  # admin is technical: scores are private
        ("", False, False, True, None),
        ("head", False, True, False, None),  # left the hotel
        ("director", False, False, False, None),
    ],
)
def test_who_may_ask_for_a_report(
    roles: str, active: bool, is_evaluator: bool, configured_admin: bool, expected: str | None
) -> None:
    viewer = person(roles, active=active, configured_admin=configured_admin)
    assert report_scope(viewer, is_evaluator=is_evaluator) == expected


@pytest.mark.parametrize(
    ("roles", "expected"),
    [("director", True), ("gm", True), ("head", False), ("ops_manager", False), ("admin", False)],
)
def test_only_director_and_gm_export(roles: str, expected: bool) -> None:
    assert may_export(person(roles)) is expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [([27, 21, 24], 24.0), ([27, 22], 24.5), ([25, 25, 24], 24.67), ([1, 2, 2], 1.67), ([7], 7.0)],
)
def test_mean_rounds_half_up_like_the_hearts_rules(values: list[int], expected: float) -> None:
    assert mean(values) == expected


def test_mean_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="no values"):
        mean([])


def test_a_department_block_ranks_people_and_compares_with_the_previous_period() -> None:
    report = department_report("hk", [SUE, SAM, HANNAH], [SAM_OCT, SUE_OCT])
    assert [
        (row.result.name, row.rank, row.previous_total, row.change) for row in report.rows
    ] == [
        ("Sam Staff", 1, 24, 3.0),
        ("Hannah Head", 2, None, None),
        ("Sue Staff", 3, 23, -2.0),
    ]
    assert report.count == 3
    assert report.average_total == 24.0
    assert report.heart_averages == {
        "confidence": 4.33,
        "warmth": 4.0,
        "attentiveness": 4.0,
        "patience": 3.33,
        "sincerity": 4.33,
        "carefulness": 4.0,
    }


def test_ties_share_a_rank_and_are_listed_by_name() -> None:
    zoe = result(9, "Zoe", "hk", (5, 5, 4, 4, 5, 4))
    report = department_report("hk", [zoe, SUE, SAM])
    assert [(row.result.name, row.rank) for row in report.rows] == [
        ("Sam Staff", 1),
        ("Zoe", 1),
        ("Sue Staff", 3),
    ]


def test_an_empty_department_block_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        department_report("hk", [])


def test_departments_come_in_the_hotels_order_then_others_then_no_department() -> None:
    nobody = result(9, "Nadia", None, (3, 3, 3, 3, 3, 3))
    eng = result(10, "Eddie", "eng", (3, 3, 3, 3, 3, 3))
    zzz = result(11, "Zed", "zzz", (3, 3, 3, 3, 3, 3))
    reports = build_report([nobody, zzz, SAM, FAY, eng], department_order=["hk", "fb", "eng"])
    assert [r.department for r in reports] == ["hk", "fb", "eng", "zzz", None]


def test_no_results_give_no_department_blocks() -> None:
    assert build_report([], [SAM_OCT]) == []


def test_a_change_follows_the_person_not_their_department() -> None:
    moved = result(3, "Sam Staff", "fb", (5, 5, 4, 4, 5, 4))
    (report,) = build_report([moved], [SAM_OCT])
    assert report.rows[0].change == 3.0


def test_my_standing_in_my_department() -> None:
    mine = standing(SUE, [SAM, SUE, HANNAH], SUE_OCT)
    assert (mine.rank, mine.of, mine.previous_total, mine.change) == (3, 3, 23, -2.0)
    assert mine.department_averages["patience"] == 3.33


def test_my_standing_counts_me_even_if_the_department_list_missed_me() -> None:
    mine = standing(SAM, [SUE], None)
    assert (mine.rank, mine.of, mine.change) == (1, 2, None)


def test_a_trend_is_in_period_order() -> None:
    assert trend_points([SAM, SAM_OCT]) == [("2026-10", 24), ("2026-11", 27)]
    assert trend_points([]) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "—"), (3.0, "▲ +3"), (0.5, "▲ +0.5"), (-2.0, "▼ -2"), (0.0, "= 0")],
)
def test_change_text(value: float | None, expected: str) -> None:
    assert change_text(value) == expected


PEOPLE = [
    Candidate(3, "Sam Staff", "sam_s"),
    Candidate(4, "Sue Staff", None),
    Candidate(6, "Fay Staff", "fay"),
    Candidate(12, "张伟", None),
    Candidate(13, "张丽", None),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sam Staff", [3]),
        ("  sam   STAFF ", [3]),
        ("sam", [3]),
        ("@SAM_S", [3]),
        ("@sue", []),  # Sue has no username
        ("4", [4]),
        ("#6", [6]),
        ("99", []),
        ("staff", [3, 4, 6]),  # ambiguous
        ("张伟", [12]),
        ("张", [12, 13]),
        ("Nobody", []),
        ("", []),
        ("ＳＡＭ", [3]),  # full-width letters, as a Chinese keyboard types them
    ],
)
def test_naming_a_person(text: str, expected: list[int]) -> None:
    assert [c.staff_id for c in match_person(text, PEOPLE)] == expected


def test_a_person_outside_the_candidates_is_never_found() -> None:
    assert match_person("Sam", [Candidate(4, "Sue Staff")]) == []


def test_blocks_are_packed_into_messages_without_splitting_one() -> None:
    assert chunks(["a" * 5, "b" * 5, "c" * 5], limit=12) == ["aaaaa\n\nbbbbb", "ccccc"]
    assert chunks(["x"], limit=12) == ["x"]
    assert chunks([], limit=12) == []


def test_a_block_longer_than_a_message_is_split_at_line_ends() -> None:
    block = "\n".join(["1234", "5678", "abcd"])
    assert chunks([block], limit=9) == ["1234\n5678", "abcd"]


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["Summary", "Housekeeping"], ["Summary", "Housekeeping"]),
        (["Food & Beverage", "A/B: [x]?"], ["Food & Beverage", "A B   x"]),
        (["x" * 40, "x" * 40], ["x" * 31, "x" * 27 + " (2)"]),
        (["Summary", "summary"], ["Summary", "summary (2)"]),
        (["", "///"], ["Sheet 1", "Sheet 2"]),
    ],
)
def test_sheet_names_are_excel_safe_and_unique(names: list[str], expected: list[str]) -> None:
    assert sheet_names(names) == expected


# openpyxl hands back naive datetimes: the hotel's wall-clock time of 02:30 UTC.
SHANGHAI_WALL_CLOCK = datetime(2026, 12, 2, 10, 30, tzinfo=UTC).replace(tzinfo=None)


def test_the_workbook_holds_numbers_equal_to_the_report() -> None:
    confirmed = datetime(2026, 12, 2, 2, 30, tzinfo=UTC)
    sue = result(
        4,
        "Sue Staff",
        "hk",
        (4, 3, 4, 2, 4, 4),
        comments={"patience": "Rushed a guest"},
        overall_comment="Improving",
        confirmed_at=confirmed,
    )
    reports = build_report([SAM, sue, FAY], [SAM_OCT], department_order=["hk", "fb"])
    data = scores_workbook(
        reports,
        department_names={"hk": "Housekeeping", "fb": "Food & Beverage", None: "No department"},
        heart_order=HEARTS,
        text=texts("en"),
        zone=SHANGHAI,
        title="November 2026",
    )
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Summary", "Housekeeping", "Food & Beverage"]
    assert book.properties.title == "November 2026"

    summary = [list(row) for row in book["Summary"].iter_rows(values_only=True)]
    assert summary[0][:3] == ["Department", "People scored", "Average total"]
    assert summary[0][3:] == [
        "Confidence", "Warmth", "Attentiveness", "Patience", "Sincerity", "Carefulness",
    ]  # fmt: skip
    assert summary[1] == ["Housekeeping", 2, 24.0, 4.5, 4.0, 4.0, 3.0, 4.5, 4.0]
    assert summary[2] == ["Food & Beverage", 1, 18.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]

    rows = [list(row) for row in book["Housekeeping"].iter_rows(values_only=True)]
    assert rows[0] == [
        "Name", "Scored by", "Confidence", "Warmth", "Attentiveness", "Patience", "Sincerity",
        "Carefulness", "Total", "Average", "Rank", "Change", "Status", "Confirmed at",
        "Comments",
    ]  # fmt: skip
    assert rows[1] == [
        "Sam Staff", "Hannah Head", 5, 5, 4, 4, 5, 4, 27, 4.5, 1, 3, "confirmed by the director",
        None, None,
    ]  # fmt: skip
    assert rows[2] == [
        "Sue Staff", "Hannah Head", 4, 3, 4, 2, 4, 4, 21, 3.5, 2, None,
        "confirmed by the director", SHANGHAI_WALL_CLOCK,
        "Patience: Rushed a guest\nOverall: Improving",
    ]  # fmt: skip
    for row in rows[1:]:
        assert all(isinstance(value, int | float) for value in row[2:12] if value is not None)


def test_the_workbook_speaks_the_readers_language() -> None:
    reports = build_report([FAY])
    data = scores_workbook(
        reports,
        department_names={"fb": "餐饮部"},
        heart_order=HEARTS,
        text=texts("zh"),
        zone=SHANGHAI,
        title="2026年11月",
    )
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["汇总", "餐饮部"]
    header = next(book["餐饮部"].iter_rows(values_only=True))
    assert header[:4] == ("姓名", "评分人", "信心", "热心")
