"""Questions the bot asks with ForceReply — a return reason, a problem's description — and
the replies to them. ForceReply works under group privacy mode: the bot sees replies to its
own messages. Open questions are database rows, so an answer after a restart still lands.
"""

from __future__ import annotations

import html

from telegram import ForceReply, Message, Update, User

from bot.runtime import Runtime
from handlers.base import Context, identify, is_private, reply, runtime
from storage import visits

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
        text.replace(name, mention, 1),
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


async def prompt_reply(update: Update, context: Context) -> None:
    """A reply to one of the bot's questions: checked, then handed to whoever asked it."""
    # Imported here: those modules ask the questions, and import this one to do so.
    from handlers import tasks, vip
    from handlers import visits as visit_handlers

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
            caller = await identify(update, context)
            await reply(update, caller.t("vip.prompt_expired"))
        return
    caller = await identify(update, context)
    if prompt.telegram_user_id != caller.user.id:
        await reply(update, caller.t("vip.prompt_not_yours"))
        return
    text = " ".join((message.text or "").split())
    if not text or len(text) > MAX_ANSWER:
        await reply(update, caller.t("vip.prompt_bad_text"))
        return
    async with rt.sessions() as session:
        if prompt.id is None or not await visits.take_prompt(session, prompt_id=prompt.id):
            return  # a second answer to the same question: the first one counts
    if prompt.kind == "return_reason":
        await vip.return_with_reason(update, context, caller, prompt.ref_id, text)
    elif prompt.kind == "problem":
        await tasks.problem_described(update, context, caller, prompt.ref_id, text)
    elif prompt.kind == "arrival":
        await visit_handlers.arrival_answered(update, context, caller, prompt.ref_id, text)
