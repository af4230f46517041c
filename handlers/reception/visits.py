"""Visits as a whole: /visits, /visit, /arrival, /cancelvisit, /complete and /export."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.org import can_cross_check, can_manage_visit, can_see_every_visit
from bot.reception import plan_task
from bot.runtime import Runtime
from bot.states import OPEN_VISIT_STATUSES, TaskStatus, VisitStatus
from bot.when import WhenError, format_local, parse_arrival
from handlers.kit import callbacks, tick
from handlers.kit.base import (
    Caller,
    Context,
    identify,
    is_private,
    language_for,
    plain,
    pressed,
    pressed_message,
    replace_buttons,
    reply,
    runtime,
    send_private,
    send_to_department,
)
from handlers.kit.outgoing import Limit, fit, reply_whole
from handlers.kit.prompts import Answered, ask_for_reply
from handlers.reception import cards
from handlers.reception.archive import send_archive
from storage import org, visits
from storage.models import Visit

# Visits a group, or any member of staff, may hear about: confirmed ones. A notice still
# being checked, and a visit's archive, are for CS, the duty manager and management.
SHOWN_IN_GROUPS = (VisitStatus.CONFIRMED, VisitStatus.ARRIVED)
SHOWN_TO_STAFF = (
    VisitStatus.CONFIRMED,
    VisitStatus.ARRIVED,
    VisitStatus.COMPLETED,
    VisitStatus.CANCELLED,
)


def sees_everything(caller: Caller, visit: Visit | None = None) -> bool:
    """CS, the duty manager, management, and a visit's own announcer."""
    if can_see_every_visit(caller.person):
        return True
    return visit is not None and caller.staff_id == visit.announced_by


async def _visit_from_args(
    update: Update, context: Context, caller: Caller, usage_key: str
) -> Visit | None:
    """The visit named by the first argument (`12` or `#12`), or a one-line answer why not."""
    rt = runtime(context)
    args = context.args or []
    match = re.fullmatch(r"#?([0-9]{1,9})", args[0]) if args else None
    if match is None:
        await reply(update, caller.t(usage_key))
        return None
    async with rt.sessions() as session:
        visit = await visits.get_visit(session, int(match.group(1)))
    hidden = (
        not is_private(update) and visit is not None and visit.status not in SHOWN_IN_GROUPS
    ) or (
        visit is not None
        and visit.status not in SHOWN_TO_STAFF
        and not sees_everything(caller, visit)
    )
    if visit is None or hidden:
        await reply(update, caller.t("visit.not_found", visit=match.group(1)))
        return None
    return visit


async def visits_command(update: Update, context: Context) -> None:
    """Today's and upcoming visits, soonest first."""
    rt = runtime(context)
    caller = await identify(update, context)
    if not caller.person.is_active and not caller.person.is_admin:
        await reply(update, caller.t("visit.staff_only"))
        return
    now = rt.clock()
    zone = rt.settings.zone
    start_of_today = datetime.combine(now.astimezone(zone).date(), datetime.min.time(), zone)
    private_and_allowed = is_private(update) and sees_everything(caller)
    statuses = OPEN_VISIT_STATUSES if private_and_allowed else SHOWN_IN_GROUPS
    async with rt.sessions() as session:
        found = await visits.list_visits(
            session, statuses=statuses, arriving_from=start_of_today.astimezone(UTC)
        )
    if not found:
        await reply(update, caller.t("visit.none"))
        return
    lines = [caller.t("visit.list_header")]
    for visit in found[:30]:
        guest = " · ".join(p for p in (visit.guest, visit.company) if p)
        lines.append(
            caller.t(
                "visit.list_line",
                visit=visit.id,
                arrival=format_local(visit.arrival_at, zone),
                guest=guest,
                party=visit.party_size,
                status=caller.t(f"card.status.{visit.status}"),
            )
        )
    lines.append(caller.t("visit.list_footer"))
    # Long guest names can make the list longer than a message: then it comes as a file.
    await reply_whole(
        update, "\n".join(lines), filename="visits.txt", caption=caller.t("visit.list_header")
    )


async def visit_command(update: Update, context: Context) -> None:
    """One visit's card; a closed visit's archive comes as a readable document too."""
    rt = runtime(context)
    caller = await identify(update, context)
    if not caller.person.is_active and not caller.person.is_admin:
        await reply(update, caller.t("visit.staff_only"))
        return
    visit = await _visit_from_args(update, context, caller, "visit.usage")
    if visit is None:
        return
    await reply(update, await cards.card_text(rt, visit, now=rt.clock()))
    closed = visit.status in (VisitStatus.COMPLETED, VisitStatus.CANCELLED)
    if closed and is_private(update) and sees_everything(caller, visit):
        await send_archive(update, rt, caller, visit)


# --- /arrival --------------------------------------------------------------------------------


async def arrival_command(update: Update, context: Context) -> None:
    """/arrival <visit> <time>: pending tasks and reminders move; each department hears once."""
    caller = await identify(update, context)
    visit = await _visit_from_args(update, context, caller, "visit.arrival_usage")
    if visit is None:
        return
    await move_arrival(update, context, caller, visit, " ".join((context.args or [])[1:]))


async def card_arrival_button(update: Update, context: Context) -> None:
    """🕒 on the status card: asks the new arrival time (a reply, so it works in the group)."""
    rt, query, caller, data = await pressed(update, context)
    visit_id = data.int_arg(0) if data else None
    async with rt.sessions() as session:
        visit = await visits.get_visit(session, visit_id) if visit_id else None
    message = pressed_message(update)
    if visit is None or visit.id is None or message is None:
        await query.answer(caller.toast("common.stale_button"))
        return
    mine = visit.announced_by == caller.staff_id
    if not can_manage_visit(caller.person, announced_by_them=mine):
        await query.answer(caller.toast("visit.manage_not_allowed"), show_alert=True)
        return
    if visit.status != VisitStatus.CONFIRMED:
        await query.answer(caller.toast("visit.arrival_not_open", visit=visit.id))
        return
    await query.answer()
    await ask_for_reply(
        rt,
        message,
        text=caller.t("visit.arrival_ask", name=caller.user.full_name, visit=visit.id),
        placeholder=caller.toast("visit.arrival_placeholder"),
        asked=caller.user,
        kind="arrival",
        ref_id=visit.id,
    )


def _read_arrival(rt: Runtime, typed: str) -> datetime | WhenError:
    if not typed:
        return WhenError("when.error.unreadable", {"text": ""})
    return parse_arrival(typed, now=rt.clock(), zone=rt.settings.zone)


def _unreadable_arrival(caller: Caller, error: WhenError) -> str:
    return caller.t(error.key, **error.params) + "\n" + caller.t("visit.arrival_usage")


def check_arrival(rt: Runtime, caller: Caller, typed: str) -> str | None:
    """A reply to the card's 🕒 question that is no time gets its reason, and the question
    stays open: `arrival_answered` runs only for a readable one."""
    moment = _read_arrival(rt, typed)
    return _unreadable_arrival(caller, moment) if isinstance(moment, WhenError) else None


async def arrival_answered(update: Update, context: Context, answered: Answered) -> None:
    """The reply to the card's 🕒 question."""
    rt, caller, _, visit_id, typed = answered
    async with rt.sessions() as session:
        visit = await visits.get_visit(session, visit_id)
    if visit is None:
        await reply(update, caller.t("visit.not_found", visit=visit_id))
        return
    await move_arrival(update, context, caller, visit, typed)


async def move_arrival(
    update: Update, context: Context, caller: Caller, visit: Visit, typed: str
) -> None:
    """Re-time the visit's pending tasks to a new arrival and tell each department once."""
    rt = runtime(context)
    if not can_manage_visit(
        caller.person, announced_by_them=visit.announced_by == caller.staff_id
    ):
        await reply(update, caller.t("visit.manage_not_allowed"))
        return
    if visit.status != VisitStatus.CONFIRMED:
        await reply(update, caller.t("visit.arrival_not_open", visit=visit.id))
        return
    now = rt.clock()
    moment = _read_arrival(rt, typed)
    if isinstance(moment, WhenError):
        await reply(update, _unreadable_arrival(caller, moment))
        return
    assert visit.id is not None
    assert caller.staff_id is not None
    async with rt.sessions() as session:
        tasks = await visits.tasks_of(session, visit.id)
    confirmed_at = visit.checked_at or now
    plan = [
        (
            task.id or 0,
            plan_task(
                visits.template_of(task),
                arrival=moment,
                confirmed_at=confirmed_at,
                departure=visit.departure_at,
                now=now,
            ),
        )
        for task in tasks
        if task.status == TaskStatus.PENDING and task.anchor == "arrival"
    ]
    old_arrival = visit.arrival_at
    async with rt.sessions() as session:
        moved = await visits.retime_visit(
            session, visit_id=visit.id, arrival=moment, by=caller.staff_id, now=now, plan=plan
        )
    if moved is None:
        await reply(update, caller.t("visit.arrival_not_open", visit=visit.id))
        return
    await _tell_departments_of_new_times(context, rt, moved, [tid for tid, _ in plan], old_arrival)
    await reply(
        update,
        caller.t(
            "visit.arrival_moved",
            visit=visit.id,
            arrival=format_local(moment, rt.settings.zone),
            tasks=len(plan),
        ),
    )
    tick.nudge(context.application)


async def _tell_departments_of_new_times(
    context: Context, rt: Runtime, visit: Visit, task_ids: list[int], old_arrival: datetime
) -> None:
    """One message per affected department listing its tasks' new times."""
    language = rt.settings.default_language
    zone = rt.settings.zone
    by_department: dict[str, list[str]] = {}
    async with rt.sessions() as session:
        for task_id in task_ids:
            task = await visits.get_task(session, task_id)
            if task is None or task.remind_at is None:
                continue
            title = task.title_in(language)
            line = f"• {html.escape(title)}: {format_local(task.remind_at, zone)}"
            for department in task.department_codes:
                by_department.setdefault(department, []).append(line)
    guest = " · ".join(p for p in (visit.guest, visit.company) if p)
    for department, lines in by_department.items():
        header = rt.catalog.text(
            language,
            "visit.arrival_notice",
            visit=visit.id,
            guest=guest,
            old=format_local(old_arrival, zone),
            new=format_local(visit.arrival_at, zone),
        )
        await send_to_department(context.bot, rt, department, header + "\n" + "\n".join(lines))


# --- /cancelvisit and /complete --------------------------------------------------------------


async def cancel_visit_command(update: Update, context: Context) -> None:
    """/cancelvisit <visit>: asks to confirm; then every department with a task hears once
    and the reminders stop."""
    await _ask_to_close(update, context, cancelled=True)


async def complete_command(update: Update, context: Context) -> None:
    """/complete <visit>: asks to confirm; then closes the reception and archives it."""
    await _ask_to_close(update, context, cancelled=False)


def _close_refusal(caller: Caller, visit: Visit, *, cancelled: bool) -> str | None:
    """Why the caller may not close this visit now (a sentence), or None."""
    mine = visit.announced_by == caller.staff_id
    if cancelled and not can_manage_visit(caller.person, announced_by_them=mine):
        return caller.t("visit.manage_not_allowed")
    if not cancelled and not can_cross_check(caller.person):
        return caller.t("visit.complete_not_allowed")
    if visit.status in (VisitStatus.COMPLETED, VisitStatus.CANCELLED):
        return caller.t("visit.already_closed", visit=visit.id)
    if not cancelled and visit.status not in (VisitStatus.CONFIRMED, VisitStatus.ARRIVED):
        # Only a reception that took place is archived; a notice is withdrawn instead.
        return caller.t("visit.complete_not_confirmed", visit=visit.id)
    return None


async def _ask_to_close(update: Update, context: Context, *, cancelled: bool) -> None:
    """Closing is final and tells everyone: one more press confirms it."""
    caller = await identify(update, context)
    usage = "visit.cancel_usage" if cancelled else "visit.complete_usage"
    visit = await _visit_from_args(update, context, caller, usage)
    if visit is None:
        return
    refusal = _close_refusal(caller, visit, cancelled=cancelled)
    if refusal is not None:
        await reply(update, refusal)
        return
    guest = " · ".join(p for p in (visit.guest, visit.company) if p)
    action = "off" if cancelled else "done"
    yes = caller.t("visit.cancel_yes" if cancelled else "visit.complete_yes", visit=visit.id)
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    plain(yes),
                    callback_data=callbacks.encode(callbacks.CLOSE_VISIT, action, visit.id or 0),
                ),
                InlineKeyboardButton(
                    plain(caller.t("visit.keep_open")),
                    callback_data=callbacks.encode(callbacks.CLOSE_VISIT, "keep", visit.id or 0),
                ),
            ]
        ]
    )
    ask = "visit.cancel_ask" if cancelled else "visit.complete_ask"
    await reply(update, caller.t(ask, visit=visit.id, guest=guest), reply_markup=markup)


async def close_button(update: Update, context: Context) -> None:
    """The answer to "close visit #12?": every rule is checked again for whoever pressed."""
    rt, query, caller, data = await pressed(update, context)
    visit_id = data.int_arg(0) if data else None
    if data is None or visit_id is None or data.action not in ("done", "off", "keep"):
        await query.answer(caller.toast("common.stale_button"))
        return
    async with rt.sessions() as session:
        visit = await visits.get_visit(session, visit_id)
    if visit is None:
        await query.answer(caller.toast("common.stale_button"))
        return
    if data.action == "keep":
        await replace_buttons(update, None, note=caller.t("visit.kept_open"))
        await query.answer()
        return
    cancelled = data.action == "off"
    refusal = _close_refusal(caller, visit, cancelled=cancelled)
    if refusal is not None:
        await query.answer(fit(plain(refusal), Limit.ANSWER), show_alert=True)
        return
    await replace_buttons(update, None)
    await query.answer()
    await _close(update, context, caller, visit, cancelled=cancelled)


async def _close(
    update: Update, context: Context, caller: Caller, visit: Visit, *, cancelled: bool
) -> None:
    rt = runtime(context)
    assert visit.id is not None
    assert caller.staff_id is not None
    now = rt.clock()
    async with rt.sessions() as session:
        tasks = await visits.tasks_of(session, visit.id)
        if not cancelled:
            # Closing the reception is the archive task itself.
            for task in tasks:
                if task.anchor == "departure" and task.status == TaskStatus.PENDING:
                    await visits.complete_task(
                        session, task_id=task.id or 0, by=caller.staff_id, now=now
                    )
        closed = await visits.close_visit(
            session, visit_id=visit.id, by=caller.staff_id, now=now, cancelled=cancelled
        )
    if closed is None:
        await reply(update, caller.t("visit.already_closed", visit=visit.id))
        return
    if cancelled:
        departments = list(dict.fromkeys(d for task in tasks for d in task.department_codes))
        language = rt.settings.default_language
        guest = " · ".join(p for p in (visit.guest, visit.company) if p)
        text = rt.catalog.text(
            language,
            "visit.cancelled_notice",
            visit=visit.id,
            guest=guest,
            name=caller.user.full_name,
        )
        for department in departments:
            await send_to_department(context.bot, rt, department, text)
        async with rt.sessions() as session:
            announcer = await org.view(session, visit.announced_by)
        if (
            announcer
            and announcer.staff.telegram_id
            and announcer.staff.telegram_id != caller.user.id
        ):
            await send_private(
                context.bot,
                announcer.staff.telegram_id,
                rt.catalog.text(
                    language_for(rt, announcer),
                    "visit.cancelled_notice",
                    visit=visit.id,
                    guest=guest,
                    name=caller.user.full_name,
                ),
            )
        await reply(update, caller.t("visit.cancelled_done", visit=visit.id))
    else:
        await reply(update, caller.t("visit.completed_done", visit=visit.id))
        if is_private(update):
            await send_archive(update, rt, caller, closed)
    tick.nudge(context.application)
