"""Conversations kept as rows: a half-typed /vip notice or /register survives a restart and
a move to another instance of the bot on the same database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from telegram import Update
from telegram.ext import Application

from bot.runtime import Runtime
from bot.settings import Settings
from sandbox import Sandbox
from sandbox.world import SandboxUser
from storage import drafts, visits
from storage.drafts import Draft
from storage.models import DRAFT_REGISTER, DRAFT_VIP
from tests.e2e.conftest import FakeClock, Hotel, running_bot, seen
from tests.e2e.reception import Reception, reception_hotel

App = Application  # type: ignore[type-arg]


@pytest.fixture
async def reception(hotel: Hotel, sandbox: Sandbox) -> Reception:
    return await reception_hotel(hotel, sandbox)


def sayer(sandbox: Sandbox, user: SandboxUser) -> Callable[[str], Awaitable[str]]:
    async def say(text: str) -> str:
        await sandbox.send_message(user, text=text)
        return str((await sandbox.wait_for_message(user))["text"])

    return say


async def poll(application: App) -> None:
    assert application.updater is not None
    await application.updater.start_polling(
        poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES
    )


@asynccontextmanager
async def restarted(
    app: App, settings: Settings, clock: FakeClock, failures: list[BaseException]
) -> AsyncIterator[App]:
    """The bot goes down and a new Application on the same database is the bot until the
    block ends (then the fixture's own comes back, for its teardown)."""
    assert app.updater is not None
    await app.updater.stop()
    await app.stop()
    async with running_bot(settings, clock, failures) as again:
        yield again
    await app.start()
    await poll(app)


@asynccontextmanager
async def elsewhere(
    app: App, settings: Settings, clock: FakeClock, failures: list[BaseException]
) -> AsyncIterator[App]:
    """A second instance on the same database takes the updates until the block ends, as a
    load balancer may send them; the first one keeps running (only its polling pauses)."""
    assert app.updater is not None
    await app.updater.stop()
    async with running_bot(settings, clock, failures) as other:
        yield other
    await poll(app)


async def vip_draft(runtime: Runtime, user: SandboxUser) -> Draft | None:
    async with runtime.sessions() as session:
        return await drafts.live_draft(
            session, telegram_id=user.id, kind=DRAFT_VIP, now=runtime.clock()
        )


def ask(runtime: Runtime, field: str) -> str:
    return seen(runtime, "en", f"notice.ask.{field}")


async def test_a_half_typed_notice_continues_after_a_restart_from_the_same_field(
    sandbox: Sandbox,
    reception: Reception,
    runtime: Runtime,
    app: App,
    settings: Settings,
    clock: FakeClock,
    handler_errors: list[BaseException],
) -> None:
    mona = reception.people["announcer"]
    say = sayer(sandbox, mona)
    await sandbox.send_message(mona, text="/vip")
    await sandbox.wait_for_messages(mona, 2)
    assert (await say("Mr. Wang Jun")).startswith(ask(runtime, "company"))
    assert (await say("Huadong Group")).startswith(ask(runtime, "group"))
    assert (await say("Annual strategy meeting")).startswith(ask(runtime, "titles"))

    async with restarted(app, settings, clock, handler_errors):
        # The next answer is the titles, as if nothing had happened.
        assert (await say("Chairman")).startswith(ask(runtime, "party"))
        wrong = await say("lots")
        assert wrong == (
            seen(runtime, "en", "notice.error.not_a_number", low=1, high=500)
            + "\n"
            + ask(runtime, "party")
        )
        assert (await say("6")).startswith(ask(runtime, "vehicles"))
        assert (await say("2")).startswith(ask(runtime, "arrival"))
        assert (await say("tomorrow 15:00")).startswith(ask(runtime, "rooms"))
        await say("1808")
        await say("-")  # itinerary
        assert (await say("-")).startswith(ask(runtime, "standard"))
        summary_text = await say("A")
        assert summary_text.startswith(seen(runtime, "en", "vip.summary"))
        for line in (
            "Guest: Mr. Wang Jun",
            "Company: Huadong Group",
            "Group / meeting: Annual strategy meeting",
            "Titles: Chairman",
            "Party size: 6",
            "Vehicles: 2",
            "Arrival: 2026-11-28 15:00",
            "Rooms: 1808",
            "Reception standard: A",
        ):
            assert line in summary_text.splitlines()
        summary = sandbox.messages(mona)[-1]
        # Typed text at the summary: one sentence, and the draft stays as it was.
        before = await vip_draft(runtime, mona)
        assert await say("looks good") == seen(runtime, "en", "vip.use_buttons")
        assert await vip_draft(runtime, mona) == before
        await sandbox.press_button(mona, None, summary["message_id"], data="ni:send")
        sent = await sandbox.wait_for_message(mona)
        assert sent["text"] == seen(runtime, "en", "vip.sent", visit=1)
        to_manager = await sandbox.wait_for_message(reception.people["duty_manager"])
        assert "Mr. Wang Jun" in to_manager["text"]
        assert "Annual strategy meeting" in to_manager["text"]
    assert await vip_draft(runtime, mona) is None
    visit = await reception.visit(1)
    assert (visit.guest, visit.party_size, visit.status) == (
        "Mr. Wang Jun",
        6,
        "awaiting_check",
    )


async def test_a_registration_half_done_before_a_restart_is_finished_after_it(
    sandbox: Sandbox,
    hotel: Hotel,
    runtime: Runtime,
    app: App,
    settings: Settings,
    clock: FakeClock,
    handler_errors: list[BaseException],
) -> None:
    head = hotel.person(2040, "Huang Mei", language="en")
    await hotel.staff(head, "hk", "head")
    amy = hotel.person(2041, "Amy", language="en", username="amy_hk")
    say = sayer(sandbox, amy)
    assert await say("/register") == seen(runtime, "en", "register.ask_name")

    async with restarted(app, settings, clock, handler_errors):
        assert await say("A" * 65) == seen(runtime, "en", "register.bad_name")
        assert await say("Amy  Chen") == seen(
            runtime, "en", "register.ask_department", name="Amy Chen"
        )
        ask_department = sandbox.messages(amy)[-1]

    async with restarted(app, settings, clock, handler_errors):
        assert await say("Housekeeping") == seen(runtime, "en", "register.tap_department")
        # The buttons sent before the restart still work.
        await sandbox.press_button(amy, None, ask_department["message_id"], label="Housekeeping")
        sent = await sandbox.wait_for_message(amy)
        assert sent["text"] == seen(
            runtime, "en", "register.sent", name="Amy Chen", department="Housekeeping"
        )
        request = await sandbox.wait_for_message(head)
        assert "Amy Chen" in request["text"]
    async with runtime.sessions() as session:
        assert await drafts.latest_draft(session, telegram_id=amy.id, now=clock()) is None
    # Nothing is left waiting: text is stray again.
    assert await say("hello") == seen(runtime, "en", "common.not_understood")


async def test_answers_reaching_two_instances_build_one_notice(
    sandbox: Sandbox,
    reception: Reception,
    runtime: Runtime,
    app: App,
    settings: Settings,
    clock: FakeClock,
    handler_errors: list[BaseException],
) -> None:
    mona = reception.people["announcer"]
    say = sayer(sandbox, mona)
    await sandbox.send_message(mona, text="/vip")  # instance A
    await sandbox.wait_for_messages(mona, 2)
    assert (await say("Mr. Wang Jun")).startswith(ask(runtime, "company"))  # field 1 via A

    async with elsewhere(app, settings, clock, handler_errors):
        assert (await say("Huadong Group")).startswith(ask(runtime, "group"))  # field 2 via B
        # /vip on B, which never saw the first one: where the notice stands, and the choice.
        await sandbox.send_message(mona, text="/vip")
        offer = await sandbox.wait_for_message(mona)
        lines = offer["text"].splitlines()
        assert lines[0] == seen(runtime, "en", "vip.resume_offer", when="2026-11-27 10:00")
        assert "Guest: Mr. Wang Jun" in lines
        assert "Company: Huadong Group" in lines
        assert lines[-1] == seen(runtime, "en", "vip.resume_at_field", field="Group / meeting")

    # Back on A: Continue asks the field B was waiting for, and the answers go on.
    await sandbox.press_button(mona, None, offer["message_id"], label="▶️ Continue")
    assert (await sandbox.wait_for_message(mona))["text"].startswith(ask(runtime, "group"))
    assert (await say("-")).startswith(ask(runtime, "titles"))
    draft = await vip_draft(runtime, mona)
    assert draft is not None
    assert draft.step == "ask:titles"
    notice = draft.answers["notice"]
    assert (notice["guest"], notice["company"], notice["group"]) == (
        "Mr. Wang Jun",
        "Huadong Group",
        "",
    )


async def test_two_quick_answers_handled_by_two_instances_at_once_both_count(
    sandbox: Sandbox,
    reception: Reception,
    runtime: Runtime,
    app: App,
    settings: Settings,
    clock: FakeClock,
    handler_errors: list[BaseException],
) -> None:
    mona = reception.people["announcer"]
    await sandbox.send_message(mona, text="/vip")
    await sandbox.wait_for_messages(mona, 2)
    async with elsewhere(app, settings, clock, handler_errors) as other:
        assert other.updater is not None
        await other.updater.stop()  # nobody polls: the test hands each instance one update
        await sandbox.send_message(mona, text="Mr. Wang Jun")
        await sandbox.send_message(mona, text="Huadong Group")
        updates = await app.bot.get_updates(timeout=0)
        assert [u.effective_message.text for u in updates if u.effective_message] == [
            "Mr. Wang Jun",
            "Huadong Group",
        ]
        first, second = updates
        await asyncio.gather(
            app.process_update(first),
            other.process_update(Update.de_json(second.to_dict(), other.bot)),
        )
        await app.bot.get_updates(offset=second.update_id + 1, timeout=0)  # both handled
        await poll(other)
    answers = [m["text"] for m in sandbox.messages(mona)[-2:]]
    assert sorted(answers) == sorted(
        [
            ask(runtime, "company") + "\n" + seen(runtime, "en", "vip.skip_hint"),
            ask(runtime, "group") + "\n" + seen(runtime, "en", "vip.skip_hint"),
        ]
    )
    draft = await vip_draft(runtime, mona)
    assert draft is not None
    assert draft.step == "ask:group"
    notice = draft.answers["notice"]
    assert {notice["guest"], notice["company"]} == {"Mr. Wang Jun", "Huadong Group"}


async def test_vip_again_offers_to_start_afresh_and_a_day_old_draft_is_abandoned(
    sandbox: Sandbox, reception: Reception, runtime: Runtime, clock: FakeClock
) -> None:
    mona = reception.people["announcer"]
    say = sayer(sandbox, mona)
    await sandbox.send_message(mona, text="/vip")
    await sandbox.wait_for_messages(mona, 2)
    await say("Mr. Wang Jun")
    clock.advance(minutes=5)
    await sandbox.send_message(mona, text="/vip")
    offer = await sandbox.wait_for_message(mona)
    assert offer["text"].splitlines()[-1] == seen(
        runtime, "en", "vip.resume_at_field", field="Company"
    )
    # A pasted notice with mistakes is refused and leaves the draft in progress alone.
    before = await vip_draft(runtime, mona)
    await sandbox.send_message(mona, text="/vip\nGuest: Mr. Li\nParty: lots")
    refused = await sandbox.wait_for_message(mona)
    assert refused["text"].startswith(seen(runtime, "en", "vip.pasted_errors"))
    assert await vip_draft(runtime, mona) == before
    # A summary's button while a field is asked is an old message's: refused.
    query = await sandbox.press_raw(mona, None, offer["message_id"], "ni:send")
    assert (await sandbox.wait_callback_answer(query))["text"] == seen(
        runtime, "en", "common.stale_button"
    )

    await sandbox.press_button(mona, None, offer["message_id"], label="🆕 Start afresh")
    intro = await sandbox.wait_for_messages(mona, 2)
    assert intro[0]["text"] == seen(runtime, "en", "vip.intro")
    assert intro[1]["text"].startswith(ask(runtime, "guest"))
    assert (await say("-")).startswith(ask(runtime, "company"))
    # A notice for nobody: one sentence, and nothing moves.
    before = await vip_draft(runtime, mona)
    assert await say("-") == seen(runtime, "en", "notice.error.guest_or_company")
    assert await vip_draft(runtime, mona) == before
    assert before is not None
    assert before.answers["notice"]["guest"] == ""

    # A day later the draft is abandoned: text is stray, /vip starts a new notice.
    clock.advance(hours=24, minutes=1)
    assert await say("Huadong Group") == seen(runtime, "en", "common.not_understood")
    await sandbox.send_message(mona, text="/vip")
    again = await sandbox.wait_for_messages(mona, 2)
    assert again[0]["text"] == seen(runtime, "en", "vip.intro")
    # /cancel stops it; with nothing in progress, /cancel is a command like any unknown one.
    assert await say("/cancel") == seen(runtime, "en", "vip.cancelled")
    assert await vip_draft(runtime, mona) is None
    assert await say("/cancel") == seen(runtime, "en", "common.unknown_command", command="/cancel")
    async with runtime.sessions() as session:
        assert await visits.list_visits(session) == []


async def test_a_register_draft_and_a_notice_each_take_their_own_answers(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    """Someone not yet staff cannot announce; their text goes to /register, not /vip."""
    amy = hotel.person(2050, "Amy", language="en")
    say = sayer(sandbox, amy)
    assert await say("/vip") == seen(runtime, "en", "vip.not_allowed")
    assert await say("/register") == seen(runtime, "en", "register.ask_name")
    await say("Amy Chen")
    async with runtime.sessions() as session:
        draft = await drafts.latest_draft(session, telegram_id=amy.id, now=runtime.clock())
    assert draft is not None
    assert (draft.kind, draft.step, draft.answers) == (
        DRAFT_REGISTER,
        "department",
        {"name": "Amy Chen"},
    )
    # A forged summary press from someone with no notice is refused.
    last = sandbox.messages(amy)[-1]
    query = await sandbox.press_raw(amy, None, last["message_id"], "ni:afresh")
    assert (await sandbox.wait_callback_answer(query))["text"] == seen(
        runtime, "en", "common.stale_button"
    )
    assert await vip_draft(runtime, amy) is None
    assert await say("/cancel") == seen(runtime, "en", "register.cancelled")
