"""/score: an evaluator scores their people on the six hearts, in a private chat.

Where a draft stands is its row's `step` (bot.hearts), never memory: a draft left mid-way
resumes at that step after a restart, and a button from an earlier step is refused.

```mermaid
stateDiagram-v2
    [*] --> LIST: /score [period]
    LIST --> LIST: ◀ ▶
    LIST --> HEART: a person (a draft resumes at its stored step, whichever it is)
    HEART --> HEART: 1–5, next heart
    HEART --> COMMENT: 1–5 that needs a comment, or a score changed from the summary
    COMMENT --> HEART: typed comment (Skip when optional)
    HEART --> OVERALL: every heart scored
    COMMENT --> OVERALL
    OVERALL --> SUMMARY: typed comment / Skip
    SUMMARY --> CHOOSE: ✏️ Change a heart
    CHOOSE --> SUMMARY: Back
    CHOOSE --> HEART: a heart (step "x:i")
    SUMMARY --> LIST: ✅ Submit (the next person, or everyone is done)
    HEART --> [*]: 💾 Save draft (on every screen of a draft)
```

Callback data: hs:page:<period>:<n> · hs:pick:<period>:<staff_id> ·
hs:set:<evaluation>:<heart index>:<score> · hs:skip:<evaluation>:c<i>|o · hs:save:<evaluation> ·
hs:sub:<evaluation> · hs:chg:<evaluation> · hs:chh:<evaluation>:<i> · hs:back:<evaluation>
(<period> is "202611": callback parts are [a-z0-9_]).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Update

from bot import hearts
from bot.runtime import Runtime
from bot.states import UNSIGNED_PERIODS, EvaluationStatus, PeriodStatus
from handlers.evaluation.scoring_screens import (
    Draft,
    ListView,
    Screen,
    choose_screen,
    list_screen,
    list_view,
    load_draft,
    refusal,
    step_screen,
    to_score,
)
from handlers.evaluation.shared import (
    current_period,
    heart_name,
    period_from_args,
    period_from_token,
    period_label,
    private_only,
)
from handlers.kit import callbacks
from handlers.kit.base import (
    Caller,
    Context,
    edit_screen,
    identify,
    is_private,
    pressed,
    pressed_message,
    reply,
    runtime,
    send_private,
    texts_for,
)
from handlers.kit.outgoing import with_note
from storage import hearts as store
from storage import org
from storage.models import EvaluationPeriod

DONE = (EvaluationStatus.SUBMITTED, EvaluationStatus.CONFIRMED)


async def _editable(
    rt: Runtime, caller: Caller, staff_id: int, evaluation_id: int | None
) -> Draft | Outcome:
    """The pressed draft, re-read, if the caller may change it now; else the answer saying
    why (a missing or forged id is a stale button)."""
    draft = await load_draft(rt, evaluation_id) if evaluation_id is not None else None
    if draft is None:
        return Outcome(caller.toast("common.stale_button"))
    why = refusal(draft.evaluation, draft.period, staff_id)
    if why is not None:
        return Outcome(caller.toast(why))
    return draft


# --- /score -----------------------------------------------------------------------------------


async def _first_period(rt: Runtime, staff_id: int) -> EvaluationPeriod:
    """The oldest unsigned period where the caller still has someone to score, else this
    month's: a returned evaluation from last month is not forgotten once a new month opens."""
    async with rt.sessions() as session:
        for period in await store.list_periods(session, statuses=UNSIGNED_PERIODS):
            members = await store.members(session, period=period)
            evaluations = await store.evaluations_in(session, period.key)
            if to_score(staff_id, members, evaluations, period.status):
                return period
    return await current_period(rt)


async def score_command(update: Update, context: Context) -> None:
    """In private: the people the caller still has to score, as buttons (a group gets one
    line pointing to the private chat, never a name or a score)."""
    rt = runtime(context)
    caller = await identify(update, context)
    # A group reads the hotel's language, whoever asked.
    if not await private_only(
        update, dataclasses.replace(caller, language=rt.settings.default_language)
    ):
        return
    staff_id = caller.staff_id
    if staff_id is None or caller.view is None or not caller.view.is_active:
        await reply(update, caller.t("score.not_staff"))
        return
    if context.args:
        period = await period_from_args(rt, update, caller, " ".join(context.args))
        if period is None:
            return  # period_from_args said why
    else:
        period = await _first_period(rt, staff_id)
    if period.status == PeriodStatus.SIGNED:
        await reply(update, caller.t("score.signed", period=period_label(caller.t, period.key)))
        return
    text, markup = list_screen(caller, rt, await list_view(rt, caller, period), staff_id, 0)
    await reply(update, text, reply_markup=markup)


# --- Buttons ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one press does: the pressed message's new screen (or a closing note on it), new
    messages after it, a toast, and private notices to others (telegram id, text)."""

    toast: str | None = None
    screen: Screen | None = None
    note: str | None = None
    follow: list[Screen] = field(default_factory=list)
    notices: list[tuple[int, str]] = field(default_factory=list)


Action = Callable[[Runtime, Caller, int, callbacks.Callback], Awaitable[Outcome]]


async def _page(rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback) -> Outcome:
    key = period_from_token(data.args[0]) if data.args else None
    page = data.int_arg(1)
    async with rt.sessions() as session:
        period = await store.get_period(session, key) if key else None
    if period is None or page is None:
        return Outcome(caller.toast("common.stale_button"))
    if period.status == PeriodStatus.SIGNED:
        return Outcome(caller.toast("score.refused.signed"))
    view = await list_view(rt, caller, period)
    return Outcome(screen=list_screen(caller, rt, view, staff_id, page))


async def _pick(rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback) -> Outcome:
    """Begin (or resume) scoring someone, after checking again that they are the caller's."""
    key = period_from_token(data.args[0]) if data.args else None
    evaluee_id = data.int_arg(1)
    if key is None or evaluee_id is None:
        return Outcome(caller.toast("common.stale_button"))
    now = rt.clock()
    async with rt.sessions() as session:
        period = await store.get_period(session, key)
        if period is None:
            return Outcome(caller.toast("common.stale_button"))
        evaluation = await store.evaluation_of(session, key, evaluee_id)
        if evaluation is None:
            members = await store.members(session, period=period)
            evaluee = next((m for m in members if m.staff_id == evaluee_id), None)
            if evaluee is None or not hearts.can_score(staff_id, evaluee, members):
                return Outcome(caller.toast("score.not_yours"))
            if period.status == PeriodStatus.SIGNED:
                return Outcome(caller.toast("score.refused.signed"))
            if not hearts.can_start(period.status):
                return Outcome(caller.toast("score.refused.closed"))
            evaluation = await store.start_evaluation(
                session,
                period_key=key,
                evaluee_id=evaluee_id,
                evaluator_id=staff_id,
                department=evaluee.department,
                now=now,
            )
        if evaluation.evaluator_id != staff_id:
            members = await store.members(session, period=period)
            evaluee = next((m for m in members if m.staff_id == evaluee_id), None)
            if evaluee is not None and hearts.takes_over(
                staff_id, evaluee, evaluation.evaluator_id, members
            ):
                starter = next(
                    (m.name for m in members if m.staff_id == evaluation.evaluator_id), ""
                )
                await store.take_over(
                    session,
                    evaluation.id or 0,
                    begun_by=evaluation.evaluator_id,
                    by=staff_id,
                    now=now,
                    begun_by_name=starter,
                )
                evaluation = await store.get_evaluation(session, evaluation.id or 0) or evaluation
                await session.refresh(evaluation)
        why = refusal(evaluation, period, staff_id)
        if why is not None:
            return Outcome(caller.toast(why))
        # Picked last, so the comment typed next is this draft's (scoring_comments).
        await store.move_step(
            session,
            evaluation.id or 0,
            expected_step=evaluation.step,
            step=evaluation.step,
            now=now,
        )
    draft = await load_draft(rt, evaluation.id or 0)
    if draft is None:
        return Outcome(caller.toast("common.stale_button"))
    return Outcome(screen=await _repaired(rt, caller, draft))


async def _repaired(rt: Runtime, caller: Caller, draft: Draft) -> Screen:
    """The draft's step screen; a step the period's hearts do not allow is first moved to
    whatever is missing, so its buttons work."""
    rules = draft.rules
    evaluation = draft.evaluation
    if hearts.parse_step(evaluation.step, rules) is None:
        step = hearts.next_step(
            draft.item.scores, draft.item.comments, rules, overall_done=evaluation.overall_done
        )
        async with rt.sessions() as session:
            await store.move_step(
                session, draft.item.id, expected_step=evaluation.step, step=step, now=rt.clock()
            )
        draft = await load_draft(rt, draft.item.id) or draft
    return step_screen(caller, draft)


async def _set(rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback) -> Outcome:
    """A 1–5 press on a heart: saved if the draft still waits for that heart's score."""
    index, score = data.int_arg(1), data.int_arg(2)
    if index is None or score is None:
        return Outcome(caller.toast("common.stale_button"))
    draft = await _editable(rt, caller, staff_id, data.int_arg(0))
    if isinstance(draft, Outcome):
        return draft
    evaluation_id = draft.item.id
    rules = draft.rules
    step = hearts.parse_step(draft.evaluation.step, rules)
    if step is None or step.kind not in ("h", "x") or step.index != index:
        return Outcome(caller.toast("score.stale"))
    if not rules.scale_min <= score <= rules.scale_max:
        return Outcome(caller.toast("common.stale_button"))
    heart = rules.hearts[index]
    scores = {**draft.item.scores, heart: score}
    following = hearts.step_after_score(
        index,
        scores,
        draft.item.comments,
        rules,
        changing=step.kind == "x",
        overall_done=draft.evaluation.overall_done,
    )
    async with rt.sessions() as session:
        saved = await store.record_score(
            session,
            evaluation_id,
            expected_step=draft.evaluation.step,
            heart=heart,
            score=score,
            next_step=following,
            now=rt.clock(),
        )
    return await _moved(rt, caller, evaluation_id, saved)


async def _moved(rt: Runtime, caller: Caller, evaluation_id: int, moved: bool) -> Outcome:
    """After a conditional move: the new step, or a toast when someone else moved first."""
    draft = await load_draft(rt, evaluation_id) if moved else None
    if draft is None:
        return Outcome(caller.toast("score.stale"))
    return Outcome(screen=step_screen(caller, draft))


async def _skip(rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback) -> Outcome:
    """Skip an optional comment (a heart's, or the overall one): what was there stays."""
    return await _leave_comment(rt, caller, staff_id, data, remove=False)


async def _clear(rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback) -> Outcome:
    """Take an optional comment away (a heart's, or the overall one)."""
    return await _leave_comment(rt, caller, staff_id, data, remove=True)


async def _leave_comment(
    rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback, *, remove: bool
) -> Outcome:
    which = data.args[1] if len(data.args) == 2 else ""
    if not (which == "o" or (which[:1] == "c" and which[1:].isdigit())):
        return Outcome(caller.toast("common.stale_button"))
    draft = await _editable(rt, caller, staff_id, data.int_arg(0))
    if isinstance(draft, Outcome):
        return draft
    evaluation_id = draft.item.id
    rules = draft.rules
    expected = hearts.STEP_OVERALL if which == "o" else hearts.step_comment(int(which[1:]))
    if draft.evaluation.step != expected:
        return Outcome(caller.toast("score.stale"))
    scores, comments = draft.item.scores, draft.item.comments
    heart = None
    if which != "o":
        heart = rules.hearts[int(which[1:])]
        if hearts.comment_required(scores[heart], rules) and (remove or not comments.get(heart)):
            return Outcome(caller.toast("score.comment_needed", score=scores[heart]))
        if remove:
            comments = {k: v for k, v in comments.items() if k != heart}
    overall_done = which == "o" or draft.evaluation.overall_done
    following = hearts.next_step(scores, comments, rules, overall_done=overall_done)
    async with rt.sessions() as session:
        skipped = await store.record_comment(
            session,
            evaluation_id,
            expected_step=expected,
            heart=heart,
            comment="",
            next_step=following,
            now=rt.clock(),
            remove=remove,
        )
    return await _moved(rt, caller, evaluation_id, skipped)


async def _save(rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback) -> Outcome:
    """Leave the draft as it is: the buttons go, /score picks it up again."""
    draft = await _editable(rt, caller, staff_id, data.int_arg(0))
    if isinstance(draft, Outcome):
        return draft
    return Outcome(note=caller.t("score.saved"))


async def _change(rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback) -> Outcome:
    """From the summary: which heart to change."""
    draft = await _editable(rt, caller, staff_id, data.int_arg(0))
    if isinstance(draft, Outcome):
        return draft
    if draft.evaluation.step != hearts.STEP_SUMMARY:
        return Outcome(caller.toast("score.stale"))
    return Outcome(screen=choose_screen(caller, draft))


async def _change_heart(
    rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback
) -> Outcome:
    """A heart chosen to change: its 1–5 again (step "x:i")."""
    index = data.int_arg(1)
    if index is None:
        return Outcome(caller.toast("common.stale_button"))
    draft = await _editable(rt, caller, staff_id, data.int_arg(0))
    if isinstance(draft, Outcome):
        return draft
    evaluation_id = draft.item.id
    if index >= len(draft.rules.hearts):
        return Outcome(caller.toast("common.stale_button"))
    if draft.evaluation.step != hearts.STEP_SUMMARY:
        return Outcome(caller.toast("score.stale"))
    async with rt.sessions() as session:
        moved = await store.move_step(
            session,
            evaluation_id,
            expected_step=hearts.STEP_SUMMARY,
            step=hearts.step_score(index, changing=True),
            now=rt.clock(),
        )
    return await _moved(rt, caller, evaluation_id, moved)


async def _back(rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback) -> Outcome:
    """Back to the summary, from choosing a heart or from changing one unchanged."""
    draft = await _editable(rt, caller, staff_id, data.int_arg(0))
    if isinstance(draft, Outcome):
        return draft
    evaluation_id = draft.item.id
    step = draft.evaluation.step
    if step == hearts.STEP_SUMMARY:
        return Outcome(screen=step_screen(caller, draft))
    if not step.startswith("x:"):
        return Outcome(caller.toast("score.stale"))
    async with rt.sessions() as session:
        moved = await store.move_step(
            session, evaluation_id, expected_step=step, step=hearts.STEP_SUMMARY, now=rt.clock()
        )
    return await _moved(rt, caller, evaluation_id, moved)


async def _submit(rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback) -> Outcome:
    """Send the evaluation to the director; then the next person, or everyone is done."""
    draft = await _editable(rt, caller, staff_id, data.int_arg(0))
    if isinstance(draft, Outcome):
        return draft
    evaluation_id = draft.item.id
    evaluation, rules, period = draft.evaluation, draft.rules, draft.period
    if evaluation.step != hearts.STEP_SUMMARY:
        return Outcome(caller.toast("score.stale"))
    errors = hearts.validate_scores(draft.item.scores, draft.item.comments, rules)
    if errors:
        problems = [
            caller.t(error.key, heart=heart_name(caller.t, error.heart), **error.params)
            for error in errors
        ]
        step = hearts.next_step(
            draft.item.scores, draft.item.comments, rules, overall_done=evaluation.overall_done
        )
        async with rt.sessions() as session:
            await store.move_step(
                session,
                evaluation_id,
                expected_step=hearts.STEP_SUMMARY,
                step=step,
                now=rt.clock(),
            )
        moved = await load_draft(rt, evaluation_id) or draft
        note = caller.t("score.incomplete", problems="\n".join(problems))
        return Outcome(
            caller.toast("score.incomplete_toast"), step_screen(caller, moved, note=note)
        )
    resubmission = evaluation.status == EvaluationStatus.RETURNED
    async with rt.sessions() as session:
        submitted = await store.submit(
            session, evaluation_id, by=staff_id, now=rt.clock(), period_status=period.status
        )
    if not submitted:
        again = await load_draft(rt, evaluation_id)
        why = refusal(again.evaluation, again.period, staff_id) if again else None
        return Outcome(caller.toast(why or "score.stale"))
    label = period_label(caller.t, period.key)
    note = caller.t("score.resubmitted" if resubmission else "score.submitted", period=label)
    view = await list_view(rt, caller, period)
    outcome = Outcome(note=note, follow=[list_screen(caller, rt, view, staff_id, 0)])
    outcome.notices = await _director_notices(rt, caller, view, staff_id, draft, resubmission)
    return outcome


async def _director_notices(
    rt: Runtime, caller: Caller, view: ListView, staff_id: int, draft: Draft, resubmission: bool
) -> list[tuple[int, str]]:
    """For each active director: this evaluator has now submitted everyone, or a returned
    evaluation came back. Nothing while people are still left."""
    own = [e for e in view.evaluations if e.evaluator_id == staff_id]
    finished = not to_score(staff_id, view.members, view.evaluations, PeriodStatus.OPEN)
    if not resubmission and not finished:
        return []
    evaluator = caller.view.staff.name if caller.view else caller.user.full_name
    notices = []
    async with rt.sessions() as session:
        directors = await org.views_with_role(session, hearts.REVIEWER)
    for director in directors:
        if director is None or director.staff.telegram_id is None:
            continue
        t = texts_for(rt, director)
        period = period_label(t, draft.period.key)
        if resubmission:
            text = t(
                "score.notice.resubmitted", evaluator=evaluator, name=draft.name, period=period
            )
        else:
            done = sum(e.status in DONE for e in own)
            text = t("score.notice.all_submitted", evaluator=evaluator, n=done, period=period)
        notices.append((director.staff.telegram_id, text))
    return notices


ACTIONS: dict[str, Action] = {
    "page": _page,
    "pick": _pick,
    "set": _set,
    "skip": _skip,
    "clear": _clear,
    "save": _save,
    "sub": _submit,
    "chg": _change,
    "chh": _change_heart,
    "back": _back,
}


async def score_button(update: Update, context: Context) -> None:
    """One press in the /score conversation: re-read the evaluation, move it if the press
    still fits, and show where it stands now; anything else is one short answer."""
    rt, query, caller, data = await pressed(update, context)
    action = ACTIONS.get(data.action) if data is not None else None
    if data is None or action is None:
        await query.answer(caller.toast("common.stale_button"))
        return
    if not is_private(update):
        await query.answer(caller.toast("evaluation.private_only"))
        return
    staff_id = caller.staff_id
    if staff_id is None or caller.view is None or not caller.view.is_active:
        await query.answer(caller.toast("score.not_staff"))
        return
    outcome = await action(rt, caller, staff_id, data)
    # The screen changes before the press is answered, so whoever waits on the answer sees
    # the new screen.
    if outcome.screen is not None:
        await edit_screen(update, *outcome.screen)
    elif outcome.note is not None:
        message = pressed_message(update)
        if message is not None and message.text is not None:
            await edit_screen(update, with_note(message.text_html, outcome.note), None)
    for text, markup in outcome.follow:
        await reply(update, text, reply_markup=markup)
    await query.answer(outcome.toast)
    for telegram_id, text in outcome.notices:
        await send_private(context.bot, telegram_id, text)
