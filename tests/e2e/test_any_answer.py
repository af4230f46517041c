"""Whatever anyone types at any step of a conversation, it is answered within Telegram's
limits, and an answer the step refuses changes nothing: a property test (Hypothesis)
driving the real bot through the sandbox, step by step as people would reach each step.

The steps: every field of a VIP notice (the /vip questions, reached from its summary), the
name /register asks for, a comment the /score conversation waits for, the answers to the
bot's ForceReply questions in a group (a problem's description, a new arrival time) and in
private (why a notice or an evaluation is returned), and text where a button is awaited.
The step is reached by pressing the bot's own buttons (again only when the last answer was
taken); the generated text is then sent once. When the step did not move (a refusal),
every row of every table is as it was. Examples: 200 per step on SQLite, 25 on PostgreSQL
(profile "ci", tests/conftest.py); `HYPOTHESIS_PROFILE=long` runs more by hand (README).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlmodel import select
from telegram.ext import Application

from bot import hearts
from bot.app import runtime_of
from bot.notice import FIELDS
from bot.states import PeriodStatus
from sandbox import Sandbox
from sandbox.world import SandboxChat, SandboxUser
from storage import drafts
from storage import hearts as store
from storage.models import Problem, VisitEvent
from tests.e2e.conftest import FakeClock, Hotel, data_of
from tests.e2e.reception import PASTED_EN, Reception, reception_hotel
from tests.e2e.test_any_input import Driver, all_rows, app, changed, drive, in_worker, words
from tests.e2e.test_review import score_everyone

__all__ = ["app"]  # the running bot without Telegram's pace per group (test_any_input)

# What a person might type as an answer: the odd pieces of test_any_input, and answers that
# look nearly right for some step (times, names, numbers).
answers = st.one_of(
    words,
    st.sampled_from(
        [
            "17:00", "tomorrow 9:30", "明天上午10点", "2026-11-27 16:00", "12-01 15:00",
            "yesterday 10:00", "6", "0", "-3", "1808, 1809", "Mr. Wang", "A", "skip", "-",
            "Fine work", " ", "/cancel", "/vip", "x" * 501, "中" * 65,
        ]
    ),
)  # fmt: skip


# A reply that is a command is that command (/vip starts a notice): test_any_input's part.
not_a_command = answers.filter(lambda text: not text.startswith("/"))

T = TypeVar("T")


@dataclass
class Step(Driver):
    """Sends one answer at a step already reached, and checks what came of it."""

    # What `ask` gave while its question is open, empty while none is (a list: it may be None).
    open_question: list[Any] = field(default_factory=list)

    async def answer_open_question(
        self, ask: Callable[[], Awaitable[T]], answer: Callable[[T], Awaitable[bool]]
    ) -> bool:
        """Asks unless a question is open, then answers it; True when the answer was taken.
        A refused answer leaves the question open, so only a taken one has the next example
        ask again."""
        if not self.open_question:
            self.open_question.append(await ask())
        taken = await answer(self.open_question[0])
        if taken:
            self.open_question.clear()
        return taken

    async def answer(
        self,
        user: SandboxUser,
        chat: SandboxChat | None,
        text: str,
        *,
        where_it_stands: Callable[[], Awaitable[Any]],
        reply_to: int | None = None,
    ) -> bool:
        """Sends `text`; True when the step moved (the answer was taken)."""
        await self.settle()  # the step is reached: the bot is done with getting there
        await self.tick()
        before_rows = await all_rows(self.runtime)
        before_state = await where_it_stands()
        await self.answered(user, chat, text, reply_to=reply_to)
        moved = await where_it_stands() != before_state
        if not moved:
            after_rows = await all_rows(self.runtime)
            assert after_rows == before_rows, f"refused {text!r} changed rows: " + changed(
                before_rows, after_rows
            )
        return moved


# --- /vip: every field ------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIELDS)
async def test_any_answer_to_a_notice_field_is_taken_or_refused_without_a_trace(
    name: str,
    sandbox: Sandbox,
    hotel: Hotel,
    app: Application,  # type: ignore[type-arg]
    handler_errors: list[BaseException],
) -> None:
    """One field of a notice, reached by ✏️ Edit on a summary: each field is a step of its
    own, drawn as many examples as any other step."""
    runtime = runtime_of(app)
    reception = await reception_hotel(hotel, sandbox)
    announcer = reception.people["announcer"]
    step = Step(sandbox, app, handler_errors)

    async def draft_state() -> Any:
        async with runtime.sessions() as session:
            draft = await drafts.latest_draft(
                session, telegram_id=announcer.id, now=runtime.clock()
            )
        return None if draft is None else (draft.step, draft.answers)

    async def at_field() -> None:
        """A fresh summary (the pasted notice), ✏️ Edit, then the field's button."""
        await sandbox.send_message(announcer, text=PASTED_EN)
        summary = await sandbox.wait_for_message(
            announcer, predicate=lambda m: "ni:edit" in data_of(m)
        )
        await step.press(announcer, None, summary["message_id"], "ni:edit")
        await step.press(announcer, None, summary["message_id"], f"ni:field:{name}")
        await sandbox.wait_for_message(announcer)  # the field's question

    async def one(text: str) -> None:
        await step.answer_open_question(
            at_field, lambda _: step.answer(announcer, None, text, where_it_stands=draft_state)
        )

    run = in_worker(asyncio.get_running_loop(), one)

    @example(text="12-01 15:00")  # a date without a year, before today
    @example(text="9" * 30)
    @example(text="&<b>" * 900)
    @given(text=answers)
    def one_answer(text: str) -> None:
        run(text)

    await drive(one_answer, app)


# --- /register: the name ----------------------------------------------------------------------


async def test_any_name_given_to_register_is_taken_or_refused_without_a_trace(
    sandbox: Sandbox,
    hotel: Hotel,
    app: Application,  # type: ignore[type-arg]
    handler_errors: list[BaseException],
) -> None:
    runtime = runtime_of(app)
    await reception_hotel(hotel, sandbox)  # departments to choose from, and their heads
    newcomer = hotel.person(3200, "Nora New", language="en")
    sandbox.chat(newcomer).started = True
    step = Step(sandbox, app, handler_errors)

    async def draft_state() -> Any:
        async with runtime.sessions() as session:
            draft = await drafts.latest_draft(
                session, telegram_id=newcomer.id, now=runtime.clock()
            )
        return None if draft is None else (draft.step, draft.answers)

    async def ask() -> None:
        await sandbox.send_message(newcomer, text="/register")
        await sandbox.wait_for_message(newcomer)  # "What is your name?"

    async def one(text: str) -> None:
        await step.answer_open_question(
            ask, lambda _: step.answer(newcomer, None, text, where_it_stands=draft_state)
        )

    run = in_worker(asyncio.get_running_loop(), one)

    @example(text="/start")
    @example(text="\u202e" * 70)
    @given(text=answers)
    def one_answer(text: str) -> None:
        run(text)

    await drive(one_answer, app)


# --- ForceReply questions in a group: a problem, a new arrival time ---------------------------


async def confirmed_reception(hotel: Hotel, sandbox: Sandbox) -> tuple[Reception, int]:
    reception = await reception_hotel(hotel, sandbox)
    visit_id = await reception.announce()
    await reception.confirm(visit_id)
    return reception, visit_id


async def test_any_reply_to_a_problem_question_is_taken_or_refused_without_a_trace(
    sandbox: Sandbox,
    hotel: Hotel,
    app: Application,  # type: ignore[type-arg]
    handler_errors: list[BaseException],
) -> None:
    runtime = runtime_of(app)
    reception, visit_id = await confirmed_reception(hotel, sandbox)
    parking = await reception.task(visit_id, "parking")
    sec, sec_head = reception.chat("sec"), reception.people["sec_head"]
    task_message = next(m for m in reception.inbox("sec") if f"t:prob:{parking.id}" in data_of(m))
    step = Step(sandbox, app, handler_errors)

    async def problems() -> int:
        async with runtime.sessions() as session:
            found = await session.exec(select(Problem).where(Problem.task_id == parking.id))
            return len(found.all())

    async def ask() -> int:
        await step.press(sec_head, sec, task_message["message_id"], f"t:prob:{parking.id}")
        return int((await reception.wait("sec", contains=sec_head.first_name))["message_id"])

    async def one(text: str) -> None:
        await step.answer_open_question(
            ask,
            lambda question: step.answer(
                sec_head, sec, text, where_it_stands=problems, reply_to=question
            ),
        )

    run = in_worker(asyncio.get_running_loop(), one)

    @example(text="x" * 501)
    @example(text="<b>Gate</b> &amp; " * 30)
    @given(text=answers)
    def one_answer(text: str) -> None:
        run(text)

    await drive(one_answer, app)


async def test_any_reply_to_the_arrival_question_is_taken_or_refused_without_a_trace(
    sandbox: Sandbox,
    hotel: Hotel,
    app: Application,  # type: ignore[type-arg]
    handler_errors: list[BaseException],
) -> None:
    runtime = runtime_of(app)
    reception, visit_id = await confirmed_reception(hotel, sandbox)
    cs, sophie = reception.chat("cs"), reception.people["cs_agent"]
    step = Step(sandbox, app, handler_errors)

    async def arrival() -> Any:
        """The arrival, and how often it was moved (to the time it had, too)."""
        async with runtime.sessions() as session:
            events = await session.exec(select(VisitEvent).where(VisitEvent.visit_id == visit_id))
            count = len(events.all())
        return (await reception.visit(visit_id)).arrival_at, count

    async def ask() -> int:
        card = await reception.card()
        await step.press(sophie, cs, card["message_id"], f"card:arr:{visit_id}")
        return int((await reception.wait("cs", contains=sophie.first_name))["message_id"])

    async def one(text: str) -> None:
        await step.answer_open_question(
            ask,
            lambda question: step.answer(
                sophie, cs, text, where_it_stands=arrival, reply_to=question
            ),
        )

    run = in_worker(asyncio.get_running_loop(), one)

    @example(text="teatime")
    @example(text="2026-02-30 10:00")
    @example(text="yesterday 10:00")
    @example(text="2026-11-27 16:00")  # the arrival it has
    @example(text="/0")  # a command no bot has, as a reply to the bot's question
    @given(text=answers)
    def one_answer(text: str) -> None:
        run(text)

    await drive(one_answer, app)


# --- /score: a comment --------------------------------------------------------------------------


async def test_any_comment_typed_while_scoring_is_taken_or_refused_without_a_trace(
    sandbox: Sandbox,
    evaluation: Any,
    app: Application,  # type: ignore[type-arg]
    handler_errors: list[BaseException],
) -> None:
    runtime = runtime_of(app)
    hannah = evaluation["Hannah"]
    step = Step(sandbox, app, handler_errors)
    listing = await evaluation.say("Hannah", "/score")
    mid = listing["message_id"]
    sam = evaluation.id_of("Sam")
    await step.press(hannah, None, mid, next(d for d in data_of(listing) if d.endswith(f":{sam}")))
    async with runtime.sessions() as session:
        found = await store.evaluation_of(session, "2026-11", sam)
    assert found is not None
    assert found.id is not None
    evaluation_id = found.id
    for index in range(len(hearts.HEARTS)):  # six 4s, the overall comment skipped: the summary
        await step.press(hannah, None, mid, f"hs:set:{evaluation_id}:{index}:4")
    await step.press(hannah, None, mid, f"hs:skip:{evaluation_id}:o")

    async def where_it_stands() -> Any:
        async with runtime.sessions() as session:
            scored = await store.scored(session, evaluation_id)
        assert scored is not None
        return (scored.evaluation.step, scored.comments)

    async def at_a_comment() -> None:
        """From the summary: ✏️ Change a heart, the first, a 2: its comment is asked for."""
        state, _comments = await where_it_stands()
        if state == hearts.step_comment(0):
            return  # the last answer was refused: still asked
        assert state == hearts.STEP_SUMMARY, state
        # A taken comment is answered with the next screen as a new message.
        mid = next(
            m["message_id"]
            for m in reversed(sandbox.messages(hannah))
            if f"hs:chg:{evaluation_id}" in data_of(m)
        )
        await step.press(hannah, None, mid, f"hs:chg:{evaluation_id}")
        await step.press(hannah, None, mid, f"hs:chh:{evaluation_id}:0")
        await step.press(hannah, None, mid, f"hs:set:{evaluation_id}:0:2")

    async def one(text: str) -> None:
        await at_a_comment()
        await step.answer(hannah, None, text, where_it_stands=where_it_stands)

    run = in_worker(asyncio.get_running_loop(), one)

    @example(text="x" * 501)
    @example(text="\u200b")
    @example(text="Fine\x00work")  # PostgreSQL text cannot hold a NUL
    @given(text=answers)
    def one_answer(text: str) -> None:
        run(text)

    await drive(one_answer, app)


# --- Steps that wait for a button: any text is pointed to the buttons, and changes nothing ----


async def test_any_text_where_a_button_is_awaited_changes_nothing(
    sandbox: Sandbox,
    evaluation: Any,
    app: Application,  # type: ignore[type-arg]
    handler_errors: list[BaseException],
) -> None:
    """A heart's 1–5 (/score), a notice's summary (/vip), a department (/register)."""
    step = Step(sandbox, app, handler_errors)
    hannah, olivia = evaluation["Hannah"], evaluation["Olivia"]
    listing = await evaluation.say("Hannah", "/score")
    sue = evaluation.id_of("Sue")
    pick = next(d for d in data_of(listing) if d.endswith(f":{sue}"))
    await step.press(hannah, None, listing["message_id"], pick)  # the first heart's 1–5
    await sandbox.send_message(olivia, text=PASTED_EN)  # a notice's summary, with buttons
    await sandbox.wait_for_message(olivia, predicate=lambda m: "ni:send" in data_of(m))
    newcomer = evaluation.hotel.person(3300, "Nils New", language="en")
    sandbox.chat(newcomer).started = True
    await sandbox.send_message(newcomer, text="/register")
    await sandbox.wait_for_message(newcomer)
    await sandbox.send_message(newcomer, text="Nils New")
    await sandbox.wait_for_message(newcomer, predicate=lambda m: bool(data_of(m)))
    people = (hannah, olivia, newcomer)

    async def nothing() -> None:
        return None  # each of these steps moves by a press only: any change is a defect

    async def one(who: int, text: str) -> None:
        assert not await step.answer(people[who], None, text, where_it_stands=nothing)

    run = in_worker(asyncio.get_running_loop(), one)

    @example(who=0, text="4")
    @example(who=1, text="Send")
    @example(who=2, text="hk")
    # Commands (a "/cancel" ends a conversation, as it should) are test_any_input's.
    @given(
        who=st.integers(0, len(people) - 1),
        text=not_a_command,
    )
    def one_answer(who: int, text: str) -> None:
        run(who, text)

    await drive(one_answer, app)


# --- Return reasons: a notice returned to its announcer, an evaluation to its evaluator -----


async def test_any_reason_to_return_a_notice_is_taken_or_refused_without_a_trace(
    sandbox: Sandbox,
    hotel: Hotel,
    app: Application,  # type: ignore[type-arg]
    handler_errors: list[BaseException],
) -> None:
    """↩️ Return on the duty manager's cross-check copy asks why; any reply is the reason
    (the notice goes back) or refused (it stays awaiting its check, the question open)."""
    reception = await reception_hotel(hotel, sandbox)
    duty = reception.people["duty_manager"]
    step = Step(sandbox, app, handler_errors)

    async def ask() -> tuple[int, int]:
        """A new notice, and ↩️ Return pressed on the duty manager's copy of it."""
        visit_id = await reception.announce()
        prefix = f"vip:ret:{visit_id}:"
        copy = await sandbox.wait_for_message(
            duty, predicate=lambda m: any(d.startswith(prefix) for d in data_of(m))
        )
        data = next(d for d in data_of(copy) if d.startswith(prefix))
        await step.press(duty, None, copy["message_id"], data)
        question = await sandbox.wait_for_message(duty)
        return visit_id, question["message_id"]

    async def one(text: str) -> None:
        async def reason(asked: tuple[int, int]) -> bool:
            visit_id, question = asked

            async def where_it_stands() -> Any:
                visit = await reception.visit(visit_id)
                return visit.status, visit.return_reason

            return await step.answer(
                duty, None, text, where_it_stands=where_it_stands, reply_to=question
            )

        await step.answer_open_question(ask, reason)  # returned: the next asks about a new notice

    run = in_worker(asyncio.get_running_loop(), one)

    @example(text="x" * 501)
    @example(text="\u200b\u200b")
    @example(text="<b>Wrong room</b> & wrong date")
    @given(text=not_a_command)
    def one_answer(text: str) -> None:
        run(text)

    await drive(one_answer, app)


async def test_any_reason_to_return_an_evaluation_is_taken_or_refused_without_a_trace(
    sandbox: Sandbox,
    evaluation: Any,
    clock: FakeClock,
    app: Application,  # type: ignore[type-arg]
    handler_errors: list[BaseException],
) -> None:
    """↩️ Return on the director's /review asks why; any reply is the reason (Fay's
    evaluation goes back to Felix, who submits it again for the next example) or refused."""
    runtime = runtime_of(app)
    ids = await score_everyone(evaluation, clock)
    diana, fay = evaluation["Diana"], ids["Fay"]
    step = Step(sandbox, app, handler_errors)

    async def ask() -> int:
        """/review, and ↩️ Return pressed on Fay's department."""
        await sandbox.send_message(diana, text="/review")
        shown = await sandbox.wait_for_messages(diana, 4)
        department = next(m for m in shown if f"hr:ret:{fay}" in data_of(m))
        await step.press(diana, None, department["message_id"], f"hr:ret:{fay}")
        return int((await sandbox.wait_for_message(diana))["message_id"])

    async def where_it_stands() -> Any:
        async with runtime.sessions() as session:
            row = await store.get_evaluation(session, fay)
        assert row is not None
        return row.status, row.return_reason

    async def one(text: str) -> None:
        if await step.answer_open_question(
            ask,
            lambda question: step.answer(
                diana, None, text, where_it_stands=where_it_stands, reply_to=question
            ),
        ):
            async with runtime.sessions() as session:  # Felix mends it and submits again
                assert await store.submit(
                    session,
                    fay,
                    by=evaluation.id_of("Felix"),
                    now=clock(),
                    period_status=PeriodStatus.OPEN,
                )

    run = in_worker(asyncio.get_running_loop(), one)

    @example(text="x" * 501)
    @example(text=" \n\t ")
    @example(text="Sincerity 3 needs a comment\x00")
    @given(text=not_a_command)
    def one_answer(text: str) -> None:
        run(text)

    await drive(one_answer, app)
