"""Six-hearts evaluation storage: periods, evaluations and their scores, history, reminders.

Every move of an evaluation is one conditional UPDATE on its row (`WHERE status = … AND
step = …`), so a double press, a stale button or two people at once change it at most
once; the caller is told whether its move happened. Rules live in `bot.hearts`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, exists, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import hearts
from bot.states import EvaluationReminderKind, OutboxState, PeriodStatus
from storage import outbox
from storage.models import (
    EVALUATION_CONFIRMED,
    EVALUATION_DRAFT,
    EVALUATION_RETURNED,
    EVALUATION_SUBMITTED,
    OUTBOX_EVALUATION,
    STATUS_ACTIVE,
    STATUS_INACTIVE,
    Evaluation,
    EvaluationEvent,
    EvaluationPeriod,
    EvaluationReminder,
    EvaluationScore,
    OutboxSend,
    ReviewMessage,
    Staff,
    StaffRole,
)

EDITABLE = (EVALUATION_DRAFT, EVALUATION_RETURNED)

# --- the organisation, as the rules see it -------------------------------------------------


async def members(
    session: AsyncSession, *, period: EvaluationPeriod | None = None
) -> list[hearts.Member]:
    """Everyone who is or was staff, with their roles, in two queries. With a `period`,
    people added after it ended are marked so: they were not there to be scored. (Added
    after it was opened, too: a month opened late to record it holds everyone known then.)"""
    people = await session.exec(
        select(Staff).where(col(Staff.status).in_((STATUS_ACTIVE, STATUS_INACTIVE)))
    )
    staff = [s for s in people.all() if s.id is not None]
    roles: dict[int, set[str]] = {}
    rows = await session.exec(select(StaffRole))
    for row in rows.all():
        roles.setdefault(row.staff_id, set()).add(row.role)
    return [
        hearts.Member(
            staff_id=s.id or 0,
            name=s.name,
            department=s.department_code,
            roles=frozenset(roles.get(s.id or 0, ())),
            reports_to=s.reports_to_id,
            active=s.status == STATUS_ACTIVE,
            joined_later=period is not None
            and s.created_at > max(period.ends_at, period.opened_at),
        )
        for s in staff
    ]


# --- periods ---------------------------------------------------------------------------------


def rules_of(period: EvaluationPeriod) -> hearts.PeriodRules:
    return hearts.PeriodRules(
        scale_min=period.scale_min,
        scale_max=period.scale_max,
        comment_required_at_or_below=period.comment_at_or_below,
        hearts=tuple(period.hearts.split(",")),
    )


async def get_period(session: AsyncSession, key: str) -> EvaluationPeriod | None:
    return await session.get(EvaluationPeriod, key)


async def list_periods(
    session: AsyncSession, *, statuses: Sequence[str] | None = None
) -> list[EvaluationPeriod]:
    """Periods, oldest first."""
    query = select(EvaluationPeriod)
    if statuses is not None:
        query = query.where(col(EvaluationPeriod.status).in_(statuses))
    result = await session.exec(query.order_by(col(EvaluationPeriod.key)))
    return list(result.all())


async def open_period(
    session: AsyncSession,
    key: str,
    *,
    now: datetime,
    zone: ZoneInfo,
    opened_by: int | None = None,
    rules: hearts.PeriodRules | None = None,
) -> tuple[EvaluationPeriod, bool]:
    """The period `key`, opening it (with today's rules and its reminders) if it does not
    exist yet. Returns it and whether this call opened it; two callers at once open it once."""
    existing = await session.get(EvaluationPeriod, key)
    if existing is not None:
        return existing, False
    rules = rules or hearts.PeriodRules()
    starts_at, ends_at = hearts.period_bounds(key, zone)
    period = EvaluationPeriod(
        key=key,
        starts_at=starts_at,
        ends_at=ends_at,
        deadline_at=hearts.default_deadline(key, zone),
        scale_min=rules.scale_min,
        scale_max=rules.scale_max,
        comment_at_or_below=rules.comment_required_at_or_below,
        hearts=",".join(rules.hearts),
        opened_by=opened_by,
        opened_at=now,
    )
    session.add(period)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        again = await session.get(EvaluationPeriod, key)
        assert again is not None
        return again, False
    tell_admins_at = hearts.scoring_starts(key, zone)
    if tell_admins_at > now:
        session.add(
            EvaluationReminder(
                period_key=key, kind=EvaluationReminderKind.UNASSIGNED, due_at=tell_admins_at
            )
        )
    _add_deadline_reminders(session, period, now)
    await session.commit()
    return period, True


def _add_deadline_reminders(
    session: AsyncSession, period: EvaluationPeriod, now: datetime
) -> None:
    """The 3-day and 1-day reminders and the director's late list, for the current deadline.
    A time already past is skipped rather than sent late; but a deadline set so close that
    both reminder times are past still gets one reminder, now."""
    deadline = period.deadline_at
    reminders = [at for at in hearts.reminder_times(deadline) if at > now]
    if not reminders and deadline > now:
        reminders = [now]
    planned = [(EvaluationReminderKind.REMIND, level, at) for level, at in enumerate(reminders)]
    if deadline > now:
        planned.append((EvaluationReminderKind.LATE, 0, deadline))
    for kind, level, at in planned:
        session.add(
            EvaluationReminder(
                period_key=period.key,
                kind=kind,
                level=level,
                version=period.deadline_version,
                due_at=at,
            )
        )


async def _replan(session: AsyncSession, period: EvaluationPeriod, now: datetime) -> None:
    """Cancel the deadline's pending reminders and plan them again as new rows."""
    await session.exec(
        update(EvaluationReminder)
        .where(
            col(EvaluationReminder.period_key) == period.key,
            col(EvaluationReminder.kind).in_(
                (EvaluationReminderKind.REMIND, EvaluationReminderKind.LATE)
            ),
            col(EvaluationReminder.state) == OutboxState.PENDING,
        )
        .values(state=OutboxState.CANCELLED)
    )
    period.deadline_version += 1
    session.add(period)
    _add_deadline_reminders(session, period, now)


async def set_deadline(
    session: AsyncSession, key: str, *, deadline: datetime, now: datetime
) -> EvaluationPeriod | None:
    """Move an unsigned period's deadline and re-plan its reminders; None if it is signed."""
    period = await session.get(EvaluationPeriod, key)
    if period is None or period.status == PeriodStatus.SIGNED:
        return None
    period.deadline_at = deadline
    await _replan(session, period, now)
    await session.commit()
    return period


async def close_period(session: AsyncSession, key: str, *, by: int | None, now: datetime) -> bool:
    """Stop new scoring in an open period; False if it was not open."""
    outcome = await session.exec(
        update(EvaluationPeriod)
        .where(col(EvaluationPeriod.key) == key, col(EvaluationPeriod.status) == PeriodStatus.OPEN)
        .values(status=PeriodStatus.CLOSED, closed_by=by, closed_at=now)
    )
    await session.commit()
    return outcome.rowcount == 1


async def reopen_period(session: AsyncSession, key: str, *, now: datetime) -> bool:
    """Let scoring go on in a closed (never a signed) period; its reminders are planned
    again, since those that fell due while it was closed went to nobody."""
    outcome = await session.exec(
        update(EvaluationPeriod)
        .where(
            col(EvaluationPeriod.key) == key, col(EvaluationPeriod.status) == PeriodStatus.CLOSED
        )
        .values(status=PeriodStatus.OPEN, closed_by=None, closed_at=None)
    )
    if outcome.rowcount != 1:
        await session.rollback()
        return False
    period = await session.get(EvaluationPeriod, key)
    assert period is not None
    await session.refresh(period)
    await _replan(session, period, now)
    await session.commit()
    return True


async def sign_period(session: AsyncSession, key: str, *, by: int, now: datetime) -> bool:
    """Sign an unsigned period, if the rules allow it now; every confirmed evaluation's
    history records the signature. False if it was already signed or may not be."""
    period = await session.get(EvaluationPeriod, key)
    if period is None:
        return False
    statuses = [e.status for e in await evaluations_in(session, key)]
    allowed, _ = hearts.can_sign(period.status, statuses)
    if not allowed:
        return False

    # The rules again, in the statement itself: nothing submitted or returned a moment ago
    # slips into a signed period.
    def in_period(*statuses: str) -> Any:
        return exists().where(
            col(Evaluation.period_key) == key, col(Evaluation.status).in_(statuses)
        )

    outcome = await session.exec(
        update(EvaluationPeriod)
        .where(
            col(EvaluationPeriod.key) == key,
            col(EvaluationPeriod.status).in_((PeriodStatus.OPEN, PeriodStatus.CLOSED)),
            ~in_period(EVALUATION_SUBMITTED, EVALUATION_RETURNED),
            in_period(EVALUATION_CONFIRMED),
        )
        .values(status=PeriodStatus.SIGNED, signed_by=by, signed_at=now)
    )
    if outcome.rowcount != 1:
        await session.rollback()
        return False
    # Nothing may be pending any more: the period is final.
    await session.exec(
        update(EvaluationReminder)
        .where(
            col(EvaluationReminder.period_key) == key,
            col(EvaluationReminder.state) == OutboxState.PENDING,
        )
        .values(state=OutboxState.CANCELLED)
    )
    for evaluation in await evaluations_in(session, key, statuses=(EVALUATION_CONFIRMED,)):
        session.add(_event(evaluation.id or 0, "signed", by, now))
    await session.commit()
    return True


# --- evaluations -----------------------------------------------------------------------------


@dataclass
class Scored:
    """An evaluation with its scores and comments, read in one go."""

    evaluation: Evaluation
    scores: dict[str, int] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> int:
        assert self.evaluation.id is not None
        return self.evaluation.id


def _event(
    evaluation_id: int, kind: str, by: int | None, now: datetime, detail: str = ""
) -> EvaluationEvent:
    return EvaluationEvent(
        evaluation_id=evaluation_id, at=now, actor_id=by, kind=kind, detail=detail
    )


async def get_evaluation(session: AsyncSession, evaluation_id: int) -> Evaluation | None:
    return await session.get(Evaluation, evaluation_id)


async def evaluation_of(
    session: AsyncSession, period_key: str, evaluee_id: int
) -> Evaluation | None:
    result = await session.exec(
        select(Evaluation).where(
            col(Evaluation.period_key) == period_key, col(Evaluation.evaluee_id) == evaluee_id
        )
    )
    return result.first()


async def evaluations_in(
    session: AsyncSession,
    period_key: str,
    *,
    statuses: Sequence[str] | None = None,
    evaluator_id: int | None = None,
    department: str | None = None,
) -> list[Evaluation]:
    query = select(Evaluation).where(col(Evaluation.period_key) == period_key)
    if statuses is not None:
        query = query.where(col(Evaluation.status).in_(statuses))
    if evaluator_id is not None:
        query = query.where(col(Evaluation.evaluator_id) == evaluator_id)
    if department is not None:
        query = query.where(col(Evaluation.department_code) == department)
    result = await session.exec(query.order_by(col(Evaluation.id)))
    return list(result.all())


async def with_scores(session: AsyncSession, evaluations: Iterable[Evaluation]) -> list[Scored]:
    """The evaluations with their scores and comments, in one query."""
    scored = [Scored(e) for e in evaluations if e.id is not None]
    by_id = {s.id: s for s in scored}
    if by_id:
        rows = await session.exec(
            select(EvaluationScore).where(col(EvaluationScore.evaluation_id).in_(by_id))
        )
        for row in rows.all():
            target = by_id[row.evaluation_id]
            target.scores[row.heart] = row.score
            if row.comment:
                target.comments[row.heart] = row.comment
    return scored


async def scored(session: AsyncSession, evaluation_id: int) -> Scored | None:
    evaluation = await session.get(Evaluation, evaluation_id)
    if evaluation is None:
        return None
    return (await with_scores(session, [evaluation]))[0]


async def start_evaluation(
    session: AsyncSession,
    *,
    period_key: str,
    evaluee_id: int,
    evaluator_id: int,
    department: str | None,
    now: datetime,
) -> Evaluation:
    """The evaluee's evaluation this period, begun as a draft if there is none yet."""
    existing = await evaluation_of(session, period_key, evaluee_id)
    if existing is not None:
        return existing
    evaluation = Evaluation(
        period_key=period_key,
        evaluee_id=evaluee_id,
        evaluator_id=evaluator_id,
        department_code=department,
        step=hearts.step_score(0),
        created_at=now,
        updated_at=now,
    )
    session.add(evaluation)
    try:
        await session.flush()
    except IntegrityError:  # begun at the same moment elsewhere: that one counts
        await session.rollback()
        again = await evaluation_of(session, period_key, evaluee_id)
        assert again is not None
        return again
    session.add(_event(evaluation.id or 0, "started", evaluator_id, now))
    await session.commit()
    return evaluation


async def _move(
    session: AsyncSession,
    evaluation_id: int,
    *,
    from_step: str | None,
    from_statuses: Sequence[str],
    now: datetime,
    by_evaluator: bool = True,
    period_in: Sequence[str] = (PeriodStatus.OPEN, PeriodStatus.CLOSED),
    **values: object,
) -> bool:
    """One conditional update of an evaluation; True when it was in the expected state,
    its period too (never signed): checked in the same statement, so nothing lands in a
    period signed a moment before.

    `updated_at` is when its evaluator last worked on it (the draft whose comment the next
    typed text is): the director's moves leave it alone."""
    period_allows = exists().where(
        col(EvaluationPeriod.key) == col(Evaluation.period_key),
        col(EvaluationPeriod.status).in_(period_in),
    )
    query = update(Evaluation).where(
        col(Evaluation.id) == evaluation_id,
        col(Evaluation.status).in_(from_statuses),
        period_allows,
    )
    if from_step is not None:
        query = query.where(col(Evaluation.step) == from_step)
    if by_evaluator:
        values["updated_at"] = now
    outcome = await session.exec(query.values(**values))
    if outcome.rowcount != 1:
        await session.rollback()  # nothing of the refused move stays in the session
        return False
    return True


async def _put_score(
    session: AsyncSession,
    evaluation_id: int,
    heart: str,
    *,
    score: int | None = None,
    comment: str | None = None,
) -> None:
    row = await session.get(EvaluationScore, (evaluation_id, heart))
    if row is None:
        assert score is not None, "a comment is only ever added to a scored heart"
        row = EvaluationScore(evaluation_id=evaluation_id, heart=heart, score=score)
    if score is not None:
        row.score = score
    if comment is not None:
        row.comment = comment
    session.add(row)


async def record_score(
    session: AsyncSession,
    evaluation_id: int,
    *,
    expected_step: str,
    heart: str,
    score: int,
    next_step: str,
    now: datetime,
) -> bool:
    """Score a heart, if the draft is still at `expected_step` (else a stale button)."""
    if not await _move(
        session,
        evaluation_id,
        from_step=expected_step,
        from_statuses=EDITABLE,
        now=now,
        step=next_step,
    ):
        return False
    await _put_score(session, evaluation_id, heart, score=score)
    await session.commit()
    return True


async def record_comment(
    session: AsyncSession,
    evaluation_id: int,
    *,
    expected_step: str,
    heart: str | None,
    comment: str,
    next_step: str,
    now: datetime,
    remove: bool = False,
) -> bool:
    """A heart's comment (or, with `heart=None`, the overall comment). An empty `comment`
    skips an optional one and keeps what was there; `remove` takes it away."""
    values: dict[str, Any] = {"step": next_step}
    if heart is None:
        values["overall_done"] = True
        if comment or remove:
            values["overall_comment"] = comment
    if not await _move(
        session,
        evaluation_id,
        from_step=expected_step,
        from_statuses=EDITABLE,
        now=now,
        **values,
    ):
        return False
    if heart is not None and (comment or remove):
        await _put_score(session, evaluation_id, heart, comment=comment)
    await session.commit()
    return True


async def move_step(
    session: AsyncSession, evaluation_id: int, *, expected_step: str, step: str, now: datetime
) -> bool:
    """Go to another step (Change a heart, back to the summary)."""
    moved = await _move(
        session,
        evaluation_id,
        from_step=expected_step,
        from_statuses=EDITABLE,
        now=now,
        step=step,
    )
    await session.commit()
    return moved


async def submit(
    session: AsyncSession, evaluation_id: int, *, by: int, now: datetime, period_status: str
) -> bool:
    """Send a complete draft or a fixed returned evaluation to the director."""
    allowed = [s for s in EDITABLE if hearts.can_submit(s, period_status=period_status)]
    current = await session.get(Evaluation, evaluation_id)
    if current is None or not allowed:
        return False
    kind = "resubmitted" if current.status == EVALUATION_RETURNED else "submitted"
    if not await _move(
        session,
        evaluation_id,
        from_step=hearts.STEP_SUMMARY,
        from_statuses=allowed,
        now=now,
        period_in=(period_status,),
        status=EVALUATION_SUBMITTED,
        submitted_at=now,
    ):
        return False
    session.add(_event(evaluation_id, kind, by, now))
    await session.commit()
    return True


async def return_evaluation(
    session: AsyncSession, evaluation_id: int, *, by: int, reason: str, now: datetime
) -> bool:
    """Send a submitted evaluation back to its evaluator, with the director's reason."""
    if not await _move(
        session,
        evaluation_id,
        from_step=None,
        from_statuses=(EVALUATION_SUBMITTED,),
        now=now,
        by_evaluator=False,
        status=EVALUATION_RETURNED,
        return_reason=reason,
        step=hearts.STEP_SUMMARY,
    ):
        return False
    session.add(_event(evaluation_id, "returned", by, now, reason))
    await session.commit()
    return True


async def confirm(session: AsyncSession, evaluation_id: int, *, by: int, now: datetime) -> bool:
    if not await _move(
        session,
        evaluation_id,
        from_step=None,
        from_statuses=(EVALUATION_SUBMITTED,),
        now=now,
        by_evaluator=False,
        status=EVALUATION_CONFIRMED,
        confirmed_by=by,
        confirmed_at=now,
    ):
        return False
    session.add(_event(evaluation_id, "confirmed", by, now))
    await session.commit()
    return True


async def confirm_all(
    session: AsyncSession,
    period_key: str,
    *,
    by: int,
    now: datetime,
    department: str | None = None,
) -> list[int]:
    """Confirm every submitted evaluation of the period (or of one department); the ids."""
    confirmed = []
    for evaluation in await evaluations_in(
        session, period_key, statuses=(EVALUATION_SUBMITTED,), department=department
    ):
        if evaluation.id is not None and await confirm(session, evaluation.id, by=by, now=now):
            confirmed.append(evaluation.id)
    return confirmed


async def history(session: AsyncSession, evaluation_id: int) -> list[EvaluationEvent]:
    result = await session.exec(
        select(EvaluationEvent)
        .where(col(EvaluationEvent.evaluation_id) == evaluation_id)
        .order_by(col(EvaluationEvent.at), col(EvaluationEvent.id))
    )
    return list(result.all())


async def take_over(
    session: AsyncSession,
    evaluation_id: int,
    *,
    begun_by: int,
    by: int,
    now: datetime,
    begun_by_name: str = "",
) -> bool:
    """Hand a draft or returned evaluation whose evaluator left to whoever scores the
    evaluee now; recorded in its history. False if it moved on meanwhile."""
    outcome = await session.exec(
        update(Evaluation)
        .where(
            col(Evaluation.id) == evaluation_id,
            col(Evaluation.evaluator_id) == begun_by,
            col(Evaluation.status).in_(EDITABLE),
        )
        .values(evaluator_id=by, updated_at=now)
    )
    if outcome.rowcount != 1:
        await session.rollback()
        return False
    session.add(_event(evaluation_id, "reassigned", by, now, begun_by_name))
    await session.commit()
    return True


# --- the outbox of evaluation reminders ------------------------------------------------------


async def claim_due_reminders(
    session: AsyncSession, *, now: datetime, limit: int = 1
) -> list[EvaluationReminder]:
    """Due rows, each claimed once (storage.outbox): two senders never send one twice."""
    return await outbox.claim_due(session, EvaluationReminder, now=now, limit=limit)


async def finish_reminder(session: AsyncSession, *, reminder_id: int, now: datetime) -> None:
    await outbox.finish(session, EvaluationReminder, row_id=reminder_id, now=now)


async def postpone_reminder(
    session: AsyncSession, *, reminder_id: int, next_try_at: datetime
) -> None:
    await outbox.postpone(session, EvaluationReminder, row_id=reminder_id, next_try_at=next_try_at)


async def interrupted_reminders(
    session: AsyncSession, *, claimed_before: datetime
) -> tuple[list[EvaluationReminder], list[OutboxSend]]:
    """Rows a stopped sender left claimed, resumed; the calls under way then are "maybe"."""
    return await outbox.interrupted(
        session, EvaluationReminder, outbox=OUTBOX_EVALUATION, claimed_before=claimed_before
    )


async def reminders_of(session: AsyncSession, period_key: str) -> list[EvaluationReminder]:
    result = await session.exec(
        select(EvaluationReminder)
        .where(col(EvaluationReminder.period_key) == period_key)
        .order_by(col(EvaluationReminder.id))
    )
    return list(result.all())


# --- who still has work ----------------------------------------------------------------------


@dataclass(frozen=True)
class Outstanding:
    """An evaluator and the people they have not submitted yet this period."""

    evaluator_id: int
    evaluee_ids: tuple[int, ...]


async def outstanding(
    session: AsyncSession, period_key: str, people: Sequence[hearts.Member]
) -> list[Outstanding]:
    """Per evaluator (by id), the evaluees with no submitted, returned-and-unfixed counts as
    outstanding too: only submitted and confirmed evaluations are done."""
    done = {
        e.evaluee_id
        for e in await evaluations_in(
            session, period_key, statuses=(EVALUATION_SUBMITTED, EVALUATION_CONFIRMED)
        )
    }
    begun = {e.evaluee_id: e.evaluator_id for e in await evaluations_in(session, period_key)}
    active = {m.staff_id for m in people if m.active}
    behind: dict[int, list[int]] = {}
    chain = hearts.evaluators(people)
    for member in people:
        # A begun evaluation is its starter's to finish while they are still here.
        starter = begun.get(member.staff_id)
        evaluator = starter if starter in active else chain[member.staff_id]
        if not hearts.is_evaluated(member):
            continue  # left the hotel (or is not scored at all): nobody is behind on them
        if evaluator is not None and member.staff_id not in done:
            behind.setdefault(evaluator, []).append(member.staff_id)
    return [Outstanding(k, tuple(v)) for k, v in sorted(behind.items())]


# --- handlers.evaluation.scoring -------------------------------------------------------------


async def latest_editable(session: AsyncSession, evaluator_id: int) -> Evaluation | None:
    """The evaluator's draft or returned evaluation they worked on last (any period): the
    one a typed comment is for, if its step waits for one."""
    result = await session.exec(
        select(Evaluation)
        .where(
            col(Evaluation.evaluator_id) == evaluator_id,
            col(Evaluation.status).in_(EDITABLE),
        )
        .order_by(col(Evaluation.updated_at).desc(), col(Evaluation.id).desc())
    )
    return result.first()


# --- results and reports (handlers.evaluation.results) -------------------------------------


async def confirmed_of(
    session: AsyncSession, evaluee_id: int, *, evaluator_id: int | None = None
) -> list[Evaluation]:
    """A person's confirmed evaluations, oldest period first (optionally one evaluator's)."""
    query = select(Evaluation).where(
        col(Evaluation.evaluee_id) == evaluee_id,
        col(Evaluation.status) == EVALUATION_CONFIRMED,
    )
    if evaluator_id is not None:
        query = query.where(col(Evaluation.evaluator_id) == evaluator_id)
    result = await session.exec(query.order_by(col(Evaluation.period_key)))
    return list(result.all())


async def confirmed_evaluees(
    session: AsyncSession, *, evaluator_id: int | None = None
) -> list[Staff]:
    """Everyone with a confirmed evaluation in any period (optionally one that `evaluator_id`
    made), by name."""
    evaluated = select(Evaluation.evaluee_id).where(col(Evaluation.status) == EVALUATION_CONFIRMED)
    if evaluator_id is not None:
        evaluated = evaluated.where(col(Evaluation.evaluator_id) == evaluator_id)
    result = await session.exec(
        select(Staff).where(col(Staff.id).in_(evaluated)).order_by(col(Staff.name), col(Staff.id))
    )
    return list(result.all())


# --- the messages of the latest /review in a chat -------------------------------------------


@dataclass(frozen=True)
class BoardPart:
    """Which part of a period's board a message shows (see models.ReviewMessage)."""

    message_id: int
    period_key: str
    department: str
    part: int


async def keep_review_messages(
    session: AsyncSession, *, chat_id: int, parts: Sequence[BoardPart], now: datetime
) -> None:
    """The chat's latest /review: these messages, in place of the earlier /review's."""
    await session.exec(delete(ReviewMessage).where(col(ReviewMessage.chat_id) == chat_id))
    session.add_all(
        ReviewMessage(
            chat_id=chat_id,
            message_id=part.message_id,
            period_key=part.period_key,
            department=part.department,
            part=part.part,
            sent_at=now,
        )
        for part in parts
    )
    await session.commit()


async def review_messages(session: AsyncSession, chat_id: int) -> list[BoardPart]:
    rows = await session.exec(
        select(ReviewMessage)
        .where(ReviewMessage.chat_id == chat_id)
        .order_by(col(ReviewMessage.message_id))
    )
    return [BoardPart(r.message_id, r.period_key, r.department, r.part) for r in rows.all()]


async def move_review_message(
    session: AsyncSession, *, chat_id: int, message_id: int, department: str, part: int
) -> None:
    """A message of the latest /review now shows another part (its person moved there)."""
    await session.exec(
        update(ReviewMessage)
        .where(col(ReviewMessage.chat_id) == chat_id, col(ReviewMessage.message_id) == message_id)
        .values(department=department, part=part)
    )
    await session.commit()
