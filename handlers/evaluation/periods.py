"""/period: admins see the unsigned periods (status, deadline, counts, who nobody scores)
and set a deadline, close a period to new scoring, reopen it, or open another month.
"""

from __future__ import annotations

from telegram import Update

from bot import hearts
from bot.runtime import Runtime
from bot.states import UNSIGNED_PERIODS, PeriodStatus
from bot.when import WhenError, format_local, parse_arrival
from handlers.evaluation.board import counts, load_board
from handlers.evaluation.shared import (
    current_period,
    deadline_text,
    period_label,
    private_only,
    status_text,
)
from handlers.kit.base import (
    Caller,
    Context,
    identify,
    reply,
    runtime,
)
from handlers.kit.outgoing import reply_whole
from storage import hearts as store
from storage import org

# --- /period: admins -----------------------------------------------------------------------------

# The words after /period, in either language.
ACTIONS = {
    "deadline": "deadline",
    "截止": "deadline",
    "截止时间": "deadline",
    "close": "close",
    "关闭": "close",
    "reopen": "reopen",
    "重开": "reopen",
    "重新开启": "reopen",
    "open": "open",
    "开启": "open",
}


async def period_command(update: Update, context: Context) -> None:
    """Admins: with no words, the unsigned periods (status, deadline, counts) and who nobody
    scores; `deadline`, `close`, `reopen` and `open` change one period."""
    rt = runtime(context)
    caller = await identify(update, context)
    if not await private_only(update, caller):
        return
    if not caller.person.is_admin:
        await reply(update, caller.t("period.not_admin"))
        return
    words = list(context.args or [])
    if not words:
        await reply_whole(
            update,
            "\n\n".join(await _periods_overview(rt, caller)),
            filename="periods.txt",
            caption=caller.t("period.header"),
        )
        return
    action = ACTIONS.get(words[0].lower())
    rest = words[1:]
    if action is None or not rest or (action == "deadline" and len(rest) < 2):
        await reply(update, caller.t("period.usage"))
        return
    now = rt.clock()
    zone = rt.settings.zone
    found = hearts.split_period(rest, now=now, zone=zone)
    if isinstance(found, hearts.PeriodError):
        await reply(update, caller.t(found.key, **found.params))
        return
    key, after = found
    if (action == "deadline") != bool(after):
        await reply(update, caller.t("period.usage"))
        return
    label = period_label(caller.t, key)
    if action == "open":
        async with rt.sessions() as session:
            period, opened = await store.open_period(
                session, key, now=now, zone=zone, opened_by=caller.staff_id
            )
        text_key = "period.opened" if opened else "period.already_opened"
        await reply(
            update,
            caller.t(
                text_key,
                period=label,
                deadline=deadline_text(rt, period),
                status=status_text(caller.t, period.status),
            ),
        )
        return
    if key == hearts.period_key(now, zone):
        await current_period(rt)  # this month's is opened on first use, as everywhere
    async with rt.sessions() as session:
        found_period = await store.get_period(session, key)
    if found_period is None:
        await reply(update, caller.t("evaluation.no_such_period", period=label))
        return
    if found_period.status == PeriodStatus.SIGNED:
        await reply(update, caller.t("period.signed", period=label))
        return
    status = status_text(caller.t, found_period.status)
    if action == "deadline":
        when = parse_arrival(" ".join(after), now=now, zone=zone)
        if isinstance(when, WhenError):
            await reply(update, caller.t(when.key, **when.params))
            return
        if when <= found_period.starts_at:
            start = format_local(found_period.starts_at, zone)
            await reply(
                update, caller.t("period.deadline_before_start", period=label, start=start)
            )
            return
        async with rt.sessions() as session:
            moved = await store.set_deadline(session, key, deadline=when, now=now)
        if moved is None:
            await reply(update, caller.t("period.signed", period=label))
            return
        text = caller.t("period.deadline_set", period=label, deadline=deadline_text(rt, moved))
    elif action == "close":
        async with rt.sessions() as session:
            done = await store.close_period(session, key, by=caller.staff_id, now=now)
        text = caller.t(
            "period.closed" if done else "period.not_open", period=label, status=status
        )
    else:
        async with rt.sessions() as session:
            done = await store.reopen_period(session, key, now=now)
        text = caller.t(
            "period.reopened" if done else "period.not_closed", period=label, status=status
        )
    await reply(update, text)


async def _periods_overview(rt: Runtime, caller: Caller) -> list[str]:
    """Every unsigned period (this month's opened if need be) and who nobody scores."""
    t = caller.t
    await current_period(rt)
    async with rt.sessions() as session:
        periods = await store.list_periods(session, statuses=UNSIGNED_PERIODS)
        people = await store.members(session)
        departments = {d.code: d for d in await org.list_departments(session)}
    blocks = [t("period.header")]
    for period in periods:
        board = await load_board(rt, period.key)
        assert board is not None
        blocks.append(
            "\n".join(
                [
                    t(
                        "period.line",
                        period=period_label(t, period.key),
                        status=status_text(t, period.status),
                        deadline=deadline_text(rt, period),
                    ),
                    t("period.counts", **counts(board.entries)),
                ]
            )
        )
    nobody = hearts.unassigned(people)
    if nobody:
        items = [
            t(
                "period.person",
                name=m.name,
                department=departments[m.department].name_in(caller.language)
                if m.department in departments
                else "—",
            )
            for m in nobody
        ]
        blocks.append(t("period.unassigned") + t("sign.separator").join(items))
        blocks.append(t("period.unassigned_hint"))
    else:
        blocks.append(t("period.all_assigned"))
    blocks.append(t("period.usage"))
    return blocks
