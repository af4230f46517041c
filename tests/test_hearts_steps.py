"""The scoring conversation's rules as tables: where a draft stands (its stored step), what
comes after a score or a comment, who may still begin or submit, and who is on the list."""

from __future__ import annotations

import pytest

from bot import hearts
from bot.hearts import Member, PeriodRules, Step
from bot.states import EvaluationStatus, PeriodStatus
from handlers.evaluation.scoring_screens import to_score
from storage.models import Evaluation
from tests.conftest import NOW

RULES = PeriodRules()
ALL = dict.fromkeys(hearts.HEARTS, 4)


def scores(*values: int) -> dict[str, int]:
    """The first len(values) hearts, scored in order."""
    return dict(zip(hearts.HEARTS, values, strict=False))


# --- parse_step ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("h:0", Step("h", 0)),
        ("h:5", Step("h", 5)),
        ("x:3", Step("x", 3)),
        ("c:2", Step("c", 2)),
        ("o", Step("o")),
        ("s", Step("s")),
        ("h:6", None),  # past the period's six hearts
        ("c:6", None),
        ("h:-1", None),
        ("h:", None),
        ("h", None),
        ("q:1", None),
        ("", None),
        ("s:0", None),
        ("h:1:2", None),
    ],
)
def test_a_stored_step_is_read_or_refused(stored: str, expected: Step | None) -> None:
    assert hearts.parse_step(stored, RULES) == expected


def test_a_period_with_fewer_hearts_refuses_steps_beyond_them() -> None:
    three = PeriodRules(hearts=hearts.HEARTS[:3])
    assert hearts.parse_step("h:2", three) == Step("h", 2)
    assert hearts.parse_step("h:3", three) is None


@pytest.mark.parametrize(
    ("stored", "button", "text"),
    [("h:0", True, False), ("x:1", True, False), ("s", True, False), ("c:0", False, True)]
    + [("o", False, True)],
)
def test_a_step_wants_either_a_button_or_typed_text(stored: str, button: bool, text: bool) -> None:
    step = hearts.parse_step(stored, RULES)
    assert step is not None
    assert (step.wants_button, step.wants_text) == (button, text)


# --- next_step -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "comments", "overall_done", "expected"),
    [
        ({}, {}, False, "h:0"),
        (scores(4, 4, 4), {}, False, "h:3"),
        (scores(4, 4, 4, 4, 4), {}, True, "h:5"),  # a missing score first, even when overall
        ({**scores(4), "patience": 3}, {}, False, "h:1"),  # the first gap, not the last
        (ALL, {}, False, "o"),
        (ALL, {}, True, "s"),
        ({**ALL, "warmth": 2}, {}, True, "c:1"),  # a 2 wants its comment
        ({**ALL, "warmth": 1}, {"warmth": "rude twice"}, True, "s"),
        ({**ALL, "warmth": 2}, {"warmth": "   "}, True, "c:1"),  # blank is not a comment
        ({**ALL, "warmth": 2, "carefulness": 1}, {"warmth": "x"}, False, "c:5"),
        ({**ALL, "warmth": 3}, {}, True, "s"),  # 3 needs none
        (scores(2), {}, False, "h:1"),  # scores before comments
    ],
)
def test_next_step_is_the_first_thing_missing(
    given: dict[str, int], comments: dict[str, str], overall_done: bool, expected: str
) -> None:
    assert hearts.next_step(given, comments, RULES, overall_done=overall_done) == expected


def test_a_stricter_period_asks_for_a_comment_on_a_three() -> None:
    strict = PeriodRules(comment_required_at_or_below=3)
    assert hearts.next_step({**ALL, "patience": 3}, {}, strict, overall_done=True) == "c:3"


# --- step_after_score ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "given", "comments", "changing", "overall_done", "expected"),
    [
        (0, scores(4), {}, False, False, "h:1"),
        (0, scores(2), {}, False, False, "c:0"),  # a 2 wants its comment at once
        (0, scores(1), {"confidence": "late"}, False, False, "h:1"),  # already has one
        (5, ALL, {}, False, False, "o"),
        (5, ALL, {}, False, True, "s"),
        (5, {**ALL, "carefulness": 2}, {}, False, False, "c:5"),
        (2, ALL, {}, True, True, "c:2"),  # changed from the summary: a word of why
        (2, {**ALL, "attentiveness": 5}, {"attentiveness": "kind"}, True, True, "c:2"),
        (3, scores(4, 4, 4, 4), {}, False, False, "h:4"),
        # a score that fills an earlier gap goes on to the first thing still missing
        (1, {**scores(4, 4), "patience": 4}, {}, False, False, "h:2"),
    ],
)
def test_after_a_score_comes_its_comment_or_whatever_is_missing(
    index: int,
    given: dict[str, int],
    comments: dict[str, str],
    changing: bool,
    overall_done: bool,
    expected: str,
) -> None:
    after = hearts.step_after_score(
        index, given, comments, RULES, changing=changing, overall_done=overall_done
    )
    assert after == expected


# --- who may begin and submit ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("period_status", "allowed"),
    [(PeriodStatus.OPEN, True), (PeriodStatus.CLOSED, False), (PeriodStatus.SIGNED, False)],
)
def test_new_scoring_begins_only_while_the_period_is_open(
    period_status: str, allowed: bool
) -> None:
    assert hearts.can_start(period_status) is allowed


@pytest.mark.parametrize(
    ("status", "period_status", "allowed"),
    [
        (EvaluationStatus.DRAFT, PeriodStatus.OPEN, True),
        (EvaluationStatus.RETURNED, PeriodStatus.OPEN, True),
        (EvaluationStatus.SUBMITTED, PeriodStatus.OPEN, False),
        (EvaluationStatus.CONFIRMED, PeriodStatus.OPEN, False),
        # closed: only a return can still be answered
        (EvaluationStatus.DRAFT, PeriodStatus.CLOSED, False),
        (EvaluationStatus.RETURNED, PeriodStatus.CLOSED, True),
        (EvaluationStatus.SUBMITTED, PeriodStatus.CLOSED, False),
        (EvaluationStatus.CONFIRMED, PeriodStatus.CLOSED, False),
        (EvaluationStatus.DRAFT, PeriodStatus.SIGNED, False),
        (EvaluationStatus.RETURNED, PeriodStatus.SIGNED, False),
    ],
)
def test_submit_and_edit_follow_the_period(status: str, period_status: str, allowed: bool) -> None:
    assert hearts.can_submit(status, period_status=period_status) is allowed
    assert hearts.can_edit(status, period_status=period_status) is allowed


# --- the list of people still to score -------------------------------------------------------

HEAD, SAM, SUE, ZOE, OPS = 2, 3, 4, 5, 1
MEMBERS = [
    Member(OPS, "Olivia", "mgmt", frozenset({"ops_manager"}), None, True),
    Member(HEAD, "Hannah", "hk", frozenset({"head"}), OPS, True),
    Member(SAM, "Sam", "hk", frozenset({"staff"}), HEAD, True),
    Member(SUE, "Sue", "hk", frozenset({"staff"}), HEAD, True),
    Member(ZOE, "Zoe", "fb", frozenset({"staff"}), OPS, True),  # someone else's now
]


def evaluation(evaluee: int, status: str, evaluator: int = HEAD) -> Evaluation:
    return Evaluation(
        id=evaluee * 10,
        period_key="2026-11",
        evaluee_id=evaluee,
        evaluator_id=evaluator,
        department_code="hk",
        status=status,
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.mark.parametrize(
    ("evaluations", "period_status", "listed"),
    [
        ([], PeriodStatus.OPEN, [SAM, SUE]),
        ([], PeriodStatus.CLOSED, []),  # nothing new once closed
        ([evaluation(SAM, EvaluationStatus.DRAFT)], PeriodStatus.OPEN, [SAM, SUE]),
        ([evaluation(SAM, EvaluationStatus.SUBMITTED)], PeriodStatus.OPEN, [SUE]),
        ([evaluation(SAM, EvaluationStatus.CONFIRMED)], PeriodStatus.OPEN, [SUE]),
        (
            [evaluation(SUE, EvaluationStatus.RETURNED)],
            PeriodStatus.OPEN,
            [SUE, SAM],
        ),  # returned first
        ([evaluation(SUE, EvaluationStatus.RETURNED)], PeriodStatus.CLOSED, [SUE]),
        ([evaluation(SAM, EvaluationStatus.DRAFT)], PeriodStatus.CLOSED, []),
        # begun by someone else (the chart changed since): theirs, not Hannah's
        ([evaluation(SAM, EvaluationStatus.DRAFT, evaluator=OPS)], PeriodStatus.OPEN, [SUE]),
        # Hannah's draft of someone no longer hers stays on her list
        ([evaluation(ZOE, EvaluationStatus.DRAFT)], PeriodStatus.OPEN, [SAM, SUE, ZOE]),
        ([evaluation(ZOE, EvaluationStatus.SUBMITTED)], PeriodStatus.OPEN, [SAM, SUE]),
        ([], PeriodStatus.SIGNED, []),
        ([evaluation(SUE, EvaluationStatus.RETURNED)], PeriodStatus.SIGNED, []),
    ],
)
def test_the_list_holds_what_the_evaluator_can_still_do(
    evaluations: list[Evaluation], period_status: str, listed: list[int]
) -> None:
    entries = to_score(HEAD, MEMBERS, evaluations, period_status)
    assert [entry.member.staff_id for entry in entries] == listed


def test_staff_with_nobody_reporting_to_them_have_an_empty_list() -> None:
    assert to_score(SAM, MEMBERS, [], PeriodStatus.OPEN) == []


def test_the_ops_manager_scores_the_head_and_whoever_reports_to_her() -> None:
    names = [entry.member.name for entry in to_score(OPS, MEMBERS, [], PeriodStatus.OPEN)]
    assert names == ["Zoe", "Hannah"]  # by department, then name
