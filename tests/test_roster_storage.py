"""Importing a roster into the database, on SQLite and PostgreSQL: all of it or nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.roster import RosterRow, parse_roster
from storage import org
from storage.db import SessionFactory
from storage.models import STATUS_ACTIVE, STATUS_INACTIVE, Staff
from storage.roster import RosterOutcome, import_roster
from tests.conftest import NOW

HEADER = "telegram_id,username,name,department,roles,reports_to,language"
LATER = NOW + timedelta(days=1)


async def parse(session: AsyncSession, *lines: str) -> list[RosterRow]:
    codes = [d.code for d in await org.list_departments(session)]
    content = "\ufeff" + "\r\n".join([HEADER, *lines]) + "\r\n"
    parsed = parse_roster("roster.csv", content.encode("utf-8"), department_codes=codes)
    assert parsed.errors == []
    return parsed.rows


async def load(session: AsyncSession, *lines: str, now: datetime = NOW) -> RosterOutcome:
    rows = await parse(session, *lines)
    return await import_roster(session, rows=rows, now=now)


async def everyone(session: AsyncSession) -> list[Staff]:
    result = await session.exec(select(Staff).order_by(col(Staff.id)))
    return list(result.all())


def problems(outcome: RosterOutcome) -> list[tuple[int, str]]:
    return [(e.line, e.key.removeprefix("roster.error.")) for e in outcome.errors]


async def test_import_creates_people_with_roles_and_reports_to(sessions: SessionFactory) -> None:
    async with sessions() as session:
        outcome = await load(
            session,
            "1001,@Wang_Li,Wang Li,hk,head;staff,,zh",
            "1002,,Li Lei,hk,,wang_li,en",
            ",amy_chen,Amy Chen,fb,duty_manager,1001,",
        )
    assert outcome == RosterOutcome(created=3, updated=0, waiting=1, errors=[])
    async with sessions() as session:
        wang = await org.view_by_telegram_id(session, 1001)
        li = await org.view_by_telegram_id(session, 1002)
        amy = (await everyone(session))[2]
        amy_roles = await org.roles_of(session, amy.id or 0)
    assert wang is not None
    assert li is not None
    assert (wang.staff.name, wang.staff.username, wang.staff.department_code) == (
        "Wang Li",
        "wang_li",
        "hk",
    )
    assert wang.roles == frozenset({"head", "staff"})
    assert wang.staff.language == "zh"
    assert wang.staff.reports_to_id is None
    assert wang.is_active
    assert li.roles == frozenset({"staff"})
    assert li.staff.reports_to_id == wang.staff.id
    assert li.staff.language == "en"
    assert (amy.telegram_id, amy.username, amy.status) == (None, "amy_chen", STATUS_ACTIVE)
    assert amy.reports_to_id == wang.staff.id
    assert amy_roles == frozenset({"duty_manager"})
    assert amy.created_at == NOW


async def test_importing_again_updates_and_never_duplicates(sessions: SessionFactory) -> None:
    async with sessions() as session:
        # Someone who already said /start is matched, not created again.
        visitor = await org.greet_user(
            session, telegram_id=1002, username="lilei", first_name="Lei", now=NOW
        )
        first = await load(
            session,
            "1001,wang_li,Wang Li,hk,head,,zh",
            "1002,,Li Lei,hk,staff;cs_agent,wang_li,en",
            ",amy_chen,Amy Chen,fb,,1001,",
        )
        second = await load(
            session,
            "1001,wang_li,Wang Li-Na,eng,staff,,",
            "1002,,Li Lei,eng,cs_agent,,",
            ",@AMY_CHEN,Amy Chen,fb,head,1002,en",
            now=LATER,
        )
    assert first == RosterOutcome(created=2, updated=1, waiting=1, errors=[])
    assert second == RosterOutcome(created=0, updated=3, waiting=1, errors=[])
    async with sessions() as session:
        people = await everyone(session)
        roles = [await org.roles_of(session, p.id or 0) for p in people]
    assert len(people) == 3
    lei, wang, amy = people
    assert lei.id == visitor.id
    assert (lei.name, lei.username, lei.status) == ("Li Lei", "lilei", STATUS_ACTIVE)
    assert (wang.name, wang.department_code) == ("Wang Li-Na", "eng")
    assert wang.language == "zh"  # an empty language keeps the one set before
    assert lei.reports_to_id is None  # the file no longer names an evaluator
    assert amy.reports_to_id == lei.id
    assert amy.language == "en"
    assert roles == [frozenset({"cs_agent"}), frozenset({"staff"}), frozenset({"head"})]
    assert wang.updated_at == LATER
    assert wang.created_at == NOW


async def test_a_username_only_row_is_claimed_at_first_start(sessions: SessionFactory) -> None:
    async with sessions() as session:
        imported = await load(session, ",@Amy_Chen,Amy Chen,fb,head,,")
        placeholder = (await everyone(session))[0]
        waiting_id = placeholder.telegram_id
        claimed = await org.greet_user(
            session, telegram_id=5_000_000_123, username="Amy_Chen", first_name="Amy", now=LATER
        )
        again = await load(session, ",amy_chen,Amy Chen,fb,head,,")
        view = await org.view_by_telegram_id(session, 5_000_000_123)
        people = await everyone(session)
    assert imported == RosterOutcome(created=1, updated=0, waiting=1, errors=[])
    assert waiting_id is None
    assert claimed.id == placeholder.id
    assert again == RosterOutcome(created=0, updated=1, waiting=0, errors=[])
    assert view is not None
    assert view.is_active
    assert view.staff.name == "Amy Chen"
    assert view.roles == frozenset({"head"})
    assert len(people) == 1


async def test_reports_to_may_name_someone_already_in_the_database(
    sessions: SessionFactory,
) -> None:
    async with sessions() as session:
        await load(session, "1001,wang_li,Wang Li,hk,head,,")
        outcome = await load(session, "1002,,Li Lei,hk,,@Wang_Li,")
        li = await org.find_by_telegram_id(session, 1002)
        wang = await org.find_by_telegram_id(session, 1001)
    assert outcome == RosterOutcome(created=1, updated=0, waiting=0, errors=[])
    assert li is not None
    assert wang is not None
    assert li.reports_to_id == wang.id


async def test_one_bad_line_imports_nothing(sessions: SessionFactory) -> None:
    content = "\n".join(
        [HEADER, "1001,wang_li,Wang Li,hk,head,,", "1002,,Li Lei,hk,chef,,", "1003,,Bo,hk,,,"]
    ).encode()
    async with sessions() as session:
        codes = [d.code for d in await org.list_departments(session)]
        parsed = parse_roster("roster.csv", content, department_codes=codes)
        assert [(e.line, e.key) for e in parsed.errors] == [(3, "roster.error.unknown_role")]
        # Even if the good rows were handed over, a reports_to nobody has stops them all.
        rows = [*parsed.rows, RosterRow(4, 1004, None, "Cy", "hk", ("staff",), "ghost_user", None)]
        outcome = await import_roster(session, rows=rows, now=NOW)
        people = await everyone(session)
    assert outcome.errors[0].params == {"value": "ghost_user"}
    assert (outcome.created, outcome.updated, outcome.waiting) == (0, 0, 0)
    assert problems(outcome) == [(4, "unknown_reports_to")]
    assert people == []


async def test_a_failed_import_leaves_existing_people_untouched(sessions: SessionFactory) -> None:
    async with sessions() as session:
        await load(session, "1001,wang_li,Wang Li,hk,head,,")
        rows = await parse(session, "1001,wang_li,Wang Renamed,eng,staff,,", "1002,,Li,hk,,999,")
        outcome = await import_roster(session, rows=rows, now=LATER)
    assert problems(outcome) == [(3, "unknown_reports_to")]
    async with sessions() as session:
        view = await org.view_by_telegram_id(session, 1001)
        people = await everyone(session)
    assert view is not None
    assert (view.staff.name, view.staff.department_code) == ("Wang Li", "hk")
    assert view.roles == frozenset({"head"})
    assert len(people) == 1


async def test_a_reports_to_loop_is_refused(sessions: SessionFactory) -> None:
    async with sessions() as session:
        outcome = await load(
            session,
            "1001,,A,hk,,1002,",
            "1002,,B,hk,,1003,",
            "1003,,C,hk,,1001,",
            "1004,,D,hk,,1001,",
        )
        people = await everyone(session)
    assert problems(outcome) == [
        (2, "reports_to_loop"),
        (3, "reports_to_loop"),
        (4, "reports_to_loop"),
    ]
    assert people == []


async def test_a_loop_through_someone_already_in_the_database_is_refused(
    sessions: SessionFactory,
) -> None:
    async with sessions() as session:
        await load(session, "1001,,A,hk,,,", "1002,,B,hk,,1001,")
        outcome = await load(session, "1001,,A,hk,,1002,")
        a = await org.find_by_telegram_id(session, 1001)
    assert problems(outcome) == [(2, "reports_to_loop")]
    assert a is not None
    assert a.reports_to_id is None


async def test_two_rows_for_one_known_person_are_refused(sessions: SessionFactory) -> None:
    """By id on one line and by username on another: the parser cannot see it, the import can."""
    async with sessions() as session:
        await load(session, "1001,wang_li,Wang Li,hk,,,")
        outcome = await load(session, "1001,,Wang Li,hk,,,", ",wang_li,Wang Li,hk,head,,")
        roles = await org.roles_of(session, (await everyone(session))[0].id or 0)
    assert problems(outcome) == [(3, "duplicate_person")]
    assert outcome.errors[0].params == {"first_line": "2"}
    assert roles == frozenset({"staff"})


async def test_a_username_moves_to_the_person_the_roster_gives_it(
    sessions: SessionFactory,
) -> None:
    async with sessions() as session:
        await load(session, ",front_desk,Front Desk,front,,,")
        await org.greet_user(session, telegram_id=2002, username=None, first_name="Bo", now=NOW)
        outcome = await load(session, "2002,front_desk,Bo,front,,,", now=LATER)
        people = await everyone(session)
    assert outcome == RosterOutcome(created=0, updated=1, waiting=0, errors=[])
    old, bo = people
    assert (old.username, old.status) == (None, STATUS_INACTIVE)
    assert (bo.telegram_id, bo.username, bo.status) == (2002, "front_desk", STATUS_ACTIVE)


async def test_reports_to_a_visitor_is_refused(sessions: SessionFactory) -> None:
    async with sessions() as session:
        await org.greet_user(session, telegram_id=9999, username=None, first_name="V", now=NOW)
        row = RosterRow(
            line=2,
            telegram_id=9001,
            username=None,
            name="Staff",
            department="hk",
            roles=("staff",),
            reports_to="9999",
            language=None,
        )
        outcome = await import_roster(session, rows=[row], now=NOW)
        assert await org.find_by_telegram_id(session, 9001) is None
    assert [(e.line, e.key) for e in outcome.errors] == [(2, "roster.error.unknown_reports_to")]
