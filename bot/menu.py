"""Which commands /help and a person's private menu offer: every command beside who it is
offered to, in the order shown. Where a capability has a right for it (announce a VIP,
review, sign), the right itself decides, so moving a right moves its command with it.

Pure: no Telegram, no database, no clock. It knows every capability's rules, as a menu
must; the rules themselves import none of it.
"""

from __future__ import annotations

from collections.abc import Callable

from bot import hearts
from bot.org import Person, can_announce_vip, can_edit_staff, can_manage_bindings

Offered = Callable[[Person], bool]


def _holding(*roles: str) -> Offered:
    """Offered to whoever holds one of these roles (where no right of its own applies)."""
    wanted = frozenset(roles)
    return lambda person: bool(person.effective_roles & wanted)


def _everyone(_person: Person) -> bool:
    return True


# The people at the desk run receptions day to day; heads and staff are evaluated.
_DESK = ("duty_manager", "cs_agent")
_EVALUATORS = ("ops_manager", "head")
_EVALUATED = (*_DESK, *_EVALUATORS, "staff")

MENU: tuple[tuple[str, Offered], ...] = (
    ("start", _everyone),
    ("help", _everyone),
    ("language", _everyone),
    ("register", lambda person: not person.is_active),
    ("vip", can_announce_vip),
    ("staff", can_edit_staff),
    ("roster", can_edit_staff),
    ("bind", can_manage_bindings),
    ("unbind", can_manage_bindings),
    ("visits", lambda person: bool(person.effective_roles)),
    ("visit", _holding(*_EVALUATED)),
    ("arrival", _holding(*_DESK)),
    ("complete", _holding(*_DESK)),
    ("cancelvisit", _holding(*_DESK)),
    ("export", _holding(*_DESK, "director", "gm", "admin")),
    ("period", _holding("admin")),
    ("score", _holding(*_EVALUATORS)),
    ("review", hearts.may_review),
    ("sign", hearts.may_sign),
    ("scores", lambda person: hearts.may_see_all(person) or _holding(*_EVALUATORS)(person)),
    ("myscore", _holding(*_EVALUATED)),
    ("trend", lambda person: hearts.may_see_all(person) or _holding(*_EVALUATED)(person)),
)

# What anyone may use: the private menu until the bot knows who someone is.
COMMANDS_FOR_EVERYONE = ("start", "help", "language", "register")


def help_commands(person: Person) -> list[str]:
    """The commands offered to this person, in the menu's order."""
    return [command for command, offered in MENU if offered(person)]
