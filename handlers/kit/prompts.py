"""Questions the bot asks with ForceReply — a return reason, a problem's description — and
the replies to them. ForceReply works under group privacy mode: the bot sees replies to its
own messages. Open questions are database rows, so an answer after a restart still lands.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from telegram import ForceReply, Message, Update, User

from bot.runtime import Runtime
from handlers.kit.base import Caller, Context, identify, is_private, reply, runtime
from handlers.kit.outgoing import fit
from storage import visits


class Answered(NamedTuple):
    """A reply to one of the bot's questions, as whoever asked it reads it:
    `rt, caller, staff_id, ref_id, text = answered`. Rights are the asker's to check again
    (a role may have changed since the question was asked)."""

    rt: Runtime
    caller: Caller
    staff_id: int  # who answered: the person asked, still on the staff list
    ref_id: int  # what the question is about: a visit, a task, an evaluation
    text: str  # the reply on one line, at most MAX_ANSWER characters


# Whoever asked a kind of question takes its answer.
Answer = Callable[[Update, Context, Answered], Awaitable[None]]
# What is wrong with a typed answer, as the sentence to reply (None: nothing): (runtime,
# caller, text).
Check = Callable[[Runtime, Caller, str], str | None]


@dataclass(frozen=True)
class Question:
    """How a kind of question is answered. `check` runs before the question is taken, so a
    wrong answer (an unreadable time) changes nothing and leaves it open for a second try."""

    answer: Answer
    check: Check | None = None


MAX_ANSWER = 500


async def ask_for_reply(
    rt: Runtime,
    message: Message,
    *,
    text: str,
    placeholder: str,
    asked: User,
    kind: str,
    ref_id: int,
) -> None:
    """Ask `asked` a question under `message` and remember what the answer is for.

    In a group, ForceReply(selective) opens the reply box only for people the message
    mentions: the asked person's name in the text becomes a mention of them.
    """
    name = html.escape(asked.full_name, quote=False)
    mention = f'<a href="tg://user?id={asked.id}">{name}</a>'
    prompt = await message.reply_text(
        fit(text.replace(name, mention, 1)),
        reply_markup=ForceReply(selective=True, input_field_placeholder=placeholder[:64]),
        do_quote=False,
    )
    async with rt.sessions() as session:
        await visits.add_prompt(
            session,
            chat_id=prompt.chat_id,
            message_id=prompt.message_id,
            telegram_user_id=asked.id,
            kind=kind,
            ref_id=ref_id,
            now=rt.clock(),
        )


# A private reply to a bot message that is no open question may still be someone's: True
# when it was taken (a comment the /score conversation waits for, typed as a reply).
Unclaimed = Callable[[Update, Context], Awaitable[bool]]


def reply_handler(
    answers: Mapping[str, Question], *, unclaimed: Unclaimed | None = None
) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """The handler for replies to the bot's questions, given who takes each kind's answer
    (`bot.app` assembles the mapping, so this module imports none of the askers)."""

    async def prompt_reply(update: Update, context: Context) -> None:
        await _prompt_reply(update, context, answers, unclaimed)

    return prompt_reply


async def _prompt_reply(
    update: Update,
    context: Context,
    answers: Mapping[str, Question],
    unclaimed: Unclaimed | None,
) -> None:
    """A reply to one of the bot's questions: checked, then handed to whoever asked it."""
    rt = runtime(context)
    message = update.effective_message
    assert message is not None
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return
    async with rt.sessions() as session:
        prompt = await visits.find_prompt(
            session, chat_id=message.chat_id, message_id=replied.message_id
        )
    if prompt is None:
        if is_private(update):
            if unclaimed is not None and await unclaimed(update, context):
                return
            caller = await identify(update, context)
            await reply(update, caller.t("prompt.expired"))
        return
    caller = await identify(update, context)
    if prompt.telegram_user_id != caller.user.id:
        await reply(update, caller.t("prompt.not_yours"))
        return
    if caller.staff_id is None:
        # Asked while on the staff list, and taken off it since.
        await reply(update, caller.t("prompt.not_staff"))
        return
    text = " ".join((message.text or "").split())
    if not text or len(text) > MAX_ANSWER:
        await reply(update, caller.t("prompt.bad_text"))
        return
    question = answers.get(prompt.kind)
    wrong = question.check(rt, caller, text) if question and question.check else None
    if wrong is not None:
        await reply(update, wrong)
        return
    async with rt.sessions() as session:
        if prompt.id is None or not await visits.take_prompt(session, prompt_id=prompt.id):
            return  # a second answer to the same question: the first one counts
    if question is not None:
        await question.answer(
            update, context, Answered(rt, caller, caller.staff_id, prompt.ref_id, text)
        )
