"""The SLA sweeper: fires the timers that have come due, each exactly once.

Any number of workers may sweep at the same time. Each takes due timers with
``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite's writers take turns anyway), marks a timer
fired only if nobody has, and skips a ticket someone else is changing right now (its timer
stays due for the next sweep), so two sweepers never ping twice and never wait on each other.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select

from handlers.desk import Desk
from handlers.escalation import Tickets
from handlers.i18n import Catalogue
from models.db import SessionFactory
from models.tables import SlaTimer, Ticket

logger = logging.getLogger(__name__)

BATCH = 20  # timers per transaction


async def sweep(
    sessions: SessionFactory, *, desk: Desk, catalogue: Catalogue, now: datetime
) -> tuple[int, int]:
    """Fire every timer due at ``now``; how many fired, and how many messages they queued."""
    fired = queued = 0
    skipped: set[int] = set()  # timers whose ticket was busy: left for the next sweep
    while True:
        async with sessions() as session, session.begin():
            statement = (
                select(SlaTimer)
                .where(col(SlaTimer.fired_at).is_(None), col(SlaTimer.due_at) <= now)
                .where(col(SlaTimer.id).not_in(skipped))
                .order_by(col(SlaTimer.due_at), col(SlaTimer.id))
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
            timers = list((await session.exec(statement)).all())
            if not timers:
                return fired, queued
            tickets = Tickets(session, desk=desk, catalogue=catalogue, now=now)
            for timer in timers:
                ticket = (
                    await session.exec(
                        select(Ticket)
                        .where(Ticket.id == timer.ticket_id)
                        .with_for_update(skip_locked=True)
                    )
                ).first()
                if ticket is None:
                    assert timer.id is not None
                    skipped.add(timer.id)
                    continue
                claimed = await session.exec(
                    update(SlaTimer)
                    .where(col(SlaTimer.id) == timer.id, col(SlaTimer.fired_at).is_(None))
                    .values(fired_at=now)
                )
                if not claimed.rowcount:  # another sweeper fired it first
                    continue
                await session.refresh(timer)
                logger.info("SLA timer %s of ticket #%s fired", timer.kind, timer.ticket_id)
                await tickets.fire(ticket, timer)
                fired += 1
            queued += tickets.queued
