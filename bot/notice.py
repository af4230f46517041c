"""The VIP reception notice (贵宾接待通知单): its fields, how each answer is read, and the
pasted `Field: value` form. Pure: `now` and the hotel's zone are arguments."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.when import WhenError, parse_arrival

# In the order the conversation asks them.
FIELDS: tuple[str, ...] = (
    "guest",
    "company",
    "group",
    "titles",
    "party",
    "vehicles",
    "arrival",
    "rooms",
    "itinerary",
    "requirements",
    "standard",
)
# A notice names the guest, the company, or both; the rest of these must be there.
REQUIRED: tuple[str, ...] = ("party", "arrival")
OPTIONAL: frozenset[str] = frozenset(FIELDS) - {"party", "arrival", "guest", "company"}

# Names a manager may use for a field when pasting the notice (compared case-insensitively).
ALIASES: dict[str, tuple[str, ...]] = {
    "guest": ("guest", "guest name", "vip", "贵宾", "贵宾姓名", "客人", "姓名"),
    "company": ("company", "organisation", "organization", "单位", "公司", "单位名称"),
    "group": ("group", "meeting", "group name", "团队", "会议", "团队名称", "会议名称"),
    "titles": ("titles", "title", "positions", "职务", "职位", "身份"),
    "party": ("party", "party size", "guests", "人数", "来宾人数"),
    "vehicles": ("vehicles", "cars", "车辆", "车辆数", "车数"),
    "arrival": (
        "arrival",
        "arrival time",
        "arrives",
        "抵店时间",
        "抵达时间",
        "到店时间",
        "到达时间",
    ),
    "rooms": ("rooms", "room", "房号", "房间", "房间号"),
    "itinerary": ("itinerary", "schedule", "activities", "行程", "活动安排", "行程安排"),
    "requirements": ("requirements", "requests", "要求", "住店要求", "特殊要求"),
    "standard": ("standard", "reception standard", "标准", "接待标准", "接待规格"),
}
_FIELD_BY_ALIAS = {alias: name for name, aliases in ALIASES.items() for alias in aliases}

STANDARDS = ("A", "B", "C")
SKIP_WORDS = frozenset({"-", "—", "none", "no", "n/a", "skip", "无", "没有", "跳过", "不需要"})
MAX_TEXT = {"guest": 128, "company": 128, "group": 128, "titles": 256, "rooms": 256}
MAX_LONG_TEXT = 2000
MAX_PARTY = 500
MAX_VEHICLES = 100


@dataclass(frozen=True)
class FieldError:
    """Why an answer was refused: a catalog key and its placeholders."""

    key: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Notice:
    guest: str = ""
    company: str = ""
    group: str = ""
    titles: str = ""
    party: int | None = None
    vehicles: int = 0
    arrival: datetime | None = None
    rooms: str = ""
    itinerary: str = ""
    requirements: str = ""
    standard: str = ""

    def with_value(self, name: str, value: object) -> Notice:
        changes: dict[str, Any] = {name: value}  # parse_value gives each field its own type
        return replace(self, **changes)

    def missing(self) -> list[str]:
        """Fields still needed before the notice can be sent for cross-checking."""
        gaps = [] if (self.guest or self.company) else ["guest"]
        if self.party is None:
            gaps.append("party")
        if self.arrival is None:
            gaps.append("arrival")
        return gaps


def _clean(raw: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", raw).split())


def _count(raw: str, *, low: int, high: int) -> int | FieldError:
    digits = re.fullmatch(r"(\d{1,4})\s*(人|位|辆|台|people|guests|persons|cars|vehicles)?", raw)
    if digits is None:
        return FieldError("notice.error.not_a_number", {"low": str(low), "high": str(high)})
    value = int(digits.group(1))
    if not low <= value <= high:
        return FieldError("notice.error.out_of_range", {"low": str(low), "high": str(high)})
    return value


def parse_value(name: str, raw: str, *, now: datetime, zone: ZoneInfo) -> object | FieldError:
    """One answer read as its field's value, or why it cannot be."""
    if name not in FIELDS:
        raise ValueError(f"unknown notice field {name}")
    text = _clean(raw)
    if name != "arrival" and text.lower() in SKIP_WORDS:
        if name in ("party",):
            return FieldError("notice.error.required")
        return 0 if name == "vehicles" else ""
    if not text:
        return FieldError("notice.error.required")
    if name == "party":
        return _count(text, low=1, high=MAX_PARTY)
    if name == "vehicles":
        return _count(text, low=0, high=MAX_VEHICLES)
    if name == "arrival":
        moment = parse_arrival(text, now=now, zone=zone)
        if isinstance(moment, WhenError):
            return FieldError(moment.key, moment.params)
        return moment
    if name == "standard":
        letter = text.upper().removesuffix("级").removeprefix("STANDARD ").strip()
        if letter not in STANDARDS:
            return FieldError("notice.error.standard", {"choices": "/".join(STANDARDS)})
        return letter
    limit = MAX_TEXT.get(name, MAX_LONG_TEXT)
    # Long fields keep their line breaks: an itinerary reads better as lines.
    value = raw.strip() if limit == MAX_LONG_TEXT else text
    if len(value) > limit:
        return FieldError("notice.error.too_long", {"limit": str(limit)})
    return value


@dataclass(frozen=True)
class LineError:
    line: int
    error: FieldError
    field_name: str | None = None


def parse_pasted(text: str, *, now: datetime, zone: ZoneInfo) -> tuple[Notice, list[LineError]]:
    """A whole notice pasted as `Field: value` lines (English or Chinese names, : or ：).

    Lines without a known field name continue the previous field (a multi-line itinerary).
    Every wrong line is reported at once, with its number counted from the first line.
    """
    notice = Notice()
    errors: list[LineError] = []
    seen: dict[str, int] = {}
    current: str | None = None
    continued: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = re.match(r"^\s*([^:：]{1,24}?)\s*[:：]\s*(.*)$", line)
        name = _FIELD_BY_ALIAS.get(_clean(match.group(1)).lower()) if match else None
        if match is None or name is None:
            if current in ("itinerary", "requirements"):
                continued[current].append(line.strip())
                continue
            errors.append(LineError(number, FieldError("notice.error.unknown_line")))
            continue
        if name in seen:
            errors.append(
                LineError(
                    number, FieldError("notice.error.twice", {"first": str(seen[name])}), name
                )
            )
            continue
        seen[name] = number
        current = name
        continued[name] = [match.group(2)]
    for name, parts in continued.items():
        value = parse_value(name, "\n".join(parts), now=now, zone=zone)
        if isinstance(value, FieldError):
            errors.append(LineError(seen[name], value, name))
        else:
            notice = notice.with_value(name, value)
    # A line that was there but wrong is reported already; one skipped ("Guest: -") is not.
    reported = {error.field_name for error in errors if error.error.key != "notice.error.twice"}
    for name in notice.missing():
        if name in reported or (name == "guest" and "company" in reported):
            continue
        errors.append(LineError(0, FieldError("notice.error.missing"), name))
    errors.sort(key=lambda e: (e.line == 0, e.line))
    return notice, errors


# --- The /vip conversation's state, as its row keeps it (storage.drafts) ---------------------

ASK = "ask"  # each field in turn
EDIT = "edit"  # one field again, chosen from the summary
SUMMARY = "summary"  # the summary with Send / Edit / Cancel
PICK = "pick"  # the field buttons, after ✏️ Edit
GUEST_OR_COMPANY = "notice.error.guest_or_company"


@dataclass(frozen=True)
class Stage:
    """Where a notice's conversation stands: which question it waits for, or its buttons."""

    kind: str
    field: str | None = None

    def encode(self) -> str:
        return f"{self.kind}:{self.field}" if self.field else self.kind

    @property
    def wants_text(self) -> bool:
        return self.kind in (ASK, EDIT)


def parse_stage(text: str) -> Stage | None:
    """A stored step read back; None for one this version does not know."""
    kind, _, name = text.partition(":")
    if kind in (ASK, EDIT) and name in FIELDS:
        return Stage(kind, name)
    if kind in (SUMMARY, PICK) and not name:
        return Stage(kind)
    return None


def answer_field(
    notice: Notice, stage: Stage, raw: str, *, now: datetime, zone: ZoneInfo
) -> tuple[Notice, Stage] | FieldError:
    """An answer to the question `stage` asks: the notice with it and the next stage (the
    next field in turn, or the summary after the last one or after an edit), or why not."""
    assert stage.field is not None
    assert stage.wants_text
    value = parse_value(stage.field, raw, now=now, zone=zone)
    if isinstance(value, FieldError):
        return value
    notice = notice.with_value(stage.field, value)
    if stage.kind == ASK and stage.field == "company" and not (notice.guest or notice.company):
        return FieldError(GUEST_OR_COMPANY)
    index = FIELDS.index(stage.field)
    if stage.kind == ASK and index + 1 < len(FIELDS):
        return notice, Stage(ASK, FIELDS[index + 1])
    return notice, Stage(SUMMARY)


def notice_to_json(notice: Notice) -> dict[str, Any]:
    """The notice as JSON values (the arrival as an ISO 8601 UTC instant)."""
    data: dict[str, Any] = {name: getattr(notice, name) for name in FIELDS}
    if notice.arrival is not None:
        data["arrival"] = notice.arrival.isoformat()
    return data


def notice_from_json(data: Mapping[str, Any]) -> Notice:
    """A notice read back from `notice_to_json`; unknown keys are ignored."""
    values: dict[str, Any] = {name: data[name] for name in FIELDS if name in data}
    if isinstance(values.get("arrival"), str):
        values["arrival"] = datetime.fromisoformat(values["arrival"])
    return Notice(**values)
