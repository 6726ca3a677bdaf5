"""Bad input gets a clear answer; nothing crashes and nothing stored is lost."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlmodel import select

from bot.app import Garda
from handlers.dispatcher import Dispatcher
from handlers.text import MAX_TEXT
from models.tables import Conversation, Ticket
from tests.helpers import Chat, converse, message


@pytest.mark.parametrize("text", ["", "   ", "\n\t \n"])
async def test_empty_messages_ask_for_a_description(dispatcher: Dispatcher, text: str) -> None:
    assert "didn't receive any text" in await Chat(dispatcher).say(text)


@pytest.mark.parametrize("text", ["🙂🙂🙂", "?!?!", "🔥💻🔥"])
async def test_messages_without_words_ask_for_a_sentence(dispatcher: Dispatcher, text: str) -> None:
    assert "couldn't find any words" in await Chat(dispatcher).say(text)


async def test_emoji_around_words_are_fine(dispatcher: Dispatcher) -> None:
    assert "Reset a forgotten password" in await Chat(dispatcher).say("😭 I forgot my password 😭")


async def test_a_100_kb_message_is_cut_and_the_user_told(garda: Garda) -> None:
    chat = Chat(garda.dispatcher)
    answer = await chat.say("my printer is not printing " + "x" * 100_000)
    assert f"first {MAX_TEXT} characters" in answer
    assert "printer" in answer.lower()
    async with garda.sessions() as session:
        conversation = (await session.exec(select(Conversation))).one()
    assert all(len(text) <= MAX_TEXT for text in conversation.data["problem"])


async def test_binary_and_control_characters_are_removed(garda: Garda) -> None:
    chat = Chat(garda.dispatcher)
    answer = await chat.say("I forgot\x00 my\x1b[31m password\x07\ud800\ue000")
    assert "Reset a forgotten password" in answer
    async with garda.sessions() as session:
        stored = (await session.exec(select(Conversation))).one().data["problem"][0]
    assert stored.isprintable()


async def test_pure_binary_garbage_gets_a_clear_reply(dispatcher: Dispatcher) -> None:
    garbage = bytes(range(32)).decode("latin-1") + "\x7f"
    assert "didn't receive any text" in await Chat(dispatcher).say(garbage)


async def test_a_choice_that_no_longer_exists_is_explained(dispatcher: Dispatcher) -> None:
    chat = await converse(dispatcher, "I forgot my password", "Not solved")
    answer = await chat.press("solved")  # the button of the article, pressed again later
    assert "earlier question" in answer
    assert "work email" in answer  # and the current question is asked again


async def test_a_stale_button_after_the_conversation_ended(dispatcher: Dispatcher) -> None:
    chat = await converse(dispatcher, "I forgot my password", "Solved")
    assert "has already ended" in await chat.press("not_solved")


async def test_a_number_out_of_range_is_explained(dispatcher: Dispatcher) -> None:
    chat = await converse(dispatcher, "I forgot my password")
    answer = await chat.say("7")
    assert "from 1 to 3" in answer
    assert chat.choices == ["Solved", "Not solved", "Talk to a person"]


async def test_text_that_is_not_an_option_is_asked_again(dispatcher: Dispatcher) -> None:
    chat = await converse(dispatcher, "I forgot my password")
    answer = await chat.say("banana")
    assert "didn't catch which option" in answer
    assert chat.choices == ["Solved", "Not solved", "Talk to a person"]


async def test_a_typo_in_an_option_label_still_selects_it(dispatcher: Dispatcher) -> None:
    chat = await converse(dispatcher, "I forgot my password")
    assert "work email" in await chat.say("not solvd")


async def test_a_repeated_event_is_handled_once(garda: Garda) -> None:
    first = await garda.dispatcher.handle(message("hi", event_key="slack:Ev1"))
    again = await garda.dispatcher.handle(message("hi", event_key="slack:Ev1"))
    assert first and again == []


async def test_one_users_messages_are_handled_one_at_a_time(garda: Garda) -> None:
    """Two messages at once: both are answered, in order, and the state is consistent."""
    await converse(garda.dispatcher, "I forgot my password")
    replies = await asyncio.gather(
        garda.dispatcher.handle(message("Not solved")),
        garda.dispatcher.handle(message("ana@example.com")),
    )
    assert "work email" in "\n".join(reply.text for reply in replies[0])
    assert "Who is affected" in "\n".join(reply.text for reply in replies[1])
    async with garda.sessions() as session:
        conversation = (await session.exec(select(Conversation))).one()
    assert conversation.state == "impact"


async def test_many_users_at_once_each_get_their_own_ticket(garda: Garda) -> None:
    async def one(user: str) -> None:
        chat = Chat(garda.dispatcher, user=user)
        await chat.say("the projector in room 12 shows purple colours")
        await chat.press("impact:low")
        assert "ticket #" in await chat.press("urgency:low")

    await asyncio.gather(*(one(f"user{n}") for n in range(8)))
    async with garda.sessions() as session:
        tickets = (await session.exec(select(Ticket))).all()
    assert len(tickets) == 8 and len({ticket.requester_id for ticket in tickets}) == 8


async def test_a_crash_inside_a_handler_is_rolled_back_and_apologised_for(
    garda: Garda, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    chat = await converse(garda.dispatcher, "I forgot my password", "Not solved")

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("backend on fire")

    monkeypatch.setattr("handlers.facts.check_fact", explode)
    with caplog.at_level(logging.ERROR):
        answer = await chat.say("ana@example.com")
    assert "something went wrong on my side" in answer
    assert "backend on fire" in caplog.text  # logged with its traceback
    monkeypatch.undo()
    assert "Who is affected" in await chat.say("ana@example.com")  # state was kept


async def test_an_unknown_stored_state_starts_afresh(garda: Garda) -> None:
    await Chat(garda.dispatcher).say("hi")
    async with garda.sessions() as session, session.begin():
        conversation = (await session.exec(select(Conversation))).one()
        conversation.state = "from_a_future_release"
        session.add(conversation)
    assert "Reset a forgotten password" in await Chat(garda.dispatcher).say("I forgot my password")
