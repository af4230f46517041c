"""Callback data as a tiny protocol: `prefix:action[:arg…]`, at most 64 bytes.

String data (not PTB's arbitrary_callback_data) so buttons still work hours later and after
a restart. Each handler registers with `pattern(prefix)`; `parse` refuses anything forged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Prefixes in use, one per capability.
LANGUAGE = "lang"  # lang:set:<zh|en|auto>
REGISTER = "reg"  # reg:dept:<code> | reg:ok:<staff_id> | reg:no:<staff_id>
STAFF = "st"  # st:page:<n> | st:view:<id> | st:role:<id>:<role> | st:dept:<id>[:<code>] | …
CLOSE_VISIT = "vc"  # vc:done:<visit> | vc:off:<visit> | vc:keep:<visit> (handlers.visits)
SCORE = "hs"  # the /score conversation (handlers.scoring)
REVIEW = "hr"  # the director's /review (handlers.review)
SIGN = "hg"  # the GM's /sign (handlers.review)

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


def pattern(prefix: str) -> str:
    """An anchored regex for CallbackQueryHandler(pattern=…)."""
    return rf"^{re.escape(prefix)}:"
