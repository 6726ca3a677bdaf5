"""Figures of Level I's support conversations: deflection and its trend, outcomes, topics,
and how helpful each article was."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.analytics.figures import (
    DAILY_UP_TO,
    RETURN_WINDOW,
    ArticleHelp,
    Deflection,
    TrendPoint,
)
from models.tables import RequestOutcome, SupportRequest

RESOLVED = (RequestOutcome.SOLVED.value, RequestOutcome.FIXED.value)
HELPFUL = "solved"  # feedback that the article helped; not_solved and human say it did not
UNHELPFUL = ("not_solved", "human")


@dataclass(frozen=True)
class Conversations:
    """The support conversations that ended in a period, each marked deflected or not."""

    rows: tuple[SupportRequest, ...]
    deflected: frozenset[int]  # ids of the rows Level I closed for good
    returned: int  # resolved rows followed by a return within the window


async def ended_between(session: AsyncSession, *, start: datetime, end: datetime) -> Conversations:
    """The conversations that ended in [start, end), and which of them were deflected."""
    statement = (
        select(SupportRequest)
        .where(col(SupportRequest.ended_at) >= start, col(SupportRequest.ended_at) < end)
        .order_by(col(SupportRequest.ended_at), col(SupportRequest.id))
    )
    rows = tuple((await session.exec(statement)).all())
    # A return may start after ``end`` too (when the period is not the latest one).
    later = select(SupportRequest.person_id, SupportRequest.topic, SupportRequest.started_at).where(
        col(SupportRequest.started_at) >= start,
        col(SupportRequest.started_at) <= end + RETURN_WINDOW,
    )
    starts: dict[tuple[int, str], list[datetime]] = defaultdict(list)
    for person_id, topic, started_at in (await session.exec(later)).all():
        starts[(person_id, topic)].append(started_at)
    for times in starts.values():
        times.sort()
    deflected: set[int] = set()
    returned = 0
    for row in rows:
        if row.outcome not in RESOLVED:
            continue
        if came_back(starts.get((row.person_id, row.topic), []), row.ended_at):
            returned += 1
        else:
            assert row.id is not None
            deflected.add(row.id)
    return Conversations(rows, frozenset(deflected), returned)


def came_back(starts: Sequence[datetime], ended_at: datetime) -> bool:
    """Whether one of the sorted ``starts`` is after ``ended_at`` and within the window."""
    after = bisect_right(starts, ended_at)
    return after < len(starts) and starts[after] - ended_at <= RETURN_WINDOW


def deflection(found: Conversations, rows: Iterable[SupportRequest] | None = None) -> Deflection:
    """The deflection of ``rows`` (all of ``found`` by default)."""
    counted = list(found.rows if rows is None else rows)
    resolved = [row for row in counted if row.outcome in RESOLVED]
    deflected = sum(1 for row in resolved if row.id in found.deflected)
    return Deflection(len(counted), len(resolved), len(resolved) - deflected)


def trend_unit(start: datetime, end: datetime) -> Literal["day", "week"]:
    """Days for a period of two weeks or less, ISO weeks for a longer one."""
    return "day" if end - start <= DAILY_UP_TO else "week"


def trend(found: Conversations, *, start: datetime, end: datetime) -> tuple[TrendPoint, ...]:
    """Conversations and deflection per day or ISO week (by ``ended_at``, UTC), every one of
    the period's days or weeks included, empty ones too."""
    unit = trend_unit(start, end)
    buckets: dict[str, list[SupportRequest]] = {}
    starts: dict[str, datetime] = {}
    day = start.date()
    last = (end - timedelta(microseconds=1)).date()
    while day <= last:
        label = _label(day, unit)
        if label not in buckets:
            buckets[label] = []
            starts[label] = max(start, _bucket_start(day, unit, start))
        day += timedelta(days=1)
    for row in found.rows:
        buckets[_label(row.ended_at.date(), unit)].append(row)
    return tuple(
        TrendPoint(label, starts[label], deflection(found, rows)) for label, rows in buckets.items()
    )


def _label(day: date, unit: str) -> str:
    if unit == "day":
        return day.isoformat()
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _bucket_start(day: date, unit: str, like: datetime) -> datetime:
    """Midnight of the day, or of the Monday of its week, in ``like``'s zone."""
    if unit == "week":
        day -= timedelta(days=day.weekday())
    return datetime.combine(day, time(), tzinfo=like.tzinfo)


def outcomes(found: Conversations) -> dict[str, int]:
    """Conversations per outcome, every outcome listed."""
    counts = Counter(row.outcome for row in found.rows)
    return {outcome.value: counts.get(outcome.value, 0) for outcome in RequestOutcome}


def topics(found: Conversations) -> Counter[str]:
    """Conversations per topic."""
    return Counter(row.topic for row in found.rows)


def helpfulness(found: Conversations) -> tuple[ArticleHelp, ...]:
    """Per article shown and answered: helpful vs not, most answered first."""
    helpful: Counter[str] = Counter()
    unhelpful: Counter[str] = Counter()
    for row in found.rows:
        if row.article is None:
            continue
        if row.feedback == HELPFUL:
            helpful[row.article] += 1
        elif row.feedback in UNHELPFUL:
            unhelpful[row.article] += 1
    found_articles = [
        ArticleHelp(article, helpful[article], unhelpful[article])
        for article in helpful.keys() | unhelpful.keys()
    ]
    return tuple(
        sorted(found_articles, key=lambda a: (-(a.helpful + a.unhelpful), -a.helpful, a.article))
    )
