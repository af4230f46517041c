"""A loopback Telegram Bot API for running the real bot in tests, plus its control API."""

from sandbox.client import SandboxClient
from sandbox.server import Sandbox
from sandbox.world import SandboxChat, SandboxUser

__all__ = ["Sandbox", "SandboxChat", "SandboxClient", "SandboxUser"]
