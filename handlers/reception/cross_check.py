"""The cross-check (SOURCE: Customer Service confirms a VIP notice with the lobby duty
manager): a sent notice goes to the duty managers in private and to the CS group; ✅ Confirm
plans the visit's tasks, ↩️ Return asks why and sends it back to its announcer. Also how a
notice reads (`notice_text`), for the announcer's summary (handlers.reception.vip) and the
copies here.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.i18n import Catalog
from bot.notice import (
    FIELDS,
    FieldError,
    Notice,
)
from bot.org import DUTY_MANAGER, can_cross_check
from bot.reception import plan_visit
from bot.runtime import Runtime
from bot.states import VisitStatus
from bot.when import format_local
from handlers.kit import callbacks, sending, tick
from handlers.kit.base import (
    Caller,
    Context,
    language_for,
    pressed,
    pressed_message,
    replace_buttons,
    reply,
    runtime,
    send_private,
)
from handlers.kit.outgoing import fit, with_note
from handlers.kit.prompts import Answered, ask_for_reply
from handlers.kit.sending import Outcome
from storage import org, visits
from storage.models import Visit

log = logging.getLogger(__name__)


# --- Rendering -----------------------------------------------------------------------------------


def field_value_text(
    catalog: Catalog, language: str, rt: Runtime, notice: Notice, name: str
) -> str:
    value = getattr(notice, name)
    if name == "arrival" and value is not None:
        return format_local(value, rt.settings.zone)
    if name == "vehicles" and value == 0:
        return catalog.text(language, "notice.none")
    if value in (None, ""):
        return catalog.text(language, "notice.none")
    return str(value)


ALWAYS_SHOWN = ("party", "vehicles", "arrival")
# Long fields are shortened in chat so a notice fits one Telegram message (4,096 characters);
# the full text is kept, and is in the archive.
SHOWN_CHARS = 600


def notice_text(catalog: Catalog, language: str, rt: Runtime, notice: Notice) -> str:
    """The notice as `Label: value` lines; empty text fields are left out."""
    lines = []
    for name in FIELDS:
        if name not in ALWAYS_SHOWN and not getattr(notice, name):
            continue
        label = catalog.text(language, f"notice.label.{name}")
        value = field_value_text(catalog, language, rt, notice, name)
        if len(value) > SHOWN_CHARS:
            value = value[: SHOWN_CHARS - 1] + "…"
        lines.append(catalog.text(language, "notice.line", label=label, value=value))
    return "\n".join(lines)


def error_text(caller_t: Any, error: FieldError) -> str:
    return str(caller_t(error.key, **error.params))


# --- Cross-check -------------------------------------------------------------------------------


async def _revision(rt: Runtime, visit_id: int) -> int:
    """How many times the notice was corrected: buttons of an older version are stale."""
    async with rt.sessions() as session:
        return await visits.count_events(session, visit_id=visit_id, kind="resubmitted")


def _check_keyboard(
    catalog: Catalog, language: str, visit_id: int, revision: int
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    catalog.text(language, "vip.check_confirm"),
                    callback_data=callbacks.encode(
                        callbacks.CROSS_CHECK, "ok", visit_id, revision
                    ),
                ),
                InlineKeyboardButton(
                    catalog.text(language, "vip.check_return"),
                    callback_data=callbacks.encode(
                        callbacks.CROSS_CHECK, "ret", visit_id, revision
                    ),
                ),
            ]
        ]
    )


async def send_for_cross_check(context: Context, visit: Visit, *, announcer: Caller) -> int:
    """The notice, with Confirm / Return, to every duty manager and to the CS chat; returns
    how many of them it reached."""
    rt = runtime(context)
    assert visit.id is not None
    notice = visits.notice_of(visit)
    revision = await _revision(rt, visit.id)
    announcer_name = announcer.view.staff.name if announcer.view else announcer.user.full_name
    async with rt.sessions() as session:
        duty_managers = await org.staff_with_role(session, DUTY_MANAGER)
        views = await org.views(session, [s.id for s in duty_managers if s.id is not None])
        binding = await org.get_binding(session, "cs")
    # (chat, topic, language): each duty manager in private, then the CS chat.
    targets: list[tuple[int, int | None, str]] = [
        (manager.telegram_id, None, language_for(rt, views.get(manager.id or 0)))
        for manager in duty_managers
        if manager.telegram_id is not None and manager.telegram_id != announcer.user.id
    ]
    if binding is not None:
        targets.append((binding.chat_id, binding.thread_id, rt.settings.default_language))
    reached = 0
    for chat_id, thread_id, language in targets:
        text = rt.catalog.text(
            language, "vip.check_request", visit=visit.id, announcer=announcer_name
        )
        text += "\n\n" + notice_text(rt.catalog, language, rt, notice)
        found = await sending.with_retries(
            functools.partial(
                context.bot.send_message,
                chat_id,
                fit(text),
                message_thread_id=thread_id,
                reply_markup=_check_keyboard(rt.catalog, language, visit.id, revision),
            )
        )
        if found.outcome in (Outcome.SENT, Outcome.MAYBE):
            reached += 1  # a maybe may well have arrived: it is not sent twice
        else:
            log.warning("cross-check not delivered to %s: %s", chat_id, found.reason)
    return reached


async def cross_check_button(update: Update, context: Context) -> None:
    """✅ Confirm creates the visit's tasks; ↩️ Return asks why (ForceReply)."""
    rt, query, caller, data = await pressed(update, context)
    visit_id = data.int_arg(0) if data else None
    revision = data.int_arg(1) if data else None
    if data is None or visit_id is None or data.action not in ("ok", "ret"):
        await query.answer(caller.toast("common.stale_button"))
        return
    if not can_cross_check(caller.person):
        await query.answer(caller.toast("vip.check_not_allowed"), show_alert=True)
        return
    async with rt.sessions() as session:
        visit = await visits.get_visit(session, visit_id)
    if (
        visit is None
        or visit.status != VisitStatus.AWAITING_CHECK
        or revision != await _revision(rt, visit_id)
    ):
        await query.answer(caller.toast("vip.check_already"))
        await replace_buttons(update, None)
        return
    if caller.staff_id is None or caller.staff_id == visit.announced_by:
        # A cross-check is a second pair of eyes: not the announcer's own.
        await query.answer(caller.toast("vip.check_own"), show_alert=True)
        return
    if data.action == "ret":
        await query.answer()
        message = pressed_message(update)
        assert message is not None
        await ask_for_reply(
            rt,
            message,
            text=caller.t("vip.return_ask", name=caller.user.full_name, visit=visit_id),
            placeholder=caller.toast("vip.return_placeholder"),
            asked=caller.user,
            kind="return_reason",
            ref_id=visit_id,
        )
        return
    now = rt.clock()
    assert rt.playbook is not None
    plan = plan_visit(
        rt.playbook,
        standard=visit.standard,
        arrival=visit.arrival_at,
        confirmed_at=now,
        departure=visit.departure_at,
        now=now,
    )
    async with rt.sessions() as session:
        confirmed = await visits.confirm_notice(
            session, visit_id=visit_id, by=caller.staff_id, now=now, plan=plan
        )
        announcer = await org.view(session, visit.announced_by)
    if confirmed is None:
        await query.answer(caller.toast("vip.check_already"))
        return
    # Saved: showing it is not the confirm, and Telegram failing to show it is no failure.
    await sending.quietly(query.answer(), "cross-check answer")
    original = pressed_message(update)
    text = with_note(
        original.text_html if original and original.text else "",
        caller.t("vip.confirmed_by", name=caller.user.full_name),
    )
    await sending.quietly(query.edit_message_text(text), "cross-check message")
    if announcer and announcer.staff.telegram_id and announcer.staff.telegram_id != caller.user.id:
        language = language_for(rt, announcer)
        await send_private(
            context.bot,
            announcer.staff.telegram_id,
            rt.catalog.text(
                language,
                "vip.confirmed_announcer",
                visit=visit_id,
                name=caller.user.full_name,
                tasks=len(plan),
            ),
        )
    tick.nudge(context.application)


async def return_with_reason(update: Update, context: Context, answered: Answered) -> None:
    """The reply to ↩️ Return's question: the notice goes back to its announcer, with why."""
    rt, caller, staff_id, visit_id, reason = answered
    if not can_cross_check(caller.person):
        await reply(update, caller.t("vip.check_not_allowed"))
        return
    async with rt.sessions() as session:
        visit = await visits.return_notice(
            session, visit_id=visit_id, by=staff_id, reason=reason, now=rt.clock()
        )
        announcer = await org.view(session, visit.announced_by) if visit else None
    if visit is None:
        await reply(update, caller.t("vip.check_already"))
        return
    await reply(update, caller.t("vip.returned_done", visit=visit_id))
    if announcer and announcer.staff.telegram_id:
        language = language_for(rt, announcer)
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        rt.catalog.text(language, "vip.correct"),
                        callback_data=callbacks.encode(callbacks.CROSS_CHECK, "fix", visit_id),
                    )
                ]
            ]
        )
        text = rt.catalog.text(
            language,
            "vip.returned_announcer",
            visit=visit_id,
            name=caller.user.full_name,
            reason=reason,
        )
        await send_private(context.bot, announcer.staff.telegram_id, text, reply_markup=keyboard)
