"""Every button press, attacked: each declared callback prefix and action is pressed by the
person it is for and by someone it is not for, on its own message, on another visit's copy,
in a private chat, in a department topic and in an unbound group, with ids of another
visit. What SPEC allows works; everything else gets a refusal toast and changes neither a
row nor a message.

The table is built from the declared prefixes (handlers.kit.callbacks.PREFIXES): a prefix or an
action without a row here fails `test_every_declared_press_has_a_row_in_the_table`. The
world (two confirmed visits, two notices being checked, problems, cards, questions, menus) is
built once per database, and every press of the table runs against it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlmodel import select

from bot.presses import CHAT_REFUSALS, REFUSALS
from bot.runtime import Runtime
from handlers.kit import callbacks
from sandbox import Sandbox
from sandbox.world import SandboxChat, SandboxUser
from storage import visits
from storage.models import (
    PendingPrompt,
    Problem,
    ProblemNotice,
    Staff,
    StaffRole,
    TaskCheckItem,
    TaskMessage,
    Visit,
    VisitEvent,
    VisitTask,
)
from tests.e2e.conftest import Hotel, data_of, seen
from tests.e2e.reception import PASTED_EN, Reception, reception_hotel

Where = tuple[SandboxChat, int]  # a chat and a message in it


@dataclass
class World:
    """The hotel, and the messages with buttons the table presses on."""

    reception: Reception
    sandbox: Sandbox
    runtime: Runtime
    admin: SandboxUser
    newcomer: SandboxUser
    joiner: SandboxUser
    visit: dict[int, int] = field(default_factory=dict)  # 1, 2 confirmed; 3, 4 in the check
    task: dict[tuple[int, str], int] = field(default_factory=dict)
    item: dict[int, int] = field(default_factory=dict)  # visit → a room inspection item
    problem: dict[int, int] = field(default_factory=dict)
    own: dict[str, Where] = field(default_factory=dict)  # "kind:visit" → its message
    help: dict[str, Where] = field(default_factory=dict)  # person → a /help reply in private
    unbound: Where | None = None
    topic: Where | None = None

    def everyone(self) -> list[str]:
        return [*self.reception.people, "admin", "newcomer", "joiner"]

    def person(self, key: str) -> SandboxUser:
        if key == "admin":
            return self.admin
        if key == "newcomer":
            return self.newcomer
        if key == "joiner":
            return self.joiner
        return self.reception.people[key]


def carrying(messages: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    """The last message whose buttons include data starting with `prefix`."""
    found = [m for m in messages if any(d.startswith(prefix) for d in data_of(m))]
    assert found, f"no message carries {prefix!r}"
    return found[-1]


async def build_world(hotel: Hotel, sandbox: Sandbox, runtime: Runtime) -> World:
    reception = await reception_hotel(hotel, sandbox)
    people = reception.people
    admin = hotel.admin()
    newcomer = hotel.person(3100, "Nina New", language="en")
    joiner = hotel.person(3101, "Jack Joiner", language="en")
    for user in (newcomer, joiner):
        sandbox.chat(user).started = True
    world = World(reception, sandbox, runtime, admin, newcomer, joiner)
    everyone = [*people.values(), admin]
    forum = reception.chat("hk")
    for user in (admin, newcomer, joiner):
        sandbox.add_member(forum, user)
    unbound = sandbox.add_group("Lobby chatter", members=[*everyone, newcomer, joiner])

    # Two confirmed visits, with their task messages, cards, and a problem each.
    for number in (1, 2):
        world.visit[number] = await reception.announce()
        await reception.confirm(world.visit[number])
        for key in ("parking", "room_inspection"):
            task = await reception.task(world.visit[number], key)
            world.task[number, key] = task.id
        async with runtime.sessions() as session:
            items = await visits.items_of(session, world.task[number, "room_inspection"])
            visit = await visits.get_visit(session, world.visit[number])
        world.item[number] = items[0].id or 0
        parking = world.task[number, "parking"]
        sec = reception.chat("sec")
        world.own[f"t:{number}"] = (
            sec,
            carrying(reception.inbox("sec"), f"t:done:{parking}")["message_id"],
        )
        room = world.task[number, "room_inspection"]
        hk = carrying(reception.inbox("hk"), f"t:claim:{room}")
        world.own[f"item:{number}"] = (forum, hk["message_id"])
        for _ in range(100):  # the card is drawn by the tick, within its window
            if visit is not None and visit.card_message_id is not None:
                break
            await asyncio.sleep(0.05)
            visit = await reception.visit(world.visit[number])
        assert visit is not None
        assert visit.card_message_id is not None
        world.own[f"card:{number}"] = (reception.chat("cs"), visit.card_message_id)
        # A problem on the parking task: its notice goes to security and CS.
        sec_head = people["sec_head"]
        query = await sandbox.press_button(
            sec_head, sec, world.own[f"t:{number}"][1], data=f"t:prob:{parking}"
        )
        await sandbox.wait_callback_answer(query)
        ask = await reception.wait("sec")
        await sandbox.send_message(
            sec_head, sec, f"Gate {number} blocked", reply_to=ask["message_id"]
        )
        notice = await reception.wait("sec", contains=f"Gate {number} blocked")
        world.own[f"p:{number}"] = (sec, notice["message_id"])
        async with runtime.sessions() as session:
            found = (await session.exec(select(Problem).where(Problem.task_id == parking))).one()
        world.problem[number] = found.id or 0

    # Two notices being checked: the duty manager's copy of each; the second is returned,
    # so its announcer has a ✏️ Correct.
    for number in (3, 4):
        world.visit[number] = await reception.announce()
        dm = people["duty_manager"]
        check = await sandbox.wait_for_message(
            dm,
            predicate=lambda m, n=number: any(
                d.startswith(f"vip:ok:{world.visit[n]}:") for d in data_of(m)
            ),
        )
        world.own[f"vip:{number}"] = (sandbox.chat(dm), check["message_id"])
    dm = people["duty_manager"]
    chat, mid = world.own["vip:4"]
    ret = next(d for d in data_of(sandbox.message(chat, mid) or {}) if d.startswith("vip:ret:"))
    await sandbox.wait_callback_answer(await sandbox.press_button(dm, None, mid, data=ret))
    question = await sandbox.wait_for_message(dm, contains=f"#{world.visit[4]}")
    await sandbox.send_message(dm, text="Wrong rooms", reply_to=question["message_id"])
    announcer = people["announcer"]
    fix = await sandbox.wait_for_message(
        announcer, predicate=lambda m: any(d.startswith("vip:fix:") for d in data_of(m))
    )
    world.own["fix:4"] = (sandbox.chat(announcer), fix["message_id"])

    # "Close visit #n?" questions: the duty manager's (call off) and CS's (complete).
    for number in (1, 2):
        for who, command, kind in (
            ("duty_manager", "cancelvisit", "off"),
            ("cs_agent", "complete", "done"),
        ):
            user = people[who]
            await sandbox.send_message(user, text=f"/{command} {world.visit[number]}")
            asked = await sandbox.wait_for_message(user, contains=f"#{world.visit[number]}")
            assert f"vc:{kind}:{world.visit[number]}" in data_of(asked), asked["text"]
            world.own[f"vc{kind}:{number}"] = (sandbox.chat(user), asked["message_id"])

    # Menus in private: a language menu, two /staff screens (the list, and a person's card).
    hk_staff = people["hk_staff"]
    await sandbox.send_message(hk_staff, text="/language")
    world.own["lang"] = (
        sandbox.chat(hk_staff),
        (await sandbox.wait_for_message(hk_staff))["message_id"],
    )
    await sandbox.send_message(admin, text="/staff")
    world.own["st:list"] = (
        sandbox.chat(admin),
        (await sandbox.wait_for_message(admin))["message_id"],
    )
    await sandbox.send_message(admin, text="/staff")
    card = await sandbox.wait_for_message(admin)
    zhao = reception.staff_ids["hk_staff"]
    await sandbox.wait_callback_answer(
        await sandbox.press_button(admin, None, card["message_id"], data=f"st:view:{zhao}")
    )
    world.own["st:card"] = (sandbox.chat(admin), card["message_id"])

    # A registration waiting for housekeeping's head, and another one half way.
    for user in (newcomer, joiner):
        await sandbox.send_message(user, text="/register")
        await sandbox.wait_for_message(user)
        await sandbox.send_message(user, text=user.first_name)
        world.own[f"reg:{user.id}"] = (
            sandbox.chat(user),
            (await sandbox.wait_for_message(user))["message_id"],
        )
    await sandbox.press_button(
        newcomer, None, world.own[f"reg:{newcomer.id}"][1], data="reg:dept:hk"
    )
    hk_head = people["hk_head"]
    request = await sandbox.wait_for_message(
        hk_head, predicate=lambda m: any(d.startswith("reg:ok:") for d in data_of(m))
    )
    world.own["request"] = (sandbox.chat(hk_head), request["message_id"])

    # A notice summary waiting in the announcer's private chat.
    await sandbox.send_message(announcer, text=PASTED_EN)
    summary = await sandbox.wait_for_message(
        announcer, predicate=lambda m: "ni:send" in data_of(m)
    )
    world.own["ni"] = (sandbox.chat(announcer), summary["message_id"])

    # Somewhere to press anything else: a /help reply in each presser's private chat, the
    # bot's answer in a department topic, and in a group bound to nothing.
    for key in world.everyone():
        user = world.person(key)
        await sandbox.send_message(user, text="/help")
        world.help[key] = (
            sandbox.chat(user),
            (await sandbox.wait_for_message(user))["message_id"],
        )
    for target, thread in ((unbound, None), (forum, reception.topic("hk"))):
        await sandbox.send_message(people["hk_staff"], target, "/start", thread_id=thread)
        answer = await sandbox.wait_for_message(target, thread)
        if thread is None:
            world.unbound = (target, answer["message_id"])
        else:
            world.topic = (target, answer["message_id"])
    await sandbox.wait_idle()
    return world


# --- The table: per declared action, its data, its own message, who it is for and not for ---


@dataclass(frozen=True)
class Row:
    """One action of a prefix. `data(w, n)`: its data naming visit n (1 or 2; other kinds
    ignore n). `own(w)`: its own message, if the world has one. `allowed`: False when the
    message this action belongs to is not in this world (its working press is tested where
    the conversation is: `covered`)."""

    data: Callable[[World, int], str]
    presser: str | None  # the person it is for (None: nobody in this world)
    outsider: str  # someone it is not for
    own: Callable[[World], Where | None] = lambda _w: None
    other: Callable[[World], Where | None] = lambda _w: None  # the same kind, another visit
    covered: str = ""
    # For a message in a group: everyone SPEC lets press it there. Every other member of
    # that chat, whatever their role, is refused.
    allowed: frozenset[str] = frozenset()


# Who may act on a task: its own departments, and the overseers (duty manager, GM, admin).
OVERSEERS = frozenset({"duty_manager", "gm", "admin"})
CS = frozenset({"cs_head", "cs_agent"})


def _task(action: str, key: str = "parking") -> Row:
    return Row(
        data=lambda w, n: f"t:{action}:{w.task[n, key]}",
        presser="sec_head",
        outsider="fb_staff",
        own=lambda w: w.own["t:1"],
        other=lambda w: w.own["t:2"],
        allowed=OVERSEERS | {"sec_head"},
    )


def _own(key: str) -> Callable[[World], Where | None]:
    return lambda w: w.own[key]


def _datum(message_key: str, prefix: str) -> Callable[[World, int], str]:
    """The data of a button on a message of the world (e.g. a cross-check's revision)."""

    def data(w: World, _n: int) -> str:
        chat, mid = w.own[message_key]
        return next(d for d in data_of(w.sandbox.message(chat, mid) or {}) if d.startswith(prefix))

    return data


def _staff(action: str, *, screen: str | None, extra: str = "") -> Row:
    return Row(
        data=lambda w, _n: (
            f"st:{action}:{w.reception.staff_ids['hk_staff']}{extra}"
            if action != "page"
            else "st:page:1"
        ),
        presser="admin",
        outsider="hk_head",
        own=(lambda w: w.own[screen]) if screen else (lambda _w: None),
        covered="" if screen else "tests/e2e/test_people.py",
    )


TABLE: dict[tuple[str, str], Row] = {
    ("lang", "set"): Row(lambda _w, _n: "lang:set:zh", "hk_staff", "fb_staff", _own("lang")),
    ("reg", "dept"): Row(
        lambda _w, _n: "reg:dept:hk", "joiner", "hk_staff", lambda w: w.own[f"reg:{w.joiner.id}"]
    ),
    ("reg", "ok"): Row(_datum("request", "reg:ok:"), "hk_head", "sec_head", _own("request")),
    ("reg", "no"): Row(
        _datum("request", "reg:no:"), "hk_head", "sec_head", covered="tests/e2e/test_people.py"
    ),
    **{
        ("st", action): _staff(action, screen=screen, extra=extra)
        for action, screen, extra in (
            ("page", "st:list", ""),
            ("view", None, ""),
            ("roles", "st:card", ""),
            ("role", None, ":head"),
            ("dept", None, ""),
            ("setdept", None, ":eng"),
            ("mgr", None, ":0"),
            ("setmgr", None, ":0"),
            ("off", None, ""),
            ("offok", None, ""),
            ("appr", None, ""),
            ("rej", None, ""),
            ("react", None, ""),
        )
    },
    **{
        ("ni", action): Row(
            lambda _w, _n, a=action: f"ni:{a}" + (":guest" if a == "field" else ""),
            "announcer",
            "hk_staff",
            _own("ni") if action == "cancel" else (lambda _w: None),
            covered=""
            if action == "cancel"
            else "tests/e2e/test_drafts.py"
            if action in ("resume", "afresh")
            else "tests/e2e/test_vip.py",
        )
        for action in ("send", "edit", "cancel", "field", "resume", "afresh")
    },
    # Its working press confirms visits 1 and 2 while the world is built.
    ("vip", "ok"): Row(
        _datum("vip:3", "vip:ok:"),
        "duty_manager",
        "hk_staff",
        _own("vip:3"),
        covered="build_world",
    ),
    # Its working press returns visit 4 while the world is built.
    ("vip", "ret"): Row(
        _datum("vip:3", "vip:ret:"), "duty_manager", "hk_staff", covered="build_world"
    ),
    ("vip", "fix"): Row(
        lambda w, _n: f"vip:fix:{w.visit[4]}", "announcer", "cs_agent", _own("fix:4")
    ),
    ("t", "claim"): _task("claim"),
    ("t", "done"): _task("done"),
    ("t", "prob"): _task("prob"),
    ("t", "item"): Row(
        data=lambda w, n: f"t:item:{w.item[n]}",
        presser="hk_staff",
        outsider="fb_staff",
        own=_own("item:1"),
        other=_own("item:2"),
        # The room inspection is CS's, with housekeeping and engineering (the playbook).
        allowed=OVERSEERS | CS | {"hk_head", "hk_staff", "eng_head"},
    ),
    # A problem: the task's departments, CS, and the overseers.
    ("p", "res"): Row(
        lambda w, n: f"p:res:{w.problem[n]}",
        "sec_head",
        "fb_staff",
        _own("p:1"),
        _own("p:2"),
        allowed=OVERSEERS | CS | {"sec_head"},
    ),
    ("card", "arr"): Row(
        lambda w, n: f"card:arr:{w.visit[n]}",
        "cs_agent",
        "hk_staff",
        _own("card:1"),
        _own("card:2"),
        # The arrival moves by CS, the duty manager, an overseer, or the visit's announcer.
        allowed=OVERSEERS | CS | {"announcer"},
        # Its working press asks in the CS group, which flood limits hold back by then.
        covered="tests/e2e/test_vip.py::test_the_card_button_moves_the_arrival_by_a_reply",
    ),
    ("vc", "keep"): Row(
        lambda w, n: f"vc:keep:{w.visit[n]}",
        "duty_manager",
        "hk_staff",
        _own("vcoff:2"),
        _own("vcoff:1"),
    ),
    ("vc", "off"): Row(
        lambda w, n: f"vc:off:{w.visit[n]}",
        "duty_manager",
        "hk_staff",
        _own("vcoff:1"),
        _own("vcoff:2"),
        # Its working press tells every department group, which flood limits hold back.
        covered="tests/e2e/test_vip.py::test_a_called_off_visit_tells_every_department_once",
    ),
    ("vc", "done"): Row(
        lambda w, n: f"vc:done:{w.visit[n]}",
        "cs_agent",
        "hk_staff",
        _own("vcdone:2"),
        _own("vcdone:1"),
    ),
    **{
        ("hs", action): Row(
            lambda _w, _n, a=action: f"hs:{a}:1",
            "hk_staff",
            "newcomer",
            covered="tests/e2e/test_scoring.py, test_evaluation_adversarial.py",
        )
        for action in ("page", "pick", "set", "skip", "clear", "save", "sub", "chg", "chh", "back")
    },
    **{
        ("hr", action): Row(
            lambda _w, _n, a=action: f"hr:{a}:1",
            None,
            "gm",
            covered="tests/e2e/test_review.py, test_evaluation_adversarial.py",
        )
        for action in ("ok", "ret", "hist", "all")
    },
    **{
        ("hg", action): Row(
            lambda _w, _n, a=action: f"hg:{a}:202611",
            "gm",
            "hk_staff",
            covered="tests/e2e/test_evaluation_chain.py, test_evaluation_adversarial.py",
        )
        for action in ("ask", "yes", "no")
    },
}

# Keys whose `n` matters: their own message belongs to visit 1 (or to visit 2 for the vc
# questions used by the working press), and data naming the other visit is refused there.
VISIT_KINDS = {("t", a) for a in ("claim", "done", "prob", "item")} | {
    ("p", "res"),
    ("card", "arr"),
    ("vc", "keep"),
    ("vc", "off"),
    ("vc", "done"),
}
OWN_VISIT = {("vc", "keep"): 2, ("vc", "done"): 2}


def declared() -> list[tuple[str, str]]:
    return [(prefix, action) for prefix, rules in callbacks.PREFIXES.items() for action in rules]


def test_every_declared_press_has_a_row_in_the_table() -> None:
    assert sorted(declared()) == sorted(TABLE)


# --- Running it -------------------------------------------------------------------------------


Snapshot = list[tuple[str, list[str]]]


async def snapshot(runtime: Runtime) -> Snapshot:
    tables: Snapshot = []
    async with runtime.sessions() as session:
        for model in (
            Visit,
            VisitTask,
            TaskCheckItem,
            TaskMessage,
            Problem,
            ProblemNotice,
            VisitEvent,
            PendingPrompt,
            Staff,
            StaffRole,
        ):
            rows = (await session.exec(select(model))).all()
            tables.append((model.__name__, sorted(repr(r.model_dump()) for r in rows)))
    return tables


def messages_seen(sandbox: Sandbox) -> list[tuple[int, int, int, str]]:
    """Every stored message with how often it was edited: a refused press adds or edits none."""
    return sorted(
        (m.chat_id, m.message_id, len(m.edits), repr(m.reply_markup))
        for m in sandbox.world.messages.values()
    )


def refusal_texts(runtime: Runtime) -> set[str]:
    keys = {
        "common.stale_button",
        "press.not_this_message",
        "evaluation.private_only",
        "visit.complete_not_allowed",
        "score.not_yours",
        "score.stale",
        *REFUSALS.values(),
        *CHAT_REFUSALS.values(),
    }
    return {seen(runtime, language, key) for key in keys for language in ("zh", "en")}


async def press(world: World, who: str, where: Where, data: str) -> str:
    user = world.person(who)
    chat, mid = where
    query = await world.sandbox.press_raw(user, chat, mid, data)
    answer = await world.sandbox.wait_callback_answer(query)
    return str(answer.get("text") or "")


def refused_presses(world: World, key: tuple[str, str]) -> list[tuple[str, Where, str, str]]:
    """(who, where, data, what it is) for every press of this action that must be refused."""
    row = TABLE[key]
    own_visit = OWN_VISIT.get(key, 1)
    other_visit = 3 - own_visit
    data = row.data(world, own_visit)
    presses = []
    pressers = [p for p in (row.presser, row.outsider) if p is not None]
    own = row.own(world)
    if own is not None and own[0].type != "private":
        assert row.allowed, f"{key}: a group message with no list of who may press it"
        assert row.presser in row.allowed, key
        assert row.outsider not in row.allowed, key
        chat = own[0]
        for who in world.everyone():
            member = chat.members.get(world.person(who).id, "left") not in ("left", "kicked")
            if member and who not in row.allowed:
                presses.append((who, own, data, f"{who}, a member, on its own message"))
    if own is not None and key in VISIT_KINDS:
        presses.append(
            (row.presser or row.outsider, own, row.data(world, other_visit), "another visit's id")
        )
    other = row.other(world)
    if other is not None:
        presses.append((row.presser or row.outsider, other, data, "on another visit's message"))
    for who in pressers:
        presses.append((who, world.help[who], data, f"{who} in private, on another message"))
        assert world.unbound is not None
        assert world.topic is not None
        presses.append((who, world.unbound, data, f"{who} in an unbound group"))
        presses.append((who, world.topic, data, f"{who} in a department topic"))
    return presses


@pytest.fixture
async def world(hotel: Hotel, sandbox: Sandbox, runtime: Runtime) -> World:
    return await build_world(hotel, sandbox, runtime)


async def test_a_press_acts_only_on_what_was_pressed_by_whom_it_is_for(
    world: World, sandbox: Sandbox, runtime: Runtime
) -> None:
    refusals = refusal_texts(runtime)
    failures: list[str] = []
    # Everything that must be refused first, on a world that stands still.
    for key in declared():
        before = await snapshot(runtime)
        shown = messages_seen(sandbox)
        for who, where, data, what in refused_presses(world, key):
            toast = await press(world, who, where, data)
            if toast not in refusals:
                failures.append(f"{key} {data} {what}: answered {toast!r}")
        await sandbox.wait_idle(quiet=0.05)
        if await snapshot(runtime) != before:
            failures.append(f"{key}: a refused press changed a row")
        if messages_seen(sandbox) != shown:
            failures.append(f"{key}: a refused press sent or edited a message")
    assert failures == []
    # Then what SPEC allows: the person it is for, on its own message.
    for key in declared():
        row = TABLE[key]
        own = row.own(world)
        if own is None or row.presser is None or row.covered:
            assert row.covered, f"{key}: no working press here and none elsewhere"
            continue
        data = row.data(world, OWN_VISIT.get(key, 1))
        try:
            toast = await press(world, row.presser, own, data)
        except TimeoutError:
            failures.append(f"{key} {data}: never answered")
            continue
        if toast in refusals:
            failures.append(f"{key} {data}: the person it is for was refused: {toast!r}")
        await sandbox.wait_idle(quiet=0.05)
    assert failures == []
