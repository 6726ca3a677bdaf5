"""SLA clocks: acknowledge and resolve targets per priority, counted in working time (business
hours minus holidays, in one time zone) over the segments a ticket spends at each tier."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from types import MappingProxyType
from typing import Final

DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEARCH_LIMIT: Final = timedelta(days=3 * 366)  # how far add() looks for working time
ZERO: Final = timedelta(0)


@dataclass(frozen=True)
class Targets:
    """How long a tier may take to acknowledge and to resolve a ticket of one priority."""

    acknowledge: timedelta
    resolve: timedelta


DEFAULT_TARGETS: Final[Mapping[str, Targets]] = MappingProxyType(
    {
        "P1": Targets(timedelta(minutes=15), timedelta(hours=4)),
        "P2": Targets(timedelta(hours=1), timedelta(hours=8)),
        "P3": Targets(timedelta(hours=4), timedelta(hours=24)),
        "P4": Targets(timedelta(hours=8), timedelta(hours=72)),
    }
)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone")
    return moment.astimezone(UTC)


class Calendar:
    """When SLA clocks run: always (default), or only in business hours outside holidays.

    ``hours`` maps a weekday (0 is Monday) to its local opening and closing time; an end of
    ``time.max`` means midnight at the end of the day (``24:00``). Working time is real elapsed
    time, so a business day that spans a daylight-saving change is an hour shorter or longer.
    """

    def __init__(
        self,
        *,
        hours: Mapping[int, tuple[time, time]] | None = None,
        holidays: Iterable[date] = (),
        zone: tzinfo = UTC,
    ) -> None:
        if hours is not None and not hours:
            raise ValueError("business hours name no day: the clock would never run")
        for weekday, (start, end) in (hours or {}).items():
            if weekday not in range(7) or not start < end:
                raise ValueError(f"weekday {weekday} {start}-{end}: need weekday 0-6, start < end")
        self.hours = None if hours is None else dict(hours)
        self.holidays = frozenset(holidays) if hours is not None else frozenset[date]()
        self.zone = zone

    def __repr__(self) -> str:
        return f"Calendar(hours={self.hours!r}, holidays={len(self.holidays)}, zone={self.zone})"

    @property
    def always(self) -> bool:
        """True when the clock runs around the clock."""
        return self.hours is None

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two moments (zero if end <= start)."""
        start, end = _utc(start), _utc(end)
        if self.hours is None or end <= start:
            return max(end - start, ZERO)
        total = ZERO
        for opens, closes in self._windows(start, end):
            total += max(min(closes, end) - max(opens, start), ZERO)
        return total

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment (in UTC) at which ``duration`` of working time has passed since ``start``."""
        start = _utc(start)
        if duration <= ZERO:
            return start
        if self.hours is None:
            return start + duration
        left = duration
        for opens, closes in self._windows(start, start + SEARCH_LIMIT):
            begin = max(opens, start)
            if begin + left <= closes:
                return begin + left
            left -= max(closes - begin, ZERO)
        raise ValueError(f"no {describe(duration)} of working time within three years of {start}")

    def _windows(self, start: datetime, until: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working hours, in UTC, of each local day from ``start``'s to ``until``'s."""
        day, last = start.astimezone(self.zone).date(), until.astimezone(self.zone).date()
        while day <= last:
            span = (self.hours or {}).get(day.weekday())
            if span is not None and day not in self.holidays:
                opens = datetime.combine(day, span[0], self.zone)
                if span[1] == time.max:  # 24:00: the next day's midnight, exactly
                    closes = datetime.combine(day + timedelta(days=1), time(), self.zone)
                else:
                    closes = datetime.combine(day, span[1], self.zone)
                yield opens.astimezone(UTC), closes.astimezone(UTC)
            day += timedelta(days=1)


ALWAYS: Final[Calendar] = Calendar()


def parse_duration(text: str) -> timedelta:
    """``"15m"``, ``"4h"``, ``"3d"``, ``"90s"``, ``"1h30m"``: a length of time above zero."""
    match = re.fullmatch(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", re.sub(r"\s", "", text))
    if match is None or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration: write e.g. 15m, 4h, 3d or 1h30m")
    days, hours, minutes, seconds = (int(group or 0) for group in match.groups())
    try:
        duration = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:
        raise ValueError(f"{text!r} is too long a duration") from None
    if duration <= ZERO:
        raise ValueError(f"{text!r}: a duration must be longer than zero")
    return duration


def parse_targets(text: str) -> dict[str, Targets]:
    """``"P1=15m/4h, P2=1h/8h"`` over the defaults: acknowledge/resolve per priority."""
    targets = dict(DEFAULT_TARGETS)
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        match = re.fullmatch(r"(P[1-4])\s*=\s*([^/]+)/(.+)", part, re.IGNORECASE)
        if match is None:
            raise ValueError(f"{part!r}: write P1..P4=acknowledge/resolve, e.g. P1=15m/4h")
        try:
            acknowledge, resolve = parse_duration(match[2]), parse_duration(match[3])
        except ValueError as error:
            raise ValueError(f"{part!r}: {error}") from None
        if acknowledge > resolve:
            raise ValueError(f"{part!r}: acknowledge must not take longer than resolve")
        targets[match[1].upper()] = Targets(acknowledge, resolve)
    return targets


def _clock(text: str, *, end: bool) -> time:
    hour, minute = (int(number) for number in text.split(":"))
    if end and (hour, minute) == (24, 0):
        return time.max
    if hour > 23 or minute > 59:
        raise ValueError(f"{text!r} is not a time of day")
    return time(hour, minute)


def _weekdays(text: str) -> list[int]:
    days: list[int] = []
    for spec in text.split(","):
        first, _, last = spec.strip().partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"{spec.strip()!r} is not a day: use {', '.join(DAYS)}")
        if DAYS.index(last or first) < DAYS.index(first):
            raise ValueError(f"{spec.strip()!r} runs backwards: write e.g. mon-fri")
        days += range(DAYS.index(first), DAYS.index(last or first) + 1)
    return days


def parse_hours(text: str) -> dict[int, tuple[time, time]] | None:
    """``"mon-thu 08:00-16:00; fri 08:00-11:30"``: local business hours; ``""`` is 24x7."""
    hours: dict[int, tuple[time, time]] = {}
    for part in filter(None, (piece.strip().lower() for piece in text.split(";"))):
        match = re.fullmatch(r"([a-z,\s-]+?)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})", part)
        if match is None:
            raise ValueError(f"{part!r}: write days HH:MM-HH:MM, e.g. mon-fri 09:00-17:00")
        try:
            span = (_clock(match[2], end=False), _clock(match[3], end=True))
            days = _weekdays(match[1])
        except ValueError as error:
            raise ValueError(f"{part!r}: {error}") from None
        if not span[0] < span[1]:
            raise ValueError(f"{part!r}: the day must start before it ends")
        for day in days:
            if day in hours:
                raise ValueError(f"{part!r}: {DAYS[day]} already has hours")
            hours[day] = span
    return hours or None


def parse_holidays(text: str) -> frozenset[date]:
    """``"2026-12-25, 2027-01-01"``: local dates without working hours."""
    holidays: set[date] = set()
    for piece in filter(None, (piece.strip() for piece in text.split(","))):
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", piece):
                raise ValueError
            holidays.add(date.fromisoformat(piece))
        except ValueError:
            raise ValueError(f"{piece!r} is not a date: write YYYY-MM-DD") from None
    return frozenset(holidays)


def describe(duration: timedelta) -> str:
    """``"15m"``, ``"1h30m"``, ``"2d4h"``, ``"45s"``: compact, seconds only under a minute."""
    if duration < ZERO:
        return "-" + describe(-duration)
    seconds = duration // timedelta(seconds=1)
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    parts = ((minutes // 1440, "d"), (minutes // 60 % 24, "h"), (minutes % 60, "m"))
    return "".join(f"{count}{unit}" for count, unit in parts if count)


@dataclass(frozen=True)
class Segment:
    """A stretch of a ticket's life at one tier: running, or paused (waiting on the requester)."""

    tier: int
    started: datetime
    ended: datetime | None = None  # None: still going
    paused: bool = False


@dataclass(frozen=True)
class SlaPolicy:
    """The targets, the calendar, and which priorities run around the clock regardless."""

    targets: Mapping[str, Targets] = field(default_factory=lambda: dict(DEFAULT_TARGETS))
    calendar: Calendar = ALWAYS
    around_the_clock: frozenset[str] = frozenset({"P1"})  # their clocks ignore business hours
    warn_at: float = 0.8  # fraction of a target at which a warning is due

    def __post_init__(self) -> None:
        if not 0 < self.warn_at <= 1:
            raise ValueError(f"warn_at {self.warn_at}: a fraction above 0 and at most 1")

    def targets_for(self, priority: str) -> Targets:
        """The targets of ``priority``; those of P4 for a priority without its own."""
        return self.targets.get(priority) or self.targets.get("P4") or DEFAULT_TARGETS["P4"]

    def calendar_for(self, priority: str) -> Calendar:
        """The calendar ``priority``'s clocks follow."""
        return ALWAYS if priority in self.around_the_clock else self.calendar

    def spent(
        self, segments: Iterable[Segment], *, tier: int, priority: str, now: datetime
    ) -> timedelta:
        """Working time the ticket has run (not paused) at ``tier``; an open segment counts up
        to now."""
        calendar, now = self.calendar_for(priority), _utc(now)
        return sum(
            (
                calendar.elapsed(segment.started, now if segment.ended is None else segment.ended)
                for segment in segments
                if segment.tier == tier and not segment.paused
            ),
            ZERO,
        )

    def due(
        self,
        segments: Iterable[Segment],
        *,
        tier: int,
        priority: str,
        now: datetime,
        target: timedelta,
    ) -> datetime:
        """When the clock at ``tier`` reaches ``target`` of working time if it runs on from now
        (now itself if it already has)."""
        spent = self.spent(segments, tier=tier, priority=priority, now=now)
        return self.calendar_for(priority).add(now, target - spent)
