"""The command line: run the bot, run it on the sandbox, import a roster."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from telegram import Update

from bot.app import build_application, runtime_of, start_bot, stop_bot
from bot.playbook import PlaybookError
from bot.runtime import utc_now
from bot.settings import Settings, SettingsError, load_settings

NO_TOKEN_HELP = """\
No Telegram bot token is configured, so the bot cannot talk to Telegram.

To run it for real:
  1. In Telegram, talk to @BotFather, send /newbot, and copy the token it gives you.
  2. Put it in a file named .env beside the README (copy .env.example):
         TELEGRAM_BOT_TOKEN=123456789:AA...
     and your own Telegram id as an administrator:
         ADMIN_USER_IDS=123456789
  3. Start the bot again:  make run   (or: python -m bot run)

To try it without Telegram, start the loopback sandbox with a demo hotel:
  make run          (with no token it starts the sandbox)
  python -m bot sandbox
Then follow "Try it in the sandbox" in the README, or watch a whole VIP reception
played in under two minutes:  python -m bot demo
"""

SANDBOX_TOKEN = "777000:SANDBOX-TOKEN"
SANDBOX_DATABASE = "sqlite+aiosqlite:///./data/sandbox.db"

log = logging.getLogger("bot")


def main(argv: list[str] | None = None) -> int:
    # Opt in to PTB 23's timedelta durations (retry_after…) now; PTB 22 warns otherwise.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the bot (the default)")
    sandbox = commands.add_parser("sandbox", help="run the bot on a loopback Telegram sandbox")
    sandbox.add_argument("--port", type=int, default=8081)
    sandbox.add_argument("--fresh", action="store_true", help="start from an empty database")
    sandbox.add_argument(
        "--database",
        default=SANDBOX_DATABASE,
        help="the sandbox's own database (never DATABASE_URL: the demo hotel would overwrite it)",
    )
    roster = commands.add_parser("roster", help="staff roster")
    roster_commands = roster.add_subparsers(dest="roster_command", required=True)
    roster_import = roster_commands.add_parser("import", help="import a .csv or .xlsx roster")
    roster_import.add_argument("file", type=Path)
    demo = commands.add_parser("demo", help="play a whole VIP reception on the sandbox (< 2 min)")
    demo.add_argument(
        "--speed", type=float, default=240, help="hotel seconds per real second (default 240)"
    )
    commands.add_parser(
        "check-token", help="exit 0 with a token, 1 without one, 2 when a setting is wrong"
    )
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request at INFO, which drowns the bot's own log.
    logging.getLogger("httpx").setLevel(logging.WARNING)

    command = args.command or "run"
    if command == "check-token":
        return 0 if settings.telegram_bot_token else 1
    if command == "run":
        if not settings.telegram_bot_token:
            print(NO_TOKEN_HELP, file=sys.stderr)
            return 2
        try:
            asyncio.run(serve(settings))
        except PlaybookError as exc:
            print(f"Cannot start: the playbook is malformed: {exc}", file=sys.stderr)
            return 2
        return 0
    if command == "sandbox":
        if args.fresh and args.database.startswith("sqlite"):
            Path(args.database.split("///", 1)[1]).unlink(missing_ok=True)
        asyncio.run(serve_sandbox(settings, port=args.port, database_url=args.database))
        return 0
    if command == "demo":
        from bot.demo import play

        status = asyncio.run(play(settings, out=print, speed=args.speed))
        return 0 if status == "completed" else 1
    if command == "roster":
        try:
            content = args.file.read_bytes()
        except OSError as exc:
            print(f"Cannot read {args.file}: {exc.strerror}", file=sys.stderr)
            return 2
        return asyncio.run(import_roster_file(settings, args.file.name, content))
    parser.error(f"unknown command {command}")
    return 2


def _stop_event() -> asyncio.Event:
    """An event set by Ctrl+C or SIGTERM, so the bot stops cleanly and keeps nothing half-done."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Poll for updates until stopped."""
    stop = stop or _stop_event()
    application = build_application(settings)
    async with application:
        await start_bot(application)
        assert application.updater is not None
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        await application.start()
        me = application.bot.username
        log.info("bot @%s is running against %s", me, settings.telegram_api_base_url)
        try:
            await stop.wait()
        finally:
            await application.updater.stop()
            await application.stop()
    await stop_bot(application)


async def serve_sandbox(settings: Settings, *, port: int, database_url: str) -> None:
    """The sandbox on 127.0.0.1 with the demo hotel, and the bot running against it."""
    from bot.demo_hotel import DEMO_ADMIN_IDS, DEMO_PEOPLE, seed_demo_hotel
    from sandbox import Sandbox

    sandbox = Sandbox(token=SANDBOX_TOKEN)
    await sandbox.start(port=port)
    bot_settings = settings.model_copy(
        update={
            "telegram_bot_token": SANDBOX_TOKEN,
            "telegram_api_base_url": sandbox.base_url,
            "database_url": database_url,
            "admin_user_ids": settings.admin_user_ids | DEMO_ADMIN_IDS,
        }
    )
    stop = _stop_event()
    application = build_application(bot_settings)
    async with application:
        await start_bot(application)
        runtime = runtime_of(application)
        await seed_demo_hotel(sandbox, runtime.sessions, runtime.clock())
        assert application.updater is not None
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        await application.start()
        print(sandbox_banner(sandbox.url, [(p.telegram_id, p.name) for p in DEMO_PEOPLE]))
        sys.stdout.flush()
        try:
            await stop.wait()
        finally:
            await application.updater.stop()
            await application.stop()
    await stop_bot(application)
    await sandbox.stop()


def sandbox_banner(url: str, people: list[tuple[int, str]]) -> str:
    who = "\n".join(f"  {telegram_id}  {name}" for telegram_id, name in people)
    return f"""\
Sandbox Telegram is listening on {url}  (Bot API: {url}/bot<token>)
The bot is running against it. Demo people (user ids):
{who}
Send a message as someone:
  curl -s {url}/_sandbox/messages -H 'Content-Type: application/json' \\
       -d '{{"user_id": 1012, "text": "/start"}}'
Read what the bot answered in that person's private chat:
  curl -s '{url}/_sandbox/chats/1012/messages'
Everything else (chats, topics, ids): curl -s {url}/_sandbox/state
To watch a whole VIP reception played by the bot instead: python -m bot demo
Stop with Ctrl+C."""


async def import_roster_file(settings: Settings, filename: str, content: bytes) -> int:
    """`roster import FILE`: the same import as sending the file to the bot in chat."""
    from bot.i18n import Catalog
    from bot.roster import parse_roster, render_errors
    from storage import org
    from storage.db import make_engine, make_session_factory, upgrade_schema
    from storage.roster import import_roster

    catalog = Catalog.load(settings.default_language)

    def text(key: str, /, **params: object) -> str:
        return catalog.text(settings.default_language, key, **params)

    engine = make_engine(settings.database_url)
    try:
        await upgrade_schema(engine)
        sessions = make_session_factory(engine)
        async with sessions() as session:
            codes = [d.code for d in await org.list_departments(session)]
            parsed = parse_roster(filename, content, department_codes=codes)
            errors = parsed.errors
            if not errors:
                outcome = await import_roster(session, rows=parsed.rows, now=utc_now())
                errors = outcome.errors
    finally:
        await engine.dispose()
    if errors:
        print(text("roster.failed"), *render_errors(errors, text), sep="\n", file=sys.stderr)
        return 1
    print(
        text(
            "roster.done",
            created=outcome.created,
            updated=outcome.updated,
            waiting=outcome.waiting,
        )
    )
    return 0
