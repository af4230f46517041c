"""Data access for VIP receptions: visits, tasks, check-offs, problems, the reminder outbox.

Session first, keyword arguments, and each function that changes something commits, so a
handler never leaves a visit half-confirmed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.notice import Notice
from bot.playbook import TaskTemplate
from bot.reception import PlannedTask, decode_escalation, encode_escalation
from bot.states import (
    OPEN_VISIT_STATUSES,
    OutboxState,
    ReminderKind,
    TaskRefusal,
    TaskStatus,
    VisitStatus,
)
from storage import outbox
from storage.models import (
    OUTBOX_VISIT,
    SEND_REFUSED,
    OutboxSend,
    PendingPrompt,
    Problem,
    ProblemNotice,
    Reminder,
    TaskCheckItem,
    TaskMessage,
    Visit,
    VisitEvent,
    VisitTask,
)

# --- The notice and its cross-check -------------------------------------------------------------


def _apply_notice(visit: Visit, notice: Notice) -> None:
    assert notice.arrival is not None
    assert notice.party is not None
    visit.guest = notice.guest
    visit.company = notice.company
    visit.group_name = notice.group
    visit.titles = notice.titles
    visit.party_size = notice.party
    visit.vehicles = notice.vehicles
    visit.arrival_at = notice.arrival
    visit.rooms = notice.rooms
    visit.itinerary = notice.itinerary
    visit.requirements = notice.requirements
    visit.standard = notice.standard


def notice_of(visit: Visit) -> Notice:
    return Notice(
        guest=visit.guest,
        company=visit.company,
        group=visit.group_name,
        titles=visit.titles,
        party=visit.party_size,
        vehicles=visit.vehicles,
        arrival=visit.arrival_at,
        rooms=visit.rooms,
        itinerary=visit.itinerary,
        requirements=visit.requirements,
        standard=visit.standard,
    )


def _event(
    visit_id: int, kind: str, actor: int | None, now: datetime, detail: str = ""
) -> VisitEvent:
    return VisitEvent(visit_id=visit_id, kind=kind, actor_id=actor, at=now, detail=detail)


async def _take_status(
    session: AsyncSession, visit: Visit, allowed: Sequence[str], status: str
) -> bool:
    """Move a visit to `status` only if the row is still in an `allowed` status.

    A conditional update, so two people pressing at once (two confirms, a confirm and a
    return) cannot both go through: the second waits for the first and then matches nothing.
    """
    outcome = await session.exec(
        update(Visit)
        .where(col(Visit.id) == visit.id, col(Visit.status).in_(allowed))
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    if outcome.rowcount != 1:
        await session.refresh(visit)
        await session.commit()
        return False
    visit.status = status
    return True


async def submit_notice(
    session: AsyncSession, *, notice: Notice, announced_by: int, now: datetime
) -> Visit:
    """A new notice, waiting for the duty manager's or CS's cross-check."""
    assert notice.arrival is not None
    visit = Visit(
        announced_by=announced_by,
        announced_at=now,
        arrival_at=notice.arrival,
        status=VisitStatus.AWAITING_CHECK,
    )
    _apply_notice(visit, notice)
    session.add(visit)
    await session.flush()
    assert visit.id is not None
    session.add(_event(visit.id, "announced", announced_by, now))
    await session.commit()
    return visit


async def resubmit_notice(
    session: AsyncSession, *, visit_id: int, notice: Notice, by: int, now: datetime
) -> Visit | None:
    """A returned notice, corrected by its announcer and sent for cross-checking again."""
    visit = await session.get(Visit, visit_id)
    if visit is None or visit.status != VisitStatus.RETURNED or visit.announced_by != by:
        return None
    if not await _take_status(session, visit, (VisitStatus.RETURNED,), VisitStatus.AWAITING_CHECK):
        return None
    _apply_notice(visit, notice)
    visit.return_reason = None
    session.add(visit)
    session.add(_event(visit_id, "resubmitted", by, now))
    await session.commit()
    return visit


async def get_visit(session: AsyncSession, visit_id: int) -> Visit | None:
    return await session.get(Visit, visit_id)


async def return_notice(
    session: AsyncSession, *, visit_id: int, by: int, reason: str, now: datetime
) -> Visit | None:
    """Send a notice back to its announcer; None if it is no longer waiting for a check."""
    visit = await session.get(Visit, visit_id)
    if visit is None or visit.status != VisitStatus.AWAITING_CHECK:
        return None
    if not await _take_status(session, visit, (VisitStatus.AWAITING_CHECK,), VisitStatus.RETURNED):
        return None
    visit.return_reason = reason
    visit.checked_by = by
    visit.checked_at = now
    session.add(visit)
    session.add(_event(visit_id, "returned", by, now, reason))
    await session.commit()
    return visit


async def confirm_notice(
    session: AsyncSession,
    *,
    visit_id: int,
    by: int,
    now: datetime,
    plan: Sequence[PlannedTask],
) -> Visit | None:
    """Confirm a notice and create its tasks, checklists and reminders in one transaction."""
    visit = await session.get(Visit, visit_id)
    if visit is None or visit.status != VisitStatus.AWAITING_CHECK:
        return None
    if not await _take_status(
        session, visit, (VisitStatus.AWAITING_CHECK,), VisitStatus.CONFIRMED
    ):
        return None
    visit.checked_by = by
    visit.checked_at = now
    visit.card_dirty_at = now
    visit.card_seq += 1
    session.add(visit)
    for position, planned in enumerate(plan):
        await _add_task(session, visit, position, planned, now)
    session.add(_event(visit_id, "confirmed", by, now))
    await session.commit()
    return visit


def template_of(task: VisitTask) -> TaskTemplate:
    """The task's own saved timing rules, so moving the arrival needs no playbook: the
    reverse of `_add_task`, and beside it so that a field added to one is added to both."""
    return TaskTemplate(
        key=task.key,
        departments=task.department_codes,
        anchor=task.anchor,  # type: ignore[arg-type]  # saved from a playbook Anchor
        offset=timedelta(minutes=task.offset_minutes),
        due_offset=timedelta(minutes=task.due_offset_minutes),
        title_zh=task.title_zh,
        title_en=task.title_en,
        details_zh=task.details_zh,
        details_en=task.details_en,
        checklist=(),
        escalation=decode_escalation(task.escalation),
        standards=frozenset(),
    )


async def _add_task(
    session: AsyncSession, visit: Visit, position: int, planned: PlannedTask, now: datetime
) -> None:
    assert visit.id is not None
    template = planned.template
    task = VisitTask(
        visit_id=visit.id,
        key=template.key,
        position=position,
        departments=",".join(template.departments),
        title_zh=template.title_zh,
        title_en=template.title_en,
        details_zh=template.details_zh,
        details_en=template.details_en,
        anchor=template.anchor,
        offset_minutes=int(template.offset.total_seconds() // 60),
        due_offset_minutes=int(template.due_offset.total_seconds() // 60),
        escalation=encode_escalation(template.escalation),
        remind_at=planned.remind_at,
        due_at=planned.due_at,
        urgent=planned.urgent,
        is_arrival=template.anchor == "arrival" and template.offset.total_seconds() == 0,
    )
    session.add(task)
    await session.flush()
    assert task.id is not None
    for index, item in enumerate(template.checklist):
        session.add(
            TaskCheckItem(
                task_id=task.id, key=item.key, position=index, label_zh=item.zh, label_en=item.en
            )
        )
    # The assignment goes out through the outbox too, so a crash mid-broadcast loses nothing.
    session.add(
        Reminder(
            visit_id=visit.id, task_id=task.id, kind=ReminderKind.ASSIGN, version=0, due_at=now
        )
    )
    _add_reminders(session, visit, task, planned, version=visit.schedule_version, assigned_at=now)


def _add_reminders(
    session: AsyncSession,
    visit: Visit,
    task: VisitTask,
    planned: PlannedTask,
    *,
    version: int,
    assigned_at: datetime | None = None,
) -> None:
    """The task's reminder and escalation rows. A reminder due when the assignment goes out
    (the briefing, a last-minute task) would repeat it, so the assignment is the ping."""
    assert visit.id is not None
    assert task.id is not None
    if planned.remind_at is None:
        return
    if assigned_at is not None and planned.remind_at <= assigned_at:
        _add_escalations(session, visit, task, planned, version=version)
        return
    session.add(
        Reminder(
            visit_id=visit.id,
            task_id=task.id,
            kind=ReminderKind.REMIND,
            version=version,
            due_at=planned.remind_at,
        )
    )
    _add_escalations(session, visit, task, planned, version=version)


def _add_escalations(
    session: AsyncSession, visit: Visit, task: VisitTask, planned: PlannedTask, *, version: int
) -> None:
    assert visit.id is not None
    assert task.id is not None
    for level, (at, _targets) in enumerate(planned.escalations, start=1):
        session.add(
            Reminder(
                visit_id=visit.id,
                task_id=task.id,
                kind=ReminderKind.ESCALATE,
                level=level,
                version=version,
                due_at=at,
            )
        )


# --- Listing -----------------------------------------------------------------------------------


async def list_visits(
    session: AsyncSession,
    *,
    statuses: Sequence[str] = OPEN_VISIT_STATUSES,
    arriving_from: datetime | None = None,
    arriving_before: datetime | None = None,
) -> list[Visit]:
    query = select(Visit).where(col(Visit.status).in_(statuses))
    if arriving_from is not None:
        query = query.where(col(Visit.arrival_at) >= arriving_from)
    if arriving_before is not None:
        query = query.where(col(Visit.arrival_at) < arriving_before)
    result = await session.exec(query.order_by(col(Visit.arrival_at), col(Visit.id)))
    return list(result.all())


async def tasks_of(session: AsyncSession, visit_id: int) -> list[VisitTask]:
    result = await session.exec(
        select(VisitTask)
        .where(col(VisitTask.visit_id) == visit_id)
        .order_by(col(VisitTask.position), col(VisitTask.id))
    )
    return list(result.all())


async def get_task(session: AsyncSession, task_id: int) -> VisitTask | None:
    return await session.get(VisitTask, task_id)


async def items_of(session: AsyncSession, task_id: int) -> list[TaskCheckItem]:
    result = await session.exec(
        select(TaskCheckItem)
        .where(col(TaskCheckItem.task_id) == task_id)
        .order_by(col(TaskCheckItem.position))
    )
    return list(result.all())


async def events_of(session: AsyncSession, visit_id: int) -> list[VisitEvent]:
    result = await session.exec(
        select(VisitEvent)
        .where(col(VisitEvent.visit_id) == visit_id)
        .order_by(col(VisitEvent.at), col(VisitEvent.id))
    )
    return list(result.all())


async def count_events(session: AsyncSession, *, visit_id: int, kind: str) -> int:
    result = await session.exec(
        select(func.count())
        .select_from(VisitEvent)
        .where(col(VisitEvent.visit_id) == visit_id, col(VisitEvent.kind) == kind)
    )
    return int(result.one())


async def problems_of(
    session: AsyncSession, visit_id: int, *, open_only: bool = False
) -> list[Problem]:
    query = select(Problem).where(col(Problem.visit_id) == visit_id)
    if open_only:
        query = query.where(col(Problem.resolved_at).is_(None))
    result = await session.exec(query.order_by(col(Problem.reported_at), col(Problem.id)))
    return list(result.all())


# --- Check-offs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskChange:
    """What a press did: `changed` False means nothing was saved (and why, in `reason`)."""

    task: VisitTask
    visit: Visit
    changed: bool
    reason: TaskRefusal | None = None


async def _task_and_visit(session: AsyncSession, task_id: int) -> tuple[VisitTask, Visit] | None:
    """The task and its visit, the visit's row locked (PostgreSQL) and both read afresh.

    Presses on one visit wait for each other, so two people ticking its last two checklist
    items at once finish the task, and a task is not marked done twice.
    """
    task = await session.get(VisitTask, task_id)
    if task is None:
        return None
    visit = await session.get(Visit, task.visit_id, with_for_update=True, populate_existing=True)
    assert visit is not None
    task = await session.get(VisitTask, task_id, populate_existing=True)
    assert task is not None
    return task, visit


def _refusal(task: VisitTask, visit: Visit) -> TaskRefusal | None:
    if visit.status not in (VisitStatus.CONFIRMED, VisitStatus.ARRIVED):
        return TaskRefusal.VISIT_CLOSED
    if task.status == TaskStatus.DONE:
        return TaskRefusal.ALREADY_DONE
    if task.status == TaskStatus.CANCELLED:
        return TaskRefusal.VISIT_CLOSED
    return None


async def claim_task(
    session: AsyncSession, *, task_id: int, by: int, now: datetime
) -> TaskChange | None:
    found = await _task_and_visit(session, task_id)
    if found is None:
        return None
    task, visit = found
    reason = _refusal(task, visit) or (
        TaskRefusal.ALREADY_CLAIMED if task.claimed_by == by else None
    )
    if reason:
        return TaskChange(task, visit, False, reason)
    task.claimed_by = by
    task.claimed_at = now
    task.redraw_seq += 1
    visit.card_dirty_at = now
    visit.card_seq += 1
    session.add_all([task, visit, _event(visit.id or 0, "claimed", by, now, task.key)])
    await session.commit()
    return TaskChange(task, visit, True)


async def complete_task(
    session: AsyncSession, *, task_id: int, by: int, now: datetime
) -> TaskChange | None:
    """Done: who and when; its pending reminders and escalations stop; arrival marks arrived."""
    found = await _task_and_visit(session, task_id)
    if found is None:
        return None
    task, visit = found
    reason = _refusal(task, visit)
    if reason:
        return TaskChange(task, visit, False, reason)
    items = await items_of(session, task_id)
    if any(item.done_at is None for item in items):
        return TaskChange(task, visit, False, TaskRefusal.CHECKLIST_OPEN)
    _mark_done(session, task, visit, by, now)
    await _cancel_reminders(session, task_id=task_id)
    await session.commit()
    return TaskChange(task, visit, True)


def _mark_done(
    session: AsyncSession, task: VisitTask, visit: Visit, by: int, now: datetime
) -> None:
    task.status = TaskStatus.DONE
    task.done_by = by
    task.done_at = now
    task.claimed_by = task.claimed_by or by
    task.redraw_seq += 1
    visit.card_dirty_at = now
    visit.card_seq += 1
    if task.is_arrival and visit.status == VisitStatus.CONFIRMED:
        visit.status = VisitStatus.ARRIVED
        visit.arrived_at = now
        session.add(_event(visit.id or 0, "arrived", by, now))
    session.add_all([task, visit, _event(visit.id or 0, "done", by, now, task.key)])


async def tick_item(
    session: AsyncSession, *, item_id: int, by: int, now: datetime
) -> tuple[TaskChange, bool] | None:
    """Tick one checklist line; the task is done when the last one is. (change, task_done)"""
    item = await session.get(TaskCheckItem, item_id)
    if item is None:
        return None
    found = await _task_and_visit(session, item.task_id)
    assert found is not None
    task, visit = found
    item = await session.get(TaskCheckItem, item_id, populate_existing=True)
    assert item is not None
    reason = _refusal(task, visit) or (TaskRefusal.ALREADY_TICKED if item.done_at else None)
    if reason:
        return TaskChange(task, visit, False, reason), False
    item.done_by = by
    item.done_at = now
    task.redraw_seq += 1
    visit.card_dirty_at = now
    visit.card_seq += 1
    session.add_all([item, task, visit])
    await session.flush()
    items = await items_of(session, task.id or 0)
    finished = all(i.done_at is not None for i in items)
    if finished:
        _mark_done(session, task, visit, by, now)
        await _cancel_reminders(session, task_id=task.id or 0)
    await session.commit()
    return TaskChange(task, visit, True), finished


async def _cancel_reminders(
    session: AsyncSession,
    *,
    task_id: int,
    kinds: Sequence[str] = tuple(ReminderKind),
) -> None:
    await session.exec(
        update(Reminder)
        .where(
            col(Reminder.task_id) == task_id,
            col(Reminder.state) == OutboxState.PENDING,
            col(Reminder.kind).in_(kinds),
        )
        .values(state=OutboxState.CANCELLED)
    )


async def record_message(
    session: AsyncSession,
    *,
    task_id: int,
    department: str,
    chat_id: int,
    thread_id: int | None,
    message_id: int,
    kind: str,
) -> None:
    session.add(
        TaskMessage(
            task_id=task_id,
            department=department,
            chat_id=chat_id,
            thread_id=thread_id,
            message_id=message_id,
            kind=kind,
        )
    )
    await session.commit()


async def messages_of(session: AsyncSession, task_id: int) -> list[TaskMessage]:
    result = await session.exec(
        select(TaskMessage)
        .where(col(TaskMessage.task_id) == task_id)
        .order_by(col(TaskMessage.id))
    )
    return list(result.all())


async def is_task_message(
    session: AsyncSession, *, task_id: int, chat_id: int, message_id: int
) -> bool:
    """Whether the bot sent this message (chat, message) with this task's buttons."""
    found = await session.exec(
        select(TaskMessage.id).where(
            col(TaskMessage.task_id) == task_id,
            col(TaskMessage.chat_id) == chat_id,
            col(TaskMessage.message_id) == message_id,
        )
    )
    return found.first() is not None


async def get_item(session: AsyncSession, item_id: int) -> TaskCheckItem | None:
    return await session.get(TaskCheckItem, item_id)


# --- Problems ----------------------------------------------------------------------------------


async def report_problem(
    session: AsyncSession, *, task_id: int, by: int, text: str, now: datetime
) -> Problem | None:
    found = await _task_and_visit(session, task_id)
    if found is None:
        return None
    task, visit = found
    if visit.status not in (VisitStatus.CONFIRMED, VisitStatus.ARRIVED):
        return None
    problem = Problem(
        visit_id=visit.id or 0, task_id=task_id, text=text, reported_by=by, reported_at=now
    )
    visit.card_dirty_at = now
    visit.card_seq += 1
    session.add_all([problem, visit, _event(visit.id or 0, "problem", by, now, text)])
    await session.commit()
    return problem


async def resolve_problem(
    session: AsyncSession, *, problem_id: int, by: int, now: datetime
) -> Problem | None:
    """Mark a problem resolved; None if it was already (or never existed)."""
    outcome = await session.exec(
        update(Problem)
        .where(col(Problem.id) == problem_id, col(Problem.resolved_at).is_(None))
        .values(resolved_by=by, resolved_at=now)
    )
    if outcome.rowcount != 1:  # already resolved, by an earlier or a simultaneous press
        return None
    problem = await session.get(Problem, problem_id, populate_existing=True)
    assert problem is not None
    visit = await session.get(Visit, problem.visit_id)
    assert visit is not None
    visit.card_dirty_at = now
    visit.card_seq += 1
    session.add_all([problem, visit, _event(visit.id or 0, "resolved", by, now, problem.text)])
    await session.commit()
    return problem


async def get_problem(session: AsyncSession, problem_id: int) -> Problem | None:
    return await session.get(Problem, problem_id)


async def record_problem_notice(
    session: AsyncSession,
    *,
    problem_id: int,
    chat_id: int,
    thread_id: int | None,
    message_id: int,
    now: datetime,
) -> None:
    """The notice (with ✔️ Resolved) the bot sent for a problem to a department chat."""
    session.add(
        ProblemNotice(
            problem_id=problem_id,
            chat_id=chat_id,
            thread_id=thread_id,
            message_id=message_id,
            sent_at=now,
        )
    )
    await session.commit()


async def is_problem_notice(
    session: AsyncSession, *, problem_id: int, chat_id: int, message_id: int
) -> bool:
    """Whether this message (chat, message) is the notice the bot sent for this problem."""
    found = await session.exec(
        select(ProblemNotice.id).where(
            col(ProblemNotice.problem_id) == problem_id,
            col(ProblemNotice.chat_id) == chat_id,
            col(ProblemNotice.message_id) == message_id,
        )
    )
    return found.first() is not None


# --- Prompts waiting for a typed reply ---------------------------------------------------------


async def add_prompt(
    session: AsyncSession,
    *,
    chat_id: int,
    message_id: int,
    telegram_user_id: int,
    kind: str,
    ref_id: int,
    now: datetime,
) -> None:
    session.add(
        PendingPrompt(
            chat_id=chat_id,
            message_id=message_id,
            telegram_user_id=telegram_user_id,
            kind=kind,
            ref_id=ref_id,
            created_at=now,
        )
    )
    await session.commit()


async def find_prompt(
    session: AsyncSession, *, chat_id: int, message_id: int
) -> PendingPrompt | None:
    """The open question a message replies to, if the bot asked one there."""
    result = await session.exec(
        select(PendingPrompt).where(
            col(PendingPrompt.chat_id) == chat_id, col(PendingPrompt.message_id) == message_id
        )
    )
    return result.first()


async def take_prompt(session: AsyncSession, *, prompt_id: int) -> bool:
    """Close a question once it is answered; False if another answer closed it first."""
    outcome = await session.exec(delete(PendingPrompt).where(col(PendingPrompt.id) == prompt_id))
    await session.commit()
    return bool(outcome.rowcount == 1)


# --- Changes to the whole visit --------------------------------------------------------------


async def retime_visit(
    session: AsyncSession,
    *,
    visit_id: int,
    arrival: datetime,
    by: int,
    now: datetime,
    plan: Sequence[tuple[int, PlannedTask]],
) -> Visit | None:
    """Move the arrival: pending tasks get new times and new reminder rows; old rows stop.

    `plan` pairs each pending task id with its new timing.
    """
    # Locked (on PostgreSQL) so two moves at once take turns: each gets its own version.
    visit = await session.get(Visit, visit_id, with_for_update=True, populate_existing=True)
    if visit is None or visit.status not in (
        VisitStatus.CONFIRMED,
        VisitStatus.AWAITING_CHECK,
        VisitStatus.RETURNED,
    ):
        return None
    old = visit.arrival_at
    visit.arrival_at = arrival
    visit.schedule_version += 1
    visit.card_dirty_at = now
    visit.card_seq += 1
    session.add(visit)
    for task_id, planned in plan:
        task = await session.get(VisitTask, task_id)
        if task is None or task.visit_id != visit_id or task.status != TaskStatus.PENDING:
            continue
        await _cancel_reminders(
            session, task_id=task_id, kinds=(ReminderKind.REMIND, ReminderKind.ESCALATE)
        )
        task.remind_at = planned.remind_at
        task.due_at = planned.due_at
        task.urgent = planned.urgent
        task.escalated_level = 0
        session.add(task)
        _add_reminders(session, visit, task, planned, version=visit.schedule_version)
    session.add(
        _event(visit_id, "arrival_moved", by, now, f"{old.isoformat()} → {arrival.isoformat()}")
    )
    await session.commit()
    return visit


async def close_visit(
    session: AsyncSession, *, visit_id: int, by: int, now: datetime, cancelled: bool
) -> Visit | None:
    """Complete (archive) or call off a visit; every pending reminder stops."""
    visit = await session.get(Visit, visit_id)
    if visit is None or visit.status not in OPEN_VISIT_STATUSES:
        return None
    closed = VisitStatus.CANCELLED if cancelled else VisitStatus.COMPLETED
    if not await _take_status(session, visit, OPEN_VISIT_STATUSES, closed):
        return None
    visit.closed_by = by
    visit.closed_at = now
    visit.card_dirty_at = now
    visit.card_seq += 1
    session.add(visit)
    await session.exec(
        update(Reminder)
        .where(col(Reminder.visit_id) == visit_id, col(Reminder.state) == OutboxState.PENDING)
        .values(state=OutboxState.CANCELLED)
    )
    if cancelled:
        await session.exec(
            update(VisitTask)
            .where(
                col(VisitTask.visit_id) == visit_id, col(VisitTask.status) == TaskStatus.PENDING
            )
            .values(status=TaskStatus.CANCELLED)
        )
    session.add(_event(visit_id, "cancelled" if cancelled else "completed", by, now))
    await session.commit()
    return visit


# --- The outbox ------------------------------------------------------------------------------


async def claim_due_reminders(
    session: AsyncSession, *, now: datetime, limit: int = 50
) -> list[Reminder]:
    """Reminders due by `now`, each claimed by one conditional update (storage.outbox) so
    that two senders (two ticks, or two bot processes) never both send the same one."""
    return await outbox.claim_due(session, Reminder, now=now, limit=limit)


async def finish_reminder(
    session: AsyncSession, *, reminder_id: int, now: datetime, late: bool
) -> None:
    await outbox.finish(session, Reminder, row_id=reminder_id, now=now, late=late)


async def postpone_reminder(
    session: AsyncSession, *, reminder_id: int, next_try_at: datetime
) -> None:
    await outbox.postpone(session, Reminder, row_id=reminder_id, next_try_at=next_try_at)


async def interrupted_reminders(
    session: AsyncSession, *, claimed_before: datetime
) -> tuple[list[Reminder], list[OutboxSend]]:
    """Rows a stopped sender left claimed, resumed (storage.outbox.interrupted), and the
    calls that were under way then: maybe sent, never resent."""
    return await outbox.interrupted(
        session, Reminder, outbox=OUTBOX_VISIT, claimed_before=claimed_before
    )


async def tasks_to_redraw(session: AsyncSession) -> list[VisitTask]:
    """Tasks whose messages show something stale."""
    result = await session.exec(
        select(VisitTask)
        .where(col(VisitTask.redraw_seq) > col(VisitTask.redrawn_seq))
        .order_by(col(VisitTask.id))
    )
    return list(result.all())


async def task_redrawn(session: AsyncSession, *, task_id: int, seen: int) -> None:
    """The redraw of change number `seen` is done; a later change keeps the task listed."""
    await session.exec(
        update(VisitTask)
        .where(col(VisitTask.id) == task_id, col(VisitTask.redrawn_seq) < seen)
        .values(redrawn_seq=seen)
    )
    await session.commit()


async def refused_before(
    session: AsyncSession, *, visit_id: int, target: str, before_row: int
) -> bool:
    """Whether an earlier reminder of this visit was already refused at `target`: CS hears
    of a department it cannot reach once per visit, not at every reminder."""
    result = await session.exec(
        select(OutboxSend.id)
        .join(Reminder, col(Reminder.id) == col(OutboxSend.row_id))
        .where(
            col(OutboxSend.outbox) == OUTBOX_VISIT,
            col(OutboxSend.target) == target,
            col(OutboxSend.state) == SEND_REFUSED,
            col(Reminder.visit_id) == visit_id,
            col(Reminder.id) < before_row,
        )
        .limit(1)
    )
    return result.first() is not None


async def last_reminder_sent(session: AsyncSession, task_id: int) -> Reminder | None:
    """The task's reminder that went out last (its `late` flag and times say how late)."""
    result = await session.exec(
        select(Reminder)
        .where(
            col(Reminder.task_id) == task_id,
            col(Reminder.kind) == ReminderKind.REMIND,
            col(Reminder.state) == OutboxState.SENT,
        )
        .order_by(col(Reminder.sent_at).desc(), col(Reminder.id).desc())
    )
    return result.first()


async def reminders_of(session: AsyncSession, visit_id: int) -> list[Reminder]:
    result = await session.exec(
        select(Reminder).where(col(Reminder.visit_id) == visit_id).order_by(col(Reminder.id))
    )
    return list(result.all())


async def mark_escalated(
    session: AsyncSession, *, task_id: int, level: int, now: datetime
) -> None:
    task = await session.get(VisitTask, task_id)
    if task is None:
        return
    task.escalated_level = max(task.escalated_level, level)
    visit = await session.get(Visit, task.visit_id)
    assert visit is not None
    visit.card_dirty_at = now
    visit.card_seq += 1
    session.add_all(
        [task, visit, _event(visit.id or 0, "escalated", None, now, f"{task.key}:{level}")]
    )
    await session.commit()


# --- The status card -------------------------------------------------------------------------


async def cards_to_draw(
    session: AsyncSession, *, now: datetime, quiet_since: datetime
) -> list[Visit]:
    """Visits whose card changed and was last drawn before `quiet_since` (the window)."""
    result = await session.exec(
        select(Visit).where(
            col(Visit.card_dirty_at).is_not(None),
            # A notice never confirmed has no card: its details stay out of the CS group.
            col(Visit.status).in_((VisitStatus.CONFIRMED, VisitStatus.ARRIVED))
            | col(Visit.card_message_id).is_not(None),
            (col(Visit.card_drawn_at).is_(None)) | (col(Visit.card_drawn_at) <= quiet_since),
        )
    )
    return [v for v in result.all() if v.card_dirty_at is not None and v.card_dirty_at <= now]


async def forget_card(session: AsyncSession, *, visit_id: int) -> None:
    """The card message is gone: the next round posts (and pins) a new one."""
    visit = await session.get(Visit, visit_id)
    if visit is None:
        return
    visit.card_chat_id = visit.card_thread_id = visit.card_message_id = None
    visit.card_drawn_at = None
    session.add(visit)
    await session.commit()


async def claim_card_post(
    session: AsyncSession, *, visit_id: int, now: datetime, lease: timedelta
) -> bool:
    """Take the card's first post for `lease`: True for the one drawer (of any instance)
    that may post it now. A claim left by an instance that died lapses with its lease."""
    outcome = await session.exec(
        update(Visit)
        .where(
            col(Visit.id) == visit_id,
            col(Visit.card_message_id).is_(None),
            col(Visit.card_claimed_until).is_(None) | (col(Visit.card_claimed_until) <= now),
        )
        .values(card_claimed_until=now + lease)
    )
    await session.commit()
    return bool(outcome.rowcount == 1)


async def release_card_claim(session: AsyncSession, *, visit_id: int) -> None:
    """The first post did not go out: the next round (of any instance) may try again."""
    await session.exec(
        update(Visit)
        .where(col(Visit.id) == visit_id, col(Visit.card_message_id).is_(None))
        .values(card_claimed_until=None)
    )
    await session.commit()


async def card_posted(
    session: AsyncSession,
    *,
    visit_id: int,
    now: datetime,
    chat_id: int,
    thread_id: int | None,
    message_id: int,
) -> bool:
    """Save the first post's message as the visit's card, unless another card was saved
    first (a claim that lapsed while this post was under way): False then, and the caller
    takes its own post back."""
    outcome = await session.exec(
        update(Visit)
        .where(col(Visit.id) == visit_id, col(Visit.card_message_id).is_(None))
        .values(
            card_chat_id=chat_id,
            card_thread_id=thread_id,
            card_message_id=message_id,
            card_drawn_at=now,
            card_claimed_until=None,
        )
    )
    await session.commit()
    return bool(outcome.rowcount == 1)


async def card_drawn(
    session: AsyncSession,
    *,
    visit_id: int,
    now: datetime,
    seq_seen: int | None = None,
) -> None:
    """Record a redraw of change number `seq_seen`; a change that came in while drawing
    (a higher count) keeps the card dirty."""
    await session.exec(update(Visit).where(col(Visit.id) == visit_id).values(card_drawn_at=now))
    if seq_seen is not None:
        await session.exec(
            update(Visit)
            .where(col(Visit.id) == visit_id, col(Visit.card_seq) == seq_seen)
            .values(card_dirty_at=None)
        )
    await session.commit()
