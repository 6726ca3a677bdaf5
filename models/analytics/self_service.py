"""Figures of the self-service actions, from the audit log: attempts and how they ended."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.analytics.figures import ActionFigures
from models.tables import AuditRecord


async def actions_between(
    session: AsyncSession, *, start: datetime, end: datetime
) -> tuple[ActionFigures, ...]:
    """Per action, its attempts in [start, end) by outcome; most attempted first."""
    statement = (
        select(AuditRecord.action, AuditRecord.outcome, func.count())
        .where(col(AuditRecord.created_at) >= start, col(AuditRecord.created_at) < end)
        .group_by(col(AuditRecord.action), col(AuditRecord.outcome))
    )
    outcomes: dict[str, dict[str, int]] = defaultdict(dict)
    for action, outcome, count in (await session.exec(statement)).all():
        outcomes[action][outcome] = count
    found = [ActionFigures(action, counts) for action, counts in outcomes.items()]
    return tuple(sorted(found, key=lambda a: (-a.attempts, a.action)))
