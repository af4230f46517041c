"""Storage of the organisation, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import org
from storage.db import SessionFactory
from storage.models import STATUS_ACTIVE, STATUS_PENDING
from tests.conftest import NOW


async def test_migrations_build_the_schema_with_default_departments(
    engine: AsyncEngine, sessions: SessionFactory
) -> None:
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"department", "chat_binding", "staff", "staff_role", "alembic_version"} <= tables
    async with sessions() as session:
        codes = [d.code for d in await org.list_departments(session)]
    assert codes == ["cs", "front", "hk", "eng", "sec", "bell", "fb", "mkt", "mgmt"]


async def test_binding_a_department_replaces_its_previous_chat(sessions: SessionFactory) -> None:
    supergroup = -1001234567890  # beyond 32 bits, as real supergroup ids are
    async with sessions() as session:
        first = await org.bind_chat(
            session,
            department_code="hk",
            chat_id=supergroup,
            thread_id=None,
            chat_title="Ops",
            bound_by=1,
            now=NOW,
        )
        second = await org.bind_chat(
            session,
            department_code="hk",
            chat_id=supergroup,
            thread_id=7,
            chat_title="Ops",
            bound_by=1,
            now=NOW,
        )
        binding = await org.get_binding(session, "hk")
    assert first is None
    assert second is not None
    assert second.thread_id is None
    assert binding is not None
    assert (binding.chat_id, binding.thread_id) == (supergroup, 7)
    assert binding.bound_at == NOW
    assert binding.bound_at.tzinfo is not None


async def test_unbind_removes_only_that_topic(sessions: SessionFactory) -> None:
    async with sessions() as session:
        for code, thread in (("hk", 7), ("eng", 7), ("sec", 9)):
            await org.bind_chat(
                session,
                department_code=code,
                chat_id=-100,
                thread_id=thread,
                chat_title="Ops",
                bound_by=1,
                now=NOW,
            )
        removed = await org.unbind_chat(session, chat_id=-100, thread_id=7)
        left = await org.departments_bound_to(session, chat_id=-100, thread_id=9)
        again = await org.unbind_chat(session, chat_id=-100, thread_id=7)
    assert removed == ["eng", "hk"]
    assert left == ["sec"]
    assert again == []


async def test_registration_approval_makes_an_active_staff_member(
    sessions: SessionFactory,
) -> None:
    async with sessions() as session:
        person = await org.greet_user(
            session, telegram_id=5_000_000_001, username="Amy_HK", first_name="Amy", now=NOW
        )
        assert person.id is not None
        assert person.username == "amy_hk"
        pending = await org.request_registration(
            session, staff_id=person.id, name="Amy Chen", department_code="hk", now=NOW
        )
        assert pending is not None
        assert pending.status == STATUS_PENDING
        wrong_department = await org.decide_registration(
            session, staff_id=person.id, department_code="eng", approve=True, now=NOW
        )
        approved = await org.decide_registration(
            session, staff_id=person.id, department_code="hk", approve=True, now=NOW
        )
        twice = await org.decide_registration(
            session, staff_id=person.id, department_code="hk", approve=False, now=NOW
        )
        view = await org.view_by_telegram_id(session, 5_000_000_001)
    assert wrong_department is None
    assert approved is not None
    assert approved.status == STATUS_ACTIVE
    assert twice is None
    assert view is not None
    assert view.roles == frozenset({"staff"})


async def test_reports_to_refuses_a_loop(sessions: SessionFactory) -> None:
    async with sessions() as session:
        a = await org.greet_user(session, telegram_id=1, username=None, first_name="A", now=NOW)
        b = await org.greet_user(session, telegram_id=2, username=None, first_name="B", now=NOW)
        assert a.id is not None
        assert b.id is not None
        assert await org.set_reports_to(session, staff_id=a.id, manager_id=b.id, now=NOW)
        assert not await org.set_reports_to(session, staff_id=b.id, manager_id=a.id, now=NOW)
        assert not await org.set_reports_to(session, staff_id=a.id, manager_id=a.id, now=NOW)
        reloaded = await org.get_staff(session, b.id)
    assert reloaded is not None
    assert reloaded.reports_to_id is None


async def test_a_username_moves_to_its_newest_holder(sessions: SessionFactory) -> None:
    async with sessions() as session:
        await org.greet_user(session, telegram_id=1, username="frontdesk", first_name="A", now=NOW)
        await org.greet_user(session, telegram_id=2, username="frontdesk", first_name="B", now=NOW)
        old = await org.find_by_telegram_id(session, 1)
        new = await org.find_by_telegram_id(session, 2)
    assert old is not None
    assert old.username is None
    assert new is not None
    assert new.username == "frontdesk"


async def test_a_visitor_who_later_gets_a_roster_username_is_merged_into_that_row(
    sessions: SessionFactory,
) -> None:
    from storage.models import Staff

    async with sessions() as session:
        await org.greet_user(session, telegram_id=77, username=None, first_name="Dan", now=NOW)
        session.add(
            Staff(
                username="dan_the_man",
                name="Dan Brown",
                status=STATUS_ACTIVE,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        await session.commit()
        claimed = await org.greet_user(
            session, telegram_id=77, username="Dan_The_Man", first_name="Dan", now=NOW
        )
        assert await org.count_staff(session, statuses=("visitor", "active", "inactive")) == 1
    assert claimed.name == "Dan Brown"
    assert claimed.status == STATUS_ACTIVE
    assert claimed.telegram_id == 77


async def test_bindings_follow_a_group_that_became_a_supergroup(sessions: SessionFactory) -> None:
    async with sessions() as session:
        await org.bind_chat(
            session,
            department_code="hk",
            chat_id=-4001,
            thread_id=None,
            chat_title="HK",
            bound_by=1,
            now=NOW,
        )
        moved = await org.move_bindings(session, old_chat_id=-4001, new_chat_id=-1004001)
        binding = await org.get_binding(session, "hk")
    assert moved == 1
    assert binding is not None
    assert binding.chat_id == -1004001


async def test_views_reads_several_people_with_their_roles_at_once(
    sessions: SessionFactory,
) -> None:
    async with sessions() as session:
        ids = []
        for telegram_id in (501, 502, 503):
            person = await org.greet_user(
                session, telegram_id=telegram_id, username=None, first_name="P", now=NOW
            )
            assert person.id is not None
            ids.append(person.id)
            person.status = STATUS_ACTIVE  # as an approved member of staff
            session.add(person)
        await session.commit()
        await org.toggle_role(session, staff_id=ids[0], role="director", now=NOW)
        await org.toggle_role(session, staff_id=ids[0], role="gm", now=NOW)
        await org.toggle_role(session, staff_id=ids[2], role="director", now=NOW)
        found = await org.views(session, [ids[0], ids[1], ids[2], ids[0], 999_999])
        directors = await org.views_with_role(session, "director")
        assert await org.views(session, []) == {}
    assert sorted(found) == sorted(ids)  # each once; an unknown id is left out
    assert found[ids[0]].roles == frozenset({"director", "gm"})
    assert found[ids[1]].roles == frozenset()
    assert found[ids[2]].roles == frozenset({"director"})
    assert [view.staff.id for view in directors] == [ids[0], ids[2]]
