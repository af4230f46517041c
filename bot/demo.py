"""`python -m bot demo`: a whole VIP reception played on the sandbox in under two minutes.

The bot runs unchanged; only its clock is fast (one real second is four hotel minutes),
which compresses the playbook's offsets. Demo people press the buttons a hotel's staff
would, and everything each chat receives is printed as it arrives.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import AIORateLimiter

from bot.app import build_application, runtime_of, start_bot, stop_bot
from bot.demo_hotel import DEMO_ADMIN_IDS, seed_demo_hotel
from bot.settings import Settings
from sandbox import Sandbox
from storage import visits

DEMO_TOKEN = "777001:DEMO-TOKEN"
SPEED = 240  # hotel seconds per real second: 4 hours of preparation in one minute


class FastClock:
    """Real time, sped up: the bot's reminders and escalations come at their offsets."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.started = time.monotonic()
        self.origin = datetime.now(UTC).replace(second=0, microsecond=0)

    def __call__(self) -> datetime:
        return self.origin + timedelta(seconds=(time.monotonic() - self.started) * self.speed)


class Transcript:
    """Prints every new bot message of every chat and topic, labelled by where it went."""

    def __init__(self, sandbox: Sandbox, out: Callable[[str], None]) -> None:
        self.sandbox = sandbox
        self.out = out
        self.seen: set[tuple[int, int]] = set()

    def flush(self) -> None:
        state = self.sandbox.state()
        names = {user["id"]: user["first_name"] for user in state["users"]}
        fresh = []
        for chat in state["chats"]:
            for message in self.sandbox.messages(chat["id"]):
                key = (chat["id"], message["message_id"])
                if key not in self.seen:
                    self.seen.add(key)
                    fresh.append((message.get("date", 0), chat, message))
        for _date, chat, message in sorted(fresh, key=lambda item: item[0]):
            self.out(self._format(chat, message, names))

    def _format(self, chat: dict[str, Any], message: dict[str, Any], names: dict[int, str]) -> str:
        if chat.get("type") == "private":
            where = f"private chat of {names.get(chat['id'], chat['id'])}"
        else:
            where = chat.get("title", str(chat["id"]))
            topic = str(message.get("message_thread_id"))
            topics = chat.get("topics", {})
            if topic in topics:
                where += f" › {topics[topic]}"
        body = message.get("text") or message.get("caption") or ""
        if message.get("document"):
            body = f"📎 {message['document'].get('file_name')} {body}"
        buttons = [
            b["text"]
            for row in message.get("reply_markup", {}).get("inline_keyboard", [])
            for b in row
        ]
        shown = f"\n   [{' | '.join(buttons)}]" if buttons else ""
        text = "\n   ".join(body.splitlines())
        return f"── {where}\n   {text}{shown}"


NOTICE = """/vip
Guest: Mr. Wang Jun
Company: Huadong Group
Group: Annual strategy meeting
Titles: Chairman; CFO
Party: 6
Vehicles: 2
Arrival: {arrival}
Rooms: 1808, 1809
Requirements: quiet floor, no lilies
Standard: B"""


async def play(settings: Settings, out: Callable[[str], None], *, speed: float = SPEED) -> str:
    """Play the reception; returns the visit's final status."""
    clock = FastClock(speed)
    with tempfile.TemporaryDirectory() as folder:
        async with Sandbox(token=DEMO_TOKEN) as sandbox:
            demo_settings = settings.model_copy(
                update={
                    "telegram_bot_token": DEMO_TOKEN,
                    "telegram_api_base_url": sandbox.base_url,
                    "database_url": f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}",
                    "admin_user_ids": settings.admin_user_ids | DEMO_ADMIN_IDS,
                    "tick_seconds": 0.25,
                    "card_window_seconds": 60.0,
                }
            )
            # Telegram allows a group 20 messages a minute; on the demo's clock a minute lasts
            # a quarter of a second, so the limit is scaled the same way.
            limiter = AIORateLimiter(group_time_period=60 / speed, max_retries=3)
            application = build_application(demo_settings, clock=clock, rate_limiter=limiter)
            async with application:
                await start_bot(application)
                runtime = runtime_of(application)
                await seed_demo_hotel(sandbox, runtime.sessions, clock(), one_forum=False)
                assert application.updater is not None
                await application.updater.start_polling(
                    poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES
                )
                await application.start()
                try:
                    status = await _script(sandbox, clock, Transcript(sandbox, out), out, runtime)
                finally:
                    await application.updater.stop()
                    await application.stop()
            await stop_bot(application)
    return status


async def _script(
    sandbox: Sandbox,
    clock: FastClock,
    transcript: Transcript,
    out: Callable[[str], None],
    runtime: Any,
) -> str:
    """What the demo people do, scene by scene; returns the visit's final status."""
    director, duty_manager = sandbox.user(1002), sandbox.user(1004)
    hk_staff, eng_head = sandbox.user(1008), sandbox.user(1009)
    sec_head, bell_head, cs_agent = sandbox.user(1010), sandbox.user(1011), sandbox.user(1006)
    zone = runtime.settings.zone
    arrival = (clock() + timedelta(hours=4, minutes=10)).astimezone(zone)

    async def scene(title: str) -> None:
        await sandbox.wait_idle(timeout=30)
        transcript.flush()
        out(f"\n=== {clock().astimezone(zone):%H:%M} {title} ===")

    async def until(moment: datetime) -> None:
        while clock() < moment:
            await asyncio.sleep(0.1)
            transcript.flush()

    async def press(user: Any, department: str, contains: str, label: str) -> None:
        """Press a button as a person would: once the message with it has arrived."""
        chat_id, thread_id = await _department_chat(runtime, department)
        for _ in range(300):  # Telegram's group limits may hold a message back a while
            for message in reversed(sandbox.messages(chat_id, thread_id)):
                rows = message.get("reply_markup", {}).get("inline_keyboard", [])
                labels = [button["text"] for row in rows for button in row]
                if contains in message.get("text", "") and label in labels:
                    await sandbox.press_button(user, chat_id, message["message_id"], label=label)
                    await sandbox.wait_idle(timeout=30)
                    return
            await asyncio.sleep(0.1)
            transcript.flush()
        raise RuntimeError(f"no {label!r} button on a {department} message with {contains!r}")

    await scene("The marketing director announces a VIP (pasted notice)")
    await sandbox.send_message(director, text=NOTICE.format(arrival=f"{arrival:%Y-%m-%d %H:%M}"))
    summary = await sandbox.wait_for_message(director, timeout=30)
    await sandbox.press_button(director, None, summary["message_id"], data="ni:send")

    await scene("The duty manager cross-checks and confirms")
    request = await sandbox.wait_for_message(duty_manager, contains="#1", timeout=30)
    await sandbox.press_button(duty_manager, None, request["message_id"], label="✅ 确认")

    await scene("Every department has its part; CS holds its briefing")
    await press(cs_agent, "cs", "召开内部任务会议", "✅ 完成")
    await until(arrival - timedelta(hours=3))
    await scene("T−3h: CS walks the route")
    await press(cs_agent, "cs", "巡查贵宾进店路线", "✅ 完成")
    await until(arrival - timedelta(hours=2))
    await scene("T−2h: room inspection, parking")
    await press(sec_head, "sec", "停车位", "✅ 完成")
    await press(hk_staff, "hk", "贵宾房查房", "🙋 我来负责")
    for item in ("☐ 房卡", "☐ 清洁卫生", "☐ 设施设备"):
        await press(hk_staff, "hk", "贵宾房查房", item)
    await scene("Housekeeping finds a problem")
    await press(hk_staff, "hk", "贵宾房查房", "⚠️ 有问题")
    chat_id, thread_id = await _department_chat(runtime, "hk")
    question = await sandbox.wait_for_message(
        chat_id, thread_id, contains=hk_staff.first_name, timeout=30
    )
    await sandbox.send_message(
        hk_staff,
        chat_id,
        "1808空调不制冷 AC not cooling",
        thread_id=thread_id,
        reply_to=question["message_id"],
    )
    await scene("Engineering fixes it")
    await press(eng_head, "eng", "空调不制冷", "✔️ 已解决")
    for item in ("☐ 客用品", "☐ 房间景观", "☐ 周边环境"):
        await press(hk_staff, "hk", "贵宾房查房", item)
    await until(arrival - timedelta(hours=1))
    await scene("T−1h: CS confirms the arrival details")
    await press(cs_agent, "cs", "确认抵达时间", "✅ 完成")
    await until(arrival - timedelta(minutes=30))
    await scene("T−30m: the room is opened, lit and cooled to 22–26 °C")
    await press(hk_staff, "hk", "开房门", "✅ 完成")
    await until(arrival - timedelta(minutes=15))
    await scene("T−15m: the welcome team assembles")
    await press(bell_head, "bell", "迎宾团队", "✅ 完成")
    await until(arrival)
    await scene("The guest arrives")
    await press(bell_head, "bell", "贵宾抵达", "✅ 完成")
    await scene("CS closes and archives the reception")
    await sandbox.send_message(cs_agent, text="/complete 1")
    ask = await sandbox.wait_for_message(cs_agent, contains="#1", timeout=30)
    await sandbox.press_button(cs_agent, None, ask["message_id"], data="vc:done:1")
    status = "?"
    for _ in range(300):
        async with runtime.sessions() as session:
            visit = await visits.get_visit(session, 1)
        status = visit.status if visit else "?"
        if status == "completed":
            break
        await asyncio.sleep(0.1)
    await sandbox.wait_idle(timeout=30)
    transcript.flush()
    out(f"\n=== Done: visit #1 is {status}. The status card in the CS chat now reads: ===")
    chat_id, _thread = await _department_chat(runtime, "cs")
    pinned = sandbox.pinned(chat_id)
    card = sandbox.message(chat_id, pinned[-1]) if pinned else None
    out(card["text"] if card else "(no card)")
    return status


async def _department_chat(runtime: Any, department: str) -> tuple[int, int | None]:
    from storage import org

    async with runtime.sessions() as session:
        binding = await org.get_binding(session, department)
    assert binding is not None
    return binding.chat_id, binding.thread_id
