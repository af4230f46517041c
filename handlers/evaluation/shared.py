"""What the six-hearts handlers share: which period a command means, how an evaluation is
written out, and the private-chat rule (scores are never shown in a group).

The scoring conversation is `scoring`, the director's review `review`, the GM's signature
`signing`, results and reports `results` (all in handlers.evaluation); the timed messages go
through the outbox tick (`handlers.outbox`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import hearts
from bot.runtime import Runtime
from bot.when import format_local
from handlers.kit.base import Caller, is_private, plain, reply
from storage import hearts as store
from storage.hearts import Scored
from storage.models import EvaluationPeriod

Texts = Callable[..., str]


def period_label(t: Texts, key: str) -> str:
    """The period "2026-11" as "2026年11月" / "November 2026"."""
    year, month = key.split("-")
    return t(
        "evaluation.period_label",
        year=year,
        month_name=t(f"evaluation.month.{int(month)}"),
    )


def period_token(key: str) -> str:
    """A period key as a callback token ("2026-11" → "202611": callback parts are [a-z0-9_])."""
    return key.replace("-", "")


def period_from_token(token: str) -> str | None:
    if len(token) != 6 or not token.isdigit():
        return None
    return f"{token[:4]}-{token[4:]}"


def heart_name(t: Texts, heart: str) -> str:
    return t(hearts.name_key(heart))


async def current_period(rt: Runtime) -> EvaluationPeriod:
    """This month's period, opened now if nobody has opened it yet."""
    now = rt.clock()
    key = hearts.period_key(now, rt.settings.zone)
    async with rt.sessions() as session:
        period, _ = await store.open_period(session, key, now=now, zone=rt.settings.zone)
    return period


async def private_only(update: Update, caller: Caller) -> bool:
    """True in a private chat; in a group, one line (in the hotel's language, as everything
    in a group is) asking for a private chat instead."""
    if is_private(update):
        return True
    language = caller.catalog.default_language
    bot_name = update.get_bot().username
    button = InlineKeyboardButton(
        plain(caller.catalog.text(language, "evaluation.open_private")),
        url=f"https://t.me/{bot_name}",
    )
    await reply(
        update,
        caller.catalog.text(language, "evaluation.private_only"),
        reply_markup=InlineKeyboardMarkup([[button]]),
    )
    return False


async def period_from_args(
    rt: Runtime, update: Update, caller: Caller, text: str | None
) -> EvaluationPeriod | None:
    """The period a command names ("2026-11", "上月", …), or this month's with no text.
    Anything else is answered with one sentence and gives None."""
    if not text:
        return await current_period(rt)
    parsed = hearts.parse_period(text, now=rt.clock(), zone=rt.settings.zone)
    if isinstance(parsed, hearts.PeriodError):
        await reply(update, caller.t(parsed.key, **parsed.params))
        return None
    if parsed == hearts.period_key(rt.clock(), rt.settings.zone):
        return await current_period(rt)
    async with rt.sessions() as session:
        period = await store.get_period(session, parsed)
    if period is None:
        await reply(
            update, caller.t("evaluation.no_such_period", period=period_label(caller.t, parsed))
        )
    return period


def deadline_text(rt: Runtime, period: EvaluationPeriod) -> str:
    return format_local(period.deadline_at, rt.settings.zone)


def status_text(t: Texts, status: str) -> str:
    return t(f"evaluation.status.{status}")


def few_names(t: Texts, names: Sequence[str], limit: int = 30) -> str:
    """ "A, B, C" — or the first `limit` and "and N more", so a list of a whole hotel still
    fits one message."""
    shown = ", ".join(names[:limit])
    if len(names) <= limit:
        return shown
    return shown + t("evaluation.and_more", count=len(names) - limit)


def clip(text: str, limit: int | None) -> str:
    """`text`, cut to `limit` characters with an ellipsis (None: whole)."""
    if limit is None or len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…"


def score_lines(
    t: Texts,
    item: Scored,
    rules: hearts.PeriodRules,
    *,
    comments: bool = True,
    comment_limit: int | None = None,
) -> list[str]:
    """One line per heart ("信心 4 · 良好 — comment"), then total and average. With
    `comment_limit`, comments are cut so that a screen stays within one Telegram message."""
    lines = []
    for heart in rules.hearts:
        score = item.scores.get(heart)
        if score is None:
            lines.append(t("evaluation.line_unscored", heart=heart_name(t, heart)))
            continue
        line = t(
            "evaluation.line",
            heart=heart_name(t, heart),
            score=score,
            label=t(hearts.score_key(score)),
        )
        comment = item.comments.get(heart, "") if comments else ""
        if comment:
            line += t("evaluation.line_comment", comment=clip(comment, comment_limit))
        lines.append(line)
    if item.scores and all(h in item.scores for h in rules.hearts):
        lines.append(
            t(
                "evaluation.total",
                total=hearts.total(item.scores),
                max=rules.scale_max * len(rules.hearts),
                average=f"{hearts.average(item.scores):.2f}",
            )
        )
    if comments and item.evaluation.overall_comment:
        overall = clip(item.evaluation.overall_comment, comment_limit)
        lines.append(t("evaluation.overall", comment=overall))
    return lines


def compact_scores(t: Texts, scores: Mapping[str, int], rules: hearts.PeriodRules) -> str:
    """ "信4 热5 用4 耐3 诚4 细5" — a short name and the score, for lists."""
    return " ".join(
        t("evaluation.compact", short=t(f"evaluation.short.{heart}"), score=scores.get(heart, "–"))
        for heart in rules.hearts
    )


def history_lines(
    t: Texts, rt: Runtime, events: Sequence[Any], names: Mapping[int, str]
) -> list[str]:
    """The evaluation's history: each step with who and when, on the hotel's clock."""
    return [
        t(
            f"evaluation.event.{event.kind}",
            at=format_local(event.at, rt.settings.zone),
            who=names.get(event.actor_id or 0, "—"),
            detail=event.detail,
        )
        for event in events
    ]
