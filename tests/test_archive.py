"""The reception archive: a readable HTML document and an .xlsx export of the month."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.archive import (
    ArchivedCheck,
    ArchivedEvent,
    ArchivedProblem,
    ArchivedTask,
    Text,
    VisitArchive,
    archive_document,
    archive_filename,
    visits_workbook,
)
from bot.i18n import Catalog

CATALOG = Catalog.load()
SHANGHAI = ZoneInfo("Asia/Shanghai")


def texts(language: str) -> Text:
    return lambda key, **params: CATALOG.text(language, key, **params)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def make_archive(guest: str = "Mr. Wang", visit_id: int = 12) -> VisitArchive:
    # Arrival 2026-11-28 15:00 Shanghai = 07:00 UTC.
    inspection = ArchivedTask(
        title="VIP room inspection",
        departments="Customer Service, Housekeeping",
        remind_at=utc(28, 5),
        due_at=utc(28, 6),
        status="done",
        claimed_by="Li Na",
        done_by="Li Na",
        done_at=utc(28, 6, 20),  # late
        urgent=False,
        escalated_level=1,
        checklist=(
            ArchivedCheck("Room card", "Li Na", utc(28, 5, 10)),
            ArchivedCheck("Amenities", None, None),
        ),
    )
    parking = ArchivedTask(
        title="Reserve parking",
        departments="Security",
        remind_at=utc(28, 5),
        due_at=utc(28, 5, 30),
        status="pending",
        claimed_by=None,
        done_by=None,
        done_at=None,
        urgent=True,
        escalated_level=0,
        checklist=(),
    )
    welcome = ArchivedTask(
        title="Welcome team assembles",
        departments="Bell",
        remind_at=None,
        due_at=utc(28, 6, 45),
        status="cancelled",
        claimed_by=None,
        done_by=None,
        done_at=None,
        urgent=False,
        escalated_level=0,
        checklist=(),
    )
    return VisitArchive(
        visit_id=visit_id,
        status="completed",
        guest=guest,
        company="Acme & Sons",
        group_name="Annual summit",
        titles="CEO",
        party_size=6,
        vehicles=2,
        arrival_at=utc(28, 7),
        arrived_at=utc(28, 7, 5),
        departure_at=utc(30, 2),
        rooms="1801, 1802",
        itinerary="Dinner at 19:00\nMeeting next morning",
        requirements="Quiet floor",
        standard="A",
        announced_by="Zhang Wei",
        announced_at=utc(27, 1),
        checked_by="Chen Jie",
        checked_at=utc(27, 2),
        closed_by="Zhang Wei",
        closed_at=utc(30, 3),
        tasks=(inspection, parking, welcome),
        problems=(
            ArchivedProblem(
                "VIP room inspection",
                "Minibar empty",
                "Li Na",
                utc(28, 5, 15),
                "Zhou",
                utc(28, 5, 40),
            ),
            ArchivedProblem("Reserve parking", "Lot full", "Guard", utc(28, 5, 50), None, None),
        ),
        events=(
            ArchivedEvent(utc(28, 7, 5), "Chen Jie", "Guest arrived"),
            ArchivedEvent(utc(27, 1), "Zhang Wei", "Notice announced"),
        ),
    )


# --- filename -------------------------------------------------------------------------------


def test_the_filename_is_ascii_and_names_the_visit_and_the_local_arrival_day() -> None:
    archive = make_archive(guest="王先生")
    name = archive_filename(archive, zone=SHANGHAI)
    assert name == "vip-reception-12-2026-11-28.html"
    assert name.isascii()


def test_the_filename_day_is_the_hotel_day_not_the_utc_day() -> None:
    late_evening = VisitArchive(**{**make_archive().__dict__, "arrival_at": utc(28, 17)})
    assert archive_filename(late_evening, zone=SHANGHAI) == "vip-reception-12-2026-11-29.html"


# --- document ---------------------------------------------------------------------------------


def test_the_english_document_holds_the_notice_tasks_problems_and_timeline() -> None:
    page = archive_document(make_archive(), text=texts("en"), zone=SHANGHAI).decode("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in page
    assert "VIP reception #12" in page
    for heading in ("Reception notice", "Tasks", "Problems", "Timeline"):
        assert f"<h2>{heading}</h2>" in page
    for fact in ("Mr. Wang", "Acme &amp; Sons", "Annual summit", "1801, 1802", "Quiet floor"):
        assert fact in page
    assert "<td>6</td>" in page
    assert "<td>2</td>" in page
    assert "completed" in page
    # tasks: status marks, who and when, late/urgent/escalated, checklist ticks
    assert "✅ done" in page
    assert "⏳ pending" in page
    assert "❌ cancelled" in page
    assert "Li Na · 2026-11-28 14:20" in page
    assert "late" in page
    assert "urgent" in page
    assert "escalated (level 1)" in page
    assert "☑ Room card" in page
    assert "☐ Amenities" in page
    # problems with their resolution
    assert "Minibar empty" in page
    assert "resolved: Zhou · 2026-11-28 13:40" in page
    assert "⚠️ open" in page
    # timeline, in time order
    assert page.index("Notice announced") < page.index("Guest arrived")


def test_the_chinese_document_uses_the_chinese_catalog() -> None:
    page = archive_document(make_archive(), text=texts("zh"), zone=SHANGHAI).decode("utf-8")
    assert '<html lang="zh-CN">' in page
    assert "贵宾接待 #12" in page
    for heading in ("贵宾接待通知单", "任务", "问题", "时间线"):
        assert f"<h2>{heading}</h2>" in page
    assert "✅ 已完成" in page
    assert "⏳ 待完成" in page
    assert "已升级（第 1 级）" in page
    assert "Mr. Wang" in page
    assert "2026-11-28 15:00" in page


def test_times_are_shown_in_the_hotel_zone() -> None:
    page = archive_document(make_archive(), text=texts("en"), zone=SHANGHAI).decode("utf-8")
    assert "2026-11-28 15:00" in page  # arrival, 07:00 UTC
    assert "2026-11-28 15:05" in page  # arrived
    assert "2026-11-30 10:00" in page  # departure, 02:00 UTC
    assert "2026-11-28 07:00" not in page


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_hostile_guest_name_is_text_not_markup(language: str) -> None:
    hostile = '<script>alert("x")</script>'
    archive = VisitArchive(
        **{
            **make_archive(guest=hostile).__dict__,
            "events": (ArchivedEvent(utc(28, 7), "<b>evil</b>", "<img src=x onerror=y>"),),
        }
    )
    page = archive_document(archive, text=texts(language), zone=SHANGHAI).decode("utf-8")
    assert "<script>" not in page
    assert "<img" not in page
    assert "<b>evil" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=y&gt;" in page


def test_the_document_is_self_contained() -> None:
    page = archive_document(make_archive(), text=texts("en"), zone=SHANGHAI).decode("utf-8")
    assert "<style>" in page
    for external in ("<link", "<script", "src=", "http://", "https://", "@import"):
        assert external not in page


def test_an_archive_without_tasks_problems_or_events_says_none() -> None:
    empty = VisitArchive(**{**make_archive().__dict__, "tasks": (), "problems": (), "events": ()})
    page = archive_document(empty, text=texts("en"), zone=SHANGHAI).decode("utf-8")
    assert page.count('<p class="muted">None</p>') == 3


# --- workbook ---------------------------------------------------------------------------------


def rows(data: bytes, sheet: int) -> list[tuple[object, ...]]:
    workbook = load_workbook(io.BytesIO(data))
    return list(workbook.worksheets[sheet].iter_rows(values_only=True))


def test_the_workbook_has_one_row_per_visit_with_counts_and_local_times() -> None:
    hostile = make_archive(guest="<A&B>", visit_id=13)
    data = visits_workbook(
        [make_archive(), hostile], text=texts("en"), zone=SHANGHAI, title="Visits 2026-11"
    )
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Visits", "Tasks", "Problems"]
    assert workbook.properties.title == "Visits 2026-11"
    visits = workbook["Visits"]
    header = [cell.value for cell in visits[1]]
    assert header[:7] == ["Visit", "Guest", "Company", "Group", "Party", "Vehicles", "Arrival"]
    assert all(cell.font.bold for cell in visits[1])
    assert visits.freeze_panes == "A2"
    assert visits.column_dimensions["B"].width > 0
    record = dict(zip(header, [cell.value for cell in visits[2]], strict=True))
    assert record["Visit"] == 12
    assert record["Guest"] == "Mr. Wang"
    assert record["Company"] == "Acme & Sons"  # raw, not HTML-escaped
    assert record["Party"] == 6
    assert record["Vehicles"] == 2
    assert record["Arrival"] == datetime(2026, 11, 28, 15, 0)  # noqa: DTZ001 - Excel is naive
    assert record["Status"] == "completed"
    assert record["Tasks done"] == 1
    assert record["Tasks total"] == 3
    assert record["Problems open"] == 1
    assert record["Problems total"] == 2
    assert record["Announced by"] == "Zhang Wei"
    assert record["Closed by"] == "Zhang Wei"
    assert record["Closed at"] == datetime(2026, 11, 30, 11, 0)  # noqa: DTZ001
    assert [cell.value for cell in visits[3]][:2] == [13, "<A&B>"]


def test_the_tasks_and_problems_sheets_carry_the_visit_id() -> None:
    data = visits_workbook([make_archive()], text=texts("en"), zone=SHANGHAI, title="t")
    tasks = rows(data, 1)
    assert len(tasks) == 1 + 3
    header = list(tasks[0])
    inspection = dict(zip(header, tasks[1], strict=True))
    assert inspection["Visit"] == 12
    assert inspection["Task"] == "VIP room inspection"
    assert inspection["Departments"] == "Customer Service, Housekeeping"
    assert inspection["Reminder"] == datetime(2026, 11, 28, 13, 0)  # noqa: DTZ001
    assert inspection["Done at"] == datetime(2026, 11, 28, 14, 20)  # noqa: DTZ001
    assert inspection["Status"] == "done"
    assert inspection["Late"] is True
    assert inspection["Urgent"] is False
    assert inspection["Escalation level"] == 1
    assert inspection["Checklist"] == "☑ Room card\n☐ Amenities"
    assert [row[0] for row in tasks[1:]] == [12, 12, 12]
    problems = rows(data, 2)
    assert len(problems) == 1 + 2
    resolved = dict(zip(problems[0], problems[1], strict=True))
    assert resolved["Visit"] == 12
    assert resolved["Problem"] == "Minibar empty"
    assert resolved["Resolved by"] == "Zhou"
    assert resolved["Resolved at"] == datetime(2026, 11, 28, 13, 40)  # noqa: DTZ001
    assert dict(zip(problems[0], problems[2], strict=True))["Status"] == "open"


@pytest.mark.parametrize("language", ["en", "zh"])
def test_no_visits_gives_headers_only(language: str) -> None:
    data = visits_workbook([], text=texts(language), zone=SHANGHAI, title="empty")
    workbook = load_workbook(io.BytesIO(data))
    assert len(workbook.sheetnames) == 3
    for sheet in workbook.worksheets:
        assert sheet.max_row == 1
        assert all(cell.value for cell in sheet[1])
        assert all(cell.font.bold for cell in sheet[1])


def test_the_chinese_workbook_has_chinese_headers_and_plain_text() -> None:
    data = visits_workbook([make_archive()], text=texts("zh"), zone=SHANGHAI, title="t")
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["接待", "任务", "问题"]
    header = [cell.value for cell in workbook["接待"][1]]
    assert header[0] == "接待编号"
    record = dict(zip(header, [cell.value for cell in workbook["接待"][2]], strict=True))
    assert record["状态"] == "已完成"
    assert record["单位"] == "Acme & Sons"
