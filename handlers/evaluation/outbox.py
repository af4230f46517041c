"""The six-hearts evaluation's timed messages, sent by the outbox tick
(`handlers.outbox`):
the month's period opened on its first tick, its deadline reminders to evaluators who are
behind, the late list to the director, and the people nobody scores to the admins.

Each is an `EvaluationReminder` row claimed before it is sent and marked sent after, exactly
like the VIP reminders (storage.outbox): each person is written to at most once per row, a
"not yet" is tried again later, and a row a crash left claimed is resumed without resending
what went out. Who is behind is read when the row is due (again at each try), so someone
who finished early is left alone.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta

from telegram import Bot

from bot import hearts
from bot.runtime import Runtime
from bot.score_report import MESSAGE_LIMIT, chunks
from bot.states import EvaluationReminderKind, PeriodStatus
from handlers.evaluation.shared import deadline_text, few_names, period_label
from handlers.kit.base import texts_for
from handlers.kit.sending import Attempt, Outcome, backoff, send_once
from storage import hearts as store
from storage import org
from storage.models import OUTBOX_EVALUATION, EvaluationPeriod, EvaluationReminder

log = logging.getLogger(__name__)


async def open_current_period(rt: Runtime) -> None:
    """The month's period exists from its first tick on: nobody has to open it."""
    now = rt.clock()
    async with rt.sessions() as session:
        await store.open_period(
            session, hearts.period_key(now, rt.settings.zone), now=now, zone=rt.settings.zone
        )


async def send_due(bot: Bot, rt: Runtime) -> None:
    """Every evaluation reminder that is due, one claimed row at a time; a row Telegram
    answered "not yet" somewhere is tried again later, at just those people."""
    while True:
        now = rt.clock()
        async with rt.sessions() as session:
            due = await store.claim_due_reminders(session, now=now, limit=1)
        if not due:
            return
        reminder = due[0]
        assert reminder.id is not None
        sender = _Sender(bot, rt, reminder.id, now)
        try:
            await _deliver(sender, reminder)
        except Exception:
            log.exception("evaluation reminder %s broke off; it is tried again", reminder.id)
            sender.waiting.append(Attempt(Outcome.NOT_YET, reason="error"))
        async with rt.sessions() as session:
            if sender.waiting:
                await store.postpone_reminder(
                    session,
                    reminder_id=reminder.id,
                    next_try_at=now + backoff(reminder.attempts, sender.waiting),
                )
            else:
                await store.finish_reminder(session, reminder_id=reminder.id, now=now)


class _Sender:
    """One evaluation row's private messages, each person written to at most once."""

    def __init__(self, bot: Bot, rt: Runtime, row_id: int, now: datetime) -> None:
        self.bot, self.rt, self.row_id, self.now = bot, rt, row_id, now
        self.waiting: list[Attempt] = []

    async def send(self, telegram_id: int, text: str, *, part: int = 0) -> None:
        target = f"user:{telegram_id}" + (f":{part}" if part else "")
        found = await send_once(
            self.rt,
            box=OUTBOX_EVALUATION,
            row_id=self.row_id,
            target=target,
            now=self.now,
            make_call=functools.partial(self.bot.send_message, telegram_id, text),
        )
        if found is None:
            return
        if found.outcome is Outcome.NOT_YET:
            self.waiting.append(found)
        elif not found.sent:
            log.warning(
                "evaluation message to %s: %s (%s)", telegram_id, found.outcome, found.reason
            )


async def resume_interrupted(rt: Runtime, *, claimed_before: datetime) -> None:
    """Rows a stopped sender left claimed: resumed; the message under way is not resent."""
    async with rt.sessions() as session:
        _, in_flight = await store.interrupted_reminders(session, claimed_before=claimed_before)
    for send in in_flight:
        log.warning(
            "evaluation reminder %s was being sent to %s when its sender stopped; not resent",
            send.row_id,
            send.target,
        )


async def _deliver(sender: _Sender, reminder: EvaluationReminder) -> None:
    rt = sender.rt
    async with rt.sessions() as session:
        period = await store.get_period(session, reminder.period_key)
    if period is None or period.status == PeriodStatus.SIGNED:
        return
    if reminder.kind == EvaluationReminderKind.REMIND:
        if period.status == PeriodStatus.OPEN:
            await _remind_evaluators(sender, period)
    elif reminder.kind == EvaluationReminderKind.LATE:
        await _tell_director_who_is_late(sender, period)
    elif reminder.kind == EvaluationReminderKind.UNASSIGNED:
        await _tell_admins_who_is_unassigned(sender, period)


async def _remind_evaluators(sender: _Sender, period: EvaluationPeriod) -> None:
    rt = sender.rt
    async with rt.sessions() as session:
        people = await store.members(session, period=period)
        behind = await store.outstanding(session, period.key, people)
    names = {member.staff_id: member.name for member in people}
    # Counted from now, not from the row's level: a reminder sent late says what is true.
    days = max(1, round((period.deadline_at - rt.clock()) / timedelta(days=1)))
    for entry in behind:
        async with rt.sessions() as session:
            view = await org.view(session, entry.evaluator_id)
        if view is None or not view.is_active or view.staff.telegram_id is None:
            continue
        t = texts_for(rt, view)

        text = t(
            "evaluation.reminder.remind",
            period=period_label(t, period.key),
            deadline=deadline_text(rt, period),
            days=days,
            count=len(entry.evaluee_ids),
            names=few_names(t, [names.get(i, "?") for i in entry.evaluee_ids]),
        )
        await sender.send(view.staff.telegram_id, text)


async def _tell_director_who_is_late(sender: _Sender, period: EvaluationPeriod) -> None:
    rt = sender.rt
    async with rt.sessions() as session:
        people = await store.members(session, period=period)
        behind = await store.outstanding(session, period.key, people)
        directors = await org.staff_with_role(session, hearts.REVIEWER)
    by_id = {member.staff_id: member for member in people}
    for director in directors:
        if director.telegram_id is None or director.id is None:
            continue
        async with rt.sessions() as session:
            view = await org.view(session, director.id)
        t = texts_for(rt, view)

        label = period_label(t, period.key)
        if not behind:
            text = t("evaluation.reminder.none_late", period=label)
        else:
            lines = [
                t(
                    "evaluation.reminder.late_line",
                    evaluator=by_id[entry.evaluator_id].name,
                    count=len(entry.evaluee_ids),
                    names=few_names(t, [by_id[i].name for i in entry.evaluee_ids]),
                )
                for entry in behind
            ]
            header = t(
                "evaluation.reminder.late", period=label, deadline=deadline_text(rt, period)
            )
            text = "\n".join([header, *lines])
        # A late list of a whole hotel is split at line ends rather than refused as too long.
        for number, part in enumerate(chunks([text], MESSAGE_LIMIT)):
            await sender.send(director.telegram_id, part, part=number)


async def _tell_admins_who_is_unassigned(sender: _Sender, period: EvaluationPeriod) -> None:
    rt = sender.rt
    async with rt.sessions() as session:
        people = await store.members(session, period=period)
        admins = await org.admin_telegram_ids(session, rt.settings.admin_user_ids)
    nobody_scores = hearts.unassigned(people)
    if not nobody_scores:
        return
    for telegram_id in admins:
        async with rt.sessions() as session:
            view = await org.view_by_telegram_id(session, telegram_id)
        t = texts_for(rt, view)

        text = t(
            "evaluation.reminder.unassigned",
            period=period_label(t, period.key),
            count=len(nobody_scores),
            names=few_names(t, [member.name for member in nobody_scores]),
        )
        await sender.send(telegram_id, text)
