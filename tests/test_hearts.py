"""The six-hearts rules as tables: periods, who scores whom, scores, sign-off, visibility."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import hearts
from bot.hearts import (
    HEARTS,
    Member,
    PeriodError,
    PeriodRules,
    ScoreError,
)
from bot.i18n import Catalog
from bot.org import Person
from bot.states import EvaluationStatus, PeriodStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")
CATALOG = Catalog.load()


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


# --- catalog ---------------------------------------------------------------------------------


@pytest.mark.parametrize("heart", HEARTS)
def test_every_heart_has_a_name_and_description_in_both_languages(heart: str) -> None:
    for language in ("zh", "en"):
        assert CATALOG.texts[language][hearts.name_key(heart)]
        assert CATALOG.texts[language][hearts.description_key(heart)]


@pytest.mark.parametrize(
    ("score", "en", "zh"),
    [(1, "Poor", "差"), (3, "Satisfactory", "合格"), (5, "Excellent", "优秀")],
)
def test_score_labels(score: int, en: str, zh: str) -> None:
    assert CATALOG.text("en", hearts.score_key(score)) == en
    assert CATALOG.text("zh", hearts.score_key(score)) == zh


def test_every_error_key_is_in_the_catalog() -> None:
    keys = [
        hearts.MISSING,
        hearts.UNKNOWN,
        hearts.OUT_OF_RANGE,
        hearts.COMMENT_REQUIRED,
        hearts.PERIOD_UNREADABLE,
        hearts.PERIOD_NO_SUCH_MONTH,
        hearts.SIGN_ALREADY_SIGNED,
        hearts.SIGN_RETURNED,
        hearts.SIGN_UNCONFIRMED,
        hearts.SIGN_NOTHING_CONFIRMED,
    ]
    for key in keys:
        assert CATALOG.has(key), key


def test_default_rules() -> None:
    rules = PeriodRules()
    assert (rules.scale_min, rules.scale_max, rules.comment_required_at_or_below) == (1, 5, 2)
    assert rules.hearts == HEARTS
    assert len(HEARTS) == 6


# --- periods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "key"),
    [
        (utc(2026, 11, 15, 12), "2026-11"),
        (utc(2026, 10, 31, 15, 59), "2026-10"),  # 23:59 in Shanghai
        (utc(2026, 10, 31, 16, 0), "2026-11"),  # midnight in Shanghai: November already
        (utc(2026, 12, 31, 16, 0), "2027-01"),
        (local(2026, 12, 31, 23, 59), "2026-12"),
    ],
)
def test_period_key_is_the_month_in_the_hotels_zone(moment: datetime, key: str) -> None:
    assert hearts.period_key(moment, SHANGHAI) == key


def test_period_key_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        hearts.period_key(datetime(2026, 11, 1), SHANGHAI)  # noqa: DTZ001


@pytest.mark.parametrize(
    ("key", "start", "end"),
    [
        ("2026-11", utc(2026, 10, 31, 16), utc(2026, 11, 30, 16)),
        ("2026-12", utc(2026, 11, 30, 16), utc(2026, 12, 31, 16)),
        ("2027-01", utc(2026, 12, 31, 16), utc(2027, 1, 31, 16)),
        ("2028-02", utc(2028, 1, 31, 16), utc(2028, 2, 29, 16)),  # leap year
    ],
)
def test_period_bounds(key: str, start: datetime, end: datetime) -> None:
    assert hearts.period_bounds(key, SHANGHAI) == (start, end)


def test_consecutive_periods_touch() -> None:
    _, end = hearts.period_bounds("2026-12", SHANGHAI)
    start, _ = hearts.period_bounds("2027-01", SHANGHAI)
    assert end == start


@pytest.mark.parametrize(
    ("key", "deadline"),
    [
        ("2026-11", utc(2026, 12, 5, 10)),  # 5 Dec 18:00 in Shanghai
        ("2026-12", utc(2027, 1, 5, 10)),
        ("2027-01", utc(2027, 2, 5, 10)),
    ],
)
def test_default_deadline_is_the_5th_of_next_month_at_18_local(
    key: str, deadline: datetime
) -> None:
    result = hearts.default_deadline(key, SHANGHAI)
    assert result == deadline
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("key", "previous", "following"),
    [
        ("2026-11", "2026-10", "2026-12"),
        ("2027-01", "2026-12", "2027-02"),
        ("2026-12", "2026-11", "2027-01"),
    ],
)
def test_previous_and_next_period(key: str, previous: str, following: str) -> None:
    assert hearts.previous_period(key) == previous
    assert hearts.next_period(key) == following


@pytest.mark.parametrize("key", ["2026-13", "2026-1", "26-11", "2026年11月", ""])
def test_a_malformed_key_is_a_bug(key: str) -> None:
    with pytest.raises(ValueError, match="period key"):
        hearts.previous_period(key)


NOW = utc(2026, 11, 20, 4)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11", "2026-11"),
        ("2026-1", "2026-01"),
        ("2026/11", "2026-11"),
        ("2026.11", "2026-11"),
        ("2026年11月", "2026-11"),
        ("2026 年 3 月", "2026-03"),
        ("２０２６－１１", "2026-11"),  # full-width
        ("11月", "2026-11"),
        ("3月", "2026-03"),
        ("12月份", "2025-12"),  # a bare month is the most recent one: last December
        ("本月", "2026-11"),
        ("This month", "2026-11"),
        ("上月", "2026-10"),
        ("last month", "2026-10"),
        ("  2025-12  ", "2025-12"),
        ("13月", PeriodError(hearts.PERIOD_NO_SUCH_MONTH, {"month": "13"})),
        ("2026-00", PeriodError(hearts.PERIOD_NO_SUCH_MONTH, {"month": "0"})),
        ("November", PeriodError(hearts.PERIOD_UNREADABLE, {"text": "November"})),
        ("", PeriodError(hearts.PERIOD_UNREADABLE, {"text": ""})),
        ("1999-11", PeriodError(hearts.PERIOD_YEAR_OUT_OF_RANGE, {"min": "2000", "max": "2100"})),
        ("0000-01", PeriodError(hearts.PERIOD_YEAR_OUT_OF_RANGE, {"min": "2000", "max": "2100"})),
        ("9999-12", PeriodError(hearts.PERIOD_YEAR_OUT_OF_RANGE, {"min": "2000", "max": "2100"})),
        ("2026-13", PeriodError(hearts.PERIOD_NO_SUCH_MONTH, {"month": "13"})),
        ("a\nb", PeriodError(hearts.PERIOD_UNREADABLE, {"text": "a…"})),
        ("x" * 300, PeriodError(hearts.PERIOD_UNREADABLE, {"text": "x" * 99 + "…"})),
        ("2026-11-05", PeriodError(hearts.PERIOD_UNREADABLE, {"text": "2026-11-05"})),
    ],
)
def test_parse_period(text: str, expected: str | PeriodError) -> None:
    assert hearts.parse_period(text, now=NOW, zone=SHANGHAI) == expected


@pytest.mark.parametrize(
    ("now", "text", "expected"),
    [
        (utc(2026, 12, 31, 16, 30), "本月", "2027-01"),  # New Year in Shanghai already
        (utc(2026, 12, 31, 16, 30), "上月", "2026-12"),
        # A bare month is the most recent one of that name, by the hotel's calendar: on
        # New Year's Day in Shanghai "12月" is the December just ended, "1月" this one.
        (utc(2026, 12, 31, 16, 30), "11月", "2026-11"),
        (utc(2026, 12, 31, 16, 30), "12月", "2026-12"),
        (utc(2026, 12, 31, 16, 30), "1月", "2027-01"),
        (utc(2026, 12, 31, 15, 30), "1月", "2026-01"),
        (utc(2027, 1, 3, 2, 0), "12月", "2026-12"),
    ],
)
def test_parse_period_uses_the_hotels_today(now: datetime, text: str, expected: str) -> None:
    assert hearts.parse_period(text, now=now, zone=SHANGHAI) == expected


# --- who scores whom -------------------------------------------------------------------------


def member(
    staff_id: int,
    roles: str = "staff",
    reports_to: int | None = None,
    *,
    department: str | None = "front",
    active: bool = True,
    name: str | None = None,
) -> Member:
    return Member(
        staff_id=staff_id,
        name=name or f"P{staff_id}",
        department=department,
        roles=frozenset(roles.split()) if roles else frozenset(),
        reports_to=reports_to,
        active=active,
    )


GM = member(1, "gm", department="mgmt")
DIRECTOR = member(2, "director", 1, department="mkt")
OPS = member(3, "ops_manager", 2, department="mgmt")
OPS_2 = member(4, "ops_manager", 2, department="mgmt")
FRONT_HEAD = member(10, "head", 3)
HK_HEAD = member(20, "head", 2, department="hk")  # reports to the director, not an ops manager
FRONT_STAFF = member(11, "staff", 10, name="Zhang")
FRONT_STAFF_2 = member(12, "staff", 10, name="Li")
FRONT_DUTY = member(13, "duty_manager", 10, name="Wang")
HK_STAFF = member(21, "staff", 20, department="hk")
ORPHAN = member(30, "staff", None, department="eng")
LEFT = member(31, "staff", 10, active=False)
UNDER_LEFT = member(32, "staff", 31)
SELF = member(33, "staff", 33, department="eng")
ADMIN = member(40, "admin", department="mgmt")
ADMIN_STAFF = member(41, "admin staff", 10)
NO_ROLE = member(42, "", 10)
ROSTER = [
    GM,
    DIRECTOR,
    OPS,
    OPS_2,
    FRONT_HEAD,
    HK_HEAD,
    FRONT_STAFF,
    FRONT_STAFF_2,
    FRONT_DUTY,
    HK_STAFF,
    ORPHAN,
    LEFT,
    UNDER_LEFT,
    SELF,
    ADMIN,
    ADMIN_STAFF,
    NO_ROLE,
]


@pytest.mark.parametrize(
    ("who", "evaluated"),
    [
        (FRONT_STAFF, True),
        (FRONT_HEAD, True),
        (OPS, True),
        (FRONT_DUTY, True),
        (ADMIN_STAFF, True),
        (NO_ROLE, True),
        (GM, False),
        (DIRECTOR, False),
        (ADMIN, False),
        (LEFT, False),
        (member(50, "head director"), False),
    ],
)
def test_is_evaluated(who: Member, evaluated: bool) -> None:
    assert hearts.is_evaluated(who) is evaluated


@pytest.mark.parametrize(
    ("who", "evaluator"),
    [
        (FRONT_STAFF, 10),  # staff: their reports-to
        (FRONT_DUTY, 10),
        (HK_STAFF, 20),
        (FRONT_HEAD, 3),  # head: their reports-to is an ops manager
        (HK_HEAD, 3),  # head reporting elsewhere: the first active ops manager
        (OPS, 2),  # ops manager: their reports-to
        (DIRECTOR, None),  # not evaluated
        (GM, None),
        (ADMIN, None),
        (SELF, None),  # nobody scores themselves
        (ORPHAN, None),  # no reports-to
        (LEFT, None),  # inactive people are not scored
        (UNDER_LEFT, None),  # an inactive manager scores nobody
        (member(60, "staff", 999), None),  # reports to someone unknown
        (member(61, "head", None), 3),
        (member(62, "head", 4), 4),  # their own ops manager, not the first one
    ],
)
def test_evaluator_of(who: Member, evaluator: int | None) -> None:
    assert hearts.evaluator_of(who, [*ROSTER, who]) == evaluator


@pytest.mark.parametrize(
    ("roster", "evaluator"),
    [
        ([HK_HEAD], None),  # no ops manager at all
        ([HK_HEAD, member(3, "ops_manager", active=False)], None),
        ([HK_HEAD, member(5, "ops_manager"), member(4, "ops_manager")], 4),
        ([member(20, "head ops_manager", 2, department="hk")], None),  # only themselves
        ([member(20, "head ops_manager", 2, department="hk"), OPS_2], 4),
    ],
)
def test_a_heads_evaluator_is_an_active_ops_manager_other_than_themselves(
    roster: list[Member], evaluator: int | None
) -> None:
    head = next(person for person in roster if person.staff_id == 20)
    assert hearts.evaluator_of(head, roster) == evaluator


@pytest.mark.parametrize(
    ("evaluator", "evaluees"),
    [
        (10, [12, 41, 42, 13, 11]),  # front, by name: Li, P41, P42, Wang, Zhang
        (3, [10, 20]),
        (4, []),
        (2, [3, 4]),
        (11, []),
        (31, []),
    ],
)
def test_evaluees_of(evaluator: int, evaluees: list[int]) -> None:
    result = hearts.evaluees_of(evaluator, ROSTER)
    assert [person.staff_id for person in result] == evaluees


def test_evaluees_are_sorted_by_department_then_name() -> None:
    roster = [
        member(1, "ops_manager"),
        member(2, "head", 1, department="hk", name="A"),
        member(3, "head", 1, department="front", name="B"),
        member(4, "head", 1, department="front", name="A"),
        member(5, "head", 1, department=None, name="A"),
    ]
    assert [person.staff_id for person in hearts.evaluees_of(1, roster)] == [4, 3, 2, 5]


def test_unassigned_lists_evaluated_people_nobody_scores() -> None:
    assert [person.staff_id for person in hearts.unassigned(ROSTER)] == [30, 33, 32]


@pytest.mark.parametrize(
    ("evaluator", "evaluee", "allowed"),
    [
        (10, FRONT_STAFF, True),
        (3, FRONT_HEAD, True),
        (3, HK_HEAD, True),
        (20, FRONT_STAFF, False),  # another department's head
        (2, FRONT_STAFF, False),  # the director reviews, does not score staff
        (1, FRONT_STAFF, False),
        (11, FRONT_STAFF, False),  # themselves
        (33, SELF, False),
        (10, LEFT, False),
        (2, HK_HEAD, False),  # HK head reports to the director, but heads go to ops
    ],
)
def test_can_score(evaluator: int, evaluee: Member, allowed: bool) -> None:
    assert hearts.can_score(evaluator, evaluee, ROSTER) is allowed


# --- scores ----------------------------------------------------------------------------------

ALL_FOURS = dict.fromkeys(HEARTS, 4)


@pytest.mark.parametrize(
    ("scores", "comments", "errors"),
    [
        (ALL_FOURS, {}, []),
        ({**ALL_FOURS, "warmth": 3}, {}, []),
        # the threshold: 2 and below need a comment, 3 does not
        (
            {**ALL_FOURS, "warmth": 2},
            {},
            [ScoreError("warmth", hearts.COMMENT_REQUIRED, {"score": "2"})],
        ),
        ({**ALL_FOURS, "warmth": 2}, {"warmth": "Curt with a guest"}, []),
        (
            {**ALL_FOURS, "warmth": 1},
            {"warmth": "   "},
            [ScoreError("warmth", hearts.COMMENT_REQUIRED, {"score": "1"})],
        ),
        (
            {**ALL_FOURS, "patience": 1},
            {"warmth": "comment on the wrong heart"},
            [ScoreError("patience", hearts.COMMENT_REQUIRED, {"score": "1"})],
        ),
        (
            {heart: 4 for heart in HEARTS if heart != "sincerity"},
            {},
            [ScoreError("sincerity", hearts.MISSING)],
        ),
        (
            {**ALL_FOURS, "confidence": 0, "carefulness": 6},
            {},
            [
                ScoreError("confidence", hearts.OUT_OF_RANGE, {"min": "1", "max": "5"}),
                ScoreError("carefulness", hearts.OUT_OF_RANGE, {"min": "1", "max": "5"}),
            ],
        ),
        (
            {**ALL_FOURS, "confidence": True},
            {},
            [ScoreError("confidence", hearts.OUT_OF_RANGE, {"min": "1", "max": "5"})],
        ),
        ({**ALL_FOURS, "humour": 5}, {}, [ScoreError("humour", hearts.UNKNOWN)]),
        (
            {},
            {},
            [ScoreError(heart, hearts.MISSING) for heart in HEARTS],
        ),
    ],
)
def test_validate_scores(
    scores: dict[str, int], comments: dict[str, str], errors: list[ScoreError]
) -> None:
    assert hearts.validate_scores(scores, comments, PeriodRules()) == errors


@pytest.mark.parametrize(
    ("rules", "score", "errors"),
    [
        (PeriodRules(comment_required_at_or_below=3), 3, [hearts.COMMENT_REQUIRED]),
        (PeriodRules(comment_required_at_or_below=0), 1, []),
        (PeriodRules(scale_max=10), 9, []),
        (PeriodRules(hearts=("warmth",)), 1, [hearts.COMMENT_REQUIRED]),
    ],
)
def test_a_periods_own_rules_apply(rules: PeriodRules, score: int, errors: list[str]) -> None:
    scores = dict.fromkeys(rules.hearts, 5) | {"warmth": score}
    assert [error.key for error in hearts.validate_scores(scores, {}, rules)] == errors


@pytest.mark.parametrize(
    ("scores", "expected_total", "expected_average"),
    [
        (ALL_FOURS, 24, 4.0),
        (dict(zip(HEARTS, [5, 4, 4, 3, 5, 4], strict=True)), 25, 4.17),
        (dict(zip(HEARTS, [1, 1, 1, 1, 1, 2], strict=True)), 7, 1.17),
        (dict(zip(HEARTS, [5, 5, 5, 5, 5, 5], strict=True)), 30, 5.0),
        ({"warmth": 4, "patience": 5}, 9, 4.5),
        (dict(zip(HEARTS[:3], [4, 4, 5], strict=True)), 13, 4.33),
        # 4.125 rounds half-up to 4.13, not to the even 4.12
        (
            dict(zip(HEARTS[:4] + ("x", "y", "z", "w"), [4, 4, 4, 5, 4, 4, 4, 4], strict=True)),
            33,
            4.13,
        ),
    ],
)
def test_total_and_average(
    scores: dict[str, int], expected_total: int, expected_average: float
) -> None:
    assert hearts.total(scores) == expected_total
    assert hearts.average(scores) == expected_average


def test_average_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="no values"):
        hearts.average({})


@pytest.mark.parametrize(
    ("evaluations", "expected"),
    [
        ([], {}),
        ([ALL_FOURS], dict.fromkeys(HEARTS, 4.0)),
        (
            [ALL_FOURS, {**ALL_FOURS, "warmth": 5}, {**ALL_FOURS, "warmth": 5}],
            {**dict.fromkeys(HEARTS, 4.0), "warmth": 4.67},
        ),
        ([{"patience": 3}, {"patience": 4, "warmth": 2}], {"warmth": 2.0, "patience": 3.5}),
        ([{"humour": 5, "warmth": 1}], {"warmth": 1.0, "humour": 5.0}),
    ],
)
def test_heart_averages(evaluations: list[dict[str, int]], expected: dict[str, float]) -> None:
    result = hearts.heart_averages(evaluations)
    assert result == expected
    assert list(result) == list(expected)  # in the six hearts' order


@pytest.mark.parametrize(
    ("totals", "ranks"),
    [
        ({}, {}),
        ({7: 20}, {7: 1}),
        ({1: 28, 2: 25, 3: 25, 4: 20}, {1: 1, 2: 2, 3: 2, 4: 4}),
        ({1: 25, 2: 25, 3: 25}, {1: 1, 2: 1, 3: 1}),
        ({1: 10, 2: 30, 3: 20}, {1: 3, 2: 1, 3: 2}),
        ({1: 4.5, 2: 4.17, 3: 4.5, 4: 4.17, 5: 3.0}, {1: 1, 3: 1, 2: 3, 4: 3, 5: 5}),
    ],
)
def test_rank_is_competition_ranking(totals: dict[int, float], ranks: dict[int, int]) -> None:
    assert hearts.rank(totals) == ranks


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (4.5, 4.0, 0.5),
        (4.0, 4.5, -0.5),
        (4.17, 4.17, 0.0),
        (4.33, 4.1, 0.23),  # no float noise
        (25, 22, 3.0),
        (None, 4.0, None),
        (4.0, None, None),
        (None, None, None),
    ],
)
def test_change(current: float | None, previous: float | None, expected: float | None) -> None:
    assert hearts.change(current, previous) == expected


# --- sign-off --------------------------------------------------------------------------------

D, S, R, C = (
    EvaluationStatus.DRAFT,
    EvaluationStatus.SUBMITTED,
    EvaluationStatus.RETURNED,
    EvaluationStatus.CONFIRMED,
)


@pytest.mark.parametrize(
    ("status", "submit", "return_", "confirm"),
    [
        (D, True, False, False),
        (S, False, True, True),
        (R, True, False, False),
        (C, False, False, False),
    ],
)
def test_transitions_in_an_open_period(
    status: str, submit: bool, return_: bool, confirm: bool
) -> None:
    assert hearts.can_submit(status) is submit
    assert hearts.can_edit(status) is submit
    assert hearts.can_return(status) is return_
    assert hearts.can_confirm(status) is confirm


@pytest.mark.parametrize("status", tuple(EvaluationStatus))
def test_nothing_moves_once_the_period_is_signed(status: str) -> None:
    signed = PeriodStatus.SIGNED
    assert not hearts.can_submit(status, period_status=signed)
    assert not hearts.can_edit(status, period_status=signed)
    assert not hearts.can_return(status, period_status=signed)
    assert not hearts.can_confirm(status, period_status=signed)


@pytest.mark.parametrize(
    ("period", "statuses", "expected"),
    [
        ("open", [C, C], (True, None)),
        ("open", [C, D], (True, None)),  # a draft is "missing", shown to the GM, not blocking
        ("open", [C, S], (False, hearts.SIGN_UNCONFIRMED)),
        ("open", [C, R], (False, hearts.SIGN_RETURNED)),
        ("open", [S, R], (False, hearts.SIGN_RETURNED)),
        ("open", [], (False, hearts.SIGN_NOTHING_CONFIRMED)),
        ("open", [D, D], (False, hearts.SIGN_NOTHING_CONFIRMED)),
        ("signed", [C, C], (False, hearts.SIGN_ALREADY_SIGNED)),
    ],
)
def test_can_sign(period: str, statuses: list[str], expected: tuple[bool, str | None]) -> None:
    assert hearts.can_sign(period, statuses) == expected


def person(roles: str, *, active: bool = True, configured_admin: bool = False) -> Person:
    return Person(
        telegram_id=1000,
        roles=frozenset(roles.split()),
        department="mgmt",
        is_active=active,
        is_configured_admin=configured_admin,
    )


@pytest.mark.parametrize(
    ("who", "review", "sign"),
    [
        (person("director"), True, False),
        (person("gm"), False, True),
        (person("director gm"), True, True),
        (person("admin"), False, False),
        (person("", configured_admin=True), False, False),
        (person("ops_manager"), False, False),
        (person("head"), False, False),
        (person("director", active=False), False, False),
        (person("gm", active=False), False, False),
    ],
)
def test_only_the_director_reviews_and_only_the_gm_signs(
    who: Person, review: bool, sign: bool
) -> None:
    assert hearts.may_review(who) is review
    assert hearts.may_sign(who) is sign


EVALUEE, EVALUATOR, OTHER = 11, 10, 12


@pytest.mark.parametrize(
    ("viewer", "viewer_staff_id", "signed", "visible"),
    [
        (person("staff"), EVALUEE, False, False),  # the evaluee: only after signing
        (person("staff"), EVALUEE, True, True),
        (person("head"), EVALUATOR, False, True),  # their evaluator: always
        (person("head"), EVALUATOR, True, True),
        (person("director"), 2, False, True),  # director and GM: always
        (person("gm"), 1, False, True),
        (person("gm"), None, True, True),
        (person("staff"), OTHER, True, False),  # a colleague: never
        (person("head"), 20, True, False),  # another head: never
        (person("ops_manager"), 3, True, False),
        (person("admin"), 40, True, False),  # admin is not a reader of scores
        (person("", configured_admin=True), None, True, False),
        (person("staff"), None, True, False),
        (person("staff", active=False), EVALUEE, True, False),
        (person("head", active=False), EVALUATOR, True, False),
    ],
)
def test_may_see_result(
    viewer: Person, viewer_staff_id: int | None, signed: bool, visible: bool
) -> None:
    assert hearts.may_see_result(viewer, EVALUEE, EVALUATOR, viewer_staff_id, signed) is visible


def test_nobody_is_the_evaluator_of_an_unassigned_result() -> None:
    assert not hearts.may_see_result(person("staff"), EVALUEE, None, OTHER, signed=True)


# --- deadlines -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deadline", "times"),
    [
        (utc(2026, 12, 5, 10), [utc(2026, 12, 2, 10), utc(2026, 12, 4, 10)]),
        (local(2027, 1, 5, 18), [utc(2027, 1, 2, 10), utc(2027, 1, 4, 10)]),
        (utc(2027, 3, 2, 10), [utc(2027, 2, 27, 10), utc(2027, 3, 1, 10)]),
    ],
)
def test_reminder_times(deadline: datetime, times: list[datetime]) -> None:
    result = hearts.reminder_times(deadline)
    assert result == times
    assert all(moment.tzinfo is UTC for moment in result)


DEADLINE = utc(2026, 12, 5, 10)


@pytest.mark.parametrize(
    ("submitted_at", "now", "late"),
    [
        (None, DEADLINE - timedelta(minutes=1), False),
        (None, DEADLINE, False),
        (None, DEADLINE + timedelta(seconds=1), True),
        (DEADLINE - timedelta(days=1), DEADLINE + timedelta(days=9), False),
        (DEADLINE, DEADLINE + timedelta(days=9), False),
        (DEADLINE + timedelta(hours=2), DEADLINE + timedelta(days=9), True),
        (local(2026, 12, 5, 18, 30), DEADLINE + timedelta(days=1), True),
    ],
)
def test_is_late(submitted_at: datetime | None, now: datetime, late: bool) -> None:
    assert hearts.is_late(DEADLINE, submitted_at, now) is late


def test_deadline_functions_refuse_naive_datetimes() -> None:
    naive = datetime(2026, 12, 5, 18)  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive"):
        hearts.reminder_times(naive)
    with pytest.raises(ValueError, match="naive"):
        hearts.is_late(DEADLINE, naive, DEADLINE)


def test_everyone_s_evaluator_at_once_agrees_with_one_at_a_time() -> None:
    """`evaluators` is the fast path of the lists and reminders: it must say exactly what
    `evaluator_of` says for every member of an organisation with every kind of case."""
    members = [
        hearts.Member(1, "Ops", "mgmt", frozenset({"ops_manager"}), None, True),
        hearts.Member(2, "Ops Two", "mgmt", frozenset({"ops_manager"}), None, True),
        hearts.Member(3, "Head", "hk", frozenset({"head"}), 2, True),
        hearts.Member(4, "Head no boss", "fb", frozenset({"head"}), None, True),
        hearts.Member(5, "Staff", "hk", frozenset({"staff"}), 3, True),
        hearts.Member(6, "Staff of a leaver", "fb", frozenset({"staff"}), 9, True),
        hearts.Member(7, "Director", "mkt", frozenset({"director"}), None, True),
        hearts.Member(8, "Self", "hk", frozenset({"staff"}), 8, True),
        hearts.Member(9, "Leaver", "fb", frozenset({"head"}), 1, False),
        hearts.Member(10, "No role", "hk", frozenset(), 3, True),
    ]
    expected = {m.staff_id: hearts.evaluator_of(m, members) for m in members}
    assert hearts.evaluators(members) == expected
    assert expected == {
        1: None,
        2: None,
        3: 2,
        4: 1,
        5: 3,
        6: None,
        7: None,
        8: None,
        9: None,
        10: 3,
    }


@pytest.mark.parametrize(
    ("begun_by", "starter_active", "caller", "responsible", "takes_over"),
    [
        (None, True, 3, 3, False),  # nothing begun: whoever scores Sam now
        (2, True, 2, 2, False),  # begun by Hannah, still here: hers
        (2, True, 3, 2, False),  # Henry is the head now, but Hannah is still here
        (2, False, 3, 3, True),  # Hannah left: Henry takes it over
        (2, False, 2, 3, False),  # Hannah left: not hers to finish any more
        (2, False, 4, 3, False),  # someone else entirely
        (99, False, 3, 3, True),  # begun by someone the roster no longer knows
    ],
)
def test_who_finishes_a_begun_evaluation(
    begun_by: int | None, starter_active: bool, caller: int, responsible: int, takes_over: bool
) -> None:
    members = [
        hearts.Member(1, "Ops", "mgmt", frozenset({"ops_manager"}), None, True),
        hearts.Member(2, "Hannah", "hk", frozenset({"head"}), 1, starter_active),
        hearts.Member(3, "Henry", "hk", frozenset({"head"}), 1, True),
        hearts.Member(4, "Sue", "hk", frozenset({"staff"}), 3, True),
        hearts.Member(5, "Sam", "hk", frozenset({"staff"}), 3, True),
    ]
    sam = members[4]
    assert hearts.responsible_for(sam, begun_by, members) == responsible
    if begun_by is not None:
        assert hearts.takes_over(caller, sam, begun_by, members) is takes_over
