"""Whatever anyone types, every command answers, within Telegram's limits, changing nothing
it refused: a property test (Hypothesis) driving the real bot through the sandbox.

Hypothesis runs in a worker thread and hands each example to the test's event loop, where
the bot runs; so the bot starts once per test, and a failing example is shrunk against the
running bot like any other. Examples: 200 per test on SQLite, 25 on PostgreSQL (profile
"ci", tests/conftest.py); `HYPOTHESIS_PROFILE=long` runs more by hand.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import assume, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel
from telegram.ext import AIORateLimiter, Application

from bot.app import runtime_of
from bot.runtime import Runtime
from bot.settings import Settings
from handlers.outbox import run_outbox
from sandbox import Sandbox
from sandbox.world import SandboxChat, SandboxUser
from tests.conftest import POSTGRES_EXAMPLES
from tests.e2e.conftest import FakeClock, handled, running_bot

# --- What people type ---------------------------------------------------------------------

_ODD = [
    "😀", "👨‍👩‍👧‍👦", "🇨🇳", "中文", "\u200b", "\u200d", "\ufeff", "\u202e", "\u200f", "\u2066",
    "مرحبا", "שלום", "<b>", "</b>", "<i>x</i>", "<a href='x'>", "&amp;", "&", "<", ">", "\"",
    "'", "\n", "\t", " ", "#", "@", "/", "-", "0", "9", "\x00", "\u0301",
]  # fmt: skip
_IMPOSSIBLE_MONTHS = [
    "0000-01", "9999-12", "1999-12", "2101-01", "2026-13", "2026-00", "2026-1x", "13月",
    "0月", "2026年13月", "-2026-11", "2026--11", "20261", "99999999-01", "２０２６-１３",
]  # fmt: skip
_NUMBERS = [
    "0", "-1", "-0", "#-5", "1e9", "3.5", "١٢", "12abc", "#", "9" * 30,
    str(2**63), str(2**64), str(-(2**63) - 1), "999999999", "0x10",
]  # fmt: skip
_TIMES = ["25:00", "24:61", "99:99", "2026-02-30 10:00", "0000-01-01 00:00", "明天下午13点"]

words = st.one_of(
    st.sampled_from(_ODD + _IMPOSSIBLE_MONTHS + _NUMBERS + _TIMES),
    st.lists(st.sampled_from(_ODD), min_size=1, max_size=40).map("".join),
    st.text(min_size=1, max_size=30),
    # Long: close to what Telegram lets a person send (4,096), so any echo is over limits.
    st.builds(lambda piece, times: piece * times, st.sampled_from(["x", "😀", "&<b>", "中 "]),
              st.integers(300, 1000)),
)  # fmt: skip
junk = st.lists(words, min_size=0, max_size=4).map(" ".join)

# Every command, with arguments shaped like its own (wrong) ones and with plain junk.
month = st.sampled_from(_IMPOSSIBLE_MONTHS) | words
visit_id = st.sampled_from(_NUMBERS) | words
ARGUMENTS: dict[str, st.SearchStrategy[str]] = {
    "start": junk,
    "help": junk,
    "language": junk,
    "bind": junk,
    "unbind": junk.filter(bool),
    "staff": junk,
    "roster": junk,
    "visits": junk,
    "visit": visit_id,
    "arrival": st.tuples(visit_id, st.sampled_from(_TIMES) | junk).map(" ".join),
    "cancelvisit": visit_id,
    "complete": visit_id,
    "export": st.tuples(st.sampled_from(["visits", "scores", "VISITS", "x", ""]), month).map(
        " ".join
    ),
    "score": month,
    "review": month | junk,
    "sign": month | junk,
    "period": st.tuples(
        st.sampled_from(["", "open", "close", "reopen", "deadline", "junk"]), month, junk
    ).map(" ".join),
    "myscore": month | junk,
    "scores": st.tuples(month, junk).map(" ".join),
    "trend": junk,
    "nosuchcommand": junk,
}


@st.composite
def commands(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(sorted(ARGUMENTS)))
    mention = draw(st.sampled_from(["", "@hotel_vip_bot"]))
    arguments = draw(ARGUMENTS[name])
    return f"/{name}{mention} {arguments}".strip()[:4096]


# --- What the bot did -----------------------------------------------------------------------

ANSWERS = frozenset(
    {"sendmessage", "senddocument", "sendphoto", "editmessagetext", "answercallbackquery"}
)


# Which messages the latest /review showed (storage.hearts.keep_review_messages): a record
# of what the bot sent, so that it can redraw them, which a /review rightly writes.
SENT_MESSAGES = frozenset({"review_message"})


async def all_rows(runtime: Runtime) -> dict[str, list[str]]:
    """Every row of every table of the hotel's data: a refused input adds, removes or
    changes none."""
    found: dict[str, list[str]] = {}
    async with runtime.sessions() as session:
        for name, table in SQLModel.metadata.tables.items():
            if name in SENT_MESSAGES:
                continue
            # SQLAlchemy's select of a table (SQLModel's would give its first column only).
            rows = (await session.exec(sa_select(table))).all()
            found[name] = sorted(repr(tuple(row)) for row in rows)
    return found


def changed(before: dict[str, list[str]], after: dict[str, list[str]]) -> str:
    """The rows that differ, table by table: what a failing example changed."""
    lines = []
    for table in sorted(set(before) | set(after)):
        gone = set(before.get(table, [])) - set(after.get(table, []))
        new = set(after.get(table, [])) - set(before.get(table, []))
        lines += [f"{table} - {row}" for row in sorted(gone)]
        lines += [f"{table} + {row}" for row in sorted(new)]
    return "\n".join(lines)


@dataclass
class Driver:
    """Sends one input as one person in one chat and checks what came of it.

    It waits for the bot to have *finished* each update (conftest.handled), not for a quiet
    spell, so an example costs what the bot takes; the rows are read once between inputs.
    """

    sandbox: Sandbox
    application: Application  # type: ignore[type-arg]
    handler_errors: list[BaseException]
    rows: dict[str, list[str]] | None = None  # every row, as the last input left them
    ticked: bool = False  # the tick has done what it does on its own (Driver.tick)

    @property
    def runtime(self) -> Runtime:
        return runtime_of(self.application)

    async def settle(self, quiet: float = 0.02) -> None:
        """Until the bot finished every update sent so far, and what those nudged (a card
        edit, the outbox) made no call for `quiet` s."""
        if self.sandbox.world.last_update_id:
            await handled(self.application, self.sandbox.world.last_update_id)
        await self.sandbox.wait_idle(timeout=15, quiet=quiet)

    async def tick(self) -> None:
        """Once, before rows are first read: one whole round of the tick (and the end of one
        under way), so what it does on its own (opening this month's evaluation period) is
        done before, not in the middle of an example. The clock stands still: after that
        the tick has nothing to do but what a handler nudges it for, which `settle` awaits."""
        if self.ticked:
            return
        self.ticked = True
        await run_outbox(self.application)
        async with self.runtime.tick_lock:
            pass
        await self.sandbox.wait_idle(timeout=15, quiet=0)

    async def press(self, user: SandboxUser, chat: Any, message_id: int, data: str) -> None:
        """Press one of the message's own buttons; back once the bot has handled the press
        (a step reached this way is settled by the answer that follows it)."""
        query = await self.sandbox.press_button(user, chat, message_id, data=data)
        await self.sandbox.wait_callback_answer(query)
        await self.settle(quiet=0)

    async def answered(
        self, user: SandboxUser, chat: SandboxChat | None, text: str, reply_to: int | None = None
    ) -> None:
        """Sends `text`: it raised nothing, broke no limit, and the person got an answer."""
        where = chat if chat is not None else self.sandbox.chat(user)
        before_requests = len(self.sandbox.requests)
        before_errors = len(self.handler_errors)
        await self.sandbox.send_message(user, chat, text, reply_to=reply_to)
        await self.settle()
        answers = [
            method
            for method, params in self.sandbox.requests[before_requests:]
            if method.lower() in ANSWERS and str(params.get("chat_id")) == str(where.id)
        ]
        assert self.handler_errors[before_errors:] == [], f"{text!r} raised"
        assert self.sandbox.violations == [], f"{text!r} broke Telegram's limits"
        assert answers, f"{text!r} from {user.first_name} got no answer"

    async def send(
        self, user: SandboxUser, chat: SandboxChat | None, text: str, *, first: bool = False
    ) -> None:
        """An input that must change nothing. `first`: the person's first contact, which
        records their Telegram language."""
        if self.rows is None:
            await self.settle()
            await self.tick()
            self.rows = await all_rows(self.runtime)
        await self.answered(user, chat, text)
        after_rows = await all_rows(self.runtime)
        if not first:
            assert after_rows == self.rows, f"{text!r} changed rows: " + changed(
                self.rows, after_rows
            )
        self.rows = after_rows


def in_worker(
    loop: asyncio.AbstractEventLoop, make: Callable[..., Coroutine[Any, Any, None]]
) -> Callable[..., None]:
    """A sync callable for Hypothesis (run in a thread) that runs `make(...)` on the loop."""

    def run(*args: Any) -> None:
        asyncio.run_coroutine_threadsafe(make(*args), loop).result(timeout=120)

    return run


async def drive(example: Callable[[], None], application: Application) -> None:  # type: ignore[type-arg]
    """Runs a Hypothesis test (its examples on the bot's loop, by `in_worker`); on
    PostgreSQL with at most POSTGRES_EXAMPLES drawn (tests/conftest.py says why)."""
    if runtime_of(application).settings.database_url.startswith("postgresql"):
        fewer = min(hypothesis_settings.default.max_examples, POSTGRES_EXAMPLES)
        example = hypothesis_settings(max_examples=fewer)(example)
    await asyncio.to_thread(example)


# --- The properties -------------------------------------------------------------------------


@pytest.fixture
async def app(
    settings: Settings,
    clock: FakeClock,
    handler_errors: list[BaseException],
    logged_errors: list[logging.LogRecord],
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The running bot without Telegram's 20-a-minute pace per group: a few hundred inputs
    in one group would otherwise wait minutes for their answers. Its clock stands still, so
    the tick runs when a handler nudges it (and each second), not every 50 ms: an idle
    tick's queries were half of what an example cost."""
    limiter = AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=3)  # type: ignore[var-annotated]
    settings = settings.model_copy(update={"tick_seconds": 1.0})
    async with running_bot(settings, clock, handler_errors, limiter) as application:
        yield application
    assert handler_errors == [], f"a handler raised: {handler_errors!r}"
    assert [r.getMessage() for r in logged_errors] == [], "the bot logged errors"


async def test_any_command_with_any_arguments_gets_one_answer_and_changes_nothing(
    sandbox: Sandbox,
    evaluation: Any,
    app: Application,  # type: ignore[type-arg]
    handler_errors: list[BaseException],
) -> None:
    driver = Driver(sandbox, app, handler_errors)
    people = [evaluation.admin, *evaluation.people.values()]
    for person in people:  # first contact (the personal menu) is not what is tested
        await driver.send(person, None, "/help", first=True)
    run = in_worker(asyncio.get_running_loop(), driver.send)
    director = evaluation["Diana"]

    # The issue's own cases run every time, whatever Hypothesis draws.
    @example(person=director, text="/export visits 0000-01")
    @example(person=director, text="/export visits 9999-12")
    @example(person=director, text="/export visits 2026-13")
    @example(person=director, text="/export visits abc")
    @example(person=director, text="/visit " + str(2**64))
    @example(person=evaluation.admin, text="/period open 0000-01")
    @given(person=st.sampled_from(people), text=commands())
    def one_input(person: SandboxUser, text: str) -> None:
        run(person, None, text)

    await drive(one_input, app)


async def test_any_command_in_a_group_gets_one_answer_and_changes_nothing(
    sandbox: Sandbox,
    evaluation: Any,
    app: Application,  # type: ignore[type-arg]
    handler_errors: list[BaseException],
) -> None:
    driver = Driver(sandbox, app, handler_errors)
    people = [evaluation.admin, *evaluation.people.values()]
    for person in people:  # first contact (the Telegram language recorded) is not tested
        await driver.send(person, None, "/help", first=True)
    run = in_worker(asyncio.get_running_loop(), driver.send)

    @example(person=evaluation.admin, text="/unbind hk")
    @given(person=st.sampled_from(people), text=commands())
    def one_input(person: SandboxUser, text: str) -> None:
        # In a group a command the bot does not have may be another bot's: left alone.
        assume(not text.startswith("/nosuchcommand"))
        run(person, evaluation.group, text)

    await drive(one_input, app)
