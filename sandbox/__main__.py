"""Run a standalone sandbox: ``python -m sandbox --port 8081`` (stop with Ctrl-C)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from sandbox.server import Sandbox


async def _serve(args: argparse.Namespace) -> None:
    sb = Sandbox(token=args.token, bot_username=args.username, bot_name=args.name)
    await sb.start(host=args.host, port=args.port)
    # Tell the person (or the parent process) where to point the bot and the control client.
    sys.stdout.write(
        f"sandbox listening on {sb.url}\n"
        f"  bot base_url:      {sb.base_url}\n"
        f"  bot base_file_url: {sb.base_file_url}\n"
        f"  control API:       {sb.url}/_sandbox/state\n"
    )
    sys.stdout.flush()
    try:
        await asyncio.Event().wait()
    finally:
        await sb.stop()


def main() -> None:
    """Parse the command line and serve until interrupted."""
    parser = argparse.ArgumentParser(description="Loopback Telegram Bot API sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-TOKEN")
    parser.add_argument("--username", default="hotel_vip_bot")
    parser.add_argument("--name", default="Hotel VIP Bot")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
