"""The outbox's delivery: messages written with the change they tell of, sent afterwards.

A batch is claimed in one short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on
SQLite ``BEGIN IMMEDIATE`` makes claimers take turns) by pushing its ``due_at`` a lease ahead:
no other worker takes those rows meanwhile, and a worker that dies mid-send lets them be
retried once the lease runs out. Each message is then sent outside any transaction and its
result recorded in another short one. A failure is retried with back-off, never dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import Courier, DeliveryError
from bot.metrics import Metrics
from handlers.clock import Clock
from handlers.desk import PRIVATE, parse_address
from handlers.messages import Address, Reply, reply_from_json
from models.db import SessionFactory
from models.tables import OutboxMessage, Ticket, TicketPost, utcnow

logger = logging.getLogger(__name__)

FIRST_BACKOFF = timedelta(seconds=2)
MAX_BACKOFF = timedelta(minutes=15)
DEFER = timedelta(seconds=2)  # a notice or edit waiting for its ticket's packet to go first
LOUD_EVERY = 5  # attempts: failures are warnings, every fifth one an error
NO_PACKET = "no packet to edit"
SUPERSEDED = "a newer edit is already shown"  # a retried edit must not undo a later one
DROPPED = (NO_PACKET, SUPERSEDED)  # done with, though nothing was sent


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 2 s, 4 s, 8 s … at most 15 min."""
    if attempts >= 20:  # 2 s * 2**19 is far past the cap; spare the big numbers
        return MAX_BACKOFF
    return min(FIRST_BACKOFF * (1 << max(attempts - 1, 0)), MAX_BACKOFF)


@dataclass(frozen=True)
class Claimed:
    """One claimed message, read out of its row before the claim's transaction ended."""

    id: int
    target: str
    reply: dict[str, Any]
    ticket_id: int | None
    purpose: str
    attempts: int  # including this claim

    @property
    def in_a_chat(self) -> bool:
        """Posted in a (support) chat of a ticket, not in someone's private chat."""
        return self.ticket_id is not None and not self.target.startswith(f"{PRIVATE}:")


@dataclass(frozen=True)
class Outcome:
    """What became of one send: posted (with the platform's id), waiting, or failed."""

    sent: bool = False
    message_id: str | None = None
    deferred: bool = False
    error: str = ""


class Outbox:
    """Delivers due outbox messages through a courier; any number of workers may run one."""

    def __init__(
        self,
        sessions: SessionFactory,
        courier: Courier,
        *,
        clock: Clock = utcnow,
        batch: int = 20,
        lease: timedelta = timedelta(seconds=60),
        metrics: Metrics | None = None,
    ) -> None:
        self.sessions = sessions
        self.courier = courier
        self.clock = clock
        self.batch = batch
        self.lease = lease
        self.metrics = metrics
        self.woken = asyncio.Event()  # set by wake(); the Jobs loop waits on it

    def wake(self) -> None:
        """Ask the running delivery loop to deliver now (messages were just enqueued)."""
        self.woken.set()

    async def deliver_due(self) -> int:
        """Claim up to ``batch`` due messages and send them in order; how many were sent."""
        claimed = await self.claim()
        # A send starts no later than half a lease after the claim and may take at most the
        # other half, so no message is still in flight when its lease lets another worker in.
        half = self.lease.total_seconds() / 2
        deadline = time.monotonic() + half
        sent = 0
        for index, message in enumerate(claimed):
            if time.monotonic() > deadline:
                await self._release(claimed[index:])
                break
            outcome = await self._send(message, timeout=half)
            await self._record(message, outcome)
            sent += outcome.sent
        return sent

    async def claim(self) -> list[Claimed]:
        """Lease up to ``batch`` due messages to this worker, counting an attempt for each."""
        now = self.clock()
        statement = (
            select(OutboxMessage)
            .where(col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.due_at) <= now)
            .order_by(col(OutboxMessage.id))
            .limit(self.batch)
            .with_for_update(skip_locked=True)
        )
        async with self.sessions() as session, session.begin():
            rows = (await session.exec(statement)).all()
            for row in rows:
                row.due_at = now + self.lease
                row.attempts += 1
                session.add(row)
            claimed = [
                Claimed(row.id, row.target, dict(row.reply), row.ticket_id, row.purpose,
                        row.attempts)
                for row in rows
                if row.id is not None
            ]  # fmt: skip
        return claimed

    async def _send(self, message: Claimed, *, timeout: float) -> Outcome:
        reply = reply_from_json(message.reply)
        try:
            async with asyncio.timeout(timeout):
                return await self._route(message, reply)
        except (DeliveryError, TimeoutError) as error:
            return Outcome(error=_describe(error, reply))
        except Exception as error:  # a sender's bug must not lose the message: keep it, retry
            logger.exception("outbox message %d: the sender failed unexpectedly", message.id)
            return Outcome(error=_describe(error, reply))

    async def _route(self, message: Claimed, reply: Reply) -> Outcome:
        if message.purpose == "edit":
            return await self._edit(message, reply)
        if message.purpose == "notice" and message.in_a_chat:
            post, waiting = await self._packet_of(message)
            if post is not None:
                reply = replace(reply, reply_to=post.message_id)
            elif waiting:
                return Outcome(deferred=True)
        return Outcome(sent=True, message_id=await self.courier.post(message.target, reply))

    async def _edit(self, message: Claimed, reply: Reply) -> Outcome:
        post, waiting = await self._packet_of(message) if message.in_a_chat else (None, False)
        if post is None:
            return Outcome(deferred=True) if waiting else Outcome(error=NO_PACKET)
        if await self._superseded(message):
            return Outcome(error=SUPERSEDED)
        address = Address(post.platform, post.chat_id, post.thread_id)
        await self.courier.edit(address, post.message_id, reply)
        return Outcome(sent=True, message_id=post.message_id)

    async def _superseded(self, message: Claimed) -> bool:
        """Whether a later edit of the same packet has already been shown."""
        async with self.sessions() as session:
            later = await session.exec(
                select(OutboxMessage.id).where(
                    OutboxMessage.ticket_id == message.ticket_id,
                    OutboxMessage.purpose == "edit",
                    OutboxMessage.target == message.target,
                    col(OutboxMessage.id) > message.id,
                    col(OutboxMessage.sent_at).is_not(None),
                    OutboxMessage.error == "",
                )
            )
            return later.first() is not None

    async def _packet_of(self, message: Claimed) -> tuple[TicketPost | None, bool]:
        """The ticket's newest packet in the message's chat; else whether one is still unsent."""
        address = parse_address(message.target)
        async with self.sessions() as session:
            post = (
                await session.exec(
                    select(TicketPost)
                    .where(
                        TicketPost.ticket_id == message.ticket_id,
                        TicketPost.platform == address.platform,
                        TicketPost.chat_id == address.chat_id,
                    )
                    .order_by(col(TicketPost.id).desc())
                )
            ).first()
            if post is not None:
                return post, False
            pending = await session.exec(
                select(OutboxMessage.target).where(
                    OutboxMessage.ticket_id == message.ticket_id,
                    OutboxMessage.purpose == "packet",
                    col(OutboxMessage.sent_at).is_(None),
                )
            )
            return None, any(_same_chat(target, address) for target in pending)

    async def _record(self, message: Claimed, outcome: Outcome) -> None:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            row = await session.get(OutboxMessage, message.id, with_for_update=True)
            if row is None or row.sent_at is not None:  # sent by another worker after our lease
                return
            if outcome.deferred:
                row.attempts -= 1  # waiting for the packet is no failed attempt
                row.due_at = now + DEFER
            elif outcome.sent or outcome.error in DROPPED:
                row.sent_at = now
                row.message_id = outcome.message_id
                row.error = outcome.error
                if outcome.sent and row.purpose == "packet" and outcome.message_id:
                    await self._remember_packet(session, message, outcome.message_id)
            else:
                row.error = outcome.error[:500]
                row.due_at = now + backoff(row.attempts)
                self._complain(message, row.attempts, row.error)
            session.add(row)
        self._count(message.purpose, _kind(outcome))

    async def _remember_packet(
        self, session: AsyncSession, message: Claimed, message_id: str
    ) -> None:
        if not message.in_a_chat:
            return
        ticket = await session.get(Ticket, message.ticket_id)
        if ticket is None or ticket.id is None:
            return
        address = parse_address(message.target)
        session.add(
            TicketPost(
                ticket_id=ticket.id,
                tier=ticket.tier,
                platform=address.platform,
                chat_id=address.chat_id,
                thread_id=address.thread_id,
                message_id=message_id,
            )
        )

    async def _release(self, messages: list[Claimed]) -> None:
        """Give back claimed messages this round ran out of time for (no attempt counted)."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            for message in messages:
                row = await session.get(OutboxMessage, message.id, with_for_update=True)
                if row is not None and row.sent_at is None:
                    row.attempts -= 1
                    row.due_at = now
                    session.add(row)

    def _complain(self, message: Claimed, attempts: int, error: str) -> None:
        log = logger.error if attempts % LOUD_EVERY == 0 else logger.warning
        log(
            "outbox message %d (%s to %s) failed %d time(s), retrying: %s",
            message.id, message.purpose, message.target, attempts, error,
        )  # fmt: skip

    def _count(self, purpose: str, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.outbox_message(purpose, outcome)


def _same_chat(target: str, address: Address) -> bool:
    if target.startswith(f"{PRIVATE}:"):
        return False
    other = parse_address(target)
    return (other.platform, other.chat_id) == (address.platform, address.chat_id)


def _describe(error: BaseException, reply: Reply) -> str:
    """The error for the row and the log: its kind and message, never the message text."""
    detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if reply.text:
        detail = detail.replace(reply.text, "[message text]")
    return detail[:500]


def _kind(outcome: Outcome) -> str:
    if outcome.deferred:
        return "deferred"
    if outcome.sent:
        return "sent"
    return "dropped" if outcome.error in DROPPED else "failed"
