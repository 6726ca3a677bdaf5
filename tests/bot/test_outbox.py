"""The outbox's delivery: retried with back-off, each message once, packets before notices."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.app import prepare_database
from bot.delivery import Courier, DeliveryError
from bot.outbox import Outbox, backoff
from handlers.messages import Address, Reply, reply_to_json
from models.db import SessionFactory, make_engine
from models.migrate import upgrade
from models.queries import enqueue
from models.tables import OutboxMessage, Person, Ticket, TicketPost, utcnow

CHANNEL = "fake:C1"
SECRET_TEXT = "Ticket #1: Ana cannot sign in"


class MovingClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Post:
    """One message the fake platform received."""

    where: str
    text: str
    reply_to: str | None = None
    message_id: str = ""


@dataclass
class FakeSender:
    """A chat platform that fails its first ``failures`` calls, then records what it gets."""

    platform: str = "fake"
    failures: int = 0
    posts: list[Post] = field(default_factory=list)
    edits: list[tuple[Address, str, str]] = field(default_factory=list)

    def _fail_maybe(self, reply: Reply) -> None:
        if self.failures:
            self.failures -= 1
            raise DeliveryError(f"the platform refused {reply.text!r}: 503 Service Unavailable")

    async def send(self, address: Address, reply: Reply) -> str | None:
        await asyncio.sleep(0)  # let a concurrent worker run in between
        self._fail_maybe(reply)
        post = Post(str(address), reply.text, reply.reply_to, f"m{len(self.posts) + 1}")
        self.posts.append(post)
        return post.message_id

    async def send_private(self, user_id: str, reply: Reply) -> str | None:
        return await self.send(Address(self.platform, f"@{user_id}"), reply)

    async def edit(self, address: Address, message_id: str, reply: Reply) -> None:
        self._fail_maybe(reply)
        self.edits.append((address, message_id, reply.text))

    def texts(self) -> list[str]:
        return [post.text for post in self.posts]


@pytest.fixture
async def sessions(seeded_template: Path, tmp_path: Path) -> AsyncIterator[SessionFactory]:
    """Sessions on a migrated SQLite file of this test's own."""
    path = tmp_path / "garda.db"
    shutil.copyfile(seeded_template, path)
    engine, factory = await prepare_database(f"sqlite+aiosqlite:///{path}")
    try:
        yield factory
    finally:
        await engine.dispose()


@pytest.fixture
def clock() -> MovingClock:
    return MovingClock()


def outbox_for(
    sessions: SessionFactory, sender: FakeSender, clock: MovingClock, **options: object
) -> Outbox:
    return Outbox(sessions, Courier([sender]), clock=clock, **options)  # type: ignore[arg-type]


async def put(
    sessions: SessionFactory,
    clock: MovingClock,
    key: str,
    text: str,
    *,
    target: str = CHANNEL,
    ticket_id: int | None = None,
    purpose: str = "notice",
) -> bool:
    """Enqueue a message, due now by the test's clock."""
    async with sessions() as session, session.begin():
        return await enqueue(
            session, key=key, target=target, reply=reply_to_json(Reply(text)),
            ticket_id=ticket_id, purpose=purpose, due_at=clock(),
        )  # fmt: skip


async def new_ticket(sessions: SessionFactory, *, tier: int = 2) -> int:
    async with sessions() as session, session.begin():
        person = Person(display_name="Ana")
        session.add(person)
        await session.flush()
        assert person.id is not None
        ticket = Ticket(
            requester_id=person.id, subject="Cannot sign in", impact="medium", urgency="high",
            priority="P2", tier=tier,
        )  # fmt: skip
        session.add(ticket)
        await session.flush()
        assert ticket.id is not None
        return ticket.id


async def row(sessions: SessionFactory, key: str) -> OutboxMessage:
    async with sessions() as session:
        return (await session.exec(select(OutboxMessage).where(OutboxMessage.key == key))).one()


def test_back_off_doubles_from_two_seconds_up_to_fifteen_minutes() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert backoff(10) == backoff(1000) == timedelta(minutes=15)


async def test_a_failing_platform_delays_a_message_and_never_loses_it(
    sessions: SessionFactory, clock: MovingClock, caplog: pytest.LogCaptureFixture
) -> None:
    sender = FakeSender(failures=5)
    outbox = outbox_for(sessions, sender, clock)
    await put(sessions, clock, "n1", SECRET_TEXT)

    waited = []
    for attempt in range(1, 6):
        assert await outbox.deliver_due() == 0
        failed = await row(sessions, "n1")
        assert failed.attempts == attempt and failed.sent_at is None
        assert "503 Service Unavailable" in failed.error
        assert SECRET_TEXT not in failed.error  # the message text is never kept with the error
        assert await outbox.deliver_due() == 0  # not due again before its back-off
        waited.append((failed.due_at - clock()).total_seconds())
        clock.advance(waited[-1])
    assert waited == [2, 4, 8, 16, 32]
    assert [r.levelname for r in caplog.records if r.name == "bot.outbox"][-1] == "ERROR"
    assert all(SECRET_TEXT not in r.getMessage() for r in caplog.records)

    assert await outbox.deliver_due() == 1
    assert await outbox.deliver_due() == 0
    clock.advance(3600)
    assert await outbox.deliver_due() == 0
    assert sender.texts() == [SECRET_TEXT]  # exactly once
    sent = await row(sessions, "n1")
    assert sent.attempts == 6 and sent.sent_at == clock() - timedelta(seconds=3600)
    assert sent.message_id == "m1"


async def test_a_bug_in_a_sender_keeps_the_message_for_a_retry(
    sessions: SessionFactory, clock: MovingClock, caplog: pytest.LogCaptureFixture
) -> None:
    class BuggySender(FakeSender):
        async def send(self, address: Address, reply: Reply) -> str | None:
            raise KeyError("boom")

    outbox = outbox_for(sessions, BuggySender(), clock)
    await put(sessions, clock, "n1", "hello")
    assert await outbox.deliver_due() == 0
    kept = await row(sessions, "n1")
    assert kept.sent_at is None and kept.error == "KeyError: 'boom'" and kept.attempts == 1
    assert any(r.exc_info for r in caplog.records if r.levelno >= logging.ERROR)


async def test_one_key_is_one_message(sessions: SessionFactory, clock: MovingClock) -> None:
    sender = FakeSender()
    assert await put(sessions, clock, "escalated:1", "first")
    assert not await put(sessions, clock, "escalated:1", "second")
    assert await outbox_for(sessions, sender, clock).deliver_due() == 1
    assert sender.texts() == ["first"]


async def test_a_packet_is_remembered_and_later_notices_answer_under_it(
    sessions: SessionFactory, clock: MovingClock
) -> None:
    sender = FakeSender()
    outbox = outbox_for(sessions, sender, clock)
    ticket_id = await new_ticket(sessions, tier=3)
    await put(sessions, clock, "packet", "the packet", ticket_id=ticket_id, purpose="packet")
    await put(sessions, clock, "claimed", "Bo took it", ticket_id=ticket_id)
    await put(sessions, clock, "elsewhere", "in another chat", ticket_id=ticket_id,
              target="fake:C2")  # fmt: skip
    await put(sessions, clock, "dm", "to the requester", ticket_id=ticket_id,
              target="private:fake:U1")  # fmt: skip

    assert await outbox.deliver_due() == 4
    packet, claimed, elsewhere, dm = sender.posts
    assert (packet.where, packet.reply_to) == (CHANNEL, None)
    assert (claimed.where, claimed.reply_to) == (CHANNEL, packet.message_id)
    assert (elsewhere.where, elsewhere.reply_to) == ("fake:C2", None)  # no packet there
    assert (dm.where, dm.reply_to) == ("fake:@U1", None)
    async with sessions() as session:
        post = (await session.exec(select(TicketPost))).one()
    assert (post.ticket_id, post.tier, post.platform, post.chat_id, post.thread_id) == (
        ticket_id, 3, "fake", "C1", None,
    )  # fmt: skip
    assert post.message_id == packet.message_id


async def test_a_packet_in_a_forum_topic_is_remembered_with_its_thread(
    sessions: SessionFactory, clock: MovingClock
) -> None:
    sender = FakeSender()
    ticket_id = await new_ticket(sessions)
    await put(sessions, clock, "packet", "the packet", ticket_id=ticket_id, purpose="packet",
              target="fake:-100/7")  # fmt: skip
    await put(sessions, clock, "notice", "a notice", ticket_id=ticket_id, target="fake:-100/7")
    assert await outbox_for(sessions, sender, clock).deliver_due() == 2
    async with sessions() as session:
        post = (await session.exec(select(TicketPost))).one()
    assert (post.chat_id, post.thread_id) == ("-100", "7")
    assert sender.posts[1].reply_to == sender.posts[0].message_id


async def test_a_notice_waits_for_its_packet_without_counting_attempts(
    sessions: SessionFactory, clock: MovingClock
) -> None:
    sender = FakeSender(failures=1)
    outbox = outbox_for(sessions, sender, clock)
    ticket_id = await new_ticket(sessions)
    await put(sessions, clock, "packet", "the packet", ticket_id=ticket_id, purpose="packet")
    await put(sessions, clock, "claimed", "Bo took it", ticket_id=ticket_id)

    assert await outbox.deliver_due() == 0  # the packet failed; the notice must wait
    assert sender.posts == []
    waiting = await row(sessions, "claimed")
    assert waiting.attempts == 0 and waiting.sent_at is None and waiting.error == ""
    assert timedelta(0) < waiting.due_at - clock() <= timedelta(seconds=2)

    clock.advance(2)
    assert await outbox.deliver_due() == 2
    packet, claimed = sender.posts
    assert claimed.reply_to == packet.message_id
    assert (await row(sessions, "claimed")).attempts == 1


async def test_an_edit_replaces_the_packet(sessions: SessionFactory, clock: MovingClock) -> None:
    sender = FakeSender()
    outbox = outbox_for(sessions, sender, clock)
    ticket_id = await new_ticket(sessions)
    await put(sessions, clock, "edit-early", "edited", ticket_id=ticket_id, purpose="edit")
    await put(sessions, clock, "packet", "the packet", ticket_id=ticket_id, purpose="packet")

    assert await outbox.deliver_due() == 1  # the edit came first, and waited for the packet
    assert sender.edits == []
    clock.advance(2)
    assert await outbox.deliver_due() == 1
    assert sender.edits == [(Address("fake", "C1"), sender.posts[0].message_id, "edited")]
    edited = await row(sessions, "edit-early")
    assert edited.sent_at is not None and edited.message_id == sender.posts[0].message_id


async def test_a_retried_edit_never_undoes_a_later_one(
    sessions: SessionFactory, clock: MovingClock
) -> None:
    sender = FakeSender()
    outbox = outbox_for(sessions, sender, clock)
    ticket_id = await new_ticket(sessions)
    await put(sessions, clock, "packet", "the packet", ticket_id=ticket_id, purpose="packet")
    assert await outbox.deliver_due() == 1
    await put(sessions, clock, "claimed", "claimed by Budi", ticket_id=ticket_id, purpose="edit")
    sender.failures = 1  # the first edit fails...
    assert await outbox.deliver_due() == 0
    await put(sessions, clock, "resolved", "resolved", ticket_id=ticket_id, purpose="edit")
    assert await outbox.deliver_due() == 1  # ...the later one is shown meanwhile
    clock.advance(2)
    assert await outbox.deliver_due() == 0  # and the retry is dropped, not shown over it
    assert [text for _, _, text in sender.edits] == ["resolved"]
    retried = await row(sessions, "claimed")
    assert retried.sent_at is not None and retried.error == "a newer edit is already shown"


async def test_an_edit_with_no_packet_is_dropped(
    sessions: SessionFactory, clock: MovingClock
) -> None:
    sender = FakeSender()
    ticket_id = await new_ticket(sessions)
    await put(sessions, clock, "edit", "edited", ticket_id=ticket_id, purpose="edit")
    assert await outbox_for(sessions, sender, clock).deliver_due() == 0
    dropped = await row(sessions, "edit")
    assert dropped.sent_at is not None and dropped.error == "no packet to edit"
    assert sender.edits == [] and sender.posts == []


async def test_a_worker_that_dies_after_claiming_leaves_the_message_to_another(
    sessions: SessionFactory, clock: MovingClock
) -> None:
    lease = timedelta(seconds=60)
    dead, alive = FakeSender(), FakeSender()
    await put(sessions, clock, "n1", "hello")
    assert len(await outbox_for(sessions, dead, clock, lease=lease).claim()) == 1  # then dies

    survivor = outbox_for(sessions, alive, clock, lease=lease)
    assert await survivor.deliver_due() == 0  # leased to the dead worker
    clock.advance(lease.total_seconds())
    assert await survivor.deliver_due() == 1
    assert (dead.texts(), alive.texts()) == ([], ["hello"])
    assert (await row(sessions, "n1")).attempts == 2


@pytest.fixture(params=["sqlite_url", "postgres_url"])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database file, then an empty PostgreSQL database (if a server is set)."""
    url: str = request.getfixturevalue(request.param)
    return url


async def migrated(url: str) -> str:
    """``url`` upgraded to the current schema (PostgreSQL is never migrated implicitly)."""
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    return url


async def test_two_workers_deliver_each_message_once(database_url: str, clock: MovingClock) -> None:
    url = await migrated(database_url)
    first_engine, first = await prepare_database(url)
    second_engine, second = await prepare_database(url)  # migrated already: just connects
    try:
        keys = [f"n{number}" for number in range(30)]
        for key in keys:
            await put(first, clock, key, key)
        sender = FakeSender()  # both workers post to the same platform
        workers = [outbox_for(sessions, sender, clock, batch=4) for sessions in (first, second)]

        async def drain(outbox: Outbox) -> int:
            total = 0
            while sent := await outbox.deliver_due():
                total += sent
            return total

        counts = await asyncio.gather(*(drain(worker) for worker in workers))
        assert sum(counts) == len(keys)
        assert sorted(sender.texts()) == sorted(keys)  # each exactly once
        async with first() as session:
            unsent = await session.exec(
                select(OutboxMessage).where(col(OutboxMessage.sent_at).is_(None))
            )
            assert unsent.all() == []
    finally:
        await first_engine.dispose()
        await second_engine.dispose()
