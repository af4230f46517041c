"""The one press guard: every button press is checked against the rule its callback prefix
declares (handlers.kit.callbacks) before any handler runs.

Registered in bot.app ahead of every other handler (group -1). A refused press gets a short
toast and stops there: no handler runs, so no row and no message changes. A press of a
prefix or action without a declared rule is refused as stale.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop

from bot.presses import (
    NEEDS_SUBJECT,
    Ids,
    Rule,
    Subject,
    Where,
    chat_refusal_of,
    in_right_chat,
    may_press,
    refusal_of,
)
from bot.runtime import Runtime
from handlers.kit import callbacks
from handlers.kit.base import Caller, Context, identify, pressed_message, runtime, topic_of
from storage import org, visits

STALE = "common.stale_button"
NOT_THIS_MESSAGE = "press.not_this_message"

# What an ids check found: the subject the rule of `Who` needs, or the key of a refusal.
Found = Subject | str
IdsCheck = Callable[[Runtime, callbacks.Callback, Message, Caller], Awaitable[Found]]


async def check_press(update: Update, context: Context) -> None:
    """Any press: nothing, if its prefix's rule allows it; else a toast, and no handler runs."""
    query = update.callback_query
    if query is None:
        return
    data = callbacks.parse(query.data)
    rule = callbacks.rule_of(data.prefix, data.action) if data else None
    caller = await identify(update, context)
    if data is None or rule is None:
        refusal: tuple[str, bool] | None = (STALE, False)
    else:
        refusal = await _refusal(update, context, caller, data, rule)
    if refusal is None:
        return
    key, alert = refusal
    await query.answer(caller.toast(key), show_alert=alert)
    raise ApplicationHandlerStop


async def _refusal(
    update: Update, context: Context, caller: Caller, data: callbacks.Callback, rule: Rule
) -> tuple[str, bool] | None:
    """Why this press is refused (a catalog key, and whether it deserves an alert), or None.

    Roles first (what a person may never press needs no id looked up), then the chat, then
    the ids, then whatever the rule needs to know about what the ids name."""
    rt = runtime(context)
    if rule.who not in NEEDS_SUBJECT and not may_press(rule.who, caller.person):
        return refusal_of(rule), True
    message = pressed_message(update)
    chat = update.effective_chat
    if message is None or chat is None:
        return STALE, False  # too old for Telegram to show the bot: nothing to check against
    private = chat.type == chat.PRIVATE and chat.id == caller.user.id
    cs_chat = rule.where is Where.PRIVATE_OR_CS and not private and await _is_cs_chat(rt, message)
    if not in_right_chat(rule.where, private=private, cs_chat=cs_chat):
        return chat_refusal_of(rule), False
    found = await IDS_CHECKS[rule.ids](rt, data, message, caller)
    if isinstance(found, str):
        return found, False
    if rule.who in NEEDS_SUBJECT and not may_press(rule.who, caller.person, found):
        return refusal_of(rule), True
    return None


async def _is_cs_chat(rt: Runtime, message: Message) -> bool:
    async with rt.sessions() as session:
        binding = await org.get_binding(session, "cs")
    return binding is not None and (binding.chat_id, binding.thread_id) == (
        message.chat_id,
        topic_of(message),
    )


def _button_data(message: Message) -> list[str]:
    """The callback data of the message's buttons. The message in a callback query is
    Telegram's copy, not the client's: a forged press cannot change it."""
    markup = message.reply_markup
    if markup is None:
        return []
    return [
        button.callback_data
        for row in markup.inline_keyboard
        for button in row
        if isinstance(button.callback_data, str)
    ]


def _on_message(data: callbacks.Callback, message: Message) -> bool:
    """Whether the data is one of the pressed message's own buttons."""
    return ":".join((data.prefix, data.action, *data.args)) in _button_data(message)


def _carries_prefix(prefix: str, message: Message) -> bool:
    """Whether the message carries buttons of `prefix`: a screen of that kind."""
    return any(raw.startswith(f"{prefix}:") for raw in _button_data(message))


# --- How ids are tied to the pressed message, one check per `Ids` ------------------------


async def _task_message(
    rt: Runtime, data: callbacks.Callback, message: Message, _caller: Caller
) -> Found:
    task_id = data.int_arg(0)
    async with rt.sessions() as session:
        task = await visits.get_task(session, task_id) if task_id is not None else None
        if task is None or task.id is None:
            return STALE
        recorded = await visits.is_task_message(
            session, task_id=task.id, chat_id=message.chat_id, message_id=message.message_id
        )
    if not recorded:
        return NOT_THIS_MESSAGE
    return Subject(departments=task.department_codes)


async def _item_message(
    rt: Runtime, data: callbacks.Callback, message: Message, caller: Caller
) -> Found:
    item_id = data.int_arg(0)
    async with rt.sessions() as session:
        item = await visits.get_item(session, item_id) if item_id is not None else None
    if item is None:
        return STALE
    as_task = callbacks.Callback(data.prefix, data.action, (str(item.task_id),))
    return await _task_message(rt, as_task, message, caller)


async def _problem_notice(
    rt: Runtime, data: callbacks.Callback, message: Message, _caller: Caller
) -> Found:
    problem_id = data.int_arg(0)
    async with rt.sessions() as session:
        problem = await visits.get_problem(session, problem_id) if problem_id else None
        task = await visits.get_task(session, problem.task_id) if problem else None
        if problem is None or problem.id is None or task is None:
            return STALE
        recorded = await visits.is_problem_notice(
            session,
            problem_id=problem.id,
            chat_id=message.chat_id,
            message_id=message.message_id,
        )
    if not recorded:
        return NOT_THIS_MESSAGE
    return Subject(departments=task.department_codes)


async def _status_card(
    rt: Runtime, data: callbacks.Callback, message: Message, caller: Caller
) -> Found:
    visit_id = data.int_arg(0)
    async with rt.sessions() as session:
        visit = await visits.get_visit(session, visit_id) if visit_id else None
    if visit is None:
        return STALE
    if (visit.card_chat_id, visit.card_message_id) != (message.chat_id, message.message_id):
        return NOT_THIS_MESSAGE
    return Subject(announced_by_presser=visit.announced_by == caller.staff_id)


async def _button(
    _rt: Runtime, data: callbacks.Callback, message: Message, _caller: Caller
) -> Found:
    return Subject() if _on_message(data, message) else STALE


async def _button_of_visit(
    rt: Runtime, data: callbacks.Callback, message: Message, caller: Caller
) -> Found:
    visit_id = data.int_arg(0)
    if not _on_message(data, message) or not visit_id:
        return STALE
    async with rt.sessions() as session:
        visit = await visits.get_visit(session, visit_id)
    if visit is None:
        return STALE
    return Subject(announced_by_presser=visit.announced_by == caller.staff_id)


async def _button_of_request(
    rt: Runtime, data: callbacks.Callback, message: Message, _caller: Caller
) -> Found:
    staff_id = data.int_arg(0)
    if not _on_message(data, message) or not staff_id:
        return STALE
    async with rt.sessions() as session:
        applicant = await org.get_staff(session, staff_id)
    if applicant is None:
        return STALE
    return Subject(applicant_department=applicant.department_code)


async def _evaluation_screen(
    _rt: Runtime, data: callbacks.Callback, message: Message, _caller: Caller
) -> Found:
    # Tied to the pressed screen here: the press acts on a screen of its own kind, never
    # on another message of the chat. Whether the draft, the board or the period is still
    # the presser's (a begun draft stays with whoever began it, or passes to whoever scores
    # the person now) is the evaluation's own rules, checked by its handlers on every press;
    # they also answer a button of an earlier step on that screen in their own words.
    return Subject() if _carries_prefix(data.prefix, message) else STALE


IDS_CHECKS: dict[Ids, IdsCheck] = {
    Ids.TASK_MESSAGE: _task_message,
    Ids.ITEM_MESSAGE: _item_message,
    Ids.PROBLEM_NOTICE: _problem_notice,
    Ids.STATUS_CARD: _status_card,
    Ids.BUTTON: _button,
    Ids.BUTTON_OF_VISIT: _button_of_visit,
    Ids.BUTTON_OF_REQUEST: _button_of_request,
    Ids.EVALUATION_SCREEN: _evaluation_screen,
}
