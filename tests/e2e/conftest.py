"""End-to-end fixtures: the real Application polling a real sandbox over HTTP."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from telegram import Update
from telegram.ext import AIORateLimiter, Application, ContextTypes, SimpleUpdateProcessor

from bot.app import build_application, runtime_of, start_bot, stop_bot
from bot.roster import RosterRow
from bot.runtime import Runtime
from bot.settings import Settings, load_settings
from sandbox import Sandbox
from sandbox.formatting import parse_html
from sandbox.world import SandboxChat, SandboxUser
from storage import org
from storage.roster import import_roster
from tests.conftest import NOW

TOKEN = "4242:E2E-TEST-TOKEN"


def seen(runtime: Runtime, language: str, key: str, /, **params: object) -> str:
    """A catalog text as a person sees it in the chat: HTML parsed the way Telegram does."""
    text, _entities = parse_html(runtime.catalog.text(language, key, **params))
    return text


ADMIN_ID = 9001


def data_of(message: Mapping[str, Any]) -> list[str]:
    """The callback data of a message's inline buttons, row by row."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [str(button.get("callback_data", "")) for row in rows for button in row]


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sb = Sandbox(token=TOKEN, bot_username="hotel_vip_bot")
    await sb.start()
    yield sb
    await sb.stop()
    # Every request the bot made must match Telegram's published method list.
    assert sb.violations == []


async def eventually(read: Callable[[], Any], test: Callable[[Any], bool]) -> Any:
    """What `read()` returns once it passes `test` (within 5 s): for what the bot does a
    moment after a press, in a job of its own."""
    for _ in range(100):
        value = read()
        if test(value):
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"never came true; last seen: {value!r}")


class FakeClock:
    """The bot's clock in tests: it stands still until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def settings(database_url: str, sandbox: Sandbox) -> Settings:
    return load_settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=sandbox.base_url,
        database_url=database_url,
        admin_user_ids=str(ADMIN_ID),
        default_language="zh",
        # The tick runs on real time but reads the fake clock: moving the clock a day takes
        # one tick, 50 ms, instead of a day.
        tick_seconds=0.05,
        card_window_seconds=10,
    )


@pytest.fixture
def handler_errors() -> list[BaseException]:
    """Exceptions handlers raised; a test that provokes one on purpose takes it out."""
    return []


class HandledUpdates(SimpleUpdateProcessor):
    """PTB's own processing, one update at a time, remembering the updates it finished: a
    test can wait until the bot is done with what it sent instead of for a quiet spell."""

    def __init__(self) -> None:
        super().__init__(max_concurrent_updates=1)
        self.finished: set[int] = set()
        self.changed = asyncio.Condition()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await coroutine
        finally:
            if isinstance(update, Update):
                async with self.changed:
                    self.finished.add(update.update_id)
                    self.changed.notify_all()


async def handled(
    application: Application,  # type: ignore[type-arg]
    update_id: int,
    timeout: float = 15,  # noqa: ASYNC109
) -> None:
    """Wait until the bot has finished handling update `update_id` (handlers and all)."""
    processor = application.update_processor
    assert isinstance(processor, HandledUpdates), "the bot was not started by running_bot"
    async with asyncio.timeout(timeout), processor.changed:
        await processor.changed.wait_for(lambda: update_id in processor.finished)


@asynccontextmanager
async def running_bot(
    settings: Settings,
    clock: FakeClock,
    failures: list[BaseException],
    rate_limiter: AIORateLimiter | None = None,  # type: ignore[type-arg]
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The bot as `python -m bot run` builds it, polling the sandbox, until the block ends."""
    application = build_application(
        settings, clock=clock, rate_limiter=rate_limiter, update_processor=HandledUpdates()
    )

    async def record_error(_update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if context.error is not None:
            failures.append(context.error)

    application.add_error_handler(record_error)
    async with application:
        await start_bot(application)
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES
        )
        await application.start()
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()
    await stop_bot(application)


class ErrorLog(logging.Handler):
    """Errors our code logged instead of raising (the outbox, the card): a test fails on them."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged_errors() -> Iterator[list[logging.LogRecord]]:
    """ERROR records of the bot's own loggers; a test that provokes one takes it out."""
    handler = ErrorLog()
    loggers = [logging.getLogger(name) for name in ("handlers", "bot", "storage")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.records
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.fixture
async def app(
    settings: Settings,
    clock: FakeClock,
    handler_errors: list[BaseException],
    logged_errors: list[logging.LogRecord],
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The running bot; the test fails if any handler raised or our code logged an error."""
    async with running_bot(settings, clock, handler_errors) as application:
        yield application
    assert handler_errors == [], f"a handler raised: {handler_errors!r}"
    messages = [
        f"{r.name}: {r.getMessage()} {r.exc_info[1] if r.exc_info else ''}" for r in logged_errors
    ]
    assert messages == [], "the bot logged errors"


@pytest.fixture
def runtime(app: Application) -> Runtime:  # type: ignore[type-arg]
    return runtime_of(app)


@dataclass
class Hotel:
    """Test-side set-up of people and chats, in both the sandbox and the bot's database."""

    sandbox: Sandbox
    runtime: Runtime

    def person(
        self, user_id: int, name: str, *, language: str = "en", username: str | None = None
    ) -> SandboxUser:
        return self.sandbox.add_user(user_id, name, username=username, language_code=language)

    async def staff(
        self,
        user: SandboxUser,
        department: str,
        *roles: str,
        started: bool = True,
    ) -> int:
        """Enrol someone as active staff (as an admin would have), optionally with a chat open."""
        async with self.runtime.sessions() as session:
            row = RosterRow(
                line=2,
                telegram_id=user.id,
                username=user.username,
                name=user.first_name,
                department=department,
                roles=roles or ("staff",),
                reports_to=None,
                language=None,
            )
            outcome = await import_roster(session, rows=[row], now=NOW)
            assert outcome.errors == []
            view = await org.view_by_telegram_id(session, user.id)
        assert view is not None
        assert view.staff.id is not None
        if started:
            self.sandbox.chat(user).started = True
        return view.staff.id

    def admin(self, language: str = "en") -> SandboxUser:
        user = self.person(ADMIN_ID, "Admin Ada", language=language, username="ada_admin")
        self.sandbox.chat(user).started = True
        return user

    def group(
        self, title: str, *members: SandboxUser, forum: bool = False, admins: tuple = ()
    ) -> SandboxChat:
        return self.sandbox.add_group(
            title, forum=forum, members=list(members), admins=list(admins)
        )


@pytest.fixture
def hotel(sandbox: Sandbox, runtime: Runtime) -> Hotel:
    return Hotel(sandbox, runtime)


@pytest.fixture
async def evaluation(sandbox: Sandbox, hotel: Hotel, runtime: Runtime) -> Any:
    """The six-hearts hotel of tests/e2e/evaluation.py: two departments, heads, an ops
    manager, a director, a GM, and a bound housekeeping group with everyone in it."""
    from tests.e2e.evaluation import evaluation_hotel  # it imports this module

    return await evaluation_hotel(sandbox, hotel, runtime)
