"""The Level I conversation, end to end through the dispatcher, in both languages."""

from __future__ import annotations

from sqlmodel import select

from bot.app import Garda
from handlers.dispatcher import Dispatcher
from models.tables import Ticket, TicketEvent
from tests.helpers import Chat, converse


async def test_a_greeting_is_answered_with_a_question_about_the_problem(
    dispatcher: Dispatcher,
) -> None:
    chat = Chat(dispatcher)
    answer = await chat.say("hi")
    assert "Hello Ana" in answer
    assert "what is wrong" in answer


async def test_the_password_article_is_shown_with_the_three_feedback_choices(
    dispatcher: Dispatcher,
) -> None:
    chat = Chat(dispatcher)
    answer = await chat.say("I forgot my password")
    assert "Reset a forgotten password" in answer
    assert chat.choices == ["Solved", "Not solved", "Talk to a person"]


async def test_solved_ends_the_conversation_without_a_ticket(garda: Garda) -> None:
    chat = await converse(garda.dispatcher, "I forgot my password", "Solved")
    assert "glad" in chat.text
    async with garda.sessions() as session:
        assert (await session.exec(select(Ticket))).all() == []


async def test_not_solved_collects_facts_impact_and_urgency_then_opens_a_ticket(
    garda: Garda,
) -> None:
    chat = Chat(garda.dispatcher)
    await chat.say("I forgot my password")
    assert "work email" in await chat.say("Not solved")
    assert "not look like an email" in (await chat.say("ana at example")).replace("doesn't", "not")
    assert "Who is affected" in await chat.say("ana@example.com")
    assert "How much does it stop your work" in await chat.say("1")
    answer = await chat.say("I can't work at all")
    assert "ticket #1" in answer
    assert "P3" in answer and "Level 2" in answer and "/ticket 1" in answer

    async with garda.sessions() as session:
        ticket = (await session.exec(select(Ticket))).one()
        event = (await session.exec(select(TicketEvent))).one()
    assert ticket.subject == "Reset a forgotten password"
    assert ticket.topic == "password_reset"
    assert ticket.facts == {"email": "ana@example.com"}
    assert (ticket.impact, ticket.urgency, ticket.priority) == ("low", "high", "P3")
    assert ticket.description == "I forgot my password"
    assert event.kind == "created"
    assert ticket.articles[0]["article"] == "password-reset"
    said = [(line["who"], line["text"]) for line in ticket.transcript]
    assert said[0] == ("requester", "I forgot my password")
    assert ("requester", "ana@example.com") in said
    assert any(who == "garda" and "work email" in text for who, text in said)


async def test_talk_to_a_person_also_leads_to_a_ticket(dispatcher: Dispatcher) -> None:
    chat = await converse(dispatcher, "my printer is not printing", "Talk to a person")
    assert "Which printer" in chat.text
    await chat.press("skip")
    assert "error message" in chat.text
    await chat.say("Error 49.4C02")
    await chat.press("impact:medium")
    assert "ticket #1" in await chat.press("urgency:medium")


async def test_a_fact_can_be_skipped_when_the_user_does_not_know_it(
    dispatcher: Dispatcher,
) -> None:
    chat = await converse(dispatcher, "my printer is not printing", "Not solved")
    assert "I don't know" in chat.choices
    assert "support engineer will ask" in await chat.say("I don't know")


async def test_an_unclear_description_offers_did_you_mean_choices(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher)
    await chat.say("vpn")
    assert "may fit" in chat.text
    assert chat.choice_ids[-1] == "none"
    assert any(choice.startswith("article:vpn-") for choice in chat.choice_ids)
    assert 3 <= len(chat.choices) <= 4


async def test_picking_a_did_you_mean_article_shows_it(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher)
    await chat.say("vpn")
    first = chat.choices[0]
    answer = await chat.say("1")
    assert first in answer
    assert chat.choices == ["Solved", "Not solved", "Talk to a person"]


async def test_none_of_these_goes_to_a_person(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher)
    await chat.say("vpn")
    assert "Who is affected" in await chat.say("None of these")


async def test_rephrasing_instead_of_choosing_matches_again(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher)
    await chat.say("vpn")
    assert "Reset a forgotten password" in await chat.say("actually I forgot my password")


async def test_nothing_matching_goes_straight_to_a_ticket(garda: Garda) -> None:
    chat = await converse(garda.dispatcher, "the projector in room 12 shows purple colours")
    assert "support engineer" in chat.text
    await chat.press("impact:low")
    assert "ticket #1" in await chat.press("urgency:low")
    async with garda.sessions() as session:
        ticket = (await session.exec(select(Ticket))).one()
    assert ticket.topic == "other" and ticket.priority == "P4"
    assert ticket.subject == "the projector in room 12 shows purple colours"


async def test_thanks_is_answered_politely_and_starts_nothing(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher)
    assert "welcome" in await chat.say("thanks!")
    assert chat.choices == []


async def test_goodbye_is_answered_and_starts_nothing(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher)
    assert "Goodbye" in await chat.say("bye, see you")
    assert chat.choices == []


async def test_off_topic_requests_get_a_polite_no_never_an_article(garda: Garda) -> None:
    chat = Chat(garda.dispatcher)
    for request in ("what's the weather tomorrow?", "order a pizza for the team"):
        answer = await chat.say(request)
        assert "IT help desk" in answer and chat.choices == []
    async with garda.sessions() as session:
        assert (await session.exec(select(Ticket))).all() == []


async def test_an_it_problem_that_mentions_lunch_is_still_an_it_problem(
    dispatcher: Dispatcher,
) -> None:
    chat = Chat(dispatcher)
    answer = await chat.say("since lunch my laptop won't connect to the wifi")
    assert "IT help desk" not in answer


async def test_asking_what_garda_can_do_shows_the_help(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher)
    assert "/status" in await chat.say("what can you do?")


# Bahasa Indonesia


async def test_indonesian_request_gets_the_indonesian_article(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher)
    answer = await chat.say("saya lupa kata sandi")
    assert answer.startswith("Reset password yang terlupa")
    assert chat.choices == ["Teratasi", "Belum teratasi", "Bicara dengan petugas"]


async def test_the_whole_flow_in_indonesian(garda: Garda) -> None:
    chat = Chat(garda.dispatcher, user="budi")
    await chat.say("selamat pagi")
    assert "Halo Budi" in chat.text
    await chat.say("saya lupa kata sandi")
    assert "email kantor" in await chat.say("Belum teratasi")
    assert "Siapa yang terdampak" in await chat.say("budi@contoh.co.id")
    assert "menghambat" in await chat.say("Tim saya atau beberapa orang")
    answer = await chat.say("Saya sama sekali tidak bisa bekerja")
    assert "tiket #1" in answer and "P2" in answer and "Level 2" in answer
    async with garda.sessions() as session:
        ticket = (await session.exec(select(Ticket))).one()
    assert ticket.lang == "id" and ticket.priority == "P2"


async def test_indonesian_small_talk(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher, user="budi")
    assert "Sama-sama" in await chat.say("makasih banyak")
    assert "help desk IT" in await chat.say("cuaca hari ini gimana?")


async def test_english_labels_are_understood_in_an_indonesian_conversation(
    dispatcher: Dispatcher,
) -> None:
    chat = await converse(dispatcher, "saya lupa kata sandi", "Not solved")
    assert "email kantor" in chat.text
