"""Private text and /cancel for the conversations kept as rows (/vip, /register).

Where such a conversation stands is its row in storage.drafts, read on every update, never
process memory: after a restart, or when the next message reaches another instance, the
next answer simply continues it. Private text goes to the conversation whose draft the
person touched last; with no draft it goes on to the handlers after this one (the /score
conversation, then stray text). `bot.app` assembles the mapping of kinds to conversations,
so this module imports none of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from handlers.kit import everyone
from handlers.kit.base import Context, identify, reply, runtime
from storage import drafts
from storage.drafts import Draft

# A typed answer to a draft: True when handled, False when the draft moved under it (another
# update, perhaps on another instance, got there first) and nothing was said yet: it is read
# again and the answer handed over once more.
Answer = Callable[[Update, Context, Draft], Awaitable[bool]]
Cancel = Callable[[Update, Context, Draft], Awaitable[None]]

ATTEMPTS = 3


@dataclass(frozen=True)
class Conversation:
    answer: Answer
    cancel: Cancel


Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


def text_handler(conversations: Mapping[str, Conversation]) -> Handler:
    """Private text, for the conversation waiting for it (see the module's docstring)."""

    async def draft_text(update: Update, context: Context) -> None:
        rt = runtime(context)
        user = update.effective_user
        assert user is not None
        for _ in range(ATTEMPTS):
            async with rt.sessions() as session:
                draft = await drafts.latest_draft(session, telegram_id=user.id, now=rt.clock())
            conversation = conversations.get(draft.kind) if draft is not None else None
            if draft is None or conversation is None:
                return  # not ours: the handlers in the next group take it
            if await conversation.answer(update, context, draft):
                raise ApplicationHandlerStop
        caller = await identify(update, context)
        await reply(update, caller.t("common.messages_crossed"))
        raise ApplicationHandlerStop

    return draft_text


def cancel_handler(conversations: Mapping[str, Conversation]) -> Handler:
    """/cancel: the conversation in progress stops and nothing of it is kept."""

    async def cancel(update: Update, context: Context) -> None:
        rt = runtime(context)
        user = update.effective_user
        assert user is not None
        async with rt.sessions() as session:
            draft = await drafts.latest_draft(session, telegram_id=user.id, now=rt.clock())
            if draft is not None:
                await drafts.drop_draft(session, telegram_id=user.id, kind=draft.kind)
        conversation = conversations.get(draft.kind) if draft is not None else None
        if draft is None or conversation is None:
            await everyone.unknown_command(update, context)
            return
        await conversation.cancel(update, context, draft)

    return cancel
