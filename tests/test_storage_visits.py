"""Storage of VIP receptions, on SQLite and PostgreSQL: every assertion reads rows back."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col

from bot.notice import Notice
from bot.org import DEFAULT_DEPARTMENTS
from bot.playbook import load_playbook
from bot.reception import PlannedTask, plan_task, plan_visit
from bot.states import OutboxState, TaskStatus, VisitStatus
from storage import org, outbox, visits
from storage.db import SessionFactory
from storage.models import OUTBOX_VISIT, SEND_MAYBE, SEND_SENT, Reminder, VisitTask
from tests.conftest import NOW

PLAYBOOK = load_playbook(None, department_codes=[d.code for d in DEFAULT_DEPARTMENTS])
TASK_KEYS = [
    "briefing",
    "route_walk",
    "room_inspection",
    "parking",
    "confirm_arrival",
    "room_ready",
    "welcome_team",
    "arrival",
    "archive",
]
MINUTE = timedelta(minutes=1)
# The outbox rows of a visit confirmed at NOW, arriving 4 hours later: every task's assignment
# (9, due at confirmation), a reminder for each timed task whose time is still ahead (7: not the
# briefing, whose reminder time is the confirmation, so its assignment is the ping), and two
# escalation levels for each timed task (8 * 2).
ROWS_PER_VISIT = 9 + 7 + 8 * 2


def _notice(arrival: datetime) -> Notice:
    return Notice(guest="Mr Li", company="ACME", party=3, vehicles=2, arrival=arrival, rooms="808")


def _plan(arrival: datetime, *, now: datetime = NOW) -> list[PlannedTask]:
    return plan_visit(
        PLAYBOOK, standard=None, arrival=arrival, confirmed_at=NOW, departure=None, now=now
    )


async def _person(sessions: SessionFactory, telegram_id: int) -> int:
    async with sessions() as session:
        person = await org.greet_user(
            session, telegram_id=telegram_id, username=None, first_name="Staff", now=NOW
        )
    assert person.id is not None
    return person.id


async def _confirmed(
    sessions: SessionFactory, by: int, *, arrival: datetime = NOW + timedelta(hours=4)
) -> int:
    async with sessions() as session:
        visit = await visits.submit_notice(
            session, notice=_notice(arrival), announced_by=by, now=NOW
        )
        assert visit.id is not None
        confirmed = await visits.confirm_notice(
            session, visit_id=visit.id, by=by, now=NOW, plan=_plan(arrival)
        )
    assert confirmed is not None
    return visit.id


async def _tasks(sessions: SessionFactory, visit_id: int) -> dict[str, VisitTask]:
    async with sessions() as session:
        return {task.key: task for task in await visits.tasks_of(session, visit_id)}


async def _reminders(sessions: SessionFactory, visit_id: int) -> list[Reminder]:
    async with sessions() as session:
        return await visits.reminders_of(session, visit_id)


async def _reminder_states(sessions: SessionFactory, visit_id: int) -> dict[int, str]:
    return {r.id or 0: r.state for r in await _reminders(sessions, visit_id)}


# --- Notice, confirmation, tasks and reminders ------------------------------------------------


async def test_confirming_a_notice_creates_tasks_checklist_and_reminders(
    sessions: SessionFactory,
) -> None:
    manager = await _person(sessions, 1)
    arrival = NOW + timedelta(hours=4)
    async with sessions() as session:
        visit = await visits.submit_notice(
            session, notice=_notice(arrival), announced_by=manager, now=NOW
        )
    assert visit.id is not None
    async with sessions() as session:
        stored = await visits.get_visit(session, visit.id)
        assert stored is not None
        assert stored.status == VisitStatus.AWAITING_CHECK
        assert await visits.tasks_of(session, visit.id) == []
        plan = _plan(arrival)
        confirmed = await visits.confirm_notice(
            session, visit_id=visit.id, by=manager, now=NOW, plan=plan
        )
        twice = await visits.confirm_notice(
            session, visit_id=visit.id, by=manager, now=NOW, plan=plan
        )
        returned = await visits.return_notice(
            session, visit_id=visit.id, by=manager, reason="late", now=NOW
        )
    assert confirmed is not None
    assert twice is None
    assert returned is None

    async with sessions() as session:
        stored = await visits.get_visit(session, visit.id)
        tasks = await visits.tasks_of(session, visit.id)
        inspection = next(t for t in tasks if t.key == "room_inspection")
        assert inspection.id is not None
        items = await visits.items_of(session, inspection.id)
        reminders = await visits.reminders_of(session, visit.id)
        events = [e.kind for e in await visits.events_of(session, visit.id)]
    assert stored is not None
    assert stored.status == VisitStatus.CONFIRMED
    assert stored.checked_by == manager
    assert stored.checked_at == NOW
    assert stored.arrival_at == arrival
    assert stored.return_reason is None
    assert events == ["announced", "confirmed"]

    assert [t.key for t in tasks] == TASK_KEYS
    assert [t.position for t in tasks] == list(range(9))
    for task in tasks:
        template = PLAYBOOK.get(task.key)
        assert template is not None
        assert (task.title_zh, task.title_en) == (template.title_zh, template.title_en)
        assert (task.details_zh, task.details_en) == (template.details_zh, template.details_en)
        assert task.departments == ",".join(template.departments)
        assert task.status == TaskStatus.PENDING
        assert task.escalation == "10:head;20:duty_manager+cs_lead"
        assert task.is_arrival == (task.key == "arrival")
    by_key = {t.key: t for t in tasks}
    assert by_key["route_walk"].remind_at == arrival - timedelta(hours=3)
    assert by_key["route_walk"].due_at == arrival - timedelta(hours=2)
    assert by_key["arrival"].remind_at == arrival
    assert by_key["briefing"].remind_at == NOW
    assert not any(t.urgent for t in tasks)
    assert by_key["archive"].remind_at is None
    assert by_key["archive"].due_at is None

    assert [i.key for i in items] == [
        "room_card",
        "cleanliness",
        "facilities",
        "amenities",
        "view",
        "surroundings",
    ]
    assert [i.label_en for i in items][0] == "Room card"
    assert all(i.done_at is None for i in items)
    for task in tasks:
        if task.key in TASK_KEYS[:2]:
            continue
        assert task.id is not None
        assert await _count_items(sessions, task.id) == (6 if task.key == "room_inspection" else 0)

    # Every task, the archive included, is assigned through the outbox at confirmation; each
    # timed task has two escalation levels at due + 10 / + 20 minutes and a reminder, except
    # the briefing: its reminder time is the confirmation, so the assignment is its ping.
    assert len(reminders) == ROWS_PER_VISIT
    assert all(r.state == OutboxState.PENDING for r in reminders)
    assert all(r.version == 0 for r in reminders)
    assert {r.visit_id for r in reminders} == {visit.id}
    assigns = [r for r in reminders if r.kind == "assign"]
    assert len(assigns) == 9
    assert sorted(r.task_id or 0 for r in assigns) == sorted(t.id or 0 for t in tasks)
    assert {(r.level, r.version, r.due_at) for r in assigns} == {(0, 0, NOW)}
    assert len([r for r in reminders if r.kind == "remind"]) == 7
    assert len([r for r in reminders if r.kind == "escalate"]) == 8 * 2
    for task in tasks:
        rows = sorted(
            (r for r in reminders if r.task_id == task.id), key=lambda r: (r.kind, r.level)
        )
        kinds = [(r.kind, r.level, r.due_at) for r in rows]
        if task.key == "archive":
            assert kinds == [("assign", 0, NOW)]
            continue
        assert task.due_at is not None
        escalations = [
            ("escalate", 1, task.due_at + 10 * MINUTE),
            ("escalate", 2, task.due_at + 20 * MINUTE),
        ]
        if task.key == "briefing":
            assert kinds == [("assign", 0, NOW), *escalations]
            continue
        assert task.remind_at is not None
        assert task.remind_at > NOW
        assert kinds == [("assign", 0, NOW), *escalations, ("remind", 0, task.remind_at)]


async def test_a_saved_task_gives_back_the_timing_rules_of_its_playbook_template(
    sessions: SessionFactory,
) -> None:
    """template_of (what /arrival re-plans from) is the reverse of saving a planned task:
    a field added to one and not the other shows here."""
    by = await _person(sessions, 1)
    visit_id = await _confirmed(sessions, by)
    saved = await _tasks(sessions, visit_id)
    planned = {p.template.key: p.template for p in _plan(NOW + timedelta(hours=4))}
    assert set(saved) == set(planned)
    for key, template in planned.items():
        assert visits.template_of(saved[key]) == dataclasses.replace(
            template, checklist=(), standards=frozenset()
        ), key


async def _count_items(sessions: SessionFactory, task_id: int) -> int:
    async with sessions() as session:
        return len(await visits.items_of(session, task_id))


async def test_a_returned_notice_is_corrected_and_sent_again(sessions: SessionFactory) -> None:
    announcer = await _person(sessions, 1)
    checker = await _person(sessions, 2)
    arrival = NOW + timedelta(hours=4)
    async with sessions() as session:
        visit = await visits.submit_notice(
            session, notice=_notice(arrival), announced_by=announcer, now=NOW
        )
        assert visit.id is not None
        returned = await visits.return_notice(
            session, visit_id=visit.id, by=checker, reason="Which rooms?", now=NOW
        )
        stranger = await visits.resubmit_notice(
            session, visit_id=visit.id, notice=_notice(arrival), by=checker, now=NOW
        )
    assert returned is not None
    assert stranger is None
    async with sessions() as session:
        stored = await visits.get_visit(session, visit.id)
        assert stored is not None
        assert stored.return_reason == "Which rooms?"
        assert visits.notice_of(stored) == _notice(arrival)
        corrected = await visits.resubmit_notice(
            session,
            visit_id=visit.id,
            notice=_notice(arrival + timedelta(hours=1)),
            by=announcer,
            now=NOW,
        )
    assert corrected is not None
    async with sessions() as session:
        stored = await visits.get_visit(session, visit.id)
    assert stored is not None
    assert stored.status == VisitStatus.AWAITING_CHECK
    assert stored.return_reason is None
    assert stored.arrival_at == arrival + timedelta(hours=1)


async def test_a_last_minute_notice_assigns_passed_tasks_now_as_urgent(
    sessions: SessionFactory,
) -> None:
    manager = await _person(sessions, 1)
    visit_id = await _confirmed(sessions, manager, arrival=NOW + 40 * MINUTE)
    tasks = await _tasks(sessions, visit_id)
    reminders = await _reminders(sessions, visit_id)
    passed = {"route_walk", "room_inspection", "parking", "confirm_arrival"}
    for key in passed:
        assert tasks[key].remind_at == NOW
        assert tasks[key].urgent
    assert tasks["route_walk"].due_at == NOW - 80 * MINUTE  # its due time stays as it was
    for key in ("room_ready", "welcome_team", "arrival"):
        assert not tasks[key].urgent
        assert tasks[key].remind_at is not None
        assert tasks[key].remind_at > NOW
    assert tasks["briefing"].remind_at == NOW
    assert not tasks["briefing"].urgent
    # Every task is assigned at once; a task whose reminder time has passed (and the briefing)
    # has no reminder row, since its assignment is the ping, but it is still escalated.
    assigned = {r.task_id for r in reminders if r.kind == "assign" and r.due_at == NOW}
    assert assigned == {task.id for task in tasks.values()}
    remind = {r.task_id: r.due_at for r in reminders if r.kind == "remind"}
    assert set(remind) == {tasks[key].id for key in ("room_ready", "welcome_team", "arrival")}
    for key in ("room_ready", "welcome_team", "arrival"):
        assert remind[tasks[key].id] == tasks[key].remind_at
    for key in passed | {"briefing"}:
        task = tasks[key]
        assert task.due_at is not None
        escalations = sorted(
            (r.level, r.due_at) for r in reminders if r.task_id == task.id and r.kind == "escalate"
        )
        # Escalation counts from when the task went out, never from a due time already past.
        start = max(task.due_at, NOW)
        assert escalations == [(1, start + 10 * MINUTE), (2, start + 20 * MINUTE)]
    assert len(reminders) == 9 + 3 + 8 * 2


# --- The outbox ----------------------------------------------------------------------------


async def test_claiming_finishing_releasing_and_interrupted_reminders(
    sessions: SessionFactory,
) -> None:
    manager = await _person(sessions, 1)
    visit_id = await _confirmed(sessions, manager)
    now = NOW + 15 * MINUTE
    due_rows = [r for r in await _reminders(sessions, visit_id) if r.due_at <= now]
    due = {r.id for r in due_rows}
    # The nine assignments (due at confirmation) and the briefing's first escalation.
    assert sorted(r.kind for r in due_rows) == ["assign"] * 9 + ["escalate"]
    briefing = (await _tasks(sessions, visit_id))["briefing"].id
    assert {r.task_id for r in due_rows if r.kind == "escalate"} == {briefing}

    async with sessions() as session:
        claimed = await visits.claim_due_reminders(session, now=now)
        again = await visits.claim_due_reminders(session, now=now)
    assert {r.id for r in claimed} == due
    assert [r.due_at for r in claimed] == sorted(r.due_at for r in claimed)
    assert again == []
    rows = {r.id: r for r in await _reminders(sessions, visit_id)}
    for reminder_id in due:
        assert rows[reminder_id].state == OutboxState.SENDING
        assert rows[reminder_id].claimed_at == now
    assert all(r.state == OutboxState.PENDING for i, r in rows.items() if i not in due)

    sent_id = next(r.id or 0 for r in claimed if r.kind == "escalate")
    assigns = [r.id or 0 for r in claimed if r.kind == "assign"]
    # The first assignment is still being sent when the bot stops (below).
    unfinished_id, delivered = assigns[0], assigns[1:]
    async with sessions() as session:
        await visits.finish_reminder(session, reminder_id=sent_id, now=now, late=True)
        for reminder_id in delivered:
            await visits.finish_reminder(session, reminder_id=reminder_id, now=now, late=False)
    rows = {r.id: r for r in await _reminders(sessions, visit_id)}
    assert rows[sent_id].state == OutboxState.SENT
    assert rows[sent_id].sent_at == now
    assert rows[sent_id].late
    for reminder_id in delivered:
        assert rows[reminder_id].state == OutboxState.SENT
        assert not rows[reminder_id].late

    # A claimed row is never claimed again, even if it is never finished.
    async with sessions() as session:
        assert await visits.claim_due_reminders(session, now=now + MINUTE) == []
    # It had reached CS and was writing to housekeeping when its sender stopped.
    async with sessions() as session:
        to_cs = await outbox.begin_send(
            session, outbox=OUTBOX_VISIT, row_id=unfinished_id, target="dept:cs", now=now
        )
        assert to_cs is not None
        await outbox.settle_send(
            session, send_id=to_cs.id or 0, state=SEND_SENT, now=now, message_id=5
        )
        to_hk = await outbox.begin_send(
            session, outbox=OUTBOX_VISIT, row_id=unfinished_id, target="dept:hk", now=now
        )
        assert to_hk is not None
    # A sender still inside its lease is left alone (another instance may be sending).
    async with sessions() as session:
        rows_left, _ = await visits.interrupted_reminders(session, claimed_before=now - MINUTE)
    assert rows_left == []
    async with sessions() as session:
        interrupted, in_flight = await visits.interrupted_reminders(session, claimed_before=now)
        none_left, _ = await visits.interrupted_reminders(session, claimed_before=now)
    assert [r.id for r in interrupted] == [unfinished_id]
    assert [(send.target, send.state) for send in in_flight] == [("dept:hk", SEND_MAYBE)]
    assert none_left == []
    rows = {r.id: r for r in await _reminders(sessions, visit_id)}
    assert rows[unfinished_id].state == OutboxState.PENDING
    # Resumed: claimed again, but neither the copy that went out nor the one in doubt is
    # written again; a destination it had not reached yet is.
    async with sessions() as session:
        later = {
            r.id for r in await visits.claim_due_reminders(session, now=NOW + timedelta(days=1))
        }
        again = [
            await outbox.begin_send(
                session, outbox=OUTBOX_VISIT, row_id=unfinished_id, target=target, now=now
            )
            for target in ("dept:cs", "dept:hk", "dept:eng")
        ]
    assert unfinished_id in later
    assert sent_id not in later
    assert (due - {unfinished_id}).isdisjoint(later)
    assert [send is not None for send in again] == [False, False, True]
    assert len(later) == ROWS_PER_VISIT - len(due) + 1  # the resumed one


async def test_claim_due_reminders_honours_its_limit(sessions: SessionFactory) -> None:
    manager = await _person(sessions, 1)
    visit_id = await _confirmed(sessions, manager)
    now = NOW + timedelta(days=1)
    async with sessions() as session:
        first = await visits.claim_due_reminders(session, now=now, limit=5)
        rest = await visits.claim_due_reminders(session, now=now, limit=50)
    assert len(first) == 5
    assert {r.kind for r in first} == {"assign"}  # the earliest: due at confirmation
    assert len(rest) == ROWS_PER_VISIT - 5
    assert {r.id for r in first}.isdisjoint({r.id for r in rest})
    assert [r.due_at for r in first + rest] == sorted(r.due_at for r in first + rest)
    states = await _reminder_states(sessions, visit_id)
    assert set(states.values()) == {OutboxState.SENDING}


async def test_two_senders_never_claim_the_same_reminder(sessions: SessionFactory) -> None:
    manager = await _person(sessions, 1)
    visit_ids = [await _confirmed(sessions, manager) for _ in range(3)]
    now = NOW + timedelta(hours=3)
    due: set[int] = set()
    for visit_id in visit_ids:
        due |= {r.id or 0 for r in await _reminders(sessions, visit_id) if r.due_at <= now}
    assert len(due) > 20

    async def claim() -> list[int]:
        async with sessions() as session:
            # Each sender may take every due row, so the two really compete for all of them.
            claimed = await visits.claim_due_reminders(session, now=now, limit=len(due))
            return [r.id or 0 for r in claimed]

    for _ in range(3):
        first, second = await asyncio.gather(claim(), claim())
        claimed = first + second
        assert len(claimed) == len(set(claimed))
        assert set(claimed) == due
        # Put everything back for another race (the outbox itself never does).
        async with sessions() as session:
            await session.exec(
                update(Reminder)
                .where(col(Reminder.id).in_(claimed))
                .values(state=OutboxState.PENDING, claimed_at=None)
            )
            await session.commit()


# --- Check-offs ----------------------------------------------------------------------------


async def test_completing_a_task_stops_its_reminders_once(sessions: SessionFactory) -> None:
    manager = await _person(sessions, 1)
    agent = await _person(sessions, 2)
    visit_id = await _confirmed(sessions, manager)
    tasks = await _tasks(sessions, visit_id)
    walk = tasks["route_walk"].id
    assert walk is not None
    done_at = NOW + 70 * MINUTE
    async with sessions() as session:
        first = await visits.complete_task(session, task_id=walk, by=agent, now=done_at)
        second = await visits.complete_task(session, task_id=walk, by=manager, now=done_at)
        missing = await visits.complete_task(session, task_id=10_000, by=agent, now=done_at)
    assert first is not None
    assert first.changed
    assert second is not None
    assert not second.changed
    assert second.reason == "already_done"
    assert missing is None

    tasks = await _tasks(sessions, visit_id)
    assert tasks["route_walk"].status == TaskStatus.DONE
    assert tasks["route_walk"].done_by == agent
    assert tasks["route_walk"].done_at == done_at
    assert tasks["route_walk"].claimed_by == agent
    reminders = await _reminders(sessions, visit_id)
    assert {r.state for r in reminders if r.task_id == walk} == {OutboxState.CANCELLED}
    assert {r.state for r in reminders if r.task_id != walk} == {OutboxState.PENDING}
    async with sessions() as session:
        stored = await visits.get_visit(session, visit_id)
    assert stored is not None
    assert stored.card_dirty_at == done_at
    assert stored.status == VisitStatus.CONFIRMED


async def test_claiming_a_task(sessions: SessionFactory) -> None:
    manager = await _person(sessions, 1)
    agent = await _person(sessions, 2)
    visit_id = await _confirmed(sessions, manager)
    walk = (await _tasks(sessions, visit_id))["route_walk"].id
    assert walk is not None
    async with sessions() as session:
        first = await visits.claim_task(session, task_id=walk, by=agent, now=NOW + MINUTE)
        again = await visits.claim_task(session, task_id=walk, by=agent, now=NOW + MINUTE)
    assert first is not None
    assert first.changed
    assert again is not None
    assert again.reason == "already_claimed"
    task = (await _tasks(sessions, visit_id))["route_walk"]
    assert task.claimed_by == agent
    assert task.claimed_at == NOW + MINUTE
    assert task.status == TaskStatus.PENDING


async def test_the_room_inspection_is_done_when_its_last_item_is_ticked(
    sessions: SessionFactory,
) -> None:
    manager = await _person(sessions, 1)
    agent = await _person(sessions, 2)
    visit_id = await _confirmed(sessions, manager)
    inspection = (await _tasks(sessions, visit_id))["room_inspection"].id
    assert inspection is not None
    async with sessions() as session:
        items = await visits.items_of(session, inspection)
    at = NOW + timedelta(hours=2)
    async with sessions() as session:
        refused = await visits.complete_task(session, task_id=inspection, by=agent, now=at)
    assert refused is not None
    assert not refused.changed
    assert refused.reason == "checklist_open"

    for index, item in enumerate(items[:-1]):
        assert item.id is not None
        async with sessions() as session:
            ticked = await visits.tick_item(
                session, item_id=item.id, by=agent, now=at + index * MINUTE
            )
        assert ticked is not None
        change, finished = ticked
        assert change.changed
        assert not finished
    first_id = items[0].id
    assert first_id is not None
    async with sessions() as session:
        twice = await visits.tick_item(session, item_id=first_id, by=agent, now=at)
        still_open = await visits.complete_task(session, task_id=inspection, by=agent, now=at)
    assert twice is not None
    assert twice[0].reason == "already_ticked"
    assert still_open is not None
    assert still_open.reason == "checklist_open"
    task = (await _tasks(sessions, visit_id))["room_inspection"]
    assert task.status == TaskStatus.PENDING
    states = {r.state for r in await _reminders(sessions, visit_id) if r.task_id == inspection}
    assert states == {OutboxState.PENDING}

    last_id = items[-1].id
    assert last_id is not None
    last_at = at + 10 * MINUTE
    async with sessions() as session:
        ticked = await visits.tick_item(session, item_id=last_id, by=manager, now=last_at)
        after = await visits.tick_item(session, item_id=last_id, by=manager, now=last_at)
    assert ticked is not None
    assert ticked[0].changed
    assert ticked[1]
    assert after is not None
    assert after[0].reason == "already_done"

    task = (await _tasks(sessions, visit_id))["room_inspection"]
    assert task.status == TaskStatus.DONE
    assert task.done_by == manager
    assert task.done_at == last_at
    async with sessions() as session:
        stored_items = await visits.items_of(session, inspection)
    assert [i.done_by for i in stored_items] == [agent] * 5 + [manager]
    assert [i.done_at for i in stored_items] == [at + i * MINUTE for i in range(5)] + [last_at]
    states = {r.state for r in await _reminders(sessions, visit_id) if r.task_id == inspection}
    assert states == {OutboxState.CANCELLED}


async def test_completing_the_arrival_task_marks_the_guest_arrived(
    sessions: SessionFactory,
) -> None:
    manager = await _person(sessions, 1)
    visit_id = await _confirmed(sessions, manager)
    arrival_task = (await _tasks(sessions, visit_id))["arrival"].id
    assert arrival_task is not None
    arrived = NOW + timedelta(hours=4, minutes=3)
    async with sessions() as session:
        change = await visits.complete_task(session, task_id=arrival_task, by=manager, now=arrived)
    assert change is not None
    assert change.changed
    async with sessions() as session:
        visit = await visits.get_visit(session, visit_id)
        events = [e.kind for e in await visits.events_of(session, visit_id)]
    assert visit is not None
    assert visit.status == VisitStatus.ARRIVED
    assert visit.arrived_at == arrived
    assert "arrived" in events
    # Tasks can still be checked off once the guest is in.
    walk = (await _tasks(sessions, visit_id))["route_walk"].id
    assert walk is not None
    async with sessions() as session:
        late = await visits.complete_task(session, task_id=walk, by=manager, now=arrived)
    assert late is not None
    assert late.changed


# --- Problems ------------------------------------------------------------------------------


async def test_problems_are_reported_and_resolved_once(sessions: SessionFactory) -> None:
    manager = await _person(sessions, 1)
    agent = await _person(sessions, 2)
    visit_id = await _confirmed(sessions, manager)
    tasks = await _tasks(sessions, visit_id)
    inspection = tasks["room_inspection"].id
    parking = tasks["parking"].id
    assert inspection is not None
    assert parking is not None
    async with sessions() as session:
        broken = await visits.report_problem(
            session, task_id=inspection, by=agent, text="TV broken", now=NOW + MINUTE
        )
        full = await visits.report_problem(
            session, task_id=parking, by=agent, text="Car park full", now=NOW + 2 * MINUTE
        )
        missing = await visits.report_problem(session, task_id=10_000, by=agent, text="?", now=NOW)
    assert broken is not None
    assert broken.id is not None
    assert full is not None
    assert missing is None
    async with sessions() as session:
        resolved = await visits.resolve_problem(
            session, problem_id=broken.id, by=manager, now=NOW + 5 * MINUTE
        )
        twice = await visits.resolve_problem(
            session, problem_id=broken.id, by=manager, now=NOW + 6 * MINUTE
        )
        never = await visits.resolve_problem(session, problem_id=10_000, by=manager, now=NOW)
    assert resolved is not None
    assert twice is None
    assert never is None

    async with sessions() as session:
        every = await visits.problems_of(session, visit_id)
        still_open = await visits.problems_of(session, visit_id, open_only=True)
        stored = await visits.get_problem(session, broken.id)
    assert [p.text for p in every] == ["TV broken", "Car park full"]
    assert [p.id for p in still_open] == [full.id]
    assert stored is not None
    assert stored.resolved_by == manager
    assert stored.resolved_at == NOW + 5 * MINUTE
    assert stored.reported_by == agent
    assert stored.task_id == inspection
    assert stored.visit_id == visit_id


# --- Changes to the whole visit ------------------------------------------------------------


async def _retime(
    sessions: SessionFactory, visit_id: int, by: int, *, arrival: datetime, now: datetime
) -> None:
    tasks = await _tasks(sessions, visit_id)
    plan = []
    for task in tasks.values():
        template = PLAYBOOK.get(task.key)
        assert template is not None
        if template.anchor != "arrival":
            continue
        planned = plan_task(template, arrival=arrival, confirmed_at=NOW, departure=None, now=now)
        plan.append((task.id or 0, planned))
    async with sessions() as session:
        moved = await visits.retime_visit(
            session, visit_id=visit_id, arrival=arrival, by=by, now=now, plan=plan
        )
    assert moved is not None


async def test_retiming_moves_pending_tasks_and_replaces_their_reminders(
    sessions: SessionFactory,
) -> None:
    manager = await _person(sessions, 1)
    visit_id = await _confirmed(sessions, manager)
    before = await _tasks(sessions, visit_id)
    walk = before["route_walk"]
    assert walk.id is not None
    done_at = NOW + 5 * MINUTE
    async with sessions() as session:
        await visits.complete_task(session, task_id=walk.id, by=manager, now=done_at)

    moved_at = NOW + 10 * MINUTE
    new_arrival = NOW + timedelta(hours=6)
    await _retime(sessions, visit_id, manager, arrival=new_arrival, now=moved_at)

    async with sessions() as session:
        visit = await visits.get_visit(session, visit_id)
    assert visit is not None
    assert visit.arrival_at == new_arrival
    assert visit.schedule_version == 1
    after = await _tasks(sessions, visit_id)
    assert after["route_walk"].status == TaskStatus.DONE
    assert after["route_walk"].remind_at == walk.remind_at
    assert after["route_walk"].due_at == walk.due_at
    assert after["room_inspection"].remind_at == new_arrival - timedelta(hours=2)
    assert after["arrival"].remind_at == new_arrival
    assert after["arrival"].due_at == new_arrival
    assert after["briefing"].remind_at == before["briefing"].remind_at
    reminders = await _reminders(sessions, visit_id)
    walk_rows = [r for r in reminders if r.task_id == walk.id]
    assert {(r.version, r.state) for r in walk_rows} == {(0, OutboxState.CANCELLED)}
    for key in ("room_inspection", "arrival"):
        task = after[key]
        rows = [r for r in reminders if r.task_id == task.id]
        old = [r for r in rows if r.version == 0]
        new = [r for r in rows if r.version == 1]
        assert sorted(r.kind for r in old) == ["assign", "escalate", "escalate", "remind"]
        # The assignment not yet broadcast still goes out: moving the arrival must not
        # swallow it. Only the timed rows are replaced.
        assert {(r.kind, r.state) for r in old} == {
            ("assign", OutboxState.PENDING),
            ("escalate", OutboxState.CANCELLED),
            ("remind", OutboxState.CANCELLED),
        }
        assert {r.state for r in new} == {OutboxState.PENDING}
        assert task.due_at is not None
        # Retiming replaces the reminder and escalations; it never assigns again.
        assert sorted((r.kind, r.level, r.due_at) for r in new) == [
            ("escalate", 1, task.due_at + 10 * MINUTE),
            ("escalate", 2, task.due_at + 20 * MINUTE),
            ("remind", 0, task.remind_at),
        ]
    briefing_rows = [r for r in reminders if r.task_id == before["briefing"].id]
    assert {(r.version, r.state) for r in briefing_rows} == {(0, OutboxState.PENDING)}
    assert sorted(r.kind for r in briefing_rows) == ["assign", "escalate", "escalate"]
    assert not any(r.kind == "assign" and r.version > 0 for r in reminders)

    # Moved again, sooner this time: a new version, no clash with the previous rows.
    again = NOW + timedelta(hours=1)
    await _retime(sessions, visit_id, manager, arrival=again, now=moved_at)
    async with sessions() as session:
        visit = await visits.get_visit(session, visit_id)
        events = [e.kind for e in await visits.events_of(session, visit_id)]
    assert visit is not None
    assert visit.schedule_version == 2
    assert events.count("arrival_moved") == 2
    after = await _tasks(sessions, visit_id)
    assert after["room_inspection"].remind_at == moved_at
    assert after["room_inspection"].urgent
    reminders = await _reminders(sessions, visit_id)
    for key in ("room_inspection", "parking", "room_ready", "arrival"):
        rows = [r for r in reminders if r.task_id == after[key].id]
        assert sorted(r.version for r in rows) == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
        assert {r.state for r in rows if r.version < 2 and r.kind != "assign"} == {
            OutboxState.CANCELLED
        }
        assert {r.state for r in rows if r.kind == "assign"} == {OutboxState.PENDING}
        assert {r.state for r in rows if r.version == 2} == {OutboxState.PENDING}
        # A retimed task whose reminder time has passed still gets a reminder: it was
        # assigned at confirmation, so this is the ping that it is now urgent.
        assert sorted(r.kind for r in rows if r.version == 2) == ["escalate", "escalate", "remind"]
    pending = [r for r in reminders if r.state == OutboxState.PENDING]
    # The briefing keeps its first rows; every task not yet done keeps its assignment.
    assert {r.version for r in pending} == {0, 2}
    assert {r.task_id for r in pending if r.version == 0 and r.kind != "assign"} == {
        after["briefing"].id,
    }
    open_tasks = {task.id for task in after.values() if task.status != "done"}
    assert {r.task_id for r in pending if r.kind == "assign"} == open_tasks
    async with sessions() as session:
        claimed = await visits.claim_due_reminders(session, now=moved_at)
    assert {r.task_id for r in claimed if r.kind == "remind"} == {
        after[key].id for key in ("room_inspection", "parking", "confirm_arrival")
    }
    # The assignments not cancelled by a check-off are still due.
    assert {r.task_id for r in claimed if r.kind == "assign"} == open_tasks


async def test_a_cancelled_visit_stops_everything(sessions: SessionFactory) -> None:
    manager = await _person(sessions, 1)
    visit_id = await _confirmed(sessions, manager)
    other_id = await _confirmed(sessions, manager)
    tasks = await _tasks(sessions, visit_id)
    walk = tasks["route_walk"].id
    parking = tasks["parking"].id
    assert walk is not None
    assert parking is not None
    async with sessions() as session:
        await visits.complete_task(session, task_id=walk, by=manager, now=NOW + MINUTE)
        closed = await visits.close_visit(
            session, visit_id=visit_id, by=manager, now=NOW + 2 * MINUTE, cancelled=True
        )
        twice = await visits.close_visit(
            session, visit_id=visit_id, by=manager, now=NOW + 3 * MINUTE, cancelled=True
        )
    assert closed is not None
    assert twice is None

    async with sessions() as session:
        visit = await visits.get_visit(session, visit_id)
    assert visit is not None
    assert visit.status == VisitStatus.CANCELLED
    assert visit.closed_by == manager
    assert visit.closed_at == NOW + 2 * MINUTE
    tasks = await _tasks(sessions, visit_id)
    assert tasks["route_walk"].status == TaskStatus.DONE
    assert {t.status for k, t in tasks.items() if k != "route_walk"} == {TaskStatus.CANCELLED}
    assert set((await _reminder_states(sessions, visit_id)).values()) == {OutboxState.CANCELLED}
    assert set((await _reminder_states(sessions, other_id)).values()) == {OutboxState.PENDING}

    async with sessions() as session:
        claim = await visits.claim_task(session, task_id=parking, by=manager, now=NOW)
        complete = await visits.complete_task(session, task_id=parking, by=manager, now=NOW)
        problem = await visits.report_problem(
            session, task_id=parking, by=manager, text="x", now=NOW
        )
        retimed = await visits.retime_visit(
            session, visit_id=visit_id, arrival=NOW, by=manager, now=NOW, plan=[]
        )
        due = await visits.claim_due_reminders(session, now=NOW + timedelta(days=2))
    assert claim is not None
    assert not claim.changed
    assert claim.reason == "visit_closed"
    assert complete is not None
    assert complete.reason == "visit_closed"
    assert problem is None
    assert retimed is None
    assert {r.visit_id for r in due} == {other_id}
    async with sessions() as session:
        open_visits = await visits.list_visits(session)
    assert [v.id for v in open_visits] == [other_id]


async def test_a_completed_visit_stops_its_reminders_but_keeps_tasks(
    sessions: SessionFactory,
) -> None:
    manager = await _person(sessions, 1)
    visit_id = await _confirmed(sessions, manager)
    async with sessions() as session:
        closed = await visits.close_visit(
            session, visit_id=visit_id, by=manager, now=NOW, cancelled=False
        )
    assert closed is not None
    tasks = await _tasks(sessions, visit_id)
    assert {t.status for t in tasks.values()} == {TaskStatus.PENDING}
    assert set((await _reminder_states(sessions, visit_id)).values()) == {OutboxState.CANCELLED}
    walk = tasks["route_walk"].id
    assert walk is not None
    async with sessions() as session:
        refused = await visits.complete_task(session, task_id=walk, by=manager, now=NOW)
    assert refused is not None
    assert refused.reason == "visit_closed"


# --- The status card and prompts -----------------------------------------------------------


async def test_a_cards_first_post_is_claimed_by_one_drawer_until_its_lease_lapses(
    sessions: SessionFactory,
) -> None:
    manager = await _person(sessions, 1)
    visit_id = await _confirmed(sessions, manager)
    lease = timedelta(seconds=60)

    async def claim(now: datetime) -> bool:
        async with sessions() as session:
            return await visits.claim_card_post(session, visit_id=visit_id, now=now, lease=lease)

    # Two drawers at the same moment (two instances): one of them posts.
    assert await asyncio.gather(claim(NOW), claim(NOW)) in ([True, False], [False, True])
    assert not await claim(NOW + lease - timedelta(seconds=1))
    # The claimant died while posting: its claim lapses, and another drawer may post.
    assert await claim(NOW + lease)
    async with sessions() as session:
        await visits.release_card_claim(session, visit_id=visit_id)
    assert await claim(NOW + lease)

    async def posted(message_id: int) -> bool:
        async with sessions() as session:
            return await visits.card_posted(
                session,
                visit_id=visit_id,
                now=NOW,
                chat_id=-100,
                thread_id=None,
                message_id=message_id,
            )

    # A post that outlived its claim finds the other card saved first, and is not kept.
    assert await posted(77)
    assert not await posted(78)
    assert not await claim(NOW + 10 * lease)
    async with sessions() as session:
        visit = await visits.get_visit(session, visit_id)
    assert visit is not None
    assert visit.card_message_id == 77
    assert visit.card_claimed_until is None


async def test_card_redraws_are_coalesced(sessions: SessionFactory) -> None:
    manager = await _person(sessions, 1)
    visit_id = await _confirmed(sessions, manager)
    walk = (await _tasks(sessions, visit_id))["route_walk"].id
    assert walk is not None
    window = timedelta(seconds=3)
    t0 = NOW + MINUTE
    second = timedelta(seconds=1)

    async def to_draw(now: datetime) -> list[int | None]:
        async with sessions() as session:
            found = await visits.cards_to_draw(session, now=now, quiet_since=now - window)
        return [v.id for v in found]

    async with sessions() as session:
        [dirty] = await visits.cards_to_draw(session, now=t0, quiet_since=t0 - window)
        assert dirty.card_dirty_at == NOW
        assert await visits.claim_card_post(
            session, visit_id=visit_id, now=t0, lease=timedelta(seconds=60)
        )
        assert await visits.card_posted(
            session, visit_id=visit_id, now=t0, chat_id=-100, thread_id=4, message_id=77
        )
        await visits.card_drawn(session, visit_id=visit_id, now=t0, seq_seen=dirty.card_seq)
    async with sessions() as session:
        visit = await visits.get_visit(session, visit_id)
    assert visit is not None
    assert visit.card_dirty_at is None
    assert visit.card_drawn_at == t0
    assert (visit.card_chat_id, visit.card_thread_id, visit.card_message_id) == (-100, 4, 77)
    assert await to_draw(t0 + second) == []

    async with sessions() as session:
        await visits.claim_task(session, task_id=walk, by=manager, now=t0 + second)
    assert await to_draw(t0 + second) == []
    assert await to_draw(t0 + 2 * second) == []
    assert await to_draw(t0 + window) == [visit_id]

    # A change that lands while the card is being drawn keeps it dirty.
    async with sessions() as session:
        [dirty] = await visits.cards_to_draw(
            session, now=t0 + window, quiet_since=t0 + window - window
        )
        seen = dirty.card_seq
    async with sessions() as session:
        await visits.complete_task(session, task_id=walk, by=manager, now=t0 + window)
        await visits.card_drawn(
            session, visit_id=visit_id, now=t0 + window + second, seq_seen=seen
        )
    async with sessions() as session:
        visit = await visits.get_visit(session, visit_id)
    assert visit is not None
    assert visit.card_dirty_at == t0 + window
    assert visit.card_message_id == 77
    assert await to_draw(t0 + window + 2 * second) == []
    assert await to_draw(t0 + 2 * window + second) == [visit_id]


async def test_a_prompt_is_taken_once(sessions: SessionFactory) -> None:
    async with sessions() as session:
        await visits.add_prompt(
            session,
            chat_id=-1001234567890,
            message_id=42,
            telegram_user_id=5_000_000_001,
            kind="problem",
            ref_id=7,
            now=NOW,
        )
    async with sessions() as session:
        other = await visits.find_prompt(session, chat_id=-1001234567890, message_id=43)
        found = await visits.find_prompt(session, chat_id=-1001234567890, message_id=42)
    assert other is None
    assert found is not None
    assert found.id is not None
    assert (found.telegram_user_id, found.kind, found.ref_id) == (5_000_000_001, "problem", 7)
    assert found.created_at == NOW
    async with sessions() as session:
        first = await visits.take_prompt(session, prompt_id=found.id)
    async with sessions() as session:
        second = await visits.take_prompt(session, prompt_id=found.id)
        gone = await visits.find_prompt(session, chat_id=-1001234567890, message_id=42)
    assert first is True
    assert second is False
    assert gone is None


async def test_two_managers_confirming_at_once_create_the_tasks_once(
    sessions: SessionFactory,
) -> None:
    manager = await _person(sessions, 1)
    arrival = NOW + timedelta(hours=4)
    async with sessions() as session:
        visit = await visits.submit_notice(
            session, notice=_notice(arrival), announced_by=manager, now=NOW
        )
    assert visit.id is not None
    visit_id = visit.id

    async def confirm() -> bool:
        async with sessions() as session:
            done = await visits.confirm_notice(
                session, visit_id=visit_id, by=manager, now=NOW, plan=_plan(arrival)
            )
        return done is not None

    outcomes = await asyncio.gather(confirm(), confirm())
    assert sorted(outcomes) == [False, True]
    assert len(await _tasks(sessions, visit_id)) == 9
    reminders = await _reminders(sessions, visit_id)
    assert len(reminders) == ROWS_PER_VISIT
    assert len([r for r in reminders if r.kind == "assign"]) == 9


async def test_ticking_the_last_two_items_at_once_finishes_the_task(
    sessions: SessionFactory,
) -> None:
    manager = await _person(sessions, 1)
    visit_id = await _confirmed(sessions, manager)
    inspection = (await _tasks(sessions, visit_id))["room_inspection"].id
    assert inspection is not None
    async with sessions() as session:
        items = [i.id or 0 for i in await visits.items_of(session, inspection)]
        for item_id in items[:-2]:
            await visits.tick_item(session, item_id=item_id, by=manager, now=NOW)

    async def tick(item_id: int) -> bool:
        async with sessions() as session:
            ticked = await visits.tick_item(session, item_id=item_id, by=manager, now=NOW)
        assert ticked is not None
        return ticked[1]

    finished = await asyncio.gather(tick(items[-2]), tick(items[-1]))
    assert sorted(finished) == [False, True]
    task = (await _tasks(sessions, visit_id))["room_inspection"]
    assert task.status == TaskStatus.DONE
    states = {r.state for r in await _reminders(sessions, visit_id) if r.task_id == inspection}
    assert states == {OutboxState.CANCELLED}


async def test_retiming_ignores_another_visits_task(sessions: SessionFactory) -> None:
    manager = await _person(sessions, 1)
    visit_id = await _confirmed(sessions, manager)
    other_id = await _confirmed(sessions, manager)
    foreign = (await _tasks(sessions, other_id))["arrival"]
    template = PLAYBOOK.get("arrival")
    assert template is not None
    arrival = NOW + timedelta(hours=8)
    planned = plan_task(template, arrival=arrival, confirmed_at=NOW, departure=None, now=NOW)
    async with sessions() as session:
        moved = await visits.retime_visit(
            session,
            visit_id=visit_id,
            arrival=arrival,
            by=manager,
            now=NOW,
            plan=[(foreign.id or 0, planned)],
        )
    assert moved is not None
    assert (await _tasks(sessions, other_id))["arrival"].remind_at == foreign.remind_at
    assert len(await _reminders(sessions, visit_id)) == ROWS_PER_VISIT
    assert len(await _reminders(sessions, other_id)) == ROWS_PER_VISIT
