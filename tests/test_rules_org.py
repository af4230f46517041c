"""Pure organisation rules and the callback protocol: table tests, no Telegram, no database."""

from __future__ import annotations

import pytest

from bot.menu import help_commands
from bot.org import Person, can_decide_registration, pick_language
from handlers.kit import callbacks


def person(*roles: str, department: str | None = "hk", active: bool = True, admin: bool = False):
    return Person(1, frozenset(roles), department, active, admin)


@pytest.mark.parametrize(
    ("who", "department", "allowed"),
    [
        (person(admin=True, active=False), "hk", True),  # ADMIN_USER_IDS need no registration
        (person("admin"), "eng", True),
        (person("head"), "hk", True),
        (person("head"), "eng", False),  # another department's head
        (person("head", active=False), "hk", False),  # a deactivated head
        (person("staff"), "hk", False),
        (person("head", department=None), None, False),
    ],
)
def test_who_may_decide_a_registration(who: Person, department: str | None, allowed: bool) -> None:
    assert can_decide_registration(who, department) is allowed


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (person(active=False), ["start", "help", "language", "register"]),
        (person("staff"), ["start", "help", "language", "visits", "visit", "myscore", "trend"]),
        (
            person("staff", department="mkt"),
            ["start", "help", "language", "vip", "visits", "visit", "myscore", "trend"],
        ),
        (
            person("head"),
            [
                "start",
                "help",
                "language",
                "visits",
                "visit",
                "score",
                "scores",
                "myscore",
                "trend",
            ],
        ),
        (
            person("director"),
            ["start", "help", "language", "vip", "visits", "export", "review", "scores", "trend"],
        ),
        (
            person("gm"),
            ["start", "help", "language", "vip", "visits", "export", "sign", "scores", "trend"],
        ),
        (
            person(admin=True, active=False),
            [
                "start",
                "help",
                "language",
                "register",
                "vip",
                "staff",
                "roster",
                "bind",
                "unbind",
                "visits",
                "export",
                "period",
            ],
        ),
        (person("admin", active=False), ["start", "help", "language", "register"]),
    ],
)
def test_help_lists_what_the_role_can_do(who: Person, expected: list[str]) -> None:
    assert help_commands(who) == expected


@pytest.mark.parametrize(
    ("override", "telegram", "default", "expected"),
    [
        ("en", "zh-hans", "zh", "en"),
        (None, "zh-hant", "en", "zh"),
        (None, "en-GB", "zh", "en"),
        (None, "fr", "zh", "zh"),
        (None, None, "en", "en"),
        ("xx", "en", "zh", "en"),
    ],
)
def test_language_choice(override: str | None, telegram: str | None, default: str, expected: str):
    assert pick_language(override, telegram, default) == expected


def test_callback_data_round_trips_and_refuses_forgeries() -> None:
    data = callbacks.encode("st", "role", 42, "duty_manager")
    assert data == "st:role:42:duty_manager"
    parsed = callbacks.parse(data)
    assert parsed == callbacks.Callback("st", "role", ("42", "duty_manager"))
    assert parsed.int_arg(0) == 42
    assert parsed.int_arg(1) is None
    for forged in ("", "st", "st:role:42:<b>", "ST:ROLE", "st::1", "a:" + "b" * 70, None):
        assert callbacks.parse(forged) is None, forged


def test_callback_data_never_exceeds_telegrams_64_bytes() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        callbacks.encode("st", "role", *(["abcdefghij"] * 6))
