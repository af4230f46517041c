"""Typed text in the /score conversation (handlers.evaluation.scoring): the comment a draft
waits for, typed or sent as a reply, then the draft's next step; at a step that waits for a
button, a pointer to the buttons.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import Update

from bot import hearts
from handlers.evaluation.scoring_screens import load_draft, refusal, step_screen
from handlers.kit import everyone
from handlers.kit.base import Context, identify, reply, runtime
from storage import hearts as store

MAX_COMMENT = 500
COMMENT_WAITS = timedelta(hours=12)  # how long typed text still answers a comment question


async def score_text(update: Update, context: Context) -> None:
    """Private text: the comment a draft waits for (then its next step); at a button step,
    a pointer to the buttons; anything else is stray text."""
    if not await take_typed_text(update, context):
        await everyone.stray_text(update, context)


async def comment_as_reply(update: Update, context: Context) -> bool:
    """A comment sent as a Telegram reply (to the question, or to any message of the bot):
    taken when a draft waits for one. False leaves the reply to whoever else may want it."""
    return await take_typed_text(update, context, replying=True)


async def take_typed_text(update: Update, context: Context, *, replying: bool = False) -> bool:
    """True when the text belonged to the scoring conversation and was answered. With
    `replying`, only a comment that a draft waits for counts."""
    rt = runtime(context)
    caller = await identify(update, context)
    message = update.effective_message
    staff_id = caller.staff_id
    if staff_id is None or message is None or message.text is None:
        return False
    async with rt.sessions() as session:
        latest = await store.latest_editable(session, staff_id)
    draft = await load_draft(rt, latest.id or 0) if latest is not None else None
    # A draft its period no longer lets anyone change does not hold on to the chat's text.
    if draft is None or refusal(draft.evaluation, draft.period, staff_id) is not None:
        return False
    rules = draft.rules
    step = hearts.parse_step(draft.evaluation.step, rules)
    # The draft the evaluator touched last waits for a comment; but a question left open
    # overnight (Save draft at a comment) does not swallow whatever they type days later:
    # /score asks it again.
    fresh = rt.clock() - draft.evaluation.updated_at <= COMMENT_WAITS
    if step is None or not step.wants_text or not fresh:
        if replying:
            return False
        await reply(update, caller.t("score.use_buttons"))
        return True
    comment = message.text.strip()
    if not 1 <= len(comment) <= MAX_COMMENT:
        await reply(update, caller.t("score.comment_length", max=MAX_COMMENT))
        return True
    heart = rules.hearts[step.index] if step.kind == "c" and step.index is not None else None
    comments = {**draft.item.comments, heart: comment} if heart else draft.item.comments
    overall_done = heart is None or draft.evaluation.overall_done
    following = hearts.next_step(draft.item.scores, comments, rules, overall_done=overall_done)
    async with rt.sessions() as session:
        saved = await store.record_comment(
            session,
            draft.item.id,
            expected_step=draft.evaluation.step,
            heart=heart,
            comment=comment,
            next_step=following,
            now=rt.clock(),
        )
    moved = await load_draft(rt, draft.item.id) if saved else None
    if moved is None:
        await reply(update, caller.t("score.moved_on"))
        return True
    text, markup = step_screen(caller, moved, note=caller.t("score.comment_saved"))
    await reply(update, text, reply_markup=markup)
    return True
