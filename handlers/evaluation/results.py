"""/myscore, /scores, /trend and /export scores: six-hearts results, in private chats only.

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
from bot.score_report import SCOPE_ALL, Candidate, Result
from bot.states import EvaluationStatus, PeriodStatus
from bot.when import format_local
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
from handlers.kit.outgoing import Limit, fit, reply_whole
from storage import hearts as store
from storage import org
from storage.hearts import Scored
from storage.models import Department, EvaluationPeriod

CONFIRMED = (EvaluationStatus.CONFIRMED,)


# --- shared ----------------------------------------------------------------------------------


def _english(caller: Caller) -> Texts:
    """Plain English texts: a chart's fallback when the server has no font for Chinese."""
    return lambda key, **params: plain(caller.catalog.text("en", key, **params))


def _plain(caller: Caller) -> Texts:
    return lambda key, **params: plain(caller.t(key, **params))


def _result(item: Scored, names: Mapping[int, str]) -> Result:
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


def _period(t: Texts, key: str) -> str:
    """The period's name as plain text, for a placeholder (the catalog escapes it there)."""
    return plain(period_label(t, key))


def _department_names(
    departments: Iterable[Department], language: str, no_department: str
) -> dict[str | None, str]:
    names: dict[str | None, str] = {d.code: d.name_in(language) for d in departments}
    names[None] = no_department
    return names


def _max_total(rules: hearts.PeriodRules) -> int:
    return rules.scale_max * len(rules.hearts)


async def _send_photo(update: Update, png: bytes, caption: str) -> None:
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
        label = _period(caller.t, period.key)
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
    result = _result(own, names)
    standing = score_report.standing(
        result,
        [_result(by_id[e.id or 0], names) for e in peers],
        _result(by_id[earlier.id or 0], names) if earlier else None,
    )
    rules = store.rules_of(period)
    label = _period(caller.t, period.key)
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
            period=_period(caller.t, previous_key),
            change=score_report.change_text(standing.change),
        ),
    ]
    await reply(update, "\n".join(lines))

    english = _english(caller)
    local = _plain(caller)
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
                period=_period(english, period.key),
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
    await _send_photo(
        update,
        png,
        caller.t("results.my.chart_caption", department=department_name, period=label),
    )


# --- /scores ---------------------------------------------------------------------------------


async def _report_scope(rt: Runtime, caller: Caller) -> str | None:
    """Everyone's results, the caller's own evaluations', or none (see score_report)."""
    staff_id = caller.staff_id
    is_evaluator = False
    if staff_id is not None and not hearts.may_see_all(caller.person):
        async with rt.sessions() as session:
            people = await store.members(session)
            is_evaluator = bool(hearts.evaluees_of(staff_id, people)) or bool(
                await store.confirmed_evaluees(session, evaluator_id=staff_id)
            )
    return score_report.report_scope(caller.person, is_evaluator=is_evaluator)


async def _period_results(
    rt: Runtime, key: str, *, evaluator_id: int | None, department: str | None = None
) -> tuple[list[Result], list[Result]]:
    """The confirmed results of a period (one evaluator's, one department's, or all) and the
    same evaluator's results of the period before, for the changes."""
    async with rt.sessions() as session:
        current = await store.with_scores(
            session,
            await store.evaluations_in(
                session, key, statuses=CONFIRMED, evaluator_id=evaluator_id, department=department
            ),
        )
        previous = await store.with_scores(
            session,
            await store.evaluations_in(
                session,
                hearts.previous_period(key),
                statuses=CONFIRMED,
                evaluator_id=evaluator_id,
            ),
        )
        names = await org.names_by_id(
            session,
            [i.evaluation.evaluee_id for i in current]
            + [i.evaluation.evaluator_id for i in current],
        )
    return [_result(i, names) for i in current], [_result(i, names) for i in previous]


def _heart_averages_line(
    t: Texts, averages: Mapping[str, float], heart_order: Sequence[str]
) -> str:
    return " ".join(
        t(
            "evaluation.compact",
            short=t(f"evaluation.short.{heart}"),
            score=score_report.two_places(averages[heart]) if heart in averages else "—",
        )
        for heart in heart_order
    )


def _report_blocks(
    caller: Caller,
    rt: Runtime,
    period: EvaluationPeriod,
    reports: Sequence[score_report.DepartmentReport],
    department_names: Mapping[str | None, str],
    *,
    own: bool,
    signer: str,
) -> list[str]:
    """The report as message blocks: a header (signed or not, whose), then a department each."""
    t = caller.t
    rules = store.rules_of(period)
    header = [t("results.scores.title", period=_period(t, period.key))]
    if period.status == PeriodStatus.SIGNED and period.signed_at is not None:
        header.append(
            t(
                "results.scores.signed",
                who=signer,
                at=format_local(period.signed_at, rt.settings.zone),
            )
        )
    else:
        header.append(t("results.scores.unsigned"))
    if own:
        header.append(t("results.scores.own_scope"))
    header.append(
        t("results.scores.change_note", period=_period(t, hearts.previous_period(period.key)))
    )
    blocks = ["\n".join(header)]
    for report in reports:
        lines = [
            t(
                "results.scores.department",
                department=department_names.get(report.department, "—"),
                count=report.count,
                average=score_report.two_places(report.average_total),
                max=_max_total(rules),
            ),
            _heart_averages_line(t, report.heart_averages, rules.hearts),
        ]
        lines += [
            t(
                "results.scores.person",
                rank=row.rank,
                name=row.result.name,
                total=row.result.total,
                average=score_report.two_places(row.result.average),
                change=score_report.change_text(row.change),
            )
            for row in report.rows
        ]
        blocks.append("\n".join(lines))
    return blocks


def _report_chart(
    caller: Caller,
    period: EvaluationPeriod,
    reports: Sequence[score_report.DepartmentReport],
    departments: Iterable[Department],
) -> bytes:
    """One department: its people's totals, best first. Several: each department's average
    total (a long list of everyone's bars reads worse than the text above it)."""
    local, english = _plain(caller), _english(caller)
    rules = store.rules_of(period)
    local_names = _department_names(departments, caller.language, local("results.no_department"))
    english_names = _department_names(departments, "en", english("results.no_department"))
    if len(reports) == 1:
        rows = reports[0].rows
        values: list[float] = [row.result.total for row in rows]
        labels = fallback = [row.result.name for row in rows]
        key = "results.scores.chart_people"
    else:
        values = [report.average_total for report in reports]
        labels = [local_names.get(report.department, "—") for report in reports]
        fallback = [english_names.get(report.department, "—") for report in reports]
        key = "results.scores.chart_departments"
    return charts.bars_png(
        values,
        labels=labels,
        fallback_labels=fallback,
        title=local(key, period=_period(local, period.key)),
        fallback_title=english(key, period=_period(english, period.key)),
        value_max=_max_total(rules),
    )


async def scores_command(update: Update, context: Context) -> None:
    """/scores 2026-11 [hk]: per department and per person totals, per-heart averages, ranks
    and changes, then one chart. Director and GM see everyone, evaluators their own people."""
    rt = runtime(context)
    caller = await identify(update, context)
    if not await private_only(update, caller):
        return
    scope = await _report_scope(rt, caller)
    if scope is None:
        await reply(update, caller.t("results.scores.not_allowed"))
        return
    args = context.args or []
    if not args:
        await reply(update, caller.t("results.scores.usage"))
        return
    async with rt.sessions() as session:
        departments = await org.list_departments(session)
    text, department_code = " ".join(args), None
    unreadable = hearts.parse_period(text, now=rt.clock(), zone=rt.settings.zone)
    if len(args) > 1 and isinstance(unreadable, hearts.PeriodError):
        # The last word is a department ("/scores 2026-11 hk", "/scores last month fb").
        text, department_code = " ".join(args[:-1]), args[-1].strip().lower()
        if department_code not in {d.code for d in departments}:
            await reply(
                update, caller.t("results.scores.unknown_department", code=one_line(args[-1], 40))
            )
            return
    period = await period_from_args(rt, update, caller, text)
    if period is None:
        return
    own = scope != SCOPE_ALL
    current, previous = await _period_results(
        rt,
        period.key,
        evaluator_id=caller.staff_id if own else None,
        department=department_code,
    )
    if not current:
        key = "results.scores.nothing_own" if own else "results.scores.nothing"
        await reply(update, caller.t(key, period=_period(caller.t, period.key)))
        return
    reports = score_report.build_report(
        current, previous, department_order=[d.code for d in departments]
    )
    async with rt.sessions() as session:
        signer = (await org.names_by_id(session, [period.signed_by])).get(period.signed_by or 0)
    names = _department_names(
        departments, caller.language, plain(caller.t("results.no_department"))
    )
    blocks = _report_blocks(caller, rt, period, reports, names, own=own, signer=signer or "—")
    # A whole hotel's report arrives whole: as a document when it outgrows a message.
    await reply_whole(
        update,
        "\n\n".join(blocks),
        filename=f"scores-{period.key}.txt",
        caption=caller.t("results.scores.title", period=_period(caller.t, period.key)),
    )
    png = await asyncio.to_thread(_report_chart, caller, period, reports, departments)
    await _send_photo(
        update, png, caller.t("results.scores.title", period=_period(caller.t, period.key))
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
        most = _max_total(store.rules_of(period))
        maximum = max(maximum, most)
        line = t(
            "results.trend.line",
            period=_period(t, result.period),
            total=result.total,
            max=most,
            average=score_report.two_places(result.average),
        )
        if period.status != PeriodStatus.SIGNED:
            line += t("results.trend.unsigned")
        lines.append(line)
    await reply(update, "\n".join(lines))
    local, english = _plain(caller), _english(caller)
    png = await asyncio.to_thread(
        partial(
            charts.trend_png,
            score_report.trend_points(results),
            title=local("results.trend.chart_title", name=name),
            fallback_title=english("results.trend.chart_title", name=name),
            value_max=maximum or None,
        )
    )
    await _send_photo(update, png, t("results.trend.title", name=name))


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
    results = [_result(item, names) for item in items]
    await _send_trend(update, caller, results[0].name, results, periods)


# --- /export scores <period> -----------------------------------------------------------------


async def export_scores(
    update: Update, context: Context, caller: Caller, args: Sequence[str]
) -> None:
    """/export scores 2026-11: the period's confirmed results as an .xlsx (director, GM)."""
    rt = runtime(context)
    if not await private_only(update, caller):
        return
    if not score_report.may_export(caller.person):
        await reply(update, caller.t("results.export.not_allowed"))
        return
    if not args:
        await reply(update, caller.t("results.export.usage"))
        return
    period = await period_from_args(rt, update, caller, " ".join(args))
    if period is None:
        return
    current, previous = await _period_results(rt, period.key, evaluator_id=None)
    label = _period(caller.t, period.key)
    if not current:
        await reply(update, caller.t("results.scores.nothing", period=label))
        return
    async with rt.sessions() as session:
        departments = await org.list_departments(session)
    reports = score_report.build_report(
        current, previous, department_order=[d.code for d in departments]
    )
    workbook = await asyncio.to_thread(
        partial(
            score_report.scores_workbook,
            reports,
            department_names=_department_names(
                departments, caller.language, _plain(caller)("results.no_department")
            ),
            heart_order=store.rules_of(period).hearts,
            text=caller.t,
            zone=rt.settings.zone,
            title=label,
        )
    )
    message = update.effective_message
    assert message is not None
    await message.reply_document(
        InputFile(workbook, filename=f"six-hearts-{period.key}.xlsx"),
        caption=fit(
            caller.t("results.export.caption", period=label, count=len(current)), Limit.CAPTION
        ),
        do_quote=False,
    )
