"""What the engine tells the support desk: announcements, forms, verified emails, counts."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import Garda, open_garda
from handlers.desk import Desk, parse_address
from handlers.messages import Address, reply_from_json
from models.tables import OutboxMessage, Person, Ticket
from tests.helpers import Chat

L2 = Address("slack", "C0L2")
L3 = Address("telegram", "-100123", "7")
DeskGarda = tuple[Garda, list[tuple[str, str]]]


@pytest.fixture
async def desk_garda(seeded_template: Path, tmp_path: Path) -> AsyncIterator[DeskGarda]:
    """Garda with support channels for L2 and L3, counting what it observes."""
    path = tmp_path / "garda.db"
    shutil.copyfile(seeded_template, path)
    seen: list[tuple[str, str]] = []
    desk = Desk({2: L2, 3: L3})
    url = f"sqlite+aiosqlite:///{path}"
    async with open_garda(url, desk=desk, observer=lambda k, v: seen.append((k, v))) as garda:
        yield garda, seen


async def test_a_new_ticket_is_announced_in_its_tiers_channel(desk_garda: DeskGarda) -> None:
    garda, _ = desk_garda
    chat = Chat(garda.dispatcher, user="ana", platform="telegram")
    await chat.say("my printer is not printing")
    await chat.press("human")
    await chat.say("Printer 3F-East")
    await chat.press("skip")
    await chat.press("impact:medium")
    await chat.press("urgency:high")

    assert "ticket #1" in chat.text
    async with garda.sessions() as session:
        queued = (await session.exec(select(OutboxMessage))).all()
    assert [(m.purpose, m.target) for m in queued] == [("packet", str(L2))]  # printers: L2
    packet = reply_from_json(queued[0].reply)
    assert packet.text.startswith("🎫 Ticket #1 · P2 (high) · Level 2 · new")
    assert "From: Ana (telegram:ana)" in packet.text
    assert "my printer is not printing" in packet.text
    assert "Printer: Printer 3F-East" in packet.text
    assert [c.label for c in packet.choices] == [
        "Claim",
        "Escalate to L3",
        "Ask requester",
        "Resolve",
    ]


async def test_without_support_channels_nothing_is_announced(garda: Garda) -> None:
    chat = Chat(garda.dispatcher)
    await chat.say("qwertyuiop zxcvbnm")  # matches nothing: straight to a ticket
    await chat.press("impact:low")
    await chat.press("urgency:low")
    assert "ticket #1" in chat.text
    async with garda.sessions() as session:
        assert (await session.exec(select(OutboxMessage))).all() == []


def test_a_tier_without_a_channel_uses_the_nearest_lower_one() -> None:
    desk = Desk({2: L2})
    assert desk.channel_for(3) == L2
    assert desk.channel_for(1) is None
    assert parse_address("telegram:-100123/7") == L3
    with pytest.raises(ValueError, match="not an address"):
        parse_address("C0123")


async def test_the_facts_come_as_a_form_too_and_a_submitted_form_is_checked(
    desk_garda: DeskGarda,
) -> None:
    garda, _ = desk_garda
    chat = Chat(garda.dispatcher)
    await chat.say("I forgot my password")
    await chat.press("not_solved")
    question = chat.replies[-1]
    assert [field.name for field in question.form] == ["email"]
    assert question.form[0].label == "Email"

    answer = await chat.say("", fields={"email": "not an address"})
    assert "doesn't look like an email" in answer
    assert "work email" in answer  # asked again, one at a time

    assert "Who is affected" in await chat.say("", fields={"email": "Ana@Example.com"})


async def test_a_platform_verified_email_is_kept_and_never_asked_for(garda: Garda) -> None:
    chat = Chat(garda.dispatcher, platform="slack")
    await chat.say("I forgot my password", email="Ana@Example.com")
    assert "Who is affected" in await chat.press("not_solved")  # email already known
    await chat.press("impact:low")
    await chat.press("urgency:low")

    async with garda.sessions() as session:
        person = (await session.exec(select(Person))).one()
        ticket = (await session.exec(select(Ticket))).one()
    assert person.email == "ana@example.com"
    assert ticket.facts == {"email": "ana@example.com"}


async def test_decisions_and_tickets_are_reported_for_metrics(desk_garda: DeskGarda) -> None:
    garda, seen = desk_garda
    chat = Chat(garda.dispatcher)
    await chat.say("hello")
    await chat.say("qwertyuiop zxcvbnm")
    await chat.press("impact:high")
    await chat.press("urgency:high")
    assert seen == [("decision", "greeting"), ("decision", "escalate"), ("ticket", "P1")]
