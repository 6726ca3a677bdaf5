"""The same conversation on PostgreSQL, including two workers sharing one database."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from bot.app import open_garda
from models.db import make_engine
from models.migrate import SchemaOutOfDateError, upgrade
from models.tables import Conversation, Ticket
from tests.helpers import Chat, converse, message


async def migrated(url: str) -> str:
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    return url


async def test_garda_refuses_an_unmigrated_postgres_database(postgres_url: str) -> None:
    with pytest.raises(SchemaOutOfDateError, match="garda db upgrade"):
        async with open_garda(postgres_url):
            pass


async def test_the_level_one_flow_on_postgres(postgres_url: str) -> None:
    async with open_garda(await migrated(postgres_url)) as garda:
        chat = await converse(garda.dispatcher, "I forgot my password", "Not solved")
        await chat.say("ana@example.com")
        await chat.press("impact:medium")
        assert "ticket #1" in await chat.press("urgency:high")
        assert "Reset a forgotten password" in await chat.say("/status")
        async with garda.sessions() as session:
            ticket = (await session.exec(select(Ticket))).one()
        assert ticket.facts == {"email": "ana@example.com"} and ticket.priority == "P2"


async def test_two_workers_take_turns_on_one_users_conversation(postgres_url: str) -> None:
    """Each worker has its own engine and locks; the conversation row orders the messages."""
    url = await migrated(postgres_url)
    async with open_garda(url) as first, open_garda(url) as second:
        await Chat(first.dispatcher).say("I forgot my password")
        replies = await asyncio.gather(
            first.dispatcher.handle(message("Not solved")),
            second.dispatcher.handle(message("Not solved")),
        )
        texts = ["\n".join(reply.text for reply in batch) for batch in replies]
        # One worker moved the conversation on; the other, waiting on the row lock, then
        # read the new state and took "Not solved" as (not) an email address.
        assert sum("didn't fix it" in text for text in texts) == 1
        assert sum("doesn't look like an email" in text for text in texts) == 1
        async with first.sessions() as session:
            conversation = (await session.exec(select(Conversation))).one()
        assert conversation.state == "facts"


async def test_a_repeated_event_across_workers_is_handled_once(postgres_url: str) -> None:
    url = await migrated(postgres_url)
    async with open_garda(url) as first, open_garda(url) as second:
        replies = await asyncio.gather(
            first.dispatcher.handle(message("hi", event_key="telegram:1001")),
            second.dispatcher.handle(message("hi", event_key="telegram:1001")),
        )
    assert sorted(len(batch) for batch in replies)[0] == 0
    assert sum(1 for batch in replies if batch) == 1
