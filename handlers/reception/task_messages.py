"""A visit's task messages in the department chats: how a task reads, and its assignment,
reminders and escalations as the outbox (handlers.outbox) delivers them, then redraws them
when the task moves. The buttons on them are handlers.reception.task_buttons'.

Group messages are in the hotel's default language: a department chat has many readers.
"""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.org import DUTY_MANAGER
from bot.reception import decode_escalation, relative_time
from bot.runtime import Runtime
from bot.states import ReminderKind, TaskStatus
from bot.when import format_local
from handlers.kit import callbacks, sending
from handlers.kit.base import (
    language_for,
    send_private,
    send_to_department,
)
from handlers.kit.outgoing import fit
from handlers.kit.sending import Attempt, Outcome
from storage import org, visits
from storage.models import OUTBOX_VISIT, ChatBinding, Reminder, TaskCheckItem, Visit, VisitTask

log = logging.getLogger(__name__)


# --- Rendering ---------------------------------------------------------------------------------


def _local(rt: Runtime, moment: datetime | None) -> str:
    return format_local(moment, rt.settings.zone) if moment else "—"


def guest_line(visit: Visit) -> str:
    parts = [p for p in (visit.guest, visit.company, visit.group_name) if p]
    return " · ".join(parts)


async def task_text(
    rt: Runtime, language: str, task: VisitTask, visit: Visit, *, header: str, now: datetime
) -> str:
    """The body every task message shares: what, for whom, when, where, and who has it."""
    t = rt.catalog.text
    async with rt.sessions() as session:
        items = await visits.items_of(session, task.id or 0)
        names = await org.names_by_id(
            session, [task.claimed_by, task.done_by, *(i.done_by for i in items)]
        )
        departments = [await org.get_department(session, code) for code in task.department_codes]
    lines = [header]
    if task.urgent and task.status != TaskStatus.DONE:
        lines.append(t(language, "task.urgent"))
    lines.append(f"<b>{html.escape(task.title_in(language))}</b>")
    lines.append(t(language, "task.for", guest=guest_line(visit), visit=visit.id))
    dept_names = ", ".join(d.name_in(language) for d in departments if d is not None)
    lines.append(t(language, "task.departments", departments=dept_names))
    if task.remind_at is not None:
        key, params = relative_time(task.remind_at, now)
        lines.append(
            t(
                language,
                "task.when",
                start=_local(rt, task.remind_at),
                relative=t(language, key, **params),
            )
        )
    if task.due_at is not None and task.due_at != task.remind_at:
        lines.append(t(language, "task.due", due=_local(rt, task.due_at)))
    lines.append(t(language, "task.arrival", arrival=_local(rt, visit.arrival_at)))
    lines.append(
        t(
            language,
            "task.party",
            party=visit.party_size,
            vehicles=visit.vehicles,
            rooms=visit.rooms or t(language, "notice.none"),
        )
    )
    details = task.details_in(language)
    if details:
        lines.append(html.escape(details))
    for item in items:
        mark = "☑️" if item.done_at else "☐"
        label = item.label_in(language)
        who = f" — {html.escape(names.get(item.done_by or 0, ''))}" if item.done_at else ""
        lines.append(f"{mark} {html.escape(label)}{who}")
    if task.status == TaskStatus.DONE:
        lines.append(
            t(
                language,
                "task.done_by",
                name=names.get(task.done_by or 0, "?"),
                at=_local(rt, task.done_at),
            )
        )
    elif task.claimed_by:
        lines.append(t(language, "task.claimed_by", name=names.get(task.claimed_by, "?")))
    return "\n".join(lines)


def task_keyboard(
    rt: Runtime, language: str, task: VisitTask, items: list[TaskCheckItem]
) -> InlineKeyboardMarkup:
    t = rt.catalog.text
    problem = InlineKeyboardButton(
        t(language, "task.button.problem"),
        callback_data=callbacks.encode(callbacks.TASK, "prob", task.id),
    )
    if task.status == TaskStatus.DONE:
        return InlineKeyboardMarkup([[problem]])
    rows = []
    for item in items:
        if item.done_at is None:
            label = item.label_in(language)
            rows.append(
                [
                    InlineKeyboardButton(
                        "☐ " + label,
                        callback_data=callbacks.encode(callbacks.TASK, "item", item.id),
                    )
                ]
            )
    first = [
        InlineKeyboardButton(
            t(language, "task.button.claim"),
            callback_data=callbacks.encode(callbacks.TASK, "claim", task.id),
        )
    ]
    if not items:
        first.append(
            InlineKeyboardButton(
                t(language, "task.button.done"),
                callback_data=callbacks.encode(callbacks.TASK, "done", task.id),
            )
        )
    return InlineKeyboardMarkup([first, *rows, [problem]])


# --- Delivery (called by the outbox) -------------------------------------------------------------


async def deliver(
    bot: Bot, rt: Runtime, reminder: Reminder, *, late: bool, now: datetime
) -> list[Attempt]:
    """Send one claimed reminder row to each of its destinations not reached yet; returns
    what each call did (the outbox tries the row again if any said "not yet")."""
    async with rt.sessions() as session:
        task = await visits.get_task(session, reminder.task_id)
        visit = await visits.get_visit(session, reminder.visit_id)
    if task is None or visit is None or task.status != "pending":
        return []  # done or called off since: nothing to say
    language = rt.settings.default_language
    if reminder.kind == ReminderKind.ASSIGN:
        header = rt.catalog.text(language, "task.header.assign")
        return await _to_departments(bot, rt, reminder, task, visit, header, now)
    if reminder.kind == ReminderKind.REMIND:
        minutes = round((now - reminder.due_at).total_seconds() / 60)
        header = (
            rt.catalog.text(language, "task.header.remind_late", minutes=minutes)
            if late
            else rt.catalog.text(language, "task.header.remind")
        )
        return await _to_departments(bot, rt, reminder, task, visit, header, now)
    if reminder.kind == ReminderKind.ESCALATE:
        return await _escalate(bot, rt, reminder, task, visit, now)
    return []


async def _to_departments(
    bot: Bot,
    rt: Runtime,
    reminder: Reminder,
    task: VisitTask,
    visit: Visit,
    header: str,
    now: datetime,
) -> list[Attempt]:
    language = rt.settings.default_language
    kind = "assignment" if reminder.kind == ReminderKind.ASSIGN else "reminder"
    async with rt.sessions() as session:
        items = await visits.items_of(session, task.id or 0)
        claimant = await org.get_staff(session, task.claimed_by) if task.claimed_by else None
    text = await task_text(rt, language, task, visit, header=header, now=now)
    if kind == "reminder" and claimant is not None and claimant.telegram_id:
        mention = f'<a href="tg://user?id={claimant.telegram_id}">{html.escape(claimant.name)}</a>'
        text = f"👤 {mention}\n{text}"
    keyboard = task_keyboard(rt, language, task, items)
    attempts: list[Attempt] = []
    unbound: list[str] = []
    refused: list[tuple[str, str]] = []
    maybe: list[str] = []
    for department in task.department_codes:
        target = f"dept:{department}"
        binding = await _binding(rt, department)
        if binding is None:
            if await sending.refuse_once(
                rt,
                box=OUTBOX_VISIT,
                row_id=reminder.id or 0,
                target=target,
                now=now,
                reason="no chat bound",
            ):
                unbound.append(department)
            continue
        found = await sending.send_once(
            rt,
            box=OUTBOX_VISIT,
            row_id=reminder.id or 0,
            target=target,
            now=now,
            make_call=functools.partial(
                bot.send_message,
                binding.chat_id,
                text,
                message_thread_id=binding.thread_id,
                reply_markup=keyboard,
            ),
        )
        if found is None:
            continue  # an earlier try of this row dealt with this department
        attempts.append(found)
        if found.message is not None:
            async with rt.sessions() as session:
                await visits.record_message(
                    session,
                    task_id=task.id or 0,
                    department=department,
                    chat_id=found.message.chat_id,
                    thread_id=binding.thread_id,
                    message_id=found.message.message_id,
                    kind=kind,
                )
        elif found.outcome is Outcome.REFUSED:
            async with rt.sessions() as session:
                told = await visits.refused_before(
                    session, visit_id=visit.id or 0, target=target, before_row=reminder.id or 0
                )
            if not told:
                refused.append((department, found.reason))
        elif found.outcome is Outcome.MAYBE:
            maybe.append(department)
    if unbound:
        await _report_to_cs_and_announcer(bot, rt, task, visit, unbound, "task.unbound")
    for department, reason in refused:
        await _report_to_cs_and_announcer(
            bot, rt, task, visit, [department], "task.refused_chat", reason=reason[:200]
        )
    if maybe:
        await _report_to_cs_and_announcer(bot, rt, task, visit, maybe, "task.maybe_sent")
    return attempts


async def _report_to_cs_and_announcer(
    bot: Bot,
    rt: Runtime,
    task: VisitTask,
    visit: Visit,
    departments: list[str],
    key: str,
    **params: str,
) -> None:
    """Something about a department's copy that a person must know (no chat bound; Telegram
    refused it, with its reason; it may not have arrived): CS and the announcer hear."""
    async with rt.sessions() as session:
        found = [await org.get_department(session, code) for code in departments]
        announcer = await org.view(session, visit.announced_by)

    def words(language: str) -> str:
        names = ", ".join(d.name_in(language) for d in found if d is not None)
        return rt.catalog.text(
            language,
            key,
            departments=names or ", ".join(departments),
            title=task.title_in(language),
            visit=visit.id,
            **params,
        )

    # CS's own chat is told too when it is the one concerned, unless it cannot be written
    # to at all (no chat bound, or Telegram refuses it).
    if "cs" not in departments or key == "task.maybe_sent":
        await send_to_department(bot, rt, "cs", words(rt.settings.default_language))
    if announcer and announcer.staff.telegram_id:
        await send_private(bot, announcer.staff.telegram_id, words(language_for(rt, announcer)))


async def _escalate(
    bot: Bot, rt: Runtime, reminder: Reminder, task: VisitTask, visit: Visit, now: datetime
) -> list[Attempt]:
    """One level of the chain: the department chat, its head, the duty manager, CS's lead."""
    levels = decode_escalation(task.escalation)
    level = reminder.level
    if level < 1 or level > len(levels):
        return []
    targets = levels[level - 1].notify
    responsible = task.department_codes[0]
    minutes = round((now - task.due_at).total_seconds() / 60) if task.due_at else 0
    people = []
    async with rt.sessions() as session:
        if "head" in targets:
            people += await org.heads_of(session, responsible)
        if DUTY_MANAGER in targets:
            people += await org.staff_with_role(session, DUTY_MANAGER)
        if "cs_lead" in targets:
            people += await org.heads_of(session, "cs")
        views = await org.views(session, [p.id for p in people if p.id is not None])
    language = rt.settings.default_language
    header = rt.catalog.text(language, "task.header.escalate", minutes=minutes)
    group_text = await task_text(rt, language, task, visit, header=header, now=now)
    attempts: list[Attempt] = []
    # Destinations an earlier try of this row already dealt with count as reached.
    reached = 0

    async def once(target: str, make_call: Callable[[], Awaitable[Message]]) -> None:
        nonlocal reached
        found = await sending.send_once(
            rt,
            box=OUTBOX_VISIT,
            row_id=reminder.id or 0,
            target=target,
            now=now,
            make_call=make_call,
        )
        if found is not None:
            attempts.append(found)
        if found is None or found.outcome in (Outcome.SENT, Outcome.MAYBE):
            reached += 1

    if "department" in targets:
        binding = await _binding(rt, responsible)
        if binding is not None:
            await once(
                f"dept:{responsible}",
                functools.partial(
                    bot.send_message,
                    binding.chat_id,
                    group_text,
                    message_thread_id=binding.thread_id,
                ),
            )
    seen: set[int] = set()
    for person in people:
        if person.telegram_id is None or person.telegram_id in seen:
            continue
        seen.add(person.telegram_id)
        private_language = language_for(rt, views.get(person.id or 0))
        private_header = rt.catalog.text(private_language, "task.header.escalate", minutes=minutes)
        text = await task_text(rt, private_language, task, visit, header=private_header, now=now)
        await once(
            f"user:{person.telegram_id}",
            functools.partial(bot.send_message, person.telegram_id, text),
        )
    if any(a.outcome is Outcome.NOT_YET for a in attempts):
        return attempts  # tried again soon: nobody is "unreachable" yet
    if not reached:
        # Nobody in the chain could be reached (no head, no duty manager with a chat open):
        # the alert goes to the CS chat rather than nowhere.
        note = rt.catalog.text(language, "task.escalate_nobody")
        binding = await _binding(rt, "cs")
        if binding is not None:
            await once(
                "dept:cs:fallback",
                functools.partial(
                    bot.send_message,
                    binding.chat_id,
                    f"{group_text}\n{note}",
                    message_thread_id=binding.thread_id,
                ),
            )
        if any(a.outcome is Outcome.NOT_YET for a in attempts):
            return attempts
    async with rt.sessions() as session:
        await visits.mark_escalated(session, task_id=task.id or 0, level=level, now=now)
    return attempts


async def _binding(rt: Runtime, department: str) -> ChatBinding | None:
    async with rt.sessions() as session:
        return await org.get_binding(session, department)


def _header_of(rt: Runtime, language: str, kind: str, reminded: Reminder | None) -> str:
    """A redrawn message keeps the header it was sent with: a reminder sent late still
    says how late it was."""
    if kind == "assignment":
        return rt.catalog.text(language, "task.header.assign")
    if reminded is not None and reminded.late and reminded.sent_at is not None:
        minutes = round((reminded.sent_at - reminded.due_at).total_seconds() / 60)
        return rt.catalog.text(language, "task.header.remind_late", minutes=minutes)
    return rt.catalog.text(language, "task.header.remind")


async def redraw_changed_tasks(bot: Bot, rt: Runtime) -> None:
    """Redraw the messages of every task marked changed (storage: `redraw_seq`), clearing the
    mark only once its copies are current: a crash, or Telegram's "not yet", leaves it for
    the next tick, and one task's failure never holds up the others."""
    async with rt.sessions() as session:
        changed = await visits.tasks_to_redraw(session)
    for task in changed:
        assert task.id is not None
        try:
            current = await refresh_task_messages(bot, rt, task.id)
        except Exception:
            log.exception("could not redraw task %s; the next tick tries again", task.id)
            continue
        if current:
            async with rt.sessions() as session:
                await visits.task_redrawn(session, task_id=task.id, seen=task.redraw_seq)


async def refresh_task_messages(bot: Bot, rt: Runtime, task_id: int) -> bool:
    """Redraw every message carrying this task's buttons, so no copy shows stale state.
    False when Telegram said "not yet" for a copy (it is worth trying again)."""
    now = rt.clock()
    language = rt.settings.default_language
    async with rt.sessions() as session:
        task = await visits.get_task(session, task_id)
        assert task is not None
        visit = await visits.get_visit(session, task.visit_id)
        assert visit is not None
        items = await visits.items_of(session, task_id)
        sent = await visits.messages_of(session, task_id)
        reminded = await visits.last_reminder_sent(session, task_id)
    # Only each department's latest copy (a reminder supersedes the assignment) is redrawn:
    # every edit counts against the group's twenty messages a minute. Older copies keep
    # working buttons; a press on one redraws the latest.
    latest = {message.department: message for message in sent}
    current = True
    for message in latest.values():
        header = _header_of(rt, language, message.kind, reminded)
        text = await task_text(rt, language, task, visit, header=header, now=now)
        found = await sending.attempt(
            bot.edit_message_text(
                fit(text),
                chat_id=message.chat_id,
                message_id=message.message_id,
                reply_markup=task_keyboard(rt, language, task, items),
            )
        )
        if found.outcome in (Outcome.NOT_YET, Outcome.MAYBE):
            current = False  # an edit can be repeated safely: the next tick does
        elif found.outcome is Outcome.REFUSED and not sending.not_modified(found.reason):
            # Deleted by someone, or the bot removed: no edit will ever land there.
            log.warning("could not redraw task message %s: %s", message.message_id, found.reason)
    return current
