"""/register with approval: a short private conversation, kept as a row (storage.drafts)
like /vip's, so a name typed before a restart is still there after it:

```mermaid
stateDiagram-v2
    [*] --> NAME: /register
    NAME --> NAME: invalid name (the reason, asked again)
    NAME --> DEPARTMENT: a valid name
    DEPARTMENT --> [*]: department button (request sent to admins and the head)
    NAME --> [*]: /cancel
    DEPARTMENT --> [*]: /cancel
```
"""

from __future__ import annotations

import functools
import logging

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.org import (
    can_decide_registration,
)
from bot.runtime import Runtime
from handlers.kit import callbacks, sending
from handlers.kit.base import (
    Context,
    greet,
    identify,
    is_private,
    language_for,
    person_of,
    pressed,
    pressed_message,
    replace_buttons,
    reply,
    runtime,
    send_private,
)
from handlers.kit.conversations import Conversation
from handlers.kit.everyone import department_name, help_text
from handlers.kit.outgoing import fit
from handlers.kit.sending import Outcome
from storage import drafts, org
from storage.drafts import Draft
from storage.models import DRAFT_REGISTER, STATUS_ACTIVE, STATUS_INACTIVE, Staff

log = logging.getLogger(__name__)


# --- /register -----------------------------------------------------------------------------------

STEP_NAME = "name"
STEP_DEPARTMENT = "department"


async def register_start(update: Update, context: Context) -> None:
    """Asks for the person's name, unless they are already staff (again = start over)."""
    rt = runtime(context)
    user = update.effective_user
    assert user is not None
    if not is_private(update):
        caller = await identify(update, context)
        await reply(update, caller.t("register.group", bot=context.bot.username))
        return
    staff = await greet(update, context)
    async with rt.sessions() as session:
        department = (
            await org.get_department(session, staff.department_code)
            if staff.department_code
            else None
        )
    caller = await identify(update, context)
    if staff.status == STATUS_ACTIVE:
        await reply(
            update,
            caller.t("register.already_active", department=department_name(caller, department)),
        )
        return
    if staff.status == STATUS_INACTIVE:
        await reply(update, caller.t("register.inactive"))
        return
    async with rt.sessions() as session:
        await drafts.start_draft(
            session,
            telegram_id=user.id,
            kind=DRAFT_REGISTER,
            step=STEP_NAME,
            answers={},
            now=rt.clock(),
        )
    await reply(update, caller.t("register.ask_name"))


async def register_answer(update: Update, context: Context, draft: Draft) -> bool:
    """Typed text during /register: the name (checked, then the departments as buttons), or,
    where a department button is expected, a pointer to them. False when the draft moved."""
    rt = runtime(context)
    caller = await identify(update, context)
    message = update.effective_message
    assert message is not None
    if draft.step != STEP_NAME:
        await reply(update, caller.t("register.tap_department"))
        return True
    name = " ".join((message.text or "").split())
    if not name or len(name) > 64 or name.startswith("/"):
        await reply(update, caller.t("register.bad_name"))
        return True
    async with rt.sessions() as session:
        moved = await drafts.move_draft(
            session, draft=draft, step=STEP_DEPARTMENT, answers={"name": name}, now=rt.clock()
        )
        departments = await org.list_departments(session)
    if moved is None:
        return False
    buttons = [
        InlineKeyboardButton(
            department_name(caller, d),
            callback_data=callbacks.encode(callbacks.REGISTER, "dept", d.code),
        )
        for d in departments
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    await reply(
        update,
        caller.t("register.ask_department", name=name),
        reply_markup=InlineKeyboardMarkup(rows),
    )
    return True


async def register_department(update: Update, context: Context) -> None:
    """Saves the request and sends it, with Approve / Reject, to admins and the head."""
    rt, query, caller, data = await pressed(update, context)
    code = data.args[0] if data and data.args else ""
    async with rt.sessions() as session:
        draft = await drafts.live_draft(
            session, telegram_id=caller.user.id, kind=DRAFT_REGISTER, now=rt.clock()
        )
        name = draft.answers.get("name") if draft and draft.step == STEP_DEPARTMENT else None
        department = await org.get_department(session, code)
        if (
            draft is None
            or department is None
            or not isinstance(name, str)
            or caller.staff_id is None
            or not is_private(update)
        ):
            await query.answer(caller.toast("common.stale_button"))
            return
        # Taking the draft first: of two presses at once (two instances), one sends.
        if not await drafts.end_draft(session, draft=draft):
            await query.answer(caller.toast("common.stale_button"))
            return
        staff = await org.request_registration(
            session,
            staff_id=caller.staff_id,
            name=name,
            department_code=department.code,
            now=rt.clock(),
        )
        if staff is None:
            await query.answer(caller.toast("common.stale_button"))
            return
        if caller.person.is_admin:
            # An administrator has nobody above them to ask: their own request is granted.
            await org.decide_registration(
                session,
                staff_id=caller.staff_id,
                department_code=department.code,
                approve=True,
                now=rt.clock(),
            )
            await sending.quietly(query.answer(), "registration answer")
            dept_name = department_name(caller, department)
            await sending.quietly(
                query.edit_message_text(fit(caller.t("register.chosen", department=dept_name))),
                "registration message",
            )
            await reply(update, caller.t("register.self_approved", department=dept_name))
            return
        approvers = await _approvers(session, rt.settings.admin_user_ids, department.code)
        approver_views = {tid: await org.view_by_telegram_id(session, tid) for tid in approvers}
    await sending.quietly(query.answer(), "registration answer")
    dept_name = department_name(caller, department)
    await sending.quietly(
        query.edit_message_text(fit(caller.t("register.chosen", department=dept_name))),
        "registration message",
    )
    reached = 0
    for telegram_id in approvers:
        if telegram_id == caller.user.id:
            continue
        language = language_for(rt, approver_views[telegram_id])
        text = rt.catalog.text(
            language,
            "register.request",
            name=name,
            username=f"@{caller.user.username}" if caller.user.username else "—",
            telegram_id=str(caller.user.id),
            department=department.name_in(language),
        )
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        rt.catalog.text(language, "register.approve"),
                        callback_data=callbacks.encode(
                            callbacks.REGISTER, "ok", staff.id, department.code
                        ),
                    ),
                    InlineKeyboardButton(
                        rt.catalog.text(language, "register.reject"),
                        callback_data=callbacks.encode(
                            callbacks.REGISTER, "no", staff.id, department.code
                        ),
                    ),
                ]
            ]
        )
        found = await sending.with_retries(
            functools.partial(
                context.bot.send_message, telegram_id, fit(text), reply_markup=keyboard
            )
        )
        if found.outcome in (Outcome.SENT, Outcome.MAYBE):
            reached += 1  # a maybe may well have arrived: it is not sent twice
        else:
            # An approver who never opened a chat with the bot cannot be written to first.
            log.warning("registration request not delivered to %s: %s", telegram_id, found.reason)
    key = "register.sent" if reached else "register.no_approver"
    await reply(update, caller.t(key, name=name, department=dept_name))


async def _approvers(
    session: AsyncSession, configured: frozenset[int], department: str
) -> list[int]:
    """Who may decide a request to this department: admins, then its heads."""
    admins = await org.admin_telegram_ids(session, configured)
    heads = [h.telegram_id for h in await org.heads_of(session, department) if h.telegram_id]
    return list(dict.fromkeys([*admins, *heads]))


async def register_cancel(update: Update, context: Context, draft: Draft) -> None:  # noqa: ARG001
    """/cancel: registration stops without saving anything."""
    caller = await identify(update, context)
    await reply(update, caller.t("register.cancelled"))


REGISTRATION = Conversation(answer=register_answer, cancel=register_cancel)


async def registration_decided(update: Update, context: Context) -> None:
    """Approve / Reject on a registration request: by an admin or that department's head."""
    rt, query, caller, data = await pressed(update, context)
    staff_id = data.int_arg(0) if data else None
    if data is None or data.action not in ("ok", "no") or staff_id is None:
        await query.answer(caller.toast("common.stale_button"))
        return
    async with rt.sessions() as session:
        applicant = await org.get_staff(session, staff_id)
        if applicant is None:
            await query.answer(caller.toast("common.stale_button"))
            return
        department = (
            await org.get_department(session, applicant.department_code)
            if applicant.department_code
            else None
        )
        if not can_decide_registration(caller.person, applicant.department_code):
            await query.answer(
                caller.toast(
                    "register.not_allowed", department=department_name(caller, department)
                )
            )
            return
        requested = data.args[1] if len(data.args) > 1 else ""
        decided = await org.decide_registration(
            session,
            staff_id=staff_id,
            department_code=requested,
            approve=data.action == "ok",
            now=rt.clock(),
        )
    if decided is None:
        # Another approver was quicker; show this copy the outcome instead of live buttons.
        await query.answer(caller.toast("register.already_decided"))
        await replace_buttons(update, None)
        return
    approved = decided.status == STATUS_ACTIVE
    await query.answer()
    outcome_key = "register.approved_by" if approved else "register.rejected_by"
    request = pressed_message(update)
    original = request.text_html if request and request.text else ""
    await query.edit_message_text(
        f"{original}\n\n{caller.t(outcome_key, approver=caller.user.full_name)}"
    )
    await tell_applicant(context.bot, rt, decided, approver=caller.user.full_name)


async def tell_applicant(bot: Bot, rt: Runtime, decided: Staff, *, approver: str) -> None:
    """The applicant hears the decision in private, with what they can now do."""
    if decided.telegram_id is None or decided.id is None:
        return
    async with rt.sessions() as session:
        view = await org.view(session, decided.id)
        department = (
            await org.get_department(session, decided.department_code)
            if decided.department_code
            else None
        )
    language = language_for(rt, view)
    dept = "—"
    if department is not None:
        dept = department.name_in(language)
    if decided.status == STATUS_ACTIVE:
        text = rt.catalog.text(language, "register.welcome", approver=approver, department=dept)
        person = person_of(rt, decided.telegram_id, view)
        text += "\n\n" + help_text(rt.catalog, language, person)
    else:
        text = rt.catalog.text(language, "register.rejected", department=dept)
    await send_private(bot, decided.telegram_id, text)
