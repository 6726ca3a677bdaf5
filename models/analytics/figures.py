"""The support figures as values: what the report, the HTML page and /stats show.

Every share keeps its numerator and denominator (:class:`Rate`), so that a reader can check
it and an empty period reads "no data" instead of dividing by zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

RETURN_WINDOW = timedelta(days=7)  # a new conversation on the same topic this soon: not deflected
DAILY_UP_TO = timedelta(days=14)  # periods this short get a trend per day, longer per ISO week
GARDA_ACTOR = "garda"  # the actor of what Garda does itself (handlers.escalation.SYSTEM)


@dataclass(frozen=True)
class Rate:
    """``part`` of ``whole``; its value is None when ``whole`` is 0 (no data)."""

    part: int
    whole: int

    @property
    def value(self) -> float | None:
        """The share between 0 and 1, or None without data."""
        return self.part / self.whole if self.whole else None


@dataclass(frozen=True)
class Deflection:
    """Support conversations Level I closed for good, out of all of them."""

    conversations: int  # ended in the period
    resolved: int  # of those, ended solved or fixed
    returned: int  # of the resolved, followed by a return on the same topic within 7 days

    @property
    def rate(self) -> Rate:
        """(resolved - returned) ÷ conversations."""
        return Rate(self.resolved - self.returned, self.conversations)


@dataclass(frozen=True)
class TrendPoint:
    """One day or ISO week of the period: its conversations and their deflection."""

    label: str  # 2026-11-23, or 2026-W48
    start: datetime
    deflection: Deflection


@dataclass(frozen=True)
class ActionFigures:
    """One self-service action's attempts and how they ended."""

    action: str
    outcomes: Mapping[str, int]  # an Outcome value -> attempts that ended so

    @property
    def attempts(self) -> int:
        """Every attempt, whatever its outcome."""
        return sum(self.outcomes.values())

    @property
    def success(self) -> Rate:
        """done ÷ the attempts that ran (done, nothing, not_found, failed)."""
        ran = sum(self.outcomes.get(outcome, 0) for outcome in RAN)
        return Rate(self.outcomes.get("done", 0), ran)

    def count(self, outcome: str) -> int:
        """Attempts that ended with ``outcome``."""
        return self.outcomes.get(outcome, 0)


# Outcomes of an attempt that reached the backend: the ones a success rate is judged on.
# refused / limited / cancelled stopped before it (a rail, a rate limit, the user).
RAN = ("done", "nothing", "not_found", "failed")
STOPPED = ("refused", "limited", "cancelled")


@dataclass(frozen=True)
class Timings:
    """How long one tier took for tickets of one priority, and how many are still waiting."""

    tier: int
    priority: str
    durations: tuple[timedelta, ...]  # sorted, shortest first
    pending: int = 0  # not answered (or not resolved) yet

    @property
    def count(self) -> int:
        """Tickets measured."""
        return len(self.durations)

    @property
    def median(self) -> timedelta | None:
        """The middle duration (the mean of the two middle ones for an even count)."""
        return median(self.durations)

    @property
    def p90(self) -> timedelta | None:
        """The 90th percentile, nearest rank: the shortest duration ≥ 90% of them."""
        return percentile(self.durations, 90)


@dataclass(frozen=True)
class SlaCompliance:
    """Of the tickets that reached a tier, those that breached none of its SLA targets."""

    tier: int
    reached: int
    ack_breached: int
    resolve_breached: int
    breached: int  # with either breach (a ticket may have both)

    @property
    def met(self) -> Rate:
        """(reached - breached) ÷ reached."""
        return Rate(self.reached - self.breached, self.reached)


@dataclass(frozen=True)
class TopicCount:
    """How often a topic came up: support conversations and tickets."""

    topic: str
    conversations: int
    tickets: int


@dataclass(frozen=True)
class ArticleHelp:
    """Answers to "did it help?" after an article was shown."""

    article: str
    helpful: int  # feedback solved
    unhelpful: int  # feedback not_solved or human

    @property
    def share(self) -> Rate:
        """helpful ÷ (helpful + unhelpful)."""
        return Rate(self.helpful, self.helpful + self.unhelpful)


@dataclass(frozen=True)
class Figures:
    """Every support figure of one period, ``start`` ≤ t < ``end``."""

    start: datetime
    end: datetime
    outcomes: Mapping[str, int]  # support conversations by RequestOutcome
    deflection: Deflection
    trend_unit: Literal["day", "week"]
    trend: tuple[TrendPoint, ...]
    self_service: tuple[ActionFigures, ...]
    tickets: int  # opened in the period
    first_response: tuple[Timings, ...]
    resolution: tuple[Timings, ...]
    sla: tuple[SlaCompliance, ...]
    topics: tuple[TopicCount, ...]
    articles: tuple[ArticleHelp, ...]

    @property
    def conversations(self) -> int:
        """Support conversations that ended in the period."""
        return self.deflection.conversations

    @property
    def days(self) -> int:
        """The period's length in whole days (rounded up)."""
        return math.ceil((self.end - self.start) / timedelta(days=1))


def period(*, days: int, now: datetime) -> tuple[datetime, datetime]:
    """The ``days`` days ending at ``now``: (start, end)."""
    return now - timedelta(days=days), now


def median(values: Sequence[timedelta]) -> timedelta | None:
    """The median of sorted ``values``; None for none."""
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2


def percentile(values: Sequence[timedelta], rank: int) -> timedelta | None:
    """The nearest-rank ``rank``-th percentile of sorted ``values``; None for none."""
    if not values:
        return None
    return values[math.ceil(rank / 100 * len(values)) - 1]
