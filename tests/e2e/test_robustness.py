"""When Telegram or the bot itself fails: nobody sees a traceback, nothing is lost."""

from __future__ import annotations

import logging

from bot.runtime import Runtime
from sandbox import Sandbox
from tests.e2e.conftest import Hotel


async def test_a_429_from_telegram_is_retried_and_the_answer_still_arrives(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    emily = hotel.person(7001, "Emily", language="en")
    sandbox.inject_fault("sendMessage", "429", count=1, retry_after=1)
    await sandbox.send_message(emily, text="/help")
    answer = await sandbox.wait_for_message(emily, timeout=10)
    assert answer["text"].startswith(runtime.catalog.text("en", "help.header"))
    send_attempts = [m for m, _ in sandbox.requests if m.lower() == "sendmessage"]
    assert len(send_attempts) == 2  # refused once with retry_after, then delivered
    assert len(sandbox.messages(emily)) == 1


async def test_a_failing_handler_apologises_and_tells_the_admins_once(
    sandbox: Sandbox,
    hotel: Hotel,
    runtime: Runtime,
    handler_errors: list[BaseException],
    logged_errors: list[logging.LogRecord],
) -> None:
    admin = hotel.admin()
    emily = hotel.person(7002, "Emily", language="en")
    # Telegram answers the bot's reply with a 500 twice in a row: the handler fails.
    for _ in range(2):
        sandbox.inject_fault("sendMessage", "500", count=1)
        await sandbox.send_message(emily, text="/help")
        apology = await sandbox.wait_for_message(emily, timeout=10)
        # Telegram's failure, not ours: the person hears that, not that we broke.
        assert apology["text"] == runtime.catalog.text("en", "error.telegram")
        assert "Traceback" not in apology["text"]
        await sandbox.wait_idle()
    assert [type(e).__name__ for e in handler_errors] == ["NetworkError", "NetworkError"]
    handler_errors.clear()
    logged_errors.clear()  # handlers.kit.errors logs each failure it reports
    reports = sandbox.messages(admin)
    assert len(reports) == 1  # the same error twice is reported once
    assert "NetworkError — handlers/kit/base.py:" in reports[0]["text"]
    assert "Traceback" not in reports[0]["text"]
