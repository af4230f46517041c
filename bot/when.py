"""The arrival time of a VIP as a manager types it, read in the hotel's time zone.

Pure: no Telegram, no database, no clock (`now` is an argument). `parse_arrival` never raises
on bad text; every problem comes back as a `WhenError` whose key is a catalog key.

Accepted: an optional date (`2026-11-28`, `2026/11/28`, `2026年11月28日`, `11-28`, `11/28`,
`11月28日`/`11月28号`, `today`/`tomorrow`/`day after tomorrow`, `今天`/`明天`/`后天`,
`今早`/`今晚`/`明早`/`明晚`) followed by a time (`15:00`, `15点`, `15点30(分)`, `3点半`,
`3点一刻`, `三点(钟)`, `3pm`, `3:30 pm`, `下午3点`, and `1500` after a date). Full-width digits and
punctuation, case and surrounding whitespace do not matter.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.limits import one_line

MAX_DAYS_AHEAD = 366

UNREADABLE = "when.error.unreadable"
NO_SUCH_DATE = "when.error.no_such_date"
NO_SUCH_TIME = "when.error.no_such_time"
AMBIGUOUS = "when.error.ambiguous"
PAST = "when.error.past"
TOO_FAR = "when.error.too_far"


@dataclass(frozen=True)
class WhenError:
    """Why a typed arrival time was refused: a catalog key and its placeholders."""

    key: str
    params: dict[str, str] = field(default_factory=dict)


_ABS_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_MONTH_DAY_RE = re.compile(r"(\d{1,2})\s*[-/月]\s*(\d{1,2})\s*[日号]?")
# Longest words first, so "day after tomorrow" is not read as "tomorrow".
_RELATIVE_DAYS: dict[str, tuple[int, str | None]] = {
    "day after tomorrow": (2, None),
    "tomorrow": (1, None),
    "today": (0, None),
    "今天": (0, None),
    "今日": (0, None),
    "明天": (1, None),
    "明日": (1, None),
    "后天": (2, None),
    "今早": (0, "am"),
    "今晚": (0, "evening"),
    "明早": (1, "am"),
    "明晚": (1, "evening"),
}
_RELATIVE_RE = re.compile("|".join(re.escape(word) for word in _RELATIVE_DAYS))

_PERIODS = {
    "凌晨": "small_hours",
    "早上": "am",
    "早晨": "am",
    "上午": "am",
    "中午": "noon",
    "下午": "pm",
    "傍晚": "evening",
    "晚上": "evening",
}
_CN = "[零〇一二两三四五六七八九十]{1,3}"
_TIME_RE = re.compile(
    rf"""
    (?P<period>{"|".join(_PERIODS)})?\s*
    (?:
        (?P<h_colon>\d{{1,2}})\s*:\s*(?P<m_colon>\d{{2}})
      | (?P<h_dian>\d{{1,2}}|{_CN})\s*[点點时時]\s*
        (?:(?P<half>半)|(?P<quarter>一刻)|(?P<m_dian>\d{{1,2}}|{_CN})\s*分?|钟)?
      | (?P<hhmm>\d{{4}})
      | (?P<h_bare>\d{{1,2}})(?=\s*(?:am|pm|a\.m\.|p\.m\.))
    )
    \s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?
    """,
    re.VERBOSE,
)
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def format_local(moment: datetime, zone: ZoneInfo) -> str:
    """`moment` (aware) as 'YYYY-MM-DD HH:MM' on the hotel's clock."""
    if moment.tzinfo is None:
        raise ValueError("format_local needs an aware datetime")
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def parse_arrival(text: str, *, now: datetime, zone: ZoneInfo) -> datetime | WhenError:
    """The UTC moment `text` names in `zone`, strictly after `now`, or why it cannot be one."""
    if now.tzinfo is None:
        raise ValueError("parse_arrival needs an aware `now`")
    unreadable = WhenError(UNREADABLE, {"text": one_line(text)})
    s = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().lower()

    kind, numbers, rest, implied_period = _split_date(s)
    rest = rest.strip()
    rest = rest.removeprefix("at ").strip()  # "tomorrow at 3pm"
    match = _TIME_RE.fullmatch(rest)
    if kind == "bad" or match is None:
        return unreadable
    # "1500" alone could be a price or a room number; only read it as a time after a date.
    if match["hhmm"] and kind == "none":
        return unreadable

    clock = _clock(match, implied_period)
    if clock is None:
        return unreadable
    if isinstance(clock, str):
        return WhenError(clock, {"text": one_line(text)})
    hour, minute = clock

    local_now = now.astimezone(zone)
    today = local_now.date()
    if kind == "abs":
        day = _safe_date(*numbers)
        if day is None:
            return WhenError(NO_SUCH_DATE, {"text": one_line(text)})
    elif kind == "md":
        month, dom = numbers
        # A month-day that already went by this year means next year's (a December booking
        # for January); a date that is today stays today, so a typo'd hour reads as past.
        day = _safe_date(today.year, month, dom)
        if day is None or day < today:
            day = _safe_date(today.year + 1, month, dom)
        if day is None:
            return WhenError(NO_SUCH_DATE, {"text": one_line(text)})
    elif kind == "rel":
        day = today + timedelta(days=numbers[0])
    else:
        day = today
        if _to_utc(day, hour, minute, zone) <= now:
            day = today + timedelta(days=1)

    moment = _to_utc(day, hour, minute, zone)
    back = moment.astimezone(zone)
    # A wall time skipped by a DST jump (e.g. 01:30 on London's spring-forward day) comes back
    # shifted; refuse it rather than guess which side the manager meant.
    if (back.date(), back.hour, back.minute) != (day, hour, minute):
        return WhenError(NO_SUCH_TIME, {"text": one_line(text)})
    if moment <= now:
        return WhenError(PAST, {"when": format_local(moment, zone)})
    if (day - today).days > MAX_DAYS_AHEAD:
        return WhenError(
            TOO_FAR, {"when": format_local(moment, zone), "days": str(MAX_DAYS_AHEAD)}
        )
    return moment


def _split_date(s: str) -> tuple[str, tuple[int, ...], str, str | None]:
    """The kind of date `s` starts with and its numbers, the rest, and any period it implies.

    Kinds: "abs" (year, month, day), "md" (month, day), "rel" (days from today), "none" (no
    date: the next occurrence of the time) and "bad".
    """
    if m := _ABS_DATE_RE.match(s):
        return "abs", (int(m[1]), int(m[2]), int(m[3])), s[m.end() :], None
    if m := _MONTH_DAY_RE.match(s):
        return "md", (int(m[1]), int(m[2])), s[m.end() :], None
    if m := _RELATIVE_RE.match(s):
        offset, period = _RELATIVE_DAYS[m[0]]
        # "todayx 3pm" is not "today": the word must end there.
        rest = s[m.end() :]
        if m[0].isascii() and rest and not rest.startswith(" "):
            return "bad", (), s, None
        return "rel", (offset,), rest, period
    return "none", (), s, None


def _clock(match: re.Match[str], implied_period: str | None) -> tuple[int, int] | str | None:
    """(hour, minute) on a 24 h clock, an error key, or None when the text is unreadable."""
    if match["h_colon"]:
        hour, minute = int(match["h_colon"]), int(match["m_colon"])
    elif match["h_dian"]:
        h = _number(match["h_dian"])
        if match["half"]:
            m: int | None = 30
        elif match["quarter"]:
            m = 15
        elif match["m_dian"]:
            m = _number(match["m_dian"])
        else:
            m = 0
        if h is None or m is None:
            return None
        hour, minute = h, m
    elif match["hhmm"]:
        hour, minute = int(match["hhmm"][:2]), int(match["hhmm"][2:])
    else:
        hour, minute = int(match["h_bare"]), 0

    period = _PERIODS.get(match["period"] or "")
    if period and implied_period and period != implied_period:
        return None  # "今晚上午8点" contradicts itself
    period = period or implied_period
    ampm = (match["ampm"] or "").replace(".", "")
    if ampm:
        if period:
            return None  # "下午3pm": one way of saying it is enough
        if not 1 <= hour <= 12:
            return NO_SUCH_TIME
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    elif period:
        adjusted = _apply_period(hour, period)
        if isinstance(adjusted, str):
            return adjusted
        hour = adjusted
    if hour > 23 or minute > 59:
        return NO_SUCH_TIME
    return hour, minute


def _apply_period(hour: int, period: str) -> int | str:
    """`hour` as said after a Chinese period word, on a 24 h clock, or an error key."""
    if period == "small_hours":
        return hour if hour <= 5 else NO_SUCH_TIME
    if period == "am":
        return hour if hour <= 12 else NO_SUCH_TIME
    if period == "noon":
        if 1 <= hour <= 2:
            return hour + 12
        return hour if 11 <= hour <= 14 else NO_SUCH_TIME
    if period == "pm":
        if 1 <= hour <= 11:
            return hour + 12
        return hour if 12 <= hour <= 23 else NO_SUCH_TIME
    # Evening: "晚上12点" (midnight, but of which day?) and "晚上2点" (really the small hours)
    # are too easy to get a day wrong with, so they are refused as ambiguous.
    if 4 <= hour <= 11:
        return hour + 12
    if 16 <= hour <= 23:
        return hour
    return AMBIGUOUS if hour <= 12 else NO_SUCH_TIME


def _number(word: str) -> int | None:
    """An Arabic or Chinese numeral (零 to 五十九) as an int, or None."""
    if word.isdigit():
        return int(word)
    if "十" in word:
        tens, _, ones = word.partition("十")
        if len(tens) > 1 or len(ones) > 1:
            return None
        t = _CN_DIGITS.get(tens, -1) if tens else 1
        o = _CN_DIGITS.get(ones, -1) if ones else 0
        return None if t < 1 or o < 0 else t * 10 + o
    if len(word) == 2 and word[0] in "零〇":  # 十点零五 = 10:05
        word = word[1]
    return _CN_DIGITS.get(word) if len(word) == 1 else None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _to_utc(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    # fold=0: in a fall-back hour the earlier (summer-time) moment is taken.
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)
