"""Support analytics: the published figures of a period, computed from a few queries.

The formulas are in :data:`FORMULAS` (and the README); :func:`support_figures` computes them
all. Everything is counted in Python from plain selects, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models.analytics import conversations, tickets
from models.analytics.figures import (
    ActionFigures,
    ArticleHelp,
    Deflection,
    Figures,
    Rate,
    SlaCompliance,
    Timings,
    TopicCount,
    TrendPoint,
    period,
)
from models.analytics.formulas import FORMULAS
from models.analytics.self_service import actions_between

__all__ = [
    "FORMULAS",
    "ActionFigures",
    "ArticleHelp",
    "Deflection",
    "Figures",
    "Rate",
    "SlaCompliance",
    "Timings",
    "TopicCount",
    "TrendPoint",
    "period",
    "support_figures",
]


async def support_figures(session: AsyncSession, *, start: datetime, end: datetime) -> Figures:
    """Every support figure of the period ``start`` ≤ t < ``end``."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)  # stored times are UTC
    found = await conversations.ended_between(session, start=start, end=end)
    timelines = await tickets.opened_between(session, start=start, end=end)
    return Figures(
        start=start,
        end=end,
        outcomes=conversations.outcomes(found),
        deflection=conversations.deflection(found),
        trend_unit=conversations.trend_unit(start, end),
        trend=conversations.trend(found, start=start, end=end),
        self_service=await actions_between(session, start=start, end=end),
        tickets=len(timelines),
        first_response=tickets.first_response(timelines),
        resolution=tickets.resolution(timelines),
        sla=tickets.sla_compliance(timelines),
        topics=_topics(found, timelines),
        articles=conversations.helpfulness(found),
    )


def _topics(
    found: conversations.Conversations, timelines: list[tickets.Timeline]
) -> tuple[TopicCount, ...]:
    """Conversations and tickets per topic, most conversations (then tickets) first."""
    talked = conversations.topics(found)
    ticketed: dict[str, int] = {}
    for timeline in timelines:
        ticketed[timeline.ticket.topic] = ticketed.get(timeline.ticket.topic, 0) + 1
    counts = [
        TopicCount(topic, talked.get(topic, 0), ticketed.get(topic, 0))
        for topic in talked.keys() | ticketed.keys()
    ]
    return tuple(sorted(counts, key=lambda c: (-c.conversations, -c.tickets, c.topic)))
