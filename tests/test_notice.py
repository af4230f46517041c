"""The VIP reception notice: reading each answer and a whole pasted notice (bot.notice)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.notice import (
    ALIASES,
    ASK,
    EDIT,
    FIELDS,
    GUEST_OR_COMPANY,
    PICK,
    SUMMARY,
    FieldError,
    LineError,
    Notice,
    Stage,
    answer_field,
    notice_from_json,
    notice_to_json,
    parse_pasted,
    parse_stage,
    parse_value,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 2026-11-27 10:00 in Shanghai (UTC+8, no DST).
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


TOMORROW_15 = utc(2026, 11, 28, 7)  # 2026-11-28 15:00 Shanghai
TODAY_15 = utc(2026, 11, 27, 7)  # 2026-11-27 15:00 Shanghai


def read(name: str, raw: str) -> object:
    return parse_value(name, raw, now=NOW, zone=SHANGHAI)


def paste(text: str) -> tuple[Notice, list[LineError]]:
    return parse_pasted(text, now=NOW, zone=SHANGHAI)


# --- one answer ----------------------------------------------------------------------------

VALID: list[tuple[str, str, object]] = [
    # Guest and company: cleaned text, or skipped (the other one may name the visit).
    ("guest", "王总", "王总"),
    ("guest", "  Mr.   Wang \n", "Mr. Wang"),
    ("guest", "x" * 128, "x" * 128),
    ("guest", "-", ""),
    ("guest", "无", ""),
    ("company", "华东集团", "华东集团"),
    ("company", "None", ""),
    ("group", "年会", "年会"),
    ("group", "skip", ""),
    ("titles", "董事长, CEO", "董事长, CEO"),
    ("titles", "n/a", ""),
    # Party: a number from 1 to 500, with or without a counting word.
    ("party", "6", 6),
    ("party", "6人", 6),
    ("party", "6位", 6),
    ("party", "6 guests", 6),
    ("party", "6 people", 6),
    ("party", "６", 6),
    ("party", " 1 ", 1),
    ("party", "500", 500),
    # Vehicles: 0 to 100; skipping means none.
    ("vehicles", "2", 2),
    ("vehicles", "2辆", 2),
    ("vehicles", "2 cars", 2),
    ("vehicles", "0", 0),
    ("vehicles", "100", 100),
    ("vehicles", "-", 0),
    ("vehicles", "无", 0),
    # Arrival: the exact UTC moment on the hotel's clock.
    ("arrival", "2026-11-28 15:00", TOMORROW_15),
    ("arrival", "11-28 15:00", TOMORROW_15),
    ("arrival", "明天下午3点", TOMORROW_15),
    ("arrival", "tomorrow 3pm", TOMORROW_15),
    ("arrival", "15:00", TODAY_15),
    ("arrival", "下午3点半", utc(2026, 11, 27, 7, 30)),
    ("arrival", "09:00", utc(2026, 11, 28, 1)),  # gone today, so tomorrow
    ("arrival", "２０２６年１１月２８日　１５：００", TOMORROW_15),
    # Rooms, itinerary, requirements: free text; the long ones keep their line breaks.
    ("rooms", "1808, 1809", "1808, 1809"),
    ("rooms", "没有", ""),
    ("itinerary", "Day 1: dinner\nDay 2: factory tour\n", "Day 1: dinner\nDay 2: factory tour"),
    ("itinerary", "—", ""),
    ("itinerary", "x" * 2000, "x" * 2000),
    ("requirements", "Non-smoking, high floor", "Non-smoking, high floor"),
    ("requirements", "不需要", ""),
    # Standard: A, B or C in any case, with 级 or "standard" around it.
    ("standard", "a", "A"),
    ("standard", "A", "A"),
    ("standard", "A级", "A"),
    ("standard", "b级", "B"),
    ("standard", "Standard C", "C"),
    ("standard", "Ｂ", "B"),
    ("standard", "跳过", ""),
]


@pytest.mark.parametrize(("name", "raw", "expected"), VALID)
def test_valid_answer(name: str, raw: str, expected: object) -> None:
    assert read(name, raw) == expected


PARTY_RANGE = {"low": "1", "high": "500"}
VEHICLE_RANGE = {"low": "0", "high": "100"}

REFUSED: list[tuple[str, str, str, dict[str, str]]] = [
    ("party", "abc", "notice.error.not_a_number", PARTY_RANGE),
    ("party", "six", "notice.error.not_a_number", PARTY_RANGE),
    ("party", "6.5", "notice.error.not_a_number", PARTY_RANGE),
    ("party", "-6", "notice.error.not_a_number", PARTY_RANGE),
    ("party", "0", "notice.error.out_of_range", PARTY_RANGE),
    ("party", "501", "notice.error.out_of_range", PARTY_RANGE),
    ("party", "-", "notice.error.required", {}),
    ("party", "无", "notice.error.required", {}),
    ("party", "", "notice.error.required", {}),
    ("vehicles", "101", "notice.error.out_of_range", VEHICLE_RANGE),
    ("vehicles", "two", "notice.error.not_a_number", VEHICLE_RANGE),
    ("standard", "D", "notice.error.standard", {"choices": "A/B/C"}),
    ("standard", "AB", "notice.error.standard", {"choices": "A/B/C"}),
    ("guest", "x" * 129, "notice.error.too_long", {"limit": "128"}),
    ("company", "x" * 129, "notice.error.too_long", {"limit": "128"}),
    ("titles", "x" * 257, "notice.error.too_long", {"limit": "256"}),
    ("rooms", "x" * 257, "notice.error.too_long", {"limit": "256"}),
    ("itinerary", "x" * 2001, "notice.error.too_long", {"limit": "2000"}),
    ("guest", "   ", "notice.error.required", {}),
    ("arrival", "2026-11-27 09:00", "when.error.past", {"when": "2026-11-27 09:00"}),
    ("arrival", "今天上午9点", "when.error.past", {"when": "2026-11-27 09:00"}),
    ("arrival", "soon", "when.error.unreadable", {"text": "soon"}),
    ("arrival", "-", "when.error.unreadable", {"text": "-"}),
    ("arrival", "2026-02-30 15:00", "when.error.no_such_date", {"text": "2026-02-30 15:00"}),
]


@pytest.mark.parametrize(("name", "raw", "key", "params"), REFUSED)
def test_refused_answer(name: str, raw: str, key: str, params: dict[str, str]) -> None:
    assert read(name, raw) == FieldError(key, params)


def test_unknown_field_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown notice field"):
        read("colour", "red")


# --- field names -----------------------------------------------------------------------------


def test_every_field_has_distinct_aliases() -> None:
    assert set(ALIASES) == set(FIELDS)
    every = [alias for aliases in ALIASES.values() for alias in aliases]
    assert len(every) == len(set(every))


SAMPLE: dict[str, tuple[str, object]] = {
    "guest": ("王总", "王总"),
    "company": ("华东集团", "华东集团"),
    "group": ("年会", "年会"),
    "titles": ("董事长", "董事长"),
    "party": ("6", 6),
    "vehicles": ("2", 2),
    "arrival": ("明天下午3点", TOMORROW_15),
    "rooms": ("1808", "1808"),
    "itinerary": ("晚宴", "晚宴"),
    "requirements": ("无烟房", "无烟房"),
    "standard": ("A", "A"),
}


@pytest.mark.parametrize(
    ("name", "alias"), [(name, alias) for name, aliases in ALIASES.items() for alias in aliases]
)
@pytest.mark.parametrize("colon", [":", "：", " : "])
def test_every_alias_names_its_field(name: str, alias: str, colon: str) -> None:
    raw, expected = SAMPLE[name]
    notice, errors = paste(f"{alias.upper()}{colon}{raw}")
    assert getattr(notice, name) == expected
    assert all(error.line == 0 for error in errors)


# --- a pasted notice -----------------------------------------------------------------------

ENGLISH = """\
Guest: Mr. Wang
Company: East China Group
Group: Annual meeting
Titles: Chairman
Party: 6 guests
Vehicles: 2 cars
Arrival: tomorrow 3pm
Rooms: 1808, 1809
Itinerary: Dinner at 18:30
Requirements: Non-smoking
Standard: a
"""

CHINESE = (
    "贵宾：王总\n单位：华东集团\n人数：6\n车辆：2\n抵店时间：明天下午3点\n房号：1808\n标准：A"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            ENGLISH,
            Notice(
                guest="Mr. Wang",
                company="East China Group",
                group="Annual meeting",
                titles="Chairman",
                party=6,
                vehicles=2,
                arrival=TOMORROW_15,
                rooms="1808, 1809",
                itinerary="Dinner at 18:30",
                requirements="Non-smoking",
                standard="A",
            ),
        ),
        (
            CHINESE,
            Notice(
                guest="王总",
                company="华东集团",
                party=6,
                vehicles=2,
                arrival=TOMORROW_15,
                rooms="1808",
                standard="A",
            ),
        ),
        (
            # Blank lines, surrounding spaces and full-width text do not matter.
            "\n  姓名 ： 李总  \n\n来宾人数：３人\n到达时间：１１月２８日　１５：００\n",
            Notice(guest="李总", party=3, arrival=TOMORROW_15),
        ),
        (
            "Company: East China Group\nParty: 2\nArrival: 15:00\nVehicles: -\nStandard: 无",
            Notice(company="East China Group", party=2, arrival=TODAY_15),
        ),
    ],
)
def test_pasted_notice(text: str, expected: Notice) -> None:
    notice, errors = paste(text)
    assert errors == []
    assert notice == expected
    assert notice.missing() == []


def test_every_wrong_line_is_reported_with_its_number() -> None:
    notice, errors = paste(
        "Guest: Mr. Wang\n"  # 1
        "Hello there\n"  # 2: not a field
        "Party: many\n"  # 3: not a number
        "Arrival: tomorrow 3pm\n"  # 4
        "Favourite colour: blue\n"  # 5: not a field either
        "Guest: Mr. Li\n"  # 6: given twice
        "Vehicles: 101\n"  # 7: too many
        "Standard: D\n"  # 8: no such standard
        "Rooms: 1808\n"  # 9
    )
    assert errors == [
        LineError(2, FieldError("notice.error.unknown_line")),
        LineError(3, FieldError("notice.error.not_a_number", PARTY_RANGE), "party"),
        LineError(5, FieldError("notice.error.unknown_line")),
        LineError(6, FieldError("notice.error.twice", {"first": "1"}), "guest"),
        LineError(7, FieldError("notice.error.out_of_range", VEHICLE_RANGE), "vehicles"),
        LineError(8, FieldError("notice.error.standard", {"choices": "A/B/C"}), "standard"),
    ]
    # The good lines are still read; the first of a twice-given field counts.
    assert notice == Notice(guest="Mr. Wang", arrival=TOMORROW_15, rooms="1808")


def test_wrong_arrival_line_keeps_its_reason() -> None:
    _, errors = paste("Guest: Mr. Wang\nParty: 2\n\nArrival: yesterday-ish")
    assert errors == [
        LineError(4, FieldError("when.error.unreadable", {"text": "yesterday-ish"}), "arrival")
    ]


def test_itinerary_continues_onto_following_lines() -> None:
    notice, errors = paste(
        "贵宾：王总\n"
        "人数：2\n"
        "抵店时间：明天下午3点\n"
        "行程：\n"
        "09:00 会议\n"  # "09" is no field name: the itinerary goes on
        "\n"
        "12:00 午餐\n"
        "Day 2: factory tour\n"
        "要求：无烟房\n"
        "高楼层\n"
        "标准：B\n"
    )
    assert errors == []
    assert notice.itinerary == "09:00 会议\n12:00 午餐\nDay 2: factory tour"
    assert notice.requirements == "无烟房\n高楼层"
    assert notice.standard == "B"


def test_only_long_fields_continue() -> None:
    _, errors = paste("Guest: Mr. Wang\nand Mrs. Wang\nParty: 2\nArrival: 15:00")
    assert errors == [LineError(2, FieldError("notice.error.unknown_line"))]


def test_text_before_any_field_is_an_unknown_line() -> None:
    _, errors = paste("VIP notice\nGuest: Mr. Wang\nParty: 2\nArrival: 15:00")
    assert errors == [LineError(1, FieldError("notice.error.unknown_line"))]


MISSING = FieldError("notice.error.missing")


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("", ["guest", "party", "arrival"]),
        ("Rooms: 1808", ["guest", "party", "arrival"]),
        ("Guest: Mr. Wang", ["party", "arrival"]),
        ("Company: East China Group\nParty: 2", ["arrival"]),
        ("Party: 2\nArrival: 15:00", ["guest"]),
        # Skipping the guest without naming a company still leaves the notice without either.
        ("Guest: 无\nParty: 2\nArrival: 15:00", ["guest"]),
        ("Guest: -\nCompany: -\nParty: 2\nArrival: 15:00", ["guest"]),
    ],
)
def test_missing_fields_are_reported_on_line_zero(text: str, missing: list[str]) -> None:
    _, errors = paste(text)
    assert errors == [LineError(0, MISSING, name) for name in missing]


def test_a_wrong_line_is_not_also_reported_missing() -> None:
    _, errors = paste("Guest: Mr. Wang\nParty: 0\nArrival: soon")
    assert errors == [
        LineError(2, FieldError("notice.error.out_of_range", PARTY_RANGE), "party"),
        LineError(3, FieldError("when.error.unreadable", {"text": "soon"}), "arrival"),
    ]


def test_line_errors_come_before_missing_fields() -> None:
    _, errors = paste("Hello\nGuest: Mr. Wang")
    assert errors == [
        LineError(1, FieldError("notice.error.unknown_line")),
        LineError(0, MISSING, "party"),
        LineError(0, MISSING, "arrival"),
    ]


# --- Notice --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("notice", "missing"),
    [
        (Notice(), ["guest", "party", "arrival"]),
        (Notice(guest="王总"), ["party", "arrival"]),
        (Notice(company="华东集团", party=6), ["arrival"]),
        (Notice(arrival=TOMORROW_15, party=6), ["guest"]),
        (Notice(guest="王总", party=6, arrival=TOMORROW_15), []),
        (Notice(company="华东集团", party=1, arrival=TOMORROW_15), []),
    ],
)
def test_notice_missing(notice: Notice, missing: list[str]) -> None:
    assert notice.missing() == missing


def test_with_value_replaces_one_field() -> None:
    notice = Notice(guest="王总").with_value("party", 6)
    assert notice == Notice(guest="王总", party=6)


# --- The conversation's stages, as a draft row keeps them ------------------------------------


def answer(notice: Notice, stage: Stage, raw: str) -> tuple[Notice, Stage] | FieldError:
    return answer_field(notice, stage, raw, now=NOW, zone=SHANGHAI)


def test_an_answer_moves_to_the_next_field_and_the_last_one_to_the_summary() -> None:
    assert answer(Notice(), Stage(ASK, "guest"), "王总") == (
        Notice(guest="王总"),
        Stage(ASK, "company"),
    )
    assert answer(Notice(), Stage(ASK, "standard"), "b") == (
        Notice(standard="B"),
        Stage(SUMMARY),
    )
    # An edit from the summary goes back to it.
    assert answer(Notice(party=6), Stage(EDIT, "party"), "14") == (
        Notice(party=14),
        Stage(SUMMARY),
    )


def test_a_wrong_answer_is_a_reason_and_no_move() -> None:
    assert answer(Notice(), Stage(ASK, "party"), "lots") == FieldError(
        "notice.error.not_a_number", {"low": "1", "high": "500"}
    )
    # Skipping both the guest and the company leaves the notice nameless: asked again.
    assert answer(Notice(), Stage(ASK, "company"), "-") == FieldError(GUEST_OR_COMPANY)
    # While editing, clearing the company is fine: Send then names what is missing.
    assert answer(Notice(company="华东集团"), Stage(EDIT, "company"), "-") == (
        Notice(),
        Stage(SUMMARY),
    )


@pytest.mark.parametrize(
    "stage", [Stage(ASK, "guest"), Stage(EDIT, "arrival"), Stage(SUMMARY), Stage(PICK)]
)
def test_a_stage_reads_back_as_it_was_written(stage: Stage) -> None:
    assert parse_stage(stage.encode()) == stage


@pytest.mark.parametrize("text", ["", "ask", "ask:colour", "summary:guest", "done"])
def test_an_unknown_stage_reads_as_none(text: str) -> None:
    assert parse_stage(text) is None


def test_a_notice_survives_its_json_round_trip() -> None:
    notice = Notice(
        guest="王总",
        company="华东集团",
        party=6,
        vehicles=2,
        arrival=TOMORROW_15,
        itinerary="16:00 arrival\n18:30 dinner",
        standard="A",
    )
    assert notice_from_json(notice_to_json(notice)) == notice
    assert notice_from_json(notice_to_json(Notice())) == Notice()
    assert notice_from_json({"guest": "王总", "colour": "red"}) == Notice(guest="王总")
