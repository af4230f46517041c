"""The declared press rules: every prefix's actions have a rule the guard can check, with
its refusals in both catalogs, and the who-may-press decisions are the organisation's."""

from __future__ import annotations

import re

import pytest
from telegram.ext import CallbackQueryHandler

from bot.app import build_application
from bot.i18n import Catalog
from bot.org import Person
from bot.presses import (
    CHAT_REFUSALS,
    REFUSALS,
    Rule,
    Subject,
    Where,
    Who,
    chat_refusal_of,
    in_right_chat,
    may_press,
    refusal_of,
)
from bot.settings import load_settings
from handlers.kit import callbacks
from handlers.kit.guard import IDS_CHECKS

DECLARED = [
    pytest.param(rule, id=f"{prefix}:{action}")
    for prefix, rules in callbacks.PREFIXES.items()
    for action, rule in rules.items()
]


@pytest.mark.parametrize("rule", DECLARED)
def test_every_declared_rule_can_be_checked_and_refused_in_both_languages(
    rule: Rule,
) -> None:
    assert rule.ids in IDS_CHECKS
    assert rule.who in REFUSALS
    assert rule.where in CHAT_REFUSALS
    catalog = Catalog.load("zh")
    for language in ("zh", "en"):
        for key in (refusal_of(rule), chat_refusal_of(rule), "press.not_this_message"):
            assert catalog.text(language, key, department="—", visit=1, bot="b")


def test_a_button_without_a_declared_rule_cannot_be_made_or_registered() -> None:
    with pytest.raises(ValueError, match="no declared rule"):
        callbacks.encode("zz", "top")
    with pytest.raises(ValueError, match="no declared rule"):
        callbacks.encode("t", "burn", 1)
    with pytest.raises(ValueError, match="no declared rule"):
        callbacks.pattern("zz")
    assert callbacks.pattern("vip", "ok", "ret") == r"^vip:(ok|ret):"


def person(*roles: str, department: str | None = "hk", active: bool = True) -> Person:
    return Person(1, frozenset(roles), department, active, is_configured_admin=False)


@pytest.mark.parametrize(
    ("who", "presser", "subject", "allowed"),
    [
        (Who.TASK_DEPARTMENT, person("staff"), Subject(departments=("hk",)), True),
        (Who.TASK_DEPARTMENT, person("staff", department="fb"), Subject(("hk",)), False),
        (Who.TASK_DEPARTMENT, person("duty_manager", department="front"), Subject(("hk",)), True),
        (Who.TASK_DEPARTMENT, person("staff"), Subject(), False),
        (Who.PROBLEM_DEPARTMENT, person("staff", department="cs"), Subject(("sec",)), True),
        (Who.VISIT_MANAGER, person("staff"), Subject(), False),
        (Who.VISIT_MANAGER, person("staff"), Subject(announced_by_presser=True), True),
        (Who.ANNOUNCER, person("cs_agent"), Subject(), False),
        (Who.APPROVER, person("head"), Subject(applicant_department="hk"), True),
        (Who.APPROVER, person("head"), Subject(applicant_department="eng"), False),
        (Who.ADMIN, person("head"), None, False),
        (Who.CHECKER, person("cs_agent"), None, True),
        (Who.ACTIVE_STAFF, person("staff", active=False), None, False),
        (Who.DIRECTOR, person("gm"), None, False),
        (Who.GM, person("gm"), None, True),
    ],
)
def test_who_may_press(who: Who, presser: Person, subject: Subject | None, allowed: bool) -> None:
    assert may_press(who, presser, subject) is allowed


def test_where_a_press_may_come_from() -> None:
    assert in_right_chat(Where.PRIVATE, private=True, cs_chat=False)
    assert not in_right_chat(Where.PRIVATE, private=False, cs_chat=True)
    assert not in_right_chat(Where.DEPARTMENT_CHAT, private=True, cs_chat=False)
    assert in_right_chat(Where.PRIVATE_OR_CS, private=False, cs_chat=True)
    assert not in_right_chat(Where.PRIVATE_OR_CS, private=False, cs_chat=False)


def test_every_button_handler_listens_to_a_declared_prefix_by_its_pattern() -> None:
    """A handler's pattern is `callbacks.pattern`'s (a declared prefix, and actions with a
    rule), so no button reaches a handler around the guard's table."""
    settings = load_settings(
        _env_file=None, telegram_bot_token="1:TEST", database_url="sqlite+aiosqlite://"
    )
    application = build_application(settings)
    shape = re.compile(r"^\^(?P<prefix>[a-z]+):(?:\((?P<actions>[a-z|]+)\):)?$")
    patterns = [
        handler.pattern.pattern
        for group in application.handlers.values()
        for handler in group
        if isinstance(handler, CallbackQueryHandler) and handler.pattern is not None
    ]
    assert len(patterns) >= len(callbacks.PREFIXES)
    for pattern in patterns:
        assert isinstance(pattern, str)
        found = shape.match(pattern)
        assert found is not None, f"{pattern!r} is not callbacks.pattern(…)'s"
        rules = callbacks.PREFIXES.get(found["prefix"])
        assert rules is not None, f"{pattern!r}: an undeclared prefix"
        actions = (found["actions"] or "").split("|") if found["actions"] else []
        assert all(action in rules for action in actions), f"{pattern!r}: an undeclared action"
