"""The live status card: one message per visit in the CS chat, pinned, edited in place.

Changes only mark the visit dirty; the tick redraws a dirty card at most once per window
(CARD_WINDOW_SECONDS on the bot's clock), so a burst of thirty check-offs is one edit, and
a group stays inside Telegram's twenty edits a minute.
"""

from __future__ import annotations

import html
import logging
from datetime import datetime, timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.reception import task_mark
from bot.runtime import Runtime
from bot.states import TaskStatus, VisitStatus
from bot.when import format_local
from handlers.kit import callbacks, sending
from handlers.kit.outgoing import fit
from handlers.kit.sending import Outcome
from storage import org, visits
from storage.models import ChatBinding, Visit

log = logging.getLogger(__name__)

# How long a drawer holds a card's first post: far longer than one sendMessage may take
# (PTB gives up on a request after seconds), short enough that a claim left by an instance
# that died while posting lapses within a minute.
CARD_POST_LEASE = timedelta(seconds=60)


async def card_text(rt: Runtime, visit: Visit, *, now: datetime) -> str:
    """Every task with ✅ / ⏳ / ⚠️ / 🔺, who and when, and the party, vehicles and rooms."""
    language = rt.settings.default_language
    t = rt.catalog.text
    zone = rt.settings.zone
    async with rt.sessions() as session:
        tasks = await visits.tasks_of(session, visit.id or 0)
        problems = await visits.problems_of(session, visit.id or 0, open_only=True)
        names = await org.names_by_id(
            session, [x for task in tasks for x in (task.claimed_by, task.done_by)]
        )
        counts = {task.id: 0 for task in tasks}
        for problem in problems:
            counts[problem.task_id] = counts.get(problem.task_id, 0) + 1
        item_progress = {}
        for task in tasks:
            items = await visits.items_of(session, task.id or 0)
            if items:
                item_progress[task.id] = (sum(1 for i in items if i.done_at), len(items))
    guest = " · ".join(p for p in (visit.guest, visit.company, visit.group_name) if p)
    parking = next((task for task in tasks if task.key == "parking"), None)
    if parking is None:
        parking_text = t(language, "card.parking_none")
    elif parking.status == TaskStatus.DONE:
        parking_text = t(language, "card.parking_done", name=names.get(parking.done_by or 0, "?"))
    else:
        parking_text = t(language, "card.parking_pending")
    lines = [
        t(language, "card.title", visit=visit.id, guest=guest),
        t(
            language,
            "card.arrival",
            arrival=format_local(visit.arrival_at, zone),
            status=t(language, f"card.status.{visit.status}"),
        ),
        t(
            language,
            "card.party",
            party=visit.party_size,
            vehicles=visit.vehicles,
            parking=parking_text,
        ),
        t(language, "card.rooms", rooms=visit.rooms or t(language, "notice.none")),
        "",
    ]
    for task in tasks:
        mark = task_mark(
            done=task.status == TaskStatus.DONE,
            open_problems=counts.get(task.id, 0),
            escalated_level=task.escalated_level,
            remind_at=task.remind_at,
            due_at=task.due_at,
            now=now,
        )
        if task.status == "cancelled":
            mark = "✖️"
        when = task.remind_at.astimezone(zone).strftime("%H:%M") if task.remind_at else "—"
        title = task.title_in(language)
        line = f"{mark} {when} {html.escape(title)}"
        if task.id in item_progress:
            done, total = item_progress[task.id]
            line += f" ({done}/{total})"
        if task.status == TaskStatus.DONE:
            done_at = task.done_at.astimezone(zone).strftime("%H:%M") if task.done_at else ""
            line += " — " + html.escape(f"{names.get(task.done_by or 0, '?')} {done_at}")
        elif task.claimed_by:
            line += " — " + html.escape(
                t(language, "card.claimed", name=names.get(task.claimed_by, "?"))
            )
        lines.append(line)
    if problems:
        lines.append("")
        lines.append(t(language, "card.problems", count=len(problems)))
        for problem in problems[:5]:
            lines.append("⚠️ " + html.escape(problem.text[:120]))
    lines.append("")
    lines.append(t(language, "card.updated", at=now.astimezone(zone).strftime("%H:%M")))
    return "\n".join(lines)


def card_keyboard(rt: Runtime, visit: Visit) -> InlineKeyboardMarkup | None:
    """🕒 to move the arrival, while the visit is confirmed; nothing once it is not."""
    if visit.status != VisitStatus.CONFIRMED:
        return None
    label = rt.catalog.text(rt.settings.default_language, "card.change_arrival")
    data = callbacks.encode(callbacks.CARD, "arr", visit.id)
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])


async def draw_changed_cards(bot: Bot, rt: Runtime) -> None:
    """Redraw (or first post and pin) every card that changed and is outside its window.

    Any number of instances may draw at once: a card's first post is claimed on its visit
    row, so one card is posted and pinned per visit. Redraws need no claim (an edit can be
    repeated; the second says "not modified")."""
    now = rt.clock()
    window = timedelta(seconds=rt.settings.card_window_seconds)
    async with rt.sessions() as session:
        dirty = await visits.cards_to_draw(session, now=now, quiet_since=now - window)
        binding = await org.get_binding(session, "cs")
    for visit in dirty:
        assert visit.id is not None
        seen = visit.card_seq
        if visit.card_message_id is None:
            if binding is None:
                # No CS chat yet: nothing to draw on. Binding one later shows the card.
                async with rt.sessions() as session:
                    await visits.card_drawn(session, visit_id=visit.id, now=now, seq_seen=seen)
                continue
            await _post_card(bot, rt, visit, binding, now=now)
            continue
        text = await card_text(rt, visit, now=now)
        edited = await sending.attempt(
            bot.edit_message_text(
                fit(text),
                chat_id=visit.card_chat_id,
                message_id=visit.card_message_id,
                reply_markup=card_keyboard(rt, visit),
            )
        )
        if edited.outcome is Outcome.REFUSED and "not found" in edited.reason:
            # Someone deleted the card: post a new one on the next round.
            async with rt.sessions() as session:
                await visits.forget_card(session, visit_id=visit.id)
            continue
        if edited.outcome in (Outcome.NOT_YET, Outcome.MAYBE):
            # Still dirty: the next round edits again (an edit can be repeated safely).
            log.warning("status card of visit %s not redrawn yet: %s", visit.id, edited.reason)
            continue
        if edited.outcome is Outcome.REFUSED and not sending.not_modified(edited.reason):
            log.warning("status card of visit %s refused: %s", visit.id, edited.reason)
        async with rt.sessions() as session:
            await visits.card_drawn(session, visit_id=visit.id, now=now, seq_seen=seen)


async def _post_card(
    bot: Bot, rt: Runtime, visit: Visit, binding: ChatBinding, *, now: datetime
) -> None:
    """Post and pin a visit's first card, if this drawer wins its claim."""
    assert visit.id is not None
    async with rt.sessions() as session:
        if not await visits.claim_card_post(
            session, visit_id=visit.id, now=now, lease=CARD_POST_LEASE
        ):
            return  # Another instance is posting it (or has).
    seen = visit.card_seq
    posted = await sending.attempt(
        bot.send_message(
            binding.chat_id,
            fit(await card_text(rt, visit, now=now)),
            message_thread_id=binding.thread_id,
            reply_markup=card_keyboard(rt, visit),
        )
    )
    message = posted.message
    if message is None:
        # Not yet: the next round tries again. Maybe posted (no answer came): without its
        # id it cannot be edited, so the next round posts afresh.
        log.warning("status card of visit %s: %s", visit.id, posted.reason)
        async with rt.sessions() as session:
            await visits.release_card_claim(session, visit_id=visit.id)
        return
    # Its id is saved before anything else is asked of Telegram: a bot stopped while
    # pinning edits this card when it is back, rather than posting a second one.
    async with rt.sessions() as session:
        saved = await visits.card_posted(
            session,
            visit_id=visit.id,
            now=now,
            chat_id=message.chat_id,
            thread_id=binding.thread_id,
            message_id=message.message_id,
        )
    if not saved:
        # This post outlived its claim and another instance's card was saved meanwhile:
        # take this one back, so the CS chat keeps one card.
        await sending.attempt(bot.delete_message(message.chat_id, message.message_id))
        return
    pinned = await sending.attempt(
        bot.pin_chat_message(binding.chat_id, message.message_id, disable_notification=True)
    )
    if not pinned.sent:
        log.warning("could not pin the status card: %s", pinned.reason)
    async with rt.sessions() as session:
        await visits.card_drawn(session, visit_id=visit.id, now=now, seq_seen=seen)
