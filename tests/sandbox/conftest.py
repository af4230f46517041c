"""Fixtures: a running sandbox, a PTB Bot pointed at it and a raw HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot

from sandbox import Sandbox

TOKEN = "123456:TEST-TOKEN"


@pytest.fixture
async def sb() -> AsyncIterator[Sandbox]:
    async with Sandbox(token=TOKEN, bot_username="hotel_vip_bot", bot_name="Hotel VIP Bot") as box:
        yield box


@pytest.fixture
async def bot(sb: Sandbox) -> AsyncIterator[Bot]:
    tg = Bot(TOKEN, base_url=sb.base_url, base_file_url=sb.base_file_url)
    async with tg:
        yield tg


@pytest.fixture
async def http(sb: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{sb.url}/bot{TOKEN}", timeout=10) as client:
        yield client
