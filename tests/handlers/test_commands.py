"""Commands that work from any point of a conversation."""

from __future__ import annotations

import pytest

from handlers import build_router
from handlers.dispatcher import Dispatcher
from handlers.router import Router, Routes
from handlers.states import State
from handlers.turn import Turn
from tests.helpers import Chat, converse


async def test_help_lists_every_command_from_its_docstring(dispatcher: Dispatcher) -> None:
    answer = await Chat(dispatcher).say("/help")
    for command in ("/help", "/cancel", "/status", "/ticket N", "/lang en|id", "/start"):
        assert command in answer
    assert "list your tickets" in answer


async def test_help_in_indonesian(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher)
    await chat.say("/lang id")
    assert "daftar tiket Anda" in await chat.say("/help")


async def test_cancel_works_in_the_middle_of_a_flow_and_submits_nothing(
    dispatcher: Dispatcher,
) -> None:
    chat = await converse(dispatcher, "I forgot my password", "Not solved")
    assert "Cancelled" in await chat.say("/cancel")
    assert "no tickets" in await chat.say("/status")
    assert "Reset a forgotten password" in await chat.say("I forgot my password")


async def test_cancel_with_nothing_under_way(dispatcher: Dispatcher) -> None:
    assert "nothing to cancel" in await Chat(dispatcher).say("/cancel")


async def test_status_lists_my_tickets_newest_first(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher)
    for problem in (
        "the projector in room 12 shows purple colours",
        "the smartboard pen in room 4 draws nothing",
    ):
        await chat.say(problem)
        await chat.press("impact:low")
        await chat.press("urgency:low")
    answer = await chat.say("/status")
    assert answer.index("#2") < answer.index("#1")
    assert "[new]" in answer and "(P4)" in answer


async def test_ticket_shows_details_and_history(dispatcher: Dispatcher) -> None:
    chat = await converse(dispatcher, "I forgot my password", "Not solved", "ana@example.com")
    await chat.press("impact:high")
    await chat.press("urgency:high")
    answer = await chat.say("/ticket 1")
    assert "Ticket #1: Reset a forgotten password" in answer
    assert "P1 (critical)" in answer
    assert "Email: ana@example.com" in answer
    assert "opened" in answer


async def test_someone_elses_ticket_is_not_shown(dispatcher: Dispatcher) -> None:
    ana = await converse(dispatcher, "the projector in room 12 shows purple colours")
    await ana.press("impact:low")
    await ana.press("urgency:low")
    bob = Chat(dispatcher, user="bob")
    assert "can't find ticket #1" in await bob.say("/ticket 1")


@pytest.mark.parametrize("argument", ["", "abc", "#", "99999999999999999999", "-1"])
async def test_ticket_without_a_usable_number_explains_how(
    dispatcher: Dispatcher, argument: str
) -> None:
    answer = await Chat(dispatcher).say(f"/ticket {argument}")
    assert "ticket number" in answer or "can't find" in answer


async def test_ticket_number_may_have_a_hash(dispatcher: Dispatcher) -> None:
    assert "can't find ticket #7" in await Chat(dispatcher).say("/ticket #7")


async def test_lang_switches_and_is_remembered(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher)
    assert "Bahasa Indonesia" in await chat.say("/lang id")
    answer = await chat.say("I forgot my password")  # English words, saved choice wins
    assert chat.choices == ["Teratasi", "Belum teratasi", "Bicara dengan petugas"]
    assert answer.startswith("Reset password yang terlupa")


async def test_lang_without_argument_shows_the_options(dispatcher: Dispatcher) -> None:
    assert "en | id" in await Chat(dispatcher).say("/lang")


async def test_unknown_language_is_refused_clearly(dispatcher: Dispatcher) -> None:
    assert "don't speak 'fr'" in await Chat(dispatcher).say("/lang fr")


async def test_lang_mid_flow_repeats_the_open_question(dispatcher: Dispatcher) -> None:
    chat = await converse(dispatcher, "I forgot my password")
    await chat.say("/lang id")
    assert chat.choices == ["Solved", "Not solved", "Talk to a person"]
    assert "email kantor" in await chat.say("Belum teratasi")


async def test_unknown_command_is_named_and_help_suggested(dispatcher: Dispatcher) -> None:
    assert "don't know the command /frobnicate" in await Chat(dispatcher).say("/frobnicate now")


async def test_telegram_style_command_with_bot_name(dispatcher: Dispatcher) -> None:
    assert "Commands" in await Chat(dispatcher).say("/help@garda_bot")


async def test_start_greets(dispatcher: Dispatcher) -> None:
    assert "Hello Ana" in await Chat(dispatcher).say("/start")


def test_registering_a_command_twice_fails() -> None:
    routes = Routes()

    @routes.command("twice")
    async def first(turn: Turn) -> State | None:
        """/twice — one."""
        return None

    with pytest.raises(ValueError, match="twice"):

        @routes.command("twice")
        async def second(turn: Turn) -> State | None:
            """/twice — two."""
            return None


def test_composing_two_modules_with_the_same_command_fails() -> None:
    router = build_router()
    first, again = Routes(states=dict(router.states)), Routes()
    first.commands["help"] = again.commands["help"] = router.commands["help"]
    with pytest.raises(ValueError, match="/help"):
        Router(first, again)


def test_a_command_without_a_docstring_is_refused() -> None:
    with pytest.raises(ValueError, match="docstring"):

        @Routes().command("silent")
        async def silent(turn: Turn) -> State | None:
            return None
