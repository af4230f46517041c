"""/vip: a manager announces a VIP in a private chat; the duty manager or CS cross-checks it.

The notice is asked field by field, or pasted whole as `Field: value` lines. Where it
stands is its row in storage.drafts (`step`: the stage of bot.notice, the answers so far),
read on every update: after a restart, or on another instance, the next answer continues.
A draft untouched for a day is abandoned.

```mermaid
stateDiagram-v2
    [*] --> ASK: /vip
    [*] --> SUMMARY: /vip + pasted lines (all valid)
    [*] --> OFFER: /vip with a draft in progress
    OFFER --> ASK: ▶️ Continue (where it stood) / 🆕 Start afresh
    ASK --> ASK: an answer (valid → next field; wrong → the reason, asked again)
    ASK --> SUMMARY: last field answered
    SUMMARY --> PICK: ✏️ Edit a field
    PICK --> EDIT: a field button
    EDIT --> SUMMARY: a valid answer
    SUMMARY --> [*]: ✅ Send for cross-check / ✖️ Cancel
    ASK --> [*]: /cancel
```

Sent notices go to the cross-check (handlers.reception.cross_check); a returned one comes
back to its announcer, who can correct it (✏️ Correct) and send it again.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.notice import (
    ASK,
    EDIT,
    FIELDS,
    GUEST_OR_COMPANY,
    OPTIONAL,
    PICK,
    SUMMARY,
    FieldError,
    Notice,
    Stage,
    answer_field,
    notice_from_json,
    notice_to_json,
    parse_pasted,
    parse_stage,
)
from bot.org import can_announce_vip
from bot.runtime import Runtime
from bot.states import VisitStatus
from bot.when import format_local
from handlers.kit import callbacks
from handlers.kit.base import (
    Caller,
    Context,
    identify,
    is_private,
    pressed,
    replace_buttons,
    reply,
    runtime,
)
from handlers.kit.conversations import Conversation
from handlers.reception.cross_check import (
    error_text,
    notice_text,
    send_for_cross_check,
)
from storage import drafts, visits
from storage.drafts import Draft
from storage.models import DRAFT_VIP

log = logging.getLogger(__name__)


# --- The conversation ----------------------------------------------------------------------------


async def _live(rt: Runtime, telegram_id: int) -> Draft | None:
    async with rt.sessions() as session:
        return await drafts.live_draft(
            session, telegram_id=telegram_id, kind=DRAFT_VIP, now=rt.clock()
        )


async def _start(
    rt: Runtime, telegram_id: int, stage: Stage, notice: Notice, visit_id: int | None
) -> Draft:
    async with rt.sessions() as session:
        return await drafts.start_draft(
            session,
            telegram_id=telegram_id,
            kind=DRAFT_VIP,
            step=stage.encode(),
            answers=_answers(notice, visit_id),
            now=rt.clock(),
        )


async def _move(rt: Runtime, draft: Draft, stage: Stage, notice: Notice) -> Draft | None:
    async with rt.sessions() as session:
        return await drafts.move_draft(
            session,
            draft=draft,
            step=stage.encode(),
            answers=_answers(notice, _visit_of(draft)),
            now=rt.clock(),
        )


def _answers(notice: Notice, visit_id: int | None) -> dict[str, Any]:
    return {"notice": notice_to_json(notice), "visit_id": visit_id}


def _notice_of(draft: Draft) -> Notice:
    return notice_from_json(draft.answers.get("notice") or {})


def _visit_of(draft: Draft) -> int | None:
    visit_id = draft.answers.get("visit_id")
    return visit_id if isinstance(visit_id, int) else None


async def vip_start(update: Update, context: Context) -> None:
    """Starts a notice: asks the first field, reads a pasted notice whole, or, with a draft
    in progress, shows where it stands and offers to continue it or start afresh."""
    rt = runtime(context)
    caller = await identify(update, context)
    if not is_private(update):
        await reply(update, caller.t("common.private_only", bot=context.bot.username))
        return
    if not can_announce_vip(caller.person):
        await reply(update, caller.t("vip.not_allowed"))
        return
    message = update.effective_message
    assert message is not None
    # Anything after "/vip" is a pasted notice; "/vip" alone starts the questions.
    text = message.text or ""
    body = re.sub(r"^/vip(@\w+)?", "", text, count=1)
    if body.strip():
        # Lines are numbered as the manager sees their message, "/vip" being line 1.
        first_line = text.count("\n", 0, len(text) - len(body.lstrip("\n ")))
        await _read_pasted(update, context, caller, body.lstrip("\n "), first_line)
        return
    draft = await _live(rt, caller.user.id)
    if draft is not None and parse_stage(draft.step) is not None:
        await _offer_resume(update, context, caller, draft)
        return
    await _start(rt, caller.user.id, Stage(ASK, FIELDS[0]), Notice(), None)
    await reply(update, caller.t("vip.intro"))
    await _ask(update, caller, FIELDS[0])


async def _offer_resume(update: Update, context: Context, caller: Caller, draft: Draft) -> None:
    """The notice in progress as it stands, what it waits for, Continue / Start afresh."""
    rt = runtime(context)
    stage = parse_stage(draft.step)
    assert stage is not None
    if stage.wants_text and stage.field is not None:
        where = caller.t("vip.resume_at_field", field=caller.t(f"notice.label.{stage.field}"))
    else:
        where = caller.t("vip.resume_at_summary")
    visit_id = _visit_of(draft)
    lines = [
        caller.t(
            "vip.resume_offer_correction" if visit_id else "vip.resume_offer",
            when=format_local(draft.updated_at, rt.settings.zone),
            visit=visit_id or 0,
        ),
        "",
        notice_text(rt.catalog, caller.language, rt, _notice_of(draft)),
        "",
        where,
    ]
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    caller.t("vip.resume"),
                    callback_data=callbacks.encode(callbacks.NOTICE, "resume"),
                ),
                InlineKeyboardButton(
                    caller.t("vip.afresh"),
                    callback_data=callbacks.encode(callbacks.NOTICE, "afresh"),
                ),
            ]
        ]
    )
    await reply(update, "\n".join(lines), reply_markup=keyboard)


async def _read_pasted(
    update: Update, context: Context, caller: Caller, body: str, lines_before: int
) -> None:
    rt = runtime(context)
    notice, errors = parse_pasted(body, now=rt.clock(), zone=rt.settings.zone)
    if errors:
        # Nothing is saved, and a draft in progress stays as it was.
        lines = [caller.t("vip.pasted_errors")]
        for error in errors:
            reason = error_text(caller.t, error.error)
            field = caller.t(f"notice.label.{error.field_name}") if error.field_name else ""
            if error.line:
                lines.append(
                    caller.t(
                        "vip.pasted_line",
                        line=error.line + lines_before,
                        field=field or "—",
                        reason=reason,
                    )
                )
            else:
                lines.append(caller.t("vip.pasted_missing", field=field))
        lines.append(caller.t("vip.pasted_fields"))
        await reply(update, "\n".join(lines))
        return
    await _start(rt, caller.user.id, Stage(SUMMARY), notice, None)
    await _show_summary(update, context, caller, notice)


async def _ask(update: Update, caller: Caller, name: str) -> None:
    hint = caller.t("vip.skip_hint") if name in OPTIONAL or name in ("guest", "company") else ""
    await reply(update, caller.t(f"notice.ask.{name}") + (f"\n{hint}" if hint else ""))


async def vip_answer(update: Update, context: Context, draft: Draft) -> bool:
    """Typed text while a notice is in progress: saved if valid (then the next field, or the
    summary after the last one or an edit), else the reason and the same question again;
    at the summary, a pointer to its buttons. False when the draft moved meanwhile."""
    rt = runtime(context)
    caller = await identify(update, context)
    message = update.effective_message
    assert message is not None
    stage = parse_stage(draft.step)
    if stage is None:
        await reply(update, caller.t("vip.expired"))
        return True
    if not stage.wants_text or stage.field is None:
        await reply(update, caller.t("vip.use_buttons"))
        return True
    outcome = answer_field(
        _notice_of(draft), stage, message.text or "", now=rt.clock(), zone=rt.settings.zone
    )
    if isinstance(outcome, FieldError):
        text = error_text(caller.t, outcome)
        if outcome.key != GUEST_OR_COMPANY:  # that one asks for the company itself
            text += "\n" + caller.t(f"notice.ask.{stage.field}")
        await reply(update, text)
        return True
    notice, following = outcome
    if await _move(rt, draft, following, notice) is None:
        return False
    if following.field is not None:
        await _ask(update, caller, following.field)
    else:
        await _show_summary(update, context, caller, notice)
    return True


async def _show_summary(update: Update, context: Context, caller: Caller, notice: Notice) -> None:
    rt = runtime(context)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    caller.t("vip.send"), callback_data=callbacks.encode(callbacks.NOTICE, "send")
                )
            ],
            [
                InlineKeyboardButton(
                    caller.t("vip.edit"), callback_data=callbacks.encode(callbacks.NOTICE, "edit")
                ),
                InlineKeyboardButton(
                    caller.t("vip.cancel"),
                    callback_data=callbacks.encode(callbacks.NOTICE, "cancel"),
                ),
            ],
        ]
    )
    text = caller.t("vip.summary") + "\n\n" + notice_text(rt.catalog, caller.language, rt, notice)
    await reply(update, text, reply_markup=keyboard)


async def vip_summary_button(update: Update, context: Context) -> None:
    """Send for cross-check, edit a field, or cancel; Continue / Start afresh after /vip."""
    rt, query, caller, data = await pressed(update, context)
    if not is_private(update):
        # A notice is private until confirmed: its conversation never answers in a group.
        await query.answer(caller.toast("common.stale_button"))
        return
    draft = await _live(rt, caller.user.id)
    stage = parse_stage(draft.step) if draft is not None else None
    if data is not None and data.action == "afresh" and can_announce_vip(caller.person):
        await query.answer()
        await replace_buttons(update, None)
        await _start(rt, caller.user.id, Stage(ASK, FIELDS[0]), Notice(), None)
        await reply(update, caller.t("vip.intro"))
        await _ask(update, caller, FIELDS[0])
        return
    if data is None or draft is None or stage is None:
        await query.answer(caller.toast("common.stale_button"))
        return
    notice = _notice_of(draft)
    if data.action == "resume":
        await query.answer()
        await replace_buttons(update, None)
        if stage.wants_text and stage.field is not None:
            await _ask(update, caller, stage.field)
            return
        if stage.kind == PICK and await _move(rt, draft, Stage(SUMMARY), notice) is None:
            return
        await _show_summary(update, context, caller, notice)
        return
    if stage.kind not in (SUMMARY, PICK):
        # A summary's button while a field is being asked: an older message.
        await query.answer(caller.toast("common.stale_button"))
        return
    if data.action == "cancel":
        await query.answer()
        async with rt.sessions() as session:
            await drafts.drop_draft(session, telegram_id=caller.user.id, kind=DRAFT_VIP)
        await replace_buttons(update, None)
        await reply(update, caller.t("vip.cancelled"))
        return
    if data.action == "edit":
        if await _move(rt, draft, Stage(PICK), notice) is None:
            await query.answer(caller.toast("common.stale_button"))
            return
        await query.answer()
        buttons = [
            InlineKeyboardButton(
                caller.t(f"notice.label.{name}"),
                callback_data=callbacks.encode(callbacks.NOTICE, "field", name),
            )
            for name in FIELDS
        ]
        rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
        await replace_buttons(update, InlineKeyboardMarkup(rows))
        return
    if data.action == "field" and data.args and data.args[0] in FIELDS:
        if await _move(rt, draft, Stage(EDIT, data.args[0]), notice) is None:
            await query.answer(caller.toast("common.stale_button"))
            return
        await query.answer()
        await replace_buttons(update, None)
        await _ask(update, caller, data.args[0])
        return
    if data.action != "send":
        await query.answer(caller.toast("common.stale_button"))
        return
    missing = notice.missing()
    if missing:
        await query.answer(
            caller.toast(
                "vip.incomplete", fields=", ".join(caller.t(f"notice.label.{m}") for m in missing)
            ),
            show_alert=True,
        )
        return
    # Re-read the arrival against the clock: a summary left open for an hour may be stale.
    assert notice.arrival is not None
    if notice.arrival <= rt.clock():
        await query.answer(caller.toast("vip.arrival_passed"), show_alert=True)
        return
    assert caller.staff_id is not None
    visit_id = _visit_of(draft)
    async with rt.sessions() as session:
        # Taking the draft first: of two presses at once (two instances), one sends.
        taken = await drafts.end_draft(session, draft=draft)
    if not taken:
        await query.answer(caller.toast("common.stale_button"))
        return
    await query.answer()
    await replace_buttons(update, None)
    async with rt.sessions() as session:
        if visit_id:
            visit = await visits.resubmit_notice(
                session, visit_id=visit_id, notice=notice, by=caller.staff_id, now=rt.clock()
            )
        else:
            visit = await visits.submit_notice(
                session, notice=notice, announced_by=caller.staff_id, now=rt.clock()
            )
    if visit is None:
        await reply(update, caller.t("vip.resubmit_refused"))
        return
    reached = await send_for_cross_check(context, visit, announcer=caller)
    key = "vip.sent" if reached else "vip.sent_nobody"
    await reply(update, caller.t(key, visit=visit.id))


async def vip_cancel(update: Update, context: Context, draft: Draft) -> None:  # noqa: ARG001
    """/cancel: nothing of the notice is kept."""
    caller = await identify(update, context)
    await reply(update, caller.t("vip.cancelled"))


async def vip_correct(update: Update, context: Context) -> None:
    """✏️ Correct on a returned notice: its announcer gets the summary to edit and resend."""
    rt, query, caller, data = await pressed(update, context)
    visit_id = data.int_arg(0) if data else None
    async with rt.sessions() as session:
        visit = await visits.get_visit(session, visit_id) if visit_id else None
    if (
        visit is None
        or visit.status != VisitStatus.RETURNED
        or visit.announced_by != caller.staff_id
    ):
        await query.answer(caller.toast("common.stale_button"))
        return
    await query.answer()
    notice = visits.notice_of(visit)
    await _start(rt, caller.user.id, Stage(SUMMARY), notice, visit.id)
    await _show_summary(update, context, caller, notice)


CONVERSATION = Conversation(answer=vip_answer, cancel=vip_cancel)
