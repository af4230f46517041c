"""Chats bound to departments: /bind and /unbind in a group or forum topic (admins), and
bindings that follow a group when Telegram migrates it to a supergroup."""

from __future__ import annotations

from telegram import Update

from bot.limits import one_line
from bot.org import (
    can_manage_bindings,
)
from handlers.kit.base import (
    Caller,
    Context,
    identify,
    is_private,
    reply,
    runtime,
    topic_of,
)
from handlers.kit.everyone import department_name
from storage import org

# --- /bind and /unbind ---------------------------------------------------------------------------


async def bind(update: Update, context: Context) -> None:
    """Binds the group or forum topic it is sent in to a department (admins only)."""
    rt = runtime(context)
    caller = await identify(update, context)
    message = update.effective_message
    assert message is not None
    if await _refused_here(update, caller):
        return
    async with rt.sessions() as session:
        departments = await org.list_departments(session)
        codes = ", ".join(d.code for d in departments)
        args = context.args or []
        if len(args) != 1:
            await reply(update, caller.t("bind.usage", codes=codes))
            return
        department = await org.get_department(session, args[0])
        if department is None:
            await reply(
                update,
                caller.t("bind.unknown_department", code=one_line(args[0], 40), codes=codes),
            )
            return
        thread_id = topic_of(message)
        previous = await org.bind_chat(
            session,
            department_code=department.code,
            chat_id=message.chat_id,
            thread_id=thread_id,
            chat_title=message.chat.title or "",
            bound_by=caller.user.id,
            now=rt.clock(),
        )
    name = department_name(caller, department)
    key = "bind.done_topic" if thread_id is not None else "bind.done"
    text = caller.t(key, department=name)
    if previous and (previous.chat_id, previous.thread_id) != (message.chat_id, thread_id):
        text += "\n" + caller.t("bind.moved", chat=previous.chat_title or str(previous.chat_id))
    await reply(update, text)


async def unbind(update: Update, context: Context) -> None:
    """Removes every department binding of the group or topic it is sent in (admins only)."""
    rt = runtime(context)
    caller = await identify(update, context)
    message = update.effective_message
    assert message is not None
    if await _refused_here(update, caller):
        return
    if context.args:  # it takes nothing: "/unbind hk" is not "unbind only hk"
        await reply(update, caller.t("unbind.usage"))
        return
    async with rt.sessions() as session:
        codes = await org.unbind_chat(
            session, chat_id=message.chat_id, thread_id=topic_of(message)
        )
        departments = [await org.get_department(session, code) for code in codes]
    if not codes:
        await reply(update, caller.t("unbind.nothing"))
        return
    names = ", ".join(department_name(caller, d) for d in departments)
    await reply(update, caller.t("unbind.done", departments=names))


async def _refused_here(update: Update, caller: Caller) -> bool:
    """/bind and /unbind work in a group, sent by an admin who can be told apart: else the
    one sentence why, and True."""
    message = update.effective_message
    assert message is not None
    if is_private(update):
        await reply(update, caller.t("bind.private"))
    elif message.sender_chat is not None:
        # An admin posting "anonymously" arrives as the group itself: we cannot tell who.
        await reply(update, caller.t("bind.anonymous"))
    elif not can_manage_bindings(caller.person):
        await reply(update, caller.t("bind.not_admin"))
    else:
        return False
    return True


async def chat_migrated(update: Update, context: Context) -> None:
    """A group became a supergroup (e.g. Topics turned on): its bindings follow the new id."""
    rt = runtime(context)
    message = update.effective_message
    assert message is not None
    if message.migrate_to_chat_id is None:
        return
    async with rt.sessions() as session:
        await org.move_bindings(
            session, old_chat_id=message.chat_id, new_chat_id=message.migrate_to_chat_id
        )
