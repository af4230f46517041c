"""Rules of the "six hearts" (六心) service evaluation: periods, who scores whom, what a valid
set of scores is, totals, averages and ranks, the sign-off chain, who sees a result, and when
evaluators are reminded. Pure: no Telegram, no database, no clock (`now` is an argument).

Decisions, where the issue is silent:

- A period is a calendar month in the hotel's zone, keyed "YYYY-MM", half-open
  [first day 00:00, next month's first day 00:00). Its default deadline is the 5th of the
  following month at 18:00 local: the month has to be over before it can be judged, and the
  first working week gives managers time to score it.
- Typed periods: "2026-11", "2026/11", "2026.11", "2026年11月", "11月" (the most recent
  such month, in the hotel's zone), "本月"/"this month", "上月"/"last month". Full-width
  digits are fine.
- Evaluated: every active member except directors, GMs and people whose only role is admin
  (a member with no role at all counts as ordinary staff). Staff, CS agents, duty managers
  and ops managers are scored by their reports-to; a head / store manager by the
  `ops_manager` (their reports-to if that is an active ops manager, else the active ops
  manager with the lowest staff id). An evaluator must be active and never the evaluee;
  someone left without one is `unassigned` and listed to admins.
- A period is open (scoring), closed (an admin stopped new scoring: only a returned
  evaluation may still be fixed and resubmitted, so a return is never a dead end) or signed
  (final: nothing moves).
- Only a `director` reviews (confirms or returns); only a `gm` signs. Admin is neither: the
  scores are private and admin is a technical role. A submitted evaluation can be returned
  or confirmed; a confirmed one is final for the director. Nothing moves once the period is
  signed. Drafts do not block signing (the GM sees who is missing); a submitted but
  unconfirmed or a returned evaluation does.
- Results: the evaluee sees theirs only after signing; their evaluator, the director and the
  GM always; nobody else, admins included.
- Rounding is half-up to two places ("4.125" -> 4.13), as people round on paper.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from bot.limits import one_line
from bot.org import Person
from bot.states import UNSIGNED_PERIODS, EvaluationStatus, PeriodStatus

HEARTS: tuple[str, ...] = (
    "confidence",
    "warmth",
    "attentiveness",
    "patience",
    "sincerity",
    "carefulness",
)


@dataclass(frozen=True)
class PeriodRules:
    """Fixed when a period opens, so a later change never rewrites a past period."""

    scale_min: int = 1
    scale_max: int = 5
    comment_required_at_or_below: int = 2
    hearts: tuple[str, ...] = HEARTS


def name_key(heart: str) -> str:
    return f"hearts.name.{heart}"


def description_key(heart: str) -> str:
    return f"hearts.description.{heart}"


def score_key(score: int) -> str:
    return f"hearts.score.{score}"


# --- periods ---------------------------------------------------------------------------------

PERIOD_UNREADABLE = "hearts.period.error.unreadable"
PERIOD_NO_SUCH_MONTH = "hearts.period.error.no_such_month"
PERIOD_YEAR_OUT_OF_RANGE = "hearts.period.error.year_out_of_range"

_KEY_RE = re.compile(r"(\d{4})-(\d{2})")
_YEAR_MONTH_RE = re.compile(r"(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*月?")
_MONTH_RE = re.compile(r"(\d{1,2})\s*月(?:份)?")
_THIS_MONTH = frozenset({"本月", "这个月", "this month", "this"})
_LAST_MONTH = frozenset({"上月", "上个月", "last month", "last"})
MIN_YEAR, MAX_YEAR = 2000, 2100
DEADLINE_DAY = 5
DEADLINE_HOUR = 18


@dataclass(frozen=True)
class PeriodError:
    """Why a typed period was refused: a catalog key and its placeholders."""

    key: str
    params: dict[str, str] = field(default_factory=dict)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime")


def _split(key: str) -> tuple[int, int]:
    match = _KEY_RE.fullmatch(key)
    if match is None:
        raise ValueError(f"not a period key: {key!r}")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise ValueError(f"not a period key: {key!r}")
    return year, month


def _key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _shift(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def period_key(moment: datetime, zone: ZoneInfo) -> str:
    """The month `moment` falls in, in the hotel's zone."""
    _require_aware(moment)
    local = moment.astimezone(zone)
    return _key(local.year, local.month)


def previous_period(key: str) -> str:
    return _key(*_shift(*_split(key), -1))


def next_period(key: str) -> str:
    return _key(*_shift(*_split(key), 1))


def period_bounds(key: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of the month in UTC; the end is the next month's start."""
    year, month = _split(key)
    next_year, next_month = _shift(year, month, 1)
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(next_year, next_month, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def default_deadline(key: str, zone: ZoneInfo) -> datetime:
    """The 5th of the following month at 18:00 local, in UTC."""
    year, month = _shift(*_split(key), 1)
    return datetime(year, month, DEADLINE_DAY, DEADLINE_HOUR, tzinfo=zone).astimezone(UTC)


SCORING_STARTS_HOUR = 9


def scoring_starts(key: str, zone: ZoneInfo) -> datetime:
    """When managers can judge the month: the 1st of the next month at 09:00 local, in UTC.
    Admins hear then who nobody scores (not at midnight, when the period opens)."""
    year, month = _shift(*_split(key), 1)
    return datetime(year, month, 1, SCORING_STARTS_HOUR, tzinfo=zone).astimezone(UTC)


def parse_period(text: str, *, now: datetime, zone: ZoneInfo) -> str | PeriodError:
    """A typed period as its key, or why it cannot be read. Never raises on bad text."""
    _require_aware(now)
    cleaned = " ".join(unicodedata.normalize("NFKC", text).strip().lower().split())
    current = period_key(now, zone)
    if cleaned in _THIS_MONTH:
        return current
    if cleaned in _LAST_MONTH:
        return previous_period(current)
    match = _YEAR_MONTH_RE.fullmatch(cleaned)
    if match is not None:
        year, month = int(match[1]), int(match[2])
    else:
        match = _MONTH_RE.fullmatch(cleaned)
        if match is None:
            return PeriodError(PERIOD_UNREADABLE, {"text": one_line(text)})
        # A bare month is the most recent one of that name: in January "12月" is the
        # December just past, not the one eleven months ahead.
        year, month = int(current[:4]), int(match[1])
        if month > int(current[5:]):
            year -= 1
    if not MIN_YEAR <= year <= MAX_YEAR:
        return PeriodError(PERIOD_YEAR_OUT_OF_RANGE, {"min": str(MIN_YEAR), "max": str(MAX_YEAR)})
    if not 1 <= month <= 12:
        return PeriodError(PERIOD_NO_SUCH_MONTH, {"month": str(month)})
    return _key(year, month)


def split_period(
    words: Sequence[str], *, now: datetime, zone: ZoneInfo
) -> tuple[str, list[str]] | PeriodError:
    """The period the words start with ("2026-11", "11月", "last month") and the words
    after it; two words are tried first, so "last month …" is not read as "last"."""
    error: PeriodError | None = None
    for size in (2, 1):
        if len(words) < size:
            continue
        parsed = parse_period(" ".join(words[:size]), now=now, zone=zone)
        if isinstance(parsed, str):
            return parsed, list(words[size:])
        if size == 1 or error is None:
            error = parsed
    return error or PeriodError(PERIOD_UNREADABLE, {"text": ""})


# --- who scores whom -------------------------------------------------------------------------

NOT_EVALUATED_ROLES = frozenset({"director", "gm"})


@dataclass(frozen=True)
class Member:
    staff_id: int
    name: str
    department: str | None
    roles: frozenset[str]
    reports_to: int | None
    active: bool
    # Joined after the period being looked at ended: they score if they manage people,
    # but nobody is behind for not scoring a month they were not here for.
    joined_later: bool = False


def is_evaluated(member: Member) -> bool:
    """Active, not a director or GM, not someone whose only role is admin, and here in the
    period being looked at."""
    if not member.active or member.joined_later or member.roles & NOT_EVALUATED_ROLES:
        return False
    return not (member.roles and member.roles <= {"admin"})


def _by_id(members: Sequence[Member]) -> dict[int, Member]:
    return {member.staff_id: member for member in members}


def _evaluator(
    member: Member, people: Mapping[int, Member], ops_managers: Sequence[int]
) -> int | None:
    """`evaluator_of` with the lookups made once: people by id, active ops managers sorted."""
    if not is_evaluated(member):
        return None
    boss = people.get(member.reports_to) if member.reports_to is not None else None
    if boss is not None and (not boss.active or boss.staff_id == member.staff_id):
        boss = None
    if "head" not in member.roles:
        return boss.staff_id if boss is not None else None
    if boss is not None and "ops_manager" in boss.roles:
        return boss.staff_id
    return next((ops for ops in ops_managers if ops != member.staff_id), None)


def _ops_managers(members: Sequence[Member]) -> list[int]:
    return sorted(m.staff_id for m in members if m.active and "ops_manager" in m.roles)


def evaluator_of(member: Member, members: Sequence[Member]) -> int | None:
    """The staff id of whoever scores `member` this period, or None."""
    return _evaluator(member, _by_id(members), _ops_managers(members))


def evaluators(members: Sequence[Member]) -> dict[int, int | None]:
    """Everyone's evaluator at once (None: not evaluated, or nobody scores them), in time
    linear in the hotel's size: the lists and the reminders ask this of everybody."""
    people, ops_managers = _by_id(members), _ops_managers(members)
    return {m.staff_id: _evaluator(m, people, ops_managers) for m in members}


def _order(member: Member) -> tuple[bool, str, str, int]:
    return (member.department is None, member.department or "", member.name, member.staff_id)


def evaluees_of(evaluator_id: int, members: Sequence[Member]) -> list[Member]:
    """Everyone `evaluator_id` scores, by department then name."""
    chain = evaluators(members)
    return sorted((m for m in members if chain[m.staff_id] == evaluator_id), key=_order)


def unassigned(members: Sequence[Member]) -> list[Member]:
    """Evaluated people nobody scores: listed to admins, never silently left out."""
    chain = evaluators(members)
    return sorted(
        (m for m in members if is_evaluated(m) and chain[m.staff_id] is None), key=_order
    )


def responsible_for(
    evaluee: Member, begun_by: int | None, members: Sequence[Member]
) -> int | None:
    """Who must finish an evaluee's evaluation: whoever began it while they are active
    staff (a director's return reaches the person who can answer it); once they have left,
    or when nothing is begun, whoever scores the evaluee now."""
    if begun_by is not None:
        starter = _by_id(members).get(begun_by)
        if starter is not None and starter.active:
            return begun_by
    return evaluator_of(evaluee, members)


def takes_over(caller_id: int, evaluee: Member, begun_by: int, members: Sequence[Member]) -> bool:
    """The caller picks up an evaluation someone else began, because that person left."""
    return begun_by != caller_id and responsible_for(evaluee, begun_by, members) == caller_id


def can_score(evaluator_id: int, evaluee: Member, members: Sequence[Member]) -> bool:
    if evaluator_id == evaluee.staff_id:
        return False
    return evaluator_of(evaluee, members) == evaluator_id


# --- scores ----------------------------------------------------------------------------------

MISSING = "hearts.error.missing"
UNKNOWN = "hearts.error.unknown"
OUT_OF_RANGE = "hearts.error.out_of_range"
COMMENT_REQUIRED = "hearts.error.comment_required"


@dataclass(frozen=True)
class ScoreError:
    """One problem with one heart. The catalog text also takes `{heart}`, which the caller
    fills with the heart's name in the reader's language (`name_key(error.heart)`)."""

    heart: str
    key: str
    params: dict[str, str] = field(default_factory=dict)


def comment_required(score: int, rules: PeriodRules) -> bool:
    return score <= rules.comment_required_at_or_below


def validate_scores(
    scores: Mapping[str, int], comments: Mapping[str, str], rules: PeriodRules
) -> list[ScoreError]:
    """Every problem, in the period's heart order, then hearts the period does not have."""
    errors: list[ScoreError] = []
    for heart in rules.hearts:
        if heart not in scores:
            errors.append(ScoreError(heart, MISSING))
            continue
        score = scores[heart]
        if isinstance(score, bool) or not rules.scale_min <= score <= rules.scale_max:
            params = {"min": str(rules.scale_min), "max": str(rules.scale_max)}
            errors.append(ScoreError(heart, OUT_OF_RANGE, params))
            continue
        if comment_required(score, rules) and not comments.get(heart, "").strip():
            errors.append(ScoreError(heart, COMMENT_REQUIRED, {"score": str(score)}))
    errors.extend(ScoreError(heart, UNKNOWN) for heart in scores if heart not in rules.hearts)
    return errors


def _round2(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _mean(values: Sequence[int | float]) -> float:
    if not values:
        raise ValueError("no values to average")
    return _round2(sum((Decimal(str(value)) for value in values), Decimal()) / len(values))


def total(scores: Mapping[str, int]) -> int:
    return sum(scores.values())


def average(scores: Mapping[str, int]) -> float:
    """Mean score per heart, half-up to two places. Raises ValueError when empty."""
    return _mean(list(scores.values()))


def heart_averages(evaluations: Sequence[Mapping[str, int]]) -> dict[str, float]:
    """Per heart, the mean over the evaluations that scored it (e.g. a department's)."""
    order = list(HEARTS) + [
        heart for scores in evaluations for heart in scores if heart not in HEARTS
    ]
    result: dict[str, float] = {}
    for heart in dict.fromkeys(order):
        values = [scores[heart] for scores in evaluations if heart in scores]
        if values:
            result[heart] = _mean(values)
    return result


def rank(totals: Mapping[int, float]) -> dict[int, int]:
    """Competition ranking, highest first: 10, 9, 9, 8 rank 1, 2, 2, 4."""
    ordered = sorted(totals.values(), reverse=True)
    first_place: dict[float, int] = {}
    for place, value in enumerate(ordered, start=1):
        first_place.setdefault(value, place)
    return {staff_id: first_place[value] for staff_id, value in totals.items()}


def change(current: float | None, previous: float | None) -> float | None:
    """Current minus previous, two places; None when either period has no result."""
    if current is None or previous is None:
        return None
    return _round2(Decimal(str(current)) - Decimal(str(previous)))


# --- the sign-off chain ----------------------------------------------------------------------

# The states are bot.states.EvaluationStatus and PeriodStatus.

SIGN_ALREADY_SIGNED = "hearts.sign.error.already_signed"
SIGN_RETURNED = "hearts.sign.error.returned"
SIGN_UNCONFIRMED = "hearts.sign.error.unconfirmed"
SIGN_NOTHING_CONFIRMED = "hearts.sign.error.nothing_confirmed"


def can_start(period_status: str) -> bool:
    """New scoring (a first draft) only while the period is open."""
    return period_status == PeriodStatus.OPEN


def can_submit(status: str, *, period_status: str = PeriodStatus.OPEN) -> bool:
    """A draft or a returned evaluation goes (back) to the director; once an admin closed
    the period, only a returned one, so that the director's return can still be answered."""
    if period_status == PeriodStatus.OPEN:
        return status in (EvaluationStatus.DRAFT, EvaluationStatus.RETURNED)
    return period_status == PeriodStatus.CLOSED and status == EvaluationStatus.RETURNED


def can_return(status: str, *, period_status: str = PeriodStatus.OPEN) -> bool:
    return period_status in UNSIGNED_PERIODS and status == EvaluationStatus.SUBMITTED


def can_confirm(status: str, *, period_status: str = PeriodStatus.OPEN) -> bool:
    return period_status in UNSIGNED_PERIODS and status == EvaluationStatus.SUBMITTED


def can_edit(status: str, *, period_status: str = PeriodStatus.OPEN) -> bool:
    """The evaluator may change scores while the evaluation is theirs: draft or returned."""
    return can_submit(status, period_status=period_status)


def can_sign(period_status: str, evaluation_statuses: Sequence[str]) -> tuple[bool, str | None]:
    """Whether the GM may sign the period, and if not, the catalog key saying why."""
    if period_status not in UNSIGNED_PERIODS:
        return False, SIGN_ALREADY_SIGNED
    if EvaluationStatus.RETURNED in evaluation_statuses:
        return False, SIGN_RETURNED
    if EvaluationStatus.SUBMITTED in evaluation_statuses:
        return False, SIGN_UNCONFIRMED
    if EvaluationStatus.CONFIRMED not in evaluation_statuses:
        return False, SIGN_NOTHING_CONFIRMED
    return True, None


# Who confirms or returns evaluations (and is told when they are submitted), and who signs
# a period: the same roles pick the people the bot tells.
REVIEWER = "director"
SIGNER = "gm"


def may_review(person: Person) -> bool:
    """Only the (marketing) director confirms or returns evaluations."""
    return REVIEWER in person.effective_roles


def may_sign(person: Person) -> bool:
    """Only the GM signs a period."""
    return SIGNER in person.effective_roles


def may_see_all(person: Person) -> bool:
    return bool(person.effective_roles & {REVIEWER, SIGNER})


def may_see_result(
    viewer: Person,
    evaluee_id: int,
    evaluator_id: int | None,
    viewer_staff_id: int | None,
    signed: bool,
) -> bool:
    """Director and GM always; the evaluator always; the evaluee once signed; nobody else."""
    if may_see_all(viewer):
        return True
    if not viewer.is_active or viewer_staff_id is None:
        return False
    if evaluator_id is not None and viewer_staff_id == evaluator_id:
        return True
    return signed and viewer_staff_id == evaluee_id


# --- deadlines -------------------------------------------------------------------------------

REMINDER_OFFSETS: tuple[timedelta, ...] = (timedelta(days=3), timedelta(days=1))


def reminder_times(deadline: datetime) -> list[datetime]:
    """When evaluators who are behind are reminded: 3 days and 1 day before, in UTC."""
    _require_aware(deadline)
    return [(deadline - offset).astimezone(UTC) for offset in REMINDER_OFFSETS]


def is_late(deadline: datetime, submitted_at: datetime | None, now: datetime) -> bool:
    """Submitted after the deadline, or not submitted and the deadline has passed."""
    _require_aware(deadline)
    _require_aware(now)
    if submitted_at is not None:
        _require_aware(submitted_at)
        return submitted_at > deadline
    return now > deadline


# --- the scoring conversation ---------------------------------------------------------------
#
# Where a draft stands is one short string kept on the evaluation, so a conversation resumes
# where it stopped, after a restart too, and a button from an earlier step is recognisably
# stale:  "h:<i>" waits for heart i's score; "x:<i>" the same, changing it from the summary;
# "c:<i>" waits for a typed comment on heart i; "o" for the overall comment; "s" is the
# summary (Submit / Change a heart / Save draft).

STEP_SUMMARY = "s"
STEP_OVERALL = "o"


def step_score(index: int, *, changing: bool = False) -> str:
    return f"{'x' if changing else 'h'}:{index}"


def step_comment(index: int) -> str:
    return f"c:{index}"


@dataclass(frozen=True)
class Step:
    kind: str  # "h" score, "x" change a score, "c" comment, "o" overall, "s" summary
    index: int | None = None

    @property
    def wants_button(self) -> bool:
        return self.kind in ("h", "x", "s")

    @property
    def wants_text(self) -> bool:
        return self.kind in ("c", "o")


def parse_step(step: str, rules: PeriodRules) -> Step | None:
    """A stored step, or None if it is not one this period's hearts allow."""
    if step in (STEP_SUMMARY, STEP_OVERALL):
        return Step(step)
    kind, _, number = step.partition(":")
    if kind not in ("h", "x", "c") or not number.isdigit():
        return None
    index = int(number)
    return Step(kind, index) if index < len(rules.hearts) else None


def next_step(
    scores: Mapping[str, int],
    comments: Mapping[str, str],
    rules: PeriodRules,
    *,
    overall_done: bool,
) -> str:
    """The first thing still missing: a score, a required comment, the overall comment;
    else the summary."""
    for index, heart in enumerate(rules.hearts):
        if heart not in scores:
            return step_score(index)
    for index, heart in enumerate(rules.hearts):
        if comment_required(scores[heart], rules) and not comments.get(heart, "").strip():
            return step_comment(index)
    return STEP_SUMMARY if overall_done else STEP_OVERALL


def step_after_score(
    index: int,
    scores: Mapping[str, int],
    comments: Mapping[str, str],
    rules: PeriodRules,
    *,
    changing: bool,
    overall_done: bool,
) -> str:
    """After heart `index` was scored: its comment when one is required and missing, or
    when the score was changed from the summary (a change usually wants a word of why);
    otherwise whatever is still missing."""
    heart = rules.hearts[index]
    needs = comment_required(scores[heart], rules) and not comments.get(heart, "").strip()
    if needs or changing:
        return step_comment(index)
    return next_step(scores, comments, rules, overall_done=overall_done)
