"""/myscore and /trend, and what /scores and /export scores (handlers.evaluation.reports)
share: six-hearts results, in private chats only.

Only confirmed evaluations count. Who sees what follows `hearts.may_see_result`: the
evaluee once the period is signed, the evaluator always (for the people they scored), the
director and the GM everyone, nobody else. A refusal never tells whether the person asked
about exists; a director's return reason is internal and never shown here. The numbers
come from `bot.score_report`; charts are drawn off the event loop (`asyncio.to_thread`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from functools import partial

from telegram import InputFile, Update

from bot import charts, hearts, score_report
from bot.limits import one_line
from bot.runtime import Runtime
from bot.score_report import Candidate, Result
from bot.states import EvaluationStatus, PeriodStatus
from handlers.evaluation.shared import (
    Texts,
    heart_name,
    period_from_args,
    period_label,
    private_only,
    score_lines,
)
from handlers.kit.base import (
    Caller,
    Context,
    identify,
    plain,
    reply,
    runtime,
)
from handlers.kit.outgoing import Limit, fit
from storage import hearts as store
from storage import org
from storage.hearts import Scored
from storage.models import Department, EvaluationPeriod

CONFIRMED = (EvaluationStatus.CONFIRMED,)


# --- shared ----------------------------------------------------------------------------------


def english_texts(caller: Caller) -> Texts:
    """Plain English texts: a chart's fallback when the server has no font for Chinese."""
    return lambda key, **params: plain(caller.catalog.text("en", key, **params))


def plain_texts(caller: Caller) -> Texts:
    return lambda key, **params: plain(caller.t(key, **params))


def result_of(item: Scored, names: Mapping[int, str]) -> Result:
    evaluation = item.evaluation
    return Result(
        period=evaluation.period_key,
        evaluee_id=evaluation.evaluee_id,
        name=names.get(evaluation.evaluee_id, "—"),
        department=evaluation.department_code,
        evaluator_id=evaluation.evaluator_id,
        evaluator=names.get(evaluation.evaluator_id, "—"),
        scores=item.scores,
        comments=item.comments,
        overall_comment=evaluation.overall_comment,
        confirmed_at=evaluation.confirmed_at,
    )


def period_name(t: Texts, key: str) -> str:
    """The period's name as plain text, for a placeholder (the catalog escapes it there)."""
    return plain(period_label(t, key))


def names_of_departments(
    departments: Iterable[Department], language: str, no_department: str
) -> dict[str | None, str]:
    names: dict[str | None, str] = {d.code: d.name_in(language) for d in departments}
    names[None] = no_department
    return names


def max_total(rules: hearts.PeriodRules) -> int:
    return rules.scale_max * len(rules.hearts)


async def send_photo(update: Update, png: bytes, caption: str) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_photo(
        InputFile(png, filename="six-hearts.png"),
        caption=fit(caption, Limit.CAPTION),
        do_quote=False,
    )


# --- /myscore --------------------------------------------------------------------------------


async def myscore_command(update: Update, context: Context) -> None:
    """The caller's own signed result: six scores with comments, total, rank, change, radar."""
    rt = runtime(context)
    caller = await identify(update, context)
    if not await private_only(update, caller):
        return
    staff_id = caller.staff_id
    text = " ".join(context.args or []).strip()
    async with rt.sessions() as session:
        mine = await store.confirmed_of(session, staff_id) if staff_id is not None else []
        signed = {
            p.key: p for p in await store.list_periods(session, statuses=(PeriodStatus.SIGNED,))
        }
    if text:
        period = await period_from_args(rt, update, caller, text)
        if period is None:
            return
        label = period_name(caller.t, period.key)
        if period.status != PeriodStatus.SIGNED:
            await reply(update, caller.t("results.my.not_signed", period=label))
            return
        chosen = next((e for e in mine if e.period_key == period.key), None)
        if chosen is None:
            await reply(update, caller.t("results.my.none_in", period=label))
            return
    else:
        shown = [e for e in mine if e.period_key in signed]
        if not shown:
            await reply(update, caller.t("results.my.nothing_signed"))
            return
        chosen = shown[-1]
        period = signed[chosen.period_key]
    if staff_id is None or not hearts.may_see_result(
        caller.person, staff_id, chosen.evaluator_id, staff_id, signed=True
    ):
        await reply(update, caller.t("results.my.nothing_signed"))
        return

    previous_key = hearts.previous_period(period.key)
    # Their earlier result counts only once it was signed too: before that it is not theirs
    # to see.
    earlier = next(
        (e for e in mine if e.period_key == previous_key and previous_key in signed), None
    )
    async with rt.sessions() as session:
        peers = [
            e
            for e in await store.evaluations_in(session, period.key, statuses=CONFIRMED)
            if e.department_code == chosen.department_code
        ]
        items = await store.with_scores(session, [*peers, *([earlier] if earlier else [])])
        names = await org.names_by_id(
            session, [e.evaluee_id for e in peers] + [chosen.evaluator_id]
        )
        department = (
            await org.get_department(session, chosen.department_code)
            if chosen.department_code
            else None
        )
    by_id = {item.id: item for item in items}
    own = by_id[chosen.id or 0]
    result = result_of(own, names)
    standing = score_report.standing(
        result,
        [result_of(by_id[e.id or 0], names) for e in peers],
        result_of(by_id[earlier.id or 0], names) if earlier else None,
    )
    rules = store.rules_of(period)
    label = period_name(caller.t, period.key)
    department_name = (
        department.name_in(caller.language)
        if department
        else plain(caller.t("results.no_department"))
    )
    lines = [
        caller.t("results.my.title", period=label),
        caller.t("results.my.evaluator", name=result.evaluator),
        "",
        *score_lines(caller.t, own, rules),
        "",
        caller.t(
            "results.my.rank", department=department_name, rank=standing.rank, count=standing.of
        ),
        caller.t(
            "results.my.change",
            period=period_name(caller.t, previous_key),
            change=score_report.change_text(standing.change),
        ),
    ]
    await reply(update, "\n".join(lines))

    english = english_texts(caller)
    local = plain_texts(caller)
    english_department = department.name_en if department else english("results.no_department")
    png = await asyncio.to_thread(
        partial(
            charts.radar_png,
            [result.scores.get(heart, 0) for heart in rules.hearts],
            labels=[heart_name(local, heart) for heart in rules.hearts],
            fallback_labels=[heart_name(english, heart) for heart in rules.hearts],
            title=local("results.my.chart_title", name=result.name, period=label),
            fallback_title=english(
                "results.my.chart_title",
                name=result.name,
                period=period_name(english, period.key),
            ),
            comparison=[standing.department_averages.get(heart, 0) for heart in rules.hearts],
            series_label=local("results.my.chart_you"),
            fallback_series_label=english("results.my.chart_you"),
            comparison_label=local("results.my.chart_average", department=department_name),
            fallback_comparison_label=english(
                "results.my.chart_average", department=english_department
            ),
            scale_max=rules.scale_max,
        )
    )
    await send_photo(
        update,
        png,
        caller.t("results.my.chart_caption", department=department_name, period=label),
    )


# --- /trend ----------------------------------------------------------------------------------


async def _trend_candidates(rt: Runtime, caller: Caller) -> list[Candidate]:
    """Whose trend the caller may ask for by name: anyone with a confirmed result (director,
    GM), the people they scored (an evaluator), and themselves."""
    staff_id = caller.staff_id
    every = hearts.may_see_all(caller.person)
    people = []
    if every or (staff_id is not None and caller.person.is_active):
        async with rt.sessions() as session:
            people = await store.confirmed_evaluees(
                session, evaluator_id=None if every else staff_id
            )
    candidates = [Candidate(s.id, s.name, s.username) for s in people if s.id is not None]
    known = any(c.staff_id == staff_id for c in candidates)
    if caller.view is not None and staff_id is not None and not known:
        staff = caller.view.staff
        candidates.append(Candidate(staff_id, staff.name, staff.username))
    return candidates


async def _send_trend(
    update: Update,
    caller: Caller,
    name: str,
    results: Sequence[Result],
    periods: Mapping[str, EvaluationPeriod],
) -> None:
    t = caller.t
    lines = [t("results.trend.title", name=name)]
    maximum = 0
    for result in sorted(results, key=lambda r: r.period):
        period = periods[result.period]
        most = max_total(store.rules_of(period))
        maximum = max(maximum, most)
        line = t(
            "results.trend.line",
            period=period_name(t, result.period),
            total=result.total,
            max=most,
            average=score_report.two_places(result.average),
        )
        if period.status != PeriodStatus.SIGNED:
            line += t("results.trend.unsigned")
        lines.append(line)
    await reply(update, "\n".join(lines))
    local, english = plain_texts(caller), english_texts(caller)
    png = await asyncio.to_thread(
        partial(
            charts.trend_png,
            score_report.trend_points(results),
            title=local("results.trend.chart_title", name=name),
            fallback_title=english("results.trend.chart_title", name=name),
            value_max=maximum or None,
        )
    )
    await send_photo(update, png, t("results.trend.title", name=name))


async def trend_command(update: Update, context: Context) -> None:
    """/trend [person]: totals across periods as a line chart, with each period's total."""
    rt = runtime(context)
    caller = await identify(update, context)
    if not await private_only(update, caller):
        return
    text = " ".join(context.args or []).strip()
    staff_id = caller.staff_id
    target = staff_id
    if text:
        matches = score_report.match_person(text, await _trend_candidates(rt, caller))
        if not matches:
            await reply(update, caller.t("results.trend.unknown", text=one_line(text)))
            return
        if len(matches) > 1:
            listed = ", ".join(f"{c.name} (#{c.staff_id})" for c in matches)
            await reply(
                update, caller.t("results.trend.ambiguous", text=one_line(text), names=listed)
            )
            return
        target = matches[0].staff_id
    every = hearts.may_see_all(caller.person)
    own = target == staff_id
    async with rt.sessions() as session:
        periods = {p.key: p for p in await store.list_periods(session)}
        if target is None or (own and not caller.person.is_active):
            evaluations = []
        elif own and not every:
            # Their own results only once signed, like /myscore.
            evaluations = [
                e
                for e in await store.confirmed_of(session, target)
                if periods[e.period_key].status == PeriodStatus.SIGNED
            ]
        else:
            evaluations = await store.confirmed_of(
                session, target, evaluator_id=None if every else staff_id
            )
        items = await store.with_scores(session, evaluations)
        names = await org.names_by_id(session, [target] + [e.evaluator_id for e in evaluations])
    if not items:
        if own:
            await reply(update, caller.t("results.trend.none_own"))
        else:
            await reply(update, caller.t("results.trend.unknown", text=one_line(text)))
        return
    results = [result_of(item, names) for item in items]
    await _send_trend(update, caller, results[0].name, results, periods)
