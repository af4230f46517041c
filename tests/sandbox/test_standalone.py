"""``python -m sandbox`` serves the control API for bots running in another process."""

from __future__ import annotations

import asyncio
import sys

from sandbox import SandboxClient


async def test_standalone_server_with_client() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandbox", "--port", "0",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode()
        assert first.startswith("sandbox listening on http://127.0.0.1:")
        url = first.split()[-1]
        with SandboxClient(url) as client:
            created = await asyncio.to_thread(client.add_user, 7, "Guest")
            state = await asyncio.to_thread(client.state)
        assert created["id"] == 7
        assert [u["id"] for u in state["users"]] == [7]
        assert state["bot"]["username"] == "hotel_vip_bot"
    finally:
        proc.terminate()
        await proc.wait()
