"""Figures of tickets, read from their events: time to first response and to resolution per
tier and priority, and SLA compliance per tier.

Each ticket's events are replayed in order to know its tier at every moment: it starts at
the tier below its first escalation (or at its tier, never escalated), and each
``escalated`` event moves it to the tier in its detail.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.analytics.figures import GARDA_ACTOR, SlaCompliance, Timings
from models.tables import Ticket, TicketEvent

RESPONSES = frozenset({"claimed", "asked", "replied", "resolved"})  # an agent answering
BREACHES = ("sla_ack_breach", "sla_resolve_breach")


@dataclass
class Visit:
    """A ticket's stay at one tier: when it arrived, was first answered, breached."""

    tier: int
    entered: datetime
    answered: datetime | None = None
    breaches: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Timeline:
    """One ticket replayed: its visits to each tier, and its first resolution."""

    ticket: Ticket
    visits: tuple[Visit, ...]
    resolved: tuple[datetime, int] | None  # when, and at which tier


async def opened_between(
    session: AsyncSession, *, start: datetime, end: datetime
) -> list[Timeline]:
    """The tickets opened in [start, end), replayed from their events up to ``end``."""
    in_period = (col(Ticket.created_at) >= start, col(Ticket.created_at) < end)
    tickets = (await session.exec(select(Ticket).where(*in_period).order_by(col(Ticket.id)))).all()
    # Events after ``end`` are read too: only they tell a ticket's first tier when it was
    # escalated after the period (``Ticket.tier`` is its tier now).
    statement = (
        select(TicketEvent)
        .join(Ticket, col(Ticket.id) == col(TicketEvent.ticket_id))
        .where(*in_period)
        .order_by(col(TicketEvent.ticket_id), col(TicketEvent.created_at), col(TicketEvent.id))
    )
    events: dict[int, list[TicketEvent]] = defaultdict(list)
    for event in (await session.exec(statement)).all():
        events[event.ticket_id].append(event)
    return [replay(ticket, events[ticket.id or 0], end=end) for ticket in tickets]


def replay(ticket: Ticket, events: Sequence[TicketEvent], *, end: datetime) -> Timeline:
    """Walk one ticket's events (oldest first) through its tiers, as they were at ``end``."""
    escalations = [event for event in events if event.kind == "escalated"]
    first = ticket.tier - len(escalations)  # each escalation is one tier up
    tier = _tier(escalations[0].detail, first + 1) - 1 if escalations else ticket.tier
    events = [event for event in events if event.created_at < end]
    visits = [Visit(tier, ticket.created_at)]
    # Neither the requester nor Garda answers a ticket: the "created" event's actor is the
    # requester, and Garda's own events (SLA, closing) are by GARDA_ACTOR.
    not_agents = {ticket.requester_key, GARDA_ACTOR}
    not_agents.update(event.actor for event in events if event.kind == "created")
    resolved: tuple[datetime, int] | None = None
    for event in events:
        if event.kind == "escalated":
            tier = _tier(event.detail, tier + 1)
            visits.append(Visit(tier, event.created_at))
        elif event.kind in BREACHES:
            breached = _tier(event.detail, tier)
            for visit in visits:
                if visit.tier == breached:
                    visit.breaches.add(event.kind)
        if event.kind in RESPONSES and event.actor not in not_agents:
            visits[-1].answered = visits[-1].answered or event.created_at
        if event.kind == "resolved" and resolved is None:
            resolved = (event.created_at, tier)
    return Timeline(ticket, tuple(visits), resolved)


def _tier(detail: dict[str, Any], default: int) -> int:
    value = detail.get("tier")
    return value if isinstance(value, int) else default


def first_response(timelines: Iterable[Timeline]) -> tuple[Timings, ...]:
    """Per tier and priority: entering the tier → the first agent's answer there."""
    answered: dict[tuple[int, str], list[timedelta]] = defaultdict(list)
    pending: dict[tuple[int, str], int] = defaultdict(int)
    for timeline in timelines:
        for visit in timeline.visits:
            key = (visit.tier, timeline.ticket.priority)
            if visit.answered is None:
                pending[key] += 1
            else:
                answered[key].append(visit.answered - visit.entered)
    return _timings(answered, pending)


def resolution(timelines: Iterable[Timeline]) -> tuple[Timings, ...]:
    """Per resolving tier and priority: opened → first resolved; unresolved ones apart, by
    their tier now."""
    resolved: dict[tuple[int, str], list[timedelta]] = defaultdict(list)
    pending: dict[tuple[int, str], int] = defaultdict(int)
    for timeline in timelines:
        priority = timeline.ticket.priority
        if timeline.resolved is None:
            pending[(timeline.visits[-1].tier, priority)] += 1
        else:
            at, tier = timeline.resolved
            resolved[(tier, priority)].append(at - timeline.ticket.created_at)
    return _timings(resolved, pending)


def _timings(
    durations: dict[tuple[int, str], list[timedelta]], pending: dict[tuple[int, str], int]
) -> tuple[Timings, ...]:
    return tuple(
        Timings(*key, durations=tuple(sorted(durations.get(key, []))), pending=pending.get(key, 0))
        for key in sorted(durations.keys() | pending.keys())
    )


def sla_compliance(timelines: Iterable[Timeline]) -> tuple[SlaCompliance, ...]:
    """Per tier: the tickets that reached it, and those that breached its targets."""
    counts: Counter[tuple[int, str]] = Counter()
    for timeline in timelines:
        for visit in timeline.visits:
            counts[(visit.tier, "reached")] += 1
            counts[(visit.tier, "breached")] += bool(visit.breaches)
            for kind in visit.breaches:
                counts[(visit.tier, kind)] += 1
    return tuple(
        SlaCompliance(
            tier,
            reached=counts[(tier, "reached")],
            ack_breached=counts[(tier, "sla_ack_breach")],
            resolve_breached=counts[(tier, "sla_resolve_breach")],
            breached=counts[(tier, "breached")],
        )
        for tier in sorted({tier for tier, _ in counts})
    )
