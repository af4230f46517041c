"""What a call to Telegram did: sent; refused for good; not yet; or maybe.

Every message the bot starts goes through here, so one place decides what an error means:

- **sent**: Telegram answered with the message.
- **refused for good**: Telegram answered and will answer the same again (Forbidden: the bot
  was removed or blocked; Bad Request: the chat or topic is gone, the text is malformed).
  Reported once, with Telegram's own reason; never retried.
- **not yet**: the call did not go through (429 with retry_after, a 5xx, a connection that
  was never made, a timeout before the request was written). Tried again with backoff.
- **maybe**: the request went out and no answer came back (a read timeout, a connection
  dropped mid-answer). Telegram may have delivered it: resending could post it twice, so it
  is never resent, and a person is told it may be missing.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx
from telegram import Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.reception import retry_delay
from bot.runtime import Runtime
from storage import outbox
from storage.models import SEND_MAYBE, SEND_REFUSED, SEND_SENT

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    SENT = "sent"
    REFUSED = "refused"
    NOT_YET = "not_yet"
    MAYBE = "maybe"


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    message: Message | None = None
    # Telegram's own words for a refusal or an error, for the log and for CS.
    reason: str = ""
    # Seconds Telegram asked us to wait (a 429), if it said.
    retry_after: float | None = None

    @property
    def sent(self) -> bool:
        return self.outcome is Outcome.SENT


# httpx errors raised after the request was written: the server may have acted on it.
_AFTER_SENDING = (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError)


def outcome_of(error: TelegramError) -> Attempt:
    """What a Telegram error means for the message (see the module's docstring)."""
    if isinstance(error, RetryAfter):
        # A timedelta under PTB_TIMEDELTA (set by bot.cli and the tests), else seconds.
        value = error.retry_after
        seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
        return Attempt(Outcome.NOT_YET, reason=error.message, retry_after=seconds)
    if isinstance(error, Forbidden | BadRequest):
        return Attempt(Outcome.REFUSED, reason=error.message)
    if isinstance(error, ChatMigrated):
        # The group became a supergroup: its binding moves with the migration update, and
        # the next try writes to the new id.
        return Attempt(Outcome.NOT_YET, reason=error.message)
    if isinstance(error, TimedOut | NetworkError):
        if isinstance(error.__cause__, _AFTER_SENDING):
            return Attempt(Outcome.MAYBE, reason=error.message or type(error.__cause__).__name__)
        return Attempt(Outcome.NOT_YET, reason=error.message)
    return Attempt(Outcome.NOT_YET, reason=error.message)


async def attempt(call: Awaitable[Any]) -> Attempt:
    """Make one call and say what it did; never raises a Telegram error."""
    try:
        result = await call
    except TelegramError as error:
        found = outcome_of(error)
        log.warning("Telegram call %s: %s", found.outcome, found.reason)
        return found
    return Attempt(Outcome.SENT, message=result if isinstance(result, Message) else None)


async def with_retries(make_call: Callable[[], Awaitable[Any]], *, tries: int = 3) -> Attempt:
    """A call made while a person waits (a handler's notice to someone else): a "not yet" is
    tried again a few times, a few seconds apart; what still fails is the caller's to log.
    Timed messages use the outbox's backoff instead, which survives a restart."""
    found = Attempt(Outcome.NOT_YET)
    for number in range(tries):
        found = await attempt(make_call())
        if found.outcome is not Outcome.NOT_YET or number == tries - 1:
            return found
        delay = retry_delay(number, found.retry_after, jitter=random.random())
        await asyncio.sleep(min(delay.total_seconds(), 5.0))
    return found


def backoff(attempts: int, waiting: list[Attempt]) -> timedelta:
    """How long an outbox row waits before its next try, after `attempts` tries whose
    destinations said "not yet" (`waiting`): bot.reception.retry_delay, honouring the
    longest retry_after Telegram asked for."""
    retry_after = max((a.retry_after or 0.0 for a in waiting), default=0.0)
    return retry_delay(attempts, retry_after or None, jitter=random.random())


def not_modified(reason: str) -> bool:
    """Telegram's answer to an edit that changes nothing ("message is not modified"): the
    message already shows what it should, which is no error. The one place that reads it."""
    return "not modified" in reason


async def quietly(call: Awaitable[Any], what: str) -> bool:
    """A change already saved, shown with an edit or a toast: if Telegram refuses or times
    out, the change stands; it is logged, never shown to the person as a failure. An edit
    to identical content ("message is not modified") is no error at all."""
    found = await attempt(call)
    if found.outcome is not Outcome.SENT and not not_modified(found.reason):
        log.warning("%s after a saved change: %s (%s)", what, found.outcome, found.reason)
    return found.sent


async def send_once(
    rt: Runtime,
    *,
    box: str,
    row_id: int,
    target: str,
    now: datetime,
    make_call: Callable[[], Awaitable[Message]],
) -> Attempt | None:
    """One destination of one outbox row, at most once across tries and restarts.

    None: an earlier try of this row already dealt with `target` (sent, refused or maybe).
    A "not yet" leaves no trace, so the row's next try makes the call again.
    """
    async with rt.sessions() as session:
        send = await outbox.begin_send(session, outbox=box, row_id=row_id, target=target, now=now)
    if send is None:
        return None
    assert send.id is not None
    found = await attempt(make_call())
    async with rt.sessions() as session:
        if found.outcome is Outcome.NOT_YET:
            await outbox.forget_send(session, send_id=send.id)
        else:
            state = {
                Outcome.SENT: SEND_SENT,
                Outcome.REFUSED: SEND_REFUSED,
                Outcome.MAYBE: SEND_MAYBE,
            }[found.outcome]
            await outbox.settle_send(
                session,
                send_id=send.id,
                state=state,
                now=rt.clock(),
                reason=found.reason,
                message_id=found.message.message_id if found.message else None,
            )
    return found


async def refuse_once(
    rt: Runtime, *, box: str, row_id: int, target: str, now: datetime, reason: str
) -> bool:
    """Record a destination that cannot be written to at all (no chat bound); False when
    an earlier try of the row already did."""
    async with rt.sessions() as session:
        send = await outbox.begin_send(session, outbox=box, row_id=row_id, target=target, now=now)
        if send is None:
            return False
        assert send.id is not None
        await outbox.settle_send(
            session, send_id=send.id, state=SEND_REFUSED, now=now, reason=reason
        )
    return True
