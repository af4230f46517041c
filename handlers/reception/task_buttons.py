"""The buttons staff press on a task's messages in the department chats (the messages are
handlers.reception.task_messages') — 🙋 Claim, ✅ Done, checklist ticks, ⚠️ Problem
(described in a ForceReply) and ✔️ Resolved.

Group messages are in the hotel's default language: a department chat has many readers.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot.org import can_work_on_task
from handlers.kit import callbacks, tick
from handlers.kit.base import (
    Context,
    Press,
    plain,
    pressed,
    pressed_message,
    replace_buttons,
    reply,
)
from handlers.kit.outgoing import fit, with_note
from handlers.kit.prompts import Answered, ask_for_reply
from storage import org, visits
from storage.models import TaskCheckItem, VisitTask

log = logging.getLogger(__name__)


# --- Buttons -----------------------------------------------------------------------------------


async def task_button(update: Update, context: Context) -> None:
    """🙋 Claim, ✅ Done, a checklist tick, or ⚠️ Problem on a task message."""
    press = await pressed(update, context)
    rt, query, caller, data = press
    ref = data.int_arg(0) if data else None
    if data is None or ref is None or data.action not in ("claim", "done", "item", "prob"):
        await query.answer(caller.toast("common.stale_button"))
        return
    async with rt.sessions() as session:
        if data.action == "item":
            item = await session.get(TaskCheckItem, ref)
            task = await visits.get_task(session, item.task_id) if item else None
        else:
            task = await visits.get_task(session, ref)
    if task is None:
        await query.answer(caller.toast("common.stale_button"))
        return
    # The press guard has checked who pressed, where, and that the id is this message's.
    assert caller.staff_id is not None
    now = rt.clock()
    if data.action == "prob":
        await _ask_for_problem(update, press, task)
        return
    async with rt.sessions() as session:
        if data.action == "claim":
            change = await visits.claim_task(
                session, task_id=task.id or 0, by=caller.staff_id, now=now
            )
        elif data.action == "done":
            change = await visits.complete_task(
                session, task_id=task.id or 0, by=caller.staff_id, now=now
            )
        else:
            ticked = await visits.tick_item(session, item_id=ref, by=caller.staff_id, now=now)
            change = ticked[0] if ticked else None
    if change is None:
        await query.answer(caller.toast("common.stale_button"))
        return
    if not change.changed:
        await query.answer(caller.toast(f"task.refused.{change.reason}"))
        return
    await query.answer(caller.toast(f"task.ok.{data.action}"))
    # The storage change marked the task for redrawing; the tick does it now.
    tick.nudge(context.application)


async def _ask_for_problem(update: Update, press: Press, task: VisitTask) -> None:
    rt, query, caller = press.rt, press.query, press.caller
    message = pressed_message(update)
    if message is None:
        await query.answer(caller.toast("common.stale_button"))
        return
    await query.answer()
    language = caller.language  # the question is to this person
    await ask_for_reply(
        rt,
        message,
        text=rt.catalog.text(
            language, "task.problem_ask", name=caller.user.full_name, title=task.title_in(language)
        ),
        placeholder=plain(rt.catalog.text(language, "task.problem_placeholder")),
        asked=caller.user,
        kind="problem",
        ref_id=task.id or 0,
    )


async def problem_described(update: Update, context: Context, answered: Answered) -> None:
    """The reply describing a problem: saved, and sent to the task's departments and CS."""
    rt, caller, staff_id, task_id, text = answered
    async with rt.sessions() as session:
        task = await visits.get_task(session, task_id)
    if task is not None and not can_work_on_task(caller.person, task.department_codes):
        await reply(update, caller.t("task.not_yours"))
        return
    async with rt.sessions() as session:
        problem = await visits.report_problem(
            session, task_id=task_id, by=staff_id, text=text, now=rt.clock()
        )
    if problem is None or task is None:
        await reply(update, caller.t("task.refused.visit_closed"))
        return
    language = rt.settings.default_language
    notice = rt.catalog.text(
        language,
        "task.problem_notice",
        name=caller.user.full_name,
        title=task.title_in(language),
        text=text,
        visit=task.visit_id,
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    rt.catalog.text(language, "task.button.resolved"),
                    callback_data=callbacks.encode(callbacks.PROBLEM, "res", problem.id),
                )
            ]
        ]
    )
    departments = list(dict.fromkeys([*task.department_codes, "cs"]))
    delivered_to: set[tuple[int, int | None]] = set()
    for department in departments:
        async with rt.sessions() as session:
            binding = await org.get_binding(session, department)
        if binding is None or (binding.chat_id, binding.thread_id) in delivered_to:
            continue
        delivered_to.add((binding.chat_id, binding.thread_id))
        try:
            sent = await context.bot.send_message(
                binding.chat_id,
                fit(notice),
                message_thread_id=binding.thread_id,
                reply_markup=keyboard,
            )
        except TelegramError:
            log.exception("problem notice not delivered to %s", department)
            continue
        # Recorded, so ✔️ Resolved is honoured only on this problem's own notice.
        async with rt.sessions() as session:
            await visits.record_problem_notice(
                session,
                problem_id=problem.id or 0,
                chat_id=sent.chat_id,
                thread_id=binding.thread_id,
                message_id=sent.message_id,
                now=rt.clock(),
            )
    message = update.effective_message
    assert message is not None
    here = (message.chat_id, message.message_thread_id if message.is_topic_message else None)
    if here not in delivered_to:
        await reply(update, caller.t("task.problem_saved"))
    tick.nudge(context.application)


async def resolve_button(update: Update, context: Context) -> None:
    """✔️ Resolved on a problem notice."""
    rt, query, caller, data = await pressed(update, context)
    problem_id = data.int_arg(0) if data else None
    async with rt.sessions() as session:
        problem = await visits.get_problem(session, problem_id) if problem_id else None
        task = await visits.get_task(session, problem.task_id) if problem else None
    if problem is None or task is None:
        await query.answer(caller.toast("common.stale_button"))
        return
    # The press guard has checked who pressed, where, and that this is the problem's notice.
    assert caller.staff_id is not None
    async with rt.sessions() as session:
        resolved = await visits.resolve_problem(
            session, problem_id=problem.id or 0, by=caller.staff_id, now=rt.clock()
        )
    if resolved is None:
        await query.answer(caller.toast("task.refused.already_resolved"))
        await replace_buttons(update, None)
        return
    await query.answer(caller.toast("task.ok.resolved"))
    message = pressed_message(update)
    original = message.text_html if message and message.text else ""
    language = rt.settings.default_language
    await query.edit_message_text(
        with_note(
            original, rt.catalog.text(language, "task.resolved_by", name=caller.user.full_name)
        )
    )
    tick.nudge(context.application)
