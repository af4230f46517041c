"""Reading a VIP's arrival time as a manager types it (bot.when)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.when import WhenError, format_local, parse_arrival

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
# 2026-11-27 10:00 in Shanghai (UTC+8, no DST).
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


TOMORROW_15 = utc(2026, 11, 28, 7)  # 2026-11-28 15:00 Shanghai
TODAY_15 = utc(2026, 11, 27, 7)  # 2026-11-27 15:00 Shanghai

ACCEPTED: list[tuple[str, datetime]] = [
    # Full dates.
    ("2026-11-28 15:00", TOMORROW_15),
    ("2026/11/28 15:00", TOMORROW_15),
    ("2026.11.28 15:00", TOMORROW_15),
    ("2026-11-28 1500", TOMORROW_15),
    ("2026年11月28日 15:00", TOMORROW_15),
    ("2026年11月28日15点", TOMORROW_15),
    ("2026年11月28日下午3点半", utc(2026, 11, 28, 7, 30)),
    ("  2026-11-28 15:00 \n", TOMORROW_15),
    ("２０２６－１１－２８　１５：００", TOMORROW_15),
    ("2027-11-28 15:00", utc(2027, 11, 28, 7)),  # exactly 366 days ahead
    # Month and day: this year, or next year once the date has gone by.
    ("11-28 15:00", TOMORROW_15),
    ("11/28 15:00", TOMORROW_15),
    ("11月28日 15:00", TOMORROW_15),
    ("11月28号15:00", TOMORROW_15),
    ("11-27 15:00", TODAY_15),
    ("01-05 09:00", utc(2027, 1, 5, 1)),
    ("1月5日 9点", utc(2027, 1, 5, 1)),
    ("11/28 1500", TOMORROW_15),
    # A time alone: today if still ahead, else tomorrow.
    ("15:00", TODAY_15),
    ("１５：００", TODAY_15),
    ("09:00", utc(2026, 11, 28, 1)),
    ("10:00", utc(2026, 11, 28, 2)),  # now exactly: not ahead, so tomorrow
    ("10:01", utc(2026, 11, 27, 2, 1)),
    ("0:00", utc(2026, 11, 27, 16)),
    ("15点", TODAY_15),
    ("15点30", utc(2026, 11, 27, 7, 30)),
    ("15点30分", utc(2026, 11, 27, 7, 30)),
    ("下午3点", TODAY_15),
    ("下午15:00", TODAY_15),
    ("下午3点一刻", utc(2026, 11, 27, 7, 15)),
    ("下午三点", TODAY_15),
    ("下午3点钟", TODAY_15),
    ("十点半", utc(2026, 11, 27, 2, 30)),
    ("十点零五分", utc(2026, 11, 27, 2, 5)),
    ("十二点", utc(2026, 11, 27, 4)),
    ("晚上十一点", utc(2026, 11, 27, 15)),
    ("3pm", TODAY_15),
    ("3PM", TODAY_15),
    ("3 p.m.", TODAY_15),
    ("3:30 pm", utc(2026, 11, 27, 7, 30)),
    ("9am", utc(2026, 11, 28, 1)),
    ("12am", utc(2026, 11, 27, 16)),
    ("12pm", utc(2026, 11, 27, 4)),
    ("凌晨3点", utc(2026, 11, 27, 19)),
    ("中午12点", utc(2026, 11, 27, 4)),
    ("中午1点", utc(2026, 11, 27, 5)),
    ("傍晚6点", utc(2026, 11, 27, 10)),
    # Days named relative to today.
    ("tomorrow 15:00", TOMORROW_15),
    ("Tomorrow at 3pm", TOMORROW_15),
    ("today 15:00", TODAY_15),
    ("day after tomorrow 9:00", utc(2026, 11, 29, 1)),
    ("明天 15:00", TOMORROW_15),
    ("明天15点", TOMORROW_15),
    ("明天 1500", TOMORROW_15),
    ("今天下午3点", TODAY_15),
    ("后天上午9点", utc(2026, 11, 29, 1)),
    ("明天下午3点", TOMORROW_15),
    ("明天下午两点", utc(2026, 11, 28, 6)),
    ("明天晚上8点", utc(2026, 11, 28, 12)),
    ("明天早上8点", utc(2026, 11, 28, 0)),
    ("明天凌晨3点", utc(2026, 11, 27, 19)),
    ("明早9点", utc(2026, 11, 28, 1)),
    ("今晚8点", utc(2026, 11, 27, 12)),
    ("今晚晚上8点", utc(2026, 11, 27, 12)),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_accepted(text: str, expected: datetime) -> None:
    assert parse_arrival(text, now=NOW, zone=SHANGHAI) == expected


REFUSED: list[tuple[str, WhenError]] = [
    ("", WhenError("when.error.unreadable", {"text": ""})),
    ("soon", WhenError("when.error.unreadable", {"text": "soon"})),
    ("2026-11-28", WhenError("when.error.unreadable", {"text": "2026-11-28"})),
    ("1500", WhenError("when.error.unreadable", {"text": "1500"})),
    ("todayx 15:00", WhenError("when.error.unreadable", {"text": "todayx 15:00"})),
    ("下午3pm", WhenError("when.error.unreadable", {"text": "下午3pm"})),
    ("今晚上午8点", WhenError("when.error.unreadable", {"text": "今晚上午8点"})),
    ("三十五点", WhenError("when.error.no_such_time", {"text": "三十五点"})),
    ("25:00", WhenError("when.error.no_such_time", {"text": "25:00"})),
    ("15:60", WhenError("when.error.no_such_time", {"text": "15:60"})),
    ("13pm", WhenError("when.error.no_such_time", {"text": "13pm"})),
    ("凌晨8点", WhenError("when.error.no_such_time", {"text": "凌晨8点"})),
    ("上午15点", WhenError("when.error.no_such_time", {"text": "上午15点"})),
    ("2027-02-30 15:00", WhenError("when.error.no_such_date", {"text": "2027-02-30 15:00"})),
    ("13-01 10:00", WhenError("when.error.no_such_date", {"text": "13-01 10:00"})),
    ("02-30 10:00", WhenError("when.error.no_such_date", {"text": "02-30 10:00"})),
    ("晚上12点", WhenError("when.error.ambiguous", {"text": "晚上12点"})),
    ("today 09:00", WhenError("when.error.past", {"when": "2026-11-27 09:00"})),
    ("11-27 09:00", WhenError("when.error.past", {"when": "2026-11-27 09:00"})),
    ("2026-11-27 10:00", WhenError("when.error.past", {"when": "2026-11-27 10:00"})),
    ("2025-12-01 15:00", WhenError("when.error.past", {"when": "2025-12-01 15:00"})),
    (
        "2027-11-29 15:00",
        WhenError("when.error.too_far", {"when": "2027-11-29 15:00", "days": "366"}),
    ),
]


@pytest.mark.parametrize(("text", "expected"), REFUSED)
def test_refused(text: str, expected: WhenError) -> None:
    assert parse_arrival(text, now=NOW, zone=SHANGHAI) == expected


def test_dst_gap_is_no_such_time() -> None:
    # London springs forward at 01:00 GMT on 2027-03-28: 01:00–01:59 never happens there.
    text = "2027-03-28 01:30"
    assert parse_arrival(text, now=NOW, zone=LONDON) == WhenError(
        "when.error.no_such_time", {"text": text}
    )
    assert parse_arrival("2027-03-28 02:30", now=NOW, zone=LONDON) == utc(2027, 3, 28, 1, 30)


def test_dst_overlap_takes_the_earlier_moment() -> None:
    # 01:30 happens twice on 2027-10-31 in London; the first (BST, UTC+1) is taken.
    assert parse_arrival("2027-10-31 01:30", now=NOW, zone=LONDON) == utc(2027, 10, 31, 0, 30)


def test_format_local() -> None:
    assert format_local(NOW, SHANGHAI) == "2026-11-27 10:00"
    assert format_local(utc(2027, 3, 28, 1, 30), LONDON) == "2027-03-28 02:30"


def test_naive_datetimes_are_refused() -> None:
    naive = NOW.replace(tzinfo=None)
    with pytest.raises(ValueError, match="aware"):
        parse_arrival("15:00", now=naive, zone=SHANGHAI)
    with pytest.raises(ValueError, match="aware"):
        format_local(naive, SHANGHAI)
