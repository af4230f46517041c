"""Callback data as a tiny protocol: `prefix:action[:arg…]`, at most 64 bytes.

String data (not PTB's arbitrary_callback_data) so buttons still work hours later and after
a restart. Each handler registers with `pattern(prefix)`; `parse` refuses anything forged.

Each prefix declares beside itself, per action, who may press it, in which chat, and how
every id in its data is tied to the pressed message (a `Rule`, bot.presses). The one press
guard (handlers.kit.guard) checks that rule before any handler runs; `encode` and `pattern`
refuse a prefix or action without one, so no button can ship without its rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.presses import Ids, Rule, Where, Who

# Every prefix, by name: its actions and their rules.
PREFIXES: dict[str, Mapping[str, Rule]] = {}


def declare(prefix: str, rules: Mapping[str, Rule]) -> str:
    """A prefix and the rule of each of its actions; returns the prefix."""
    if prefix in PREFIXES:
        raise ValueError(f"callback prefix {prefix!r} is declared twice")
    PREFIXES[prefix] = dict(rules)
    return prefix


def rule_of(prefix: str, action: str) -> Rule | None:
    """The declared rule of `prefix:action`; None for anything undeclared (forged)."""
    return PREFIXES.get(prefix, {}).get(action)


def _each(actions: str, rule: Rule) -> dict[str, Rule]:
    return dict.fromkeys(actions.split(), rule)


_MINE = Rule(Who.CHAT_OWNER, Where.PRIVATE, Ids.BUTTON)

# lang:set:<zh|en|auto> — the /language menu, in the presser's own private chat.
LANGUAGE = declare("lang", {"set": _MINE})
# reg:dept:<code> (the /register conversation, private) | reg:ok|no:<staff_id>:<code> on
# the request message an approver got in private.
REGISTER = declare(
    "reg",
    {
        "dept": _MINE,
        **_each("ok no", Rule(Who.APPROVER, Where.PRIVATE, Ids.BUTTON_OF_REQUEST)),
    },
)
# st:page:<n> | st:view:<id> | st:role:<id>:<role> | st:dept:<id> | … — the /staff menu an
# admin opened in their private chat (see handlers.org.staff).
STAFF = declare(
    "st",
    _each(
        "page view roles role dept setdept mgr setmgr off offok appr rej react",
        Rule(Who.ADMIN, Where.PRIVATE, Ids.BUTTON),
    ),
)
# ni:send|edit|cancel|field:<name> — the /vip summary; ni:resume|afresh — the offer to go on
# with a draft; both in the announcer's private chat.
NOTICE = declare("ni", _each("send edit cancel field resume afresh", _MINE))
# vip:ok|ret:<visit>:<revision> on a cross-check message (duty managers in private, the CS
# chat); vip:fix:<visit> on a returned notice, for its announcer.
CROSS_CHECK = declare(
    "vip",
    {
        **_each("ok ret", Rule(Who.CHECKER, Where.PRIVATE_OR_CS, Ids.BUTTON_OF_VISIT)),
        "fix": Rule(Who.ANNOUNCER, Where.PRIVATE, Ids.BUTTON_OF_VISIT),
    },
)
# t:claim|done|prob:<task> | t:item:<item> on a task message in a department chat.
TASK = declare(
    "t",
    {
        **_each(
            "claim done prob", Rule(Who.TASK_DEPARTMENT, Where.DEPARTMENT_CHAT, Ids.TASK_MESSAGE)
        ),
        "item": Rule(Who.TASK_DEPARTMENT, Where.DEPARTMENT_CHAT, Ids.ITEM_MESSAGE),
    },
)
# p:res:<problem> on that problem's notice.
PROBLEM = declare(
    "p", {"res": Rule(Who.PROBLEM_DEPARTMENT, Where.DEPARTMENT_CHAT, Ids.PROBLEM_NOTICE)}
)
# card:arr:<visit> on that visit's status card (the CS chat).
CARD = declare("card", {"arr": Rule(Who.VISIT_MANAGER, Where.DEPARTMENT_CHAT, Ids.STATUS_CARD)})
# vc:done|off|keep:<visit> on the "close visit #12?" question (handlers.reception.visits).
CLOSE_VISIT = declare(
    "vc",
    {
        "done": Rule(
            Who.CHECKER, Where.ANY, Ids.BUTTON_OF_VISIT, refusal="visit.complete_not_allowed"
        ),
        **_each("off keep", Rule(Who.VISIT_MANAGER, Where.ANY, Ids.BUTTON_OF_VISIT)),
    },
)
# The six-hearts evaluation, private only: the scores never reach a group.
_SCORES_PRIVATE = "evaluation.private_only"
# hs:… — the /score conversation (handlers.evaluation.scoring).
SCORE = declare(
    "hs",
    _each(
        "page pick set skip clear save sub chg chh back",
        Rule(Who.ACTIVE_STAFF, Where.PRIVATE, Ids.EVALUATION_SCREEN, chat_refusal=_SCORES_PRIVATE),
    ),
)
# hr:ok|ret|hist:<evaluation> | hr:all:<period>:<count>:<digest> — the director's /review.
REVIEW = declare(
    "hr",
    _each(
        "ok ret hist all",
        Rule(Who.DIRECTOR, Where.PRIVATE, Ids.EVALUATION_SCREEN, chat_refusal=_SCORES_PRIVATE),
    ),
)
# hg:ask|yes|no:<period> — the GM's /sign (handlers.evaluation.signing).
SIGN = declare(
    "hg",
    _each(
        "ask yes no",
        Rule(Who.GM, Where.PRIVATE, Ids.EVALUATION_SCREEN, chat_refusal=_SCORES_PRIVATE),
    ),
)

_TOKEN = re.compile(r"^[a-z0-9_]{1,24}$")
MAX_BYTES = 64
MAX_ID = 2**63 - 1  # the largest BIGINT


@dataclass(frozen=True)
class Callback:
    prefix: str
    action: str
    args: tuple[str, ...]

    def int_arg(self, index: int) -> int | None:
        """The argument as an id, or None when it is missing, not a number, or larger than
        any database id can be (forged: a 64-bit column cannot even be asked for it)."""
        if index >= len(self.args) or not self.args[index].isdigit():
            return None
        value = int(self.args[index])
        return value if value <= MAX_ID else None


def encode(prefix: str, action: str, *args: object) -> str:
    if rule_of(prefix, action) is None:
        raise ValueError(f"callback {prefix}:{action} has no declared rule")
    parts = [prefix, action, *(str(arg) for arg in args)]
    for part in parts:
        if not _TOKEN.match(part):
            raise ValueError(f"callback part {part!r} is not a short lower-case token")
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data {data!r} is longer than {MAX_BYTES} bytes")
    return data


def parse(data: str | None) -> Callback | None:
    """The callback, or None for anything that our `encode` could not have produced."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split(":")
    if len(parts) < 2 or not all(_TOKEN.match(part) for part in parts):
        return None
    return Callback(parts[0], parts[1], tuple(parts[2:]))


def pattern(prefix: str, *actions: str) -> str:
    """An anchored regex for CallbackQueryHandler(pattern=…), of a declared prefix and,
    if given, some of its actions."""
    if prefix not in PREFIXES or any(rule_of(prefix, a) is None for a in actions):
        raise ValueError(f"callback {prefix}:{actions} has no declared rule")
    if actions:
        return rf"^{re.escape(prefix)}:({'|'.join(map(re.escape, actions))}):"
    return rf"^{re.escape(prefix)}:"
