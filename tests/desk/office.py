"""A support desk for tests: people in one office talking to Garda through the console
platform, a clock the test moves, and every chat's messages as the outbox delivers them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count

from bot.app import Garda, open_garda
from bot.delivery import DeliveryError
from handlers.desk import Desk
from handlers.messages import Address, IncomingMessage, Reply
from models.db import make_engine
from models.migrate import upgrade
from tests.helpers import Chat

PLATFORM = "console"
L2 = Address(PLATFORM, "l2-desk")
L3 = Address(PLATFORM, "l3-desk")
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    """The time as the test says: ``clock.advance(minutes=48)``."""

    now: datetime = MONDAY

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Posted:
    """One message as a chat shows it."""

    id: str
    reply: Reply
    edits: list[Reply] = field(default_factory=list)

    @property
    def text(self) -> str:
        return (self.edits[-1] if self.edits else self.reply).text

    @property
    def buttons(self) -> list[str]:
        return [choice.label for choice in (self.edits[-1] if self.edits else self.reply).choices]


class Switchboard:
    """The console platform's sender: every chat's messages, kept for the test to read.

    ``failures`` makes that many sends fail first, like a platform outage.
    """

    platform = PLATFORM

    def __init__(self) -> None:
        self.chats: dict[str, list[Posted]] = defaultdict(list)
        self.by_id: dict[str, Posted] = {}
        self.failures = 0
        self._ids = count(1)
        self._read: dict[str, int] = defaultdict(int)

    async def send(self, address: Address, reply: Reply) -> str:
        if self.failures:
            self.failures -= 1
            raise DeliveryError("the console platform is down")
        posted = Posted(str(next(self._ids)), reply)
        self.chats[address.chat_id].append(posted)
        self.by_id[posted.id] = posted
        return posted.id

    async def send_private(self, user_id: str, reply: Reply) -> str:
        return await self.send(Address(PLATFORM, user_id), reply)

    async def edit(self, address: Address, message_id: str, reply: Reply) -> None:
        self.by_id[message_id].edits.append(reply)

    def new(self, chat: str) -> list[Posted]:
        """The messages ``chat`` got since the last look."""
        posted = self.chats[chat][self._read[chat] :]
        self._read[chat] = len(self.chats[chat])
        return posted

    def news(self, chat: str) -> str:
        """The texts ``chat`` got since the last look, joined."""
        return "\n".join(posted.reply.text for posted in self.new(chat))


@dataclass
class Office:
    """Garda with a Level 2 and a Level 3 desk, a switchboard and a clock."""

    garda: Garda
    board: Switchboard
    clock: FakeClock

    def person(self, name: str) -> Colleague:
        """Someone talking to Garda in their private console chat."""
        return Colleague(self.garda.dispatcher, user=name, office=self)

    async def deliver(self) -> None:
        """Deliver what the outbox holds (a worker's round)."""
        while await self.garda.outbox.deliver_due():
            pass

    async def sweep(self) -> int:
        """Fire due SLA timers, then deliver what they said."""
        fired = await self.garda.dispatcher.sweep()
        await self.deliver()
        return fired

    async def in_channel(
        self, user: str, channel: Address, text: str = "", **extra: object
    ) -> list[Reply]:
        """``user`` writes (or presses a button) in a support channel."""
        message = IncomingMessage(
            platform=PLATFORM,
            user_id=user,
            text=text,
            origin=channel,
            display_name=user.title(),
            **extra,  # type: ignore[arg-type]
        )
        replies = await self.garda.dispatcher.handle(message)
        await self.deliver()
        return replies

    async def press(self, user: str, channel: Address, choice: str) -> str:
        """``user`` presses a ticket button in a support channel; what Garda answered them."""
        replies = await self.in_channel(user, channel, choice=choice)
        return "\n".join(reply.text for reply in replies)

    def packet(self, channel: Address, number: int) -> Posted:
        """The packet of ticket ``number`` in ``channel``."""
        for posted in self.board.chats[channel.chat_id]:
            if posted.reply.text.startswith(f"🎫 Ticket #{number} "):
                return posted
        raise AssertionError(f"no packet of #{number} in {channel}")


@dataclass
class Colleague(Chat):
    """A :class:`Chat` in the office: what Garda sends others is delivered after each line."""

    office: Office | None = None

    async def say(self, text: str = "", **extra: object) -> str:
        answer = await super().say(text, **extra)
        assert self.office is not None
        await self.office.deliver()
        return answer


AGENTS = {"console:budi": 2, "console:sari": 3}


async def migrate(url: str) -> None:
    """Bring PostgreSQL's schema up to date, as ``garda db upgrade`` does (SQLite migrates
    itself when Garda opens it)."""
    if not url.startswith("sqlite"):
        engine = make_engine(url)
        await upgrade(engine)
        await engine.dispose()


@asynccontextmanager
async def office(url: str, *, desk: Desk | None = None) -> AsyncIterator[Office]:
    """An office on the database at ``url`` (Budi works Level 2, Sari Level 3)."""
    clock = FakeClock()
    board = Switchboard()
    desk = desk or Desk({2: L2, 3: L3}, agents=AGENTS)
    async with open_garda(url, desk=desk, clock=clock) as garda:
        garda.courier.add(board)
        yield Office(garda, board, clock)
