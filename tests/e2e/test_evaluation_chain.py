"""The whole six-hearts chain as the hotel lives it, through chat only: an admin imports the
roster, heads and the operations manager score their people with buttons (one draft left
half-way across a restart), the director returns one with a reason, its evaluator fixes
and resubmits it, the director confirms all, the GM signs, and then each person sees
their own result and nobody else's. No group ever receives a score."""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import load_workbook

from bot.runtime import Runtime
from sandbox import Sandbox
from sandbox.world import SandboxUser
from storage import hearts as store
from tests.e2e.conftest import ADMIN_ID, FakeClock, Hotel, running_bot, seen

PERIOD = "2026-11"
TOKEN = "202611"

ROSTER = (
    b"telegram_id,name,department,roles,reports_to,language\n"
    b"8001,Olivia Ops,mgmt,ops_manager,,en\n"
    b"8002,Hannah Head,hk,head,8001,en\n"
    b"8003,Sam Staff,hk,staff,8002,en\n"
    b"8004,Sue Staff,hk,staff,8002,en\n"
    b"8005,Felix Head,fb,head,8001,zh\n"
    b"8006,Fay Staff,fb,staff,8005,zh\n"
    b"8007,Diana Director,mkt,director,,en\n"
    b"8008,George GM,mgmt,gm,,zh\n"
)

# What each evaluator gives, heart by heart (confidence … carefulness).
SAM = (4, 5, 4, 4, 5, 4)  # 26
SUE_FIRST = (3, 4, 4)  # then the restart
SUE_REST = (4, 3, 2)  # carefulness 2 needs its comment; changed to 3 later: 21
FAY = (5, 5, 4, 5, 5, 5)  # 29
HANNAH = (4, 4, 4, 4, 4, 4)  # 24
FELIX = (3, 4, 3, 4, 3, 3)  # 20


class Chain:
    """The people of the hotel and the moves they make in their private chats."""

    def __init__(self, sandbox: Sandbox, runtime: Runtime, people: dict[str, SandboxUser]):
        self.sandbox = sandbox
        self.runtime = runtime
        self.people = people

    def language(self, name: str) -> str:
        return str(self.people[name].language_code)

    async def say(self, name: str, text: str) -> dict[str, Any]:
        await self.sandbox.send_message(self.people[name], text=text)
        return await self.sandbox.wait_for_message(self.people[name])

    async def press(self, name: str, message_id: int, **button: str) -> dict[str, Any]:
        """Press a button (by label or data); the pressed message as it reads afterwards."""
        user = self.people[name]
        query = await self.sandbox.press_button(user, None, message_id, **button)
        await self.sandbox.wait_callback_answer(query)
        message = self.sandbox.message(user, message_id)
        assert message is not None
        return message

    def t(self, reader: str, key: str, /, **params: object) -> str:
        """A text as `reader` sees it, in their language."""
        return seen(self.runtime, self.language(reader), key, **params)

    def score_button(self, name: str, score: int) -> str:
        label = self.t(name, f"hearts.score.{score}")
        return self.t(name, "score.button", score=score, label=label)

    async def pick(self, evaluator: str, evaluee: str) -> int:
        """/score, then the evaluee's button; the id of the message the conversation is in."""
        listing = await self.say(evaluator, "/score")
        button = next(
            b["text"]
            for row in listing["reply_markup"]["inline_keyboard"]
            for b in row
            if b["text"].lstrip("✎↩ ").startswith(evaluee)
        )
        await self.press(evaluator, listing["message_id"], label=button)
        return int(listing["message_id"])

    async def scores(self, evaluator: str, message_id: int, scores: tuple[int, ...]) -> None:
        for score in scores:
            await self.press(evaluator, message_id, label=self.score_button(evaluator, score))

    async def skip_and_submit(self, evaluator: str, message_id: int) -> None:
        await self.press(evaluator, message_id, label=self.t(evaluator, "score.skip"))
        summary = await self.press(evaluator, message_id, label=self.t(evaluator, "score.submit"))
        assert self.t(evaluator, "score.submitted") in summary["text"]

    async def score_fully(self, evaluator: str, evaluee: str, scores: tuple[int, ...]) -> None:
        message_id = await self.pick(evaluator, evaluee)
        await self.scores(evaluator, message_id, scores)
        await self.skip_and_submit(evaluator, message_id)


def callback_data(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [str(b.get("callback_data", "")) for row in rows for b in row]


async def statuses(runtime: Runtime) -> dict[int, str]:
    async with runtime.sessions() as session:
        return {e.evaluee_id: e.status for e in await store.evaluations_in(session, PERIOD)}


async def test_roster_to_signed_results_through_chat_only(
    sandbox: Sandbox,
    hotel: Hotel,
    runtime: Runtime,
    clock: FakeClock,
    app: object,
    settings: object,
    handler_errors: list[BaseException],
) -> None:
    # --- The admin imports the roster; everyone opens a chat with the bot. ---------------
    admin = hotel.admin()
    people: dict[str, SandboxUser] = {}
    for line in ROSTER.decode().splitlines()[1:]:
        telegram_id, name, *_rest, language = line.split(",")
        people[name.split()[0]] = hotel.person(int(telegram_id), name, language=language)
    await sandbox.send_document(admin, filename="roster.csv", content=ROSTER)
    imported = await sandbox.wait_for_message(admin)
    assert imported["text"] == seen(runtime, "en", "roster.done", created=8, updated=0, waiting=0)
    chain = Chain(sandbox, runtime, people)
    for name in people:
        await chain.say(name, "/start")
    group = hotel.group("Housekeeping", sandbox.user(ADMIN_ID), *people.values(), admins=(admin,))
    await sandbox.send_message(admin, group, "/bind hk")
    await sandbox.wait_for_message(group)
    async with runtime.sessions() as session:
        ids = {m.name.split()[0]: m.staff_id for m in await store.members(session)}

    # --- Scoring, level by level. ---------------------------------------------------------
    await chain.score_fully("Hannah", "Sam", SAM)
    sue_message = await chain.pick("Hannah", "Sue")
    await chain.scores("Hannah", sue_message, SUE_FIRST)

    # The bot restarts with Sue's draft at its fourth heart.
    await app.updater.stop()  # type: ignore[attr-defined]
    await app.stop()  # type: ignore[attr-defined]
    async with running_bot(settings, clock, handler_errors):  # type: ignore[arg-type]
        listing = await chain.say("Hannah", "/score")
        (sue_button,) = [
            b["text"] for row in listing["reply_markup"]["inline_keyboard"] for b in row
        ]
        assert sue_button.startswith("✎")  # her draft, marked as such
        resumed = await chain.press("Hannah", listing["message_id"], label=sue_button)
        assert "Sue Staff · November 2026 · 4/6" in resumed["text"]
        await chain.scores("Hannah", listing["message_id"], SUE_REST)
        asked = chain.sandbox.message(people["Hannah"], listing["message_id"])
        assert asked is not None
        assert chain.t("Hannah", "score.skip") not in str(asked.get("reply_markup"))
        overall = await chain.say("Hannah", "Forgot the minibar list twice.")
        assert chain.t("Hannah", "score.ask_overall", name="Sue Staff") in overall["text"]
        summary = await chain.say("Hannah", "Careful with guests, less so with checklists.")
        submitted = await chain.press(
            "Hannah", summary["message_id"], label=chain.t("Hannah", "score.submit")
        )
        assert chain.t("Hannah", "score.submitted") in submitted["text"]
        await sandbox.wait_idle()
    await app.start()  # type: ignore[attr-defined]
    await app.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[attr-defined]

    await chain.score_fully("Felix", "Fay", FAY)  # in Chinese
    await chain.score_fully("Olivia", "Hannah", HANNAH)
    await chain.score_fully("Olivia", "Felix", FELIX)
    assert set((await statuses(runtime)).values()) == {"submitted"}

    # --- The director returns Sue's with a reason. ----------------------------------------
    async with runtime.sessions() as session:
        sue = await store.evaluation_of(session, PERIOD, ids["Sue"])
    assert sue is not None
    diana = people["Diana"]
    await sandbox.wait_idle()
    await sandbox.send_message(diana, text="/review")
    boards = await sandbox.wait_for_messages(diana, 4)  # hk, fb, mgmt, Confirm all
    hk = next(b for b in boards if f"hr:ret:{sue.id}" in callback_data(b))
    await chain.press("Diana", hk["message_id"], data=f"hr:ret:{sue.id}")
    question = await sandbox.wait_for_message(diana)
    await sandbox.send_message(
        diana,
        text="A 2 in carefulness: name the checklist items.",
        reply_to=question["message_id"],
    )
    await sandbox.wait_for_message(diana)
    told = await sandbox.wait_for_message(people["Hannah"], contains="A 2 in carefulness")
    assert "Diana Director" in told["text"]
    assert (await statuses(runtime))[ids["Sue"]] == "returned"

    # --- Hannah changes carefulness to 3 with a comment and resubmits. ---------------------
    listing = await chain.say("Hannah", "/score")
    (returned_button,) = [
        b["text"] for row in listing["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert returned_button.startswith("↩")
    summary = await chain.press("Hannah", listing["message_id"], label=returned_button)
    assert "A 2 in carefulness: name the checklist items." in summary["text"]
    choose = await chain.press(
        "Hannah", listing["message_id"], label=chain.t("Hannah", "score.change")
    )
    careful = next(
        b["text"]
        for row in choose["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"].startswith("Carefulness")
    )
    await chain.press("Hannah", listing["message_id"], label=careful)
    await chain.press("Hannah", listing["message_id"], label=chain.score_button("Hannah", 3))
    summary = await chain.say("Hannah", "Minibar list and amenity count were missed.")
    resubmitted = await chain.press(
        "Hannah", summary["message_id"], label=chain.t("Hannah", "score.submit")
    )
    assert chain.t("Hannah", "score.resubmitted") in resubmitted["text"]

    # --- The director confirms all; the GM signs. -----------------------------------------
    await sandbox.wait_idle()
    await sandbox.send_message(diana, text="/review")
    boards = await sandbox.wait_for_messages(diana, 4)
    confirm_all = boards[-1]
    (all_five,) = callback_data(confirm_all)
    assert all_five.startswith(f"hr:all:{TOKEN}:5:")
    await chain.press("Diana", confirm_all["message_id"], data=all_five)
    assert set((await statuses(runtime)).values()) == {"confirmed"}

    # Before signing, nobody sees their own result.
    early = await chain.say("Sam", "/myscore")
    assert "26" not in early["text"]

    overview = await chain.say("George", "/sign")
    await chain.press("George", overview["message_id"], data=f"hg:ask:{TOKEN}")
    await chain.press("George", overview["message_id"], data=f"hg:yes:{TOKEN}")
    async with runtime.sessions() as session:
        period = await store.get_period(session, PERIOD)
        history = await store.history(session, sue.id or 0)
    assert period is not None
    assert (period.status, period.signed_by) == ("signed", ids["George"])
    assert [(e.kind, e.actor_id) for e in history] == [
        ("started", ids["Hannah"]),
        ("submitted", ids["Hannah"]),
        ("returned", ids["Diana"]),
        ("resubmitted", ids["Hannah"]),
        ("confirmed", ids["Diana"]),
        ("signed", ids["George"]),
    ]

    # --- Each person sees their own result, and only theirs. ------------------------------
    expected_totals = {"Sam": 26, "Sue": 21, "Fay": 29, "Hannah": 24, "Felix": 20}
    for name, total in expected_totals.items():
        await sandbox.wait_idle()
        before = len(sandbox.messages(people[name]))
        await sandbox.send_message(people[name], text="/myscore")
        answers = await sandbox.wait_for_messages(people[name], 2, after=None)
        result, photo = answers[0], answers[1]
        assert len(sandbox.messages(people[name])) == before + 2
        assert f"<b>{total}</b>/30" in str(result.get("text")) or f"{total}/30" in str(
            result["text"]
        )
        # Nobody else's name or total is in what they see.
        for other, other_total in expected_totals.items():
            if other != name:
                assert f"{other} Staff" not in result["text"] or other in ("Hannah", "Felix")
                assert f"{other_total}/30" not in result["text"]
        assert "photo" in photo
        png = sandbox.file_bytes(photo["photo"][-1]["file_id"])
        assert png.startswith(b"\x89PNG")

    # The GM sees everyone; a staff member asking for the report is refused.
    report = await chain.say("George", f"/scores {PERIOD}")
    for name in expected_totals:
        assert people[name].first_name in report["text"]
    refused = await chain.say("Sam", f"/scores {PERIOD}")
    assert "Sue" not in refused["text"]
    exported = await chain.say("George", f"/export scores {PERIOD}")
    assert "document" in exported
    workbook = load_workbook(io.BytesIO(sandbox.file_bytes(exported["document"]["file_id"])))
    numbers = [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if isinstance(cell, int | float)
    ]
    for total in expected_totals.values():
        assert total in numbers

    # --- No group ever saw a score. -------------------------------------------------------
    group_texts = [str(m.get("text") or m.get("caption") or "") for m in sandbox.messages(group)]
    for text in group_texts:
        assert not re.search(r"\d+/30", text)
        for name in expected_totals:
            assert people[name].first_name not in text
