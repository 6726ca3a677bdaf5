"""SLA clocks as a helpdesk sees them: business hours, holidays, pauses, tiers, parsing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.sla import (
    ALWAYS,
    DEFAULT_TARGETS,
    Calendar,
    Segment,
    SlaPolicy,
    Targets,
    describe,
    parse_duration,
    parse_holidays,
    parse_hours,
    parse_targets,
)

JAKARTA = ZoneInfo("Asia/Jakarta")
BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = Calendar(hours=parse_hours("mon-fri 09:00-17:00"), zone=JAKARTA)
HOLIDAYS = Calendar(
    hours=parse_hours("mon-fri 09:00-17:00"), holidays=parse_holidays("2026-12-25"), zone=JAKARTA
)


def at(text: str, zone: ZoneInfo = JAKARTA) -> datetime:
    """``"2026-03-27 16:30"`` on the wall clock of ``zone``."""
    return datetime.fromisoformat(text).replace(tzinfo=zone)


# Business hours


def test_a_ticket_opened_late_on_friday_is_due_on_monday_morning() -> None:
    due = OFFICE.add(at("2026-03-27 16:30"), timedelta(hours=1))  # a Friday
    assert due == at("2026-03-30 09:30")
    assert due.tzinfo is UTC


def test_the_weekend_does_not_count() -> None:
    assert OFFICE.elapsed(at("2026-03-27 16:00"), at("2026-03-30 10:00")) == timedelta(hours=2)
    assert OFFICE.elapsed(at("2026-03-28 10:00"), at("2026-03-29 18:00")) == timedelta(0)


def test_time_before_opening_and_after_closing_does_not_count() -> None:
    assert OFFICE.elapsed(at("2026-03-26 06:00"), at("2026-03-26 20:00")) == timedelta(hours=8)
    assert OFFICE.add(at("2026-03-26 06:00"), timedelta(minutes=15)) == at("2026-03-26 09:15")


def test_a_target_met_exactly_at_closing_time_is_due_at_closing_time() -> None:
    assert OFFICE.add(at("2026-03-27 16:00"), timedelta(hours=1)) == at("2026-03-27 17:00")


def test_a_holiday_is_skipped() -> None:
    # Christmas 2026 is a Friday: Thursday's last hour, then Monday.
    assert HOLIDAYS.add(at("2026-12-24 16:00"), timedelta(hours=2)) == at("2026-12-28 10:00")
    assert HOLIDAYS.elapsed(at("2026-12-24 09:00"), at("2026-12-28 09:00")) == timedelta(hours=8)


def test_several_days_of_target_span_several_working_days() -> None:
    # 72 working hours is nine office days.
    assert OFFICE.add(at("2026-03-02 09:00"), timedelta(hours=72)) == at("2026-03-12 17:00")


def test_no_working_time_for_years_is_an_error_not_a_hang() -> None:
    start = date(2026, 1, 1)
    every_day = [start + timedelta(days=n) for n in range(4 * 366)]
    closed = Calendar(hours=parse_hours("mon-fri 09:00-17:00"), holidays=every_day)
    with pytest.raises(ValueError, match="three years"):
        closed.add(datetime(2026, 1, 1, tzinfo=UTC), timedelta(minutes=1))


def test_a_calendar_without_any_hours_is_refused() -> None:
    with pytest.raises(ValueError, match="never run"):
        Calendar(hours={})
    with pytest.raises(ValueError, match="weekday 7"):
        Calendar(hours={7: (time(9), time(17))})


# Around the clock


def test_a_24x7_calendar_is_plain_arithmetic() -> None:
    start = datetime(2026, 3, 27, 16, 30, tzinfo=UTC)
    assert ALWAYS.always
    assert not OFFICE.always
    assert ALWAYS.add(start, timedelta(hours=1)) == datetime(2026, 3, 27, 17, 30, tzinfo=UTC)
    assert ALWAYS.elapsed(start, start + timedelta(days=2)) == timedelta(days=2)
    assert ALWAYS.elapsed(start, start - timedelta(days=2)) == timedelta(0)
    assert ALWAYS.add(start, -timedelta(hours=1)) == start


def test_holidays_do_not_stop_a_24x7_clock() -> None:
    calendar = Calendar(holidays=[date(2026, 12, 25)])
    start = datetime(2026, 12, 25, tzinfo=UTC)
    assert calendar.add(start, timedelta(hours=5)) == start + timedelta(hours=5)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        ALWAYS.add(datetime(2026, 3, 27, 9), timedelta(hours=1))
    with pytest.raises(ValueError, match="no time zone"):
        OFFICE.elapsed(at("2026-03-27 09:00"), datetime(2026, 3, 27, 17))


# Daylight saving time


def test_the_march_change_in_berlin_keeps_wall_clock_answers() -> None:
    office = Calendar(hours=parse_hours("mon-fri 09:00-17:00"), zone=BERLIN)
    friday, monday = at("2026-03-27 16:00", BERLIN), at("2026-03-30 10:00", BERLIN)
    assert office.add(friday, timedelta(hours=2)) == monday
    assert monday == datetime(2026, 3, 30, 8, tzinfo=UTC)  # summer time: UTC+2, Friday was UTC+1
    assert office.elapsed(friday, monday) == timedelta(hours=2)


def test_the_night_the_clocks_go_forward_is_an_hour_short() -> None:
    always_open = Calendar(hours=parse_hours("mon-sun 00:00-24:00"), zone=BERLIN)
    saturday, monday = at("2026-03-28 00:00", BERLIN), at("2026-03-30 00:00", BERLIN)
    assert always_open.elapsed(saturday, monday) == timedelta(hours=47)
    assert always_open.add(saturday, timedelta(hours=47)) == monday


# Segments and policies


def test_only_running_time_at_the_asked_tier_counts() -> None:
    policy = SlaPolicy(calendar=OFFICE)
    segments = [
        Segment(tier=1, started=at("2026-03-30 09:00"), ended=at("2026-03-30 10:00")),
        Segment(tier=1, started=at("2026-03-30 10:00"), ended=at("2026-03-30 13:00"), paused=True),
        Segment(tier=2, started=at("2026-03-30 13:00"), ended=at("2026-03-30 14:00")),
        Segment(tier=1, started=at("2026-03-30 14:00")),  # still going
    ]
    now = at("2026-03-30 14:30")
    assert policy.spent(segments, tier=1, priority="P3", now=now) == timedelta(hours=1, minutes=30)
    assert policy.spent(segments, tier=2, priority="P3", now=now) == timedelta(hours=1)
    assert policy.spent(segments, tier=3, priority="P3", now=now) == timedelta(0)


def test_due_counts_what_is_left_in_working_time() -> None:
    policy = SlaPolicy(calendar=OFFICE)
    segments = [Segment(tier=1, started=at("2026-03-27 13:00"))]  # Friday afternoon
    now = at("2026-03-27 16:00")
    resolve = policy.targets_for("P3").resolve  # 24 working hours: three office days
    assert policy.due(segments, tier=1, priority="P3", now=now, target=resolve) == at(
        "2026-04-01 13:00"
    )


def test_a_clock_already_past_its_target_is_due_now() -> None:
    policy = SlaPolicy(calendar=OFFICE)
    segments = [Segment(tier=1, started=at("2026-03-30 09:00"))]
    now = at("2026-03-30 12:00")
    target = policy.targets_for("P2").acknowledge
    assert policy.due(segments, tier=1, priority="P2", now=now, target=target) == now


def test_p1_runs_around_the_clock_whatever_the_hours() -> None:
    policy = SlaPolicy(calendar=OFFICE)
    segments = [Segment(tier=1, started=at("2026-03-27 22:00"))]  # Friday night
    now = at("2026-03-27 22:05")
    target = policy.targets_for("P1").acknowledge
    assert policy.calendar_for("P1") is ALWAYS
    assert policy.calendar_for("P2") is OFFICE
    assert policy.due(segments, tier=1, priority="P1", now=now, target=target) == at(
        "2026-03-27 22:15"
    )
    assert policy.due(segments, tier=1, priority="P2", now=now, target=target) == at(
        "2026-03-30 09:15"
    )


def test_the_warning_comes_at_warn_at_of_the_target() -> None:
    policy = SlaPolicy(calendar=OFFICE)
    segments = [Segment(tier=1, started=at("2026-03-30 09:00"))]
    target = policy.targets_for("P3").acknowledge  # 4h
    warning = policy.due(
        segments, tier=1, priority="P3", now=segments[0].started, target=target * policy.warn_at
    )
    assert warning == at("2026-03-30 12:12")


def test_an_unknown_priority_gets_the_p4_targets() -> None:
    assert SlaPolicy().targets_for("P9") == DEFAULT_TARGETS["P4"]
    with pytest.raises(ValueError, match="warn_at"):
        SlaPolicy(warn_at=1.5)


# Parsing settings


def test_durations() -> None:
    assert parse_duration("15m") == timedelta(minutes=15)
    assert parse_duration("4h") == timedelta(hours=4)
    assert parse_duration("3d") == timedelta(days=3)
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration(" 1h30m ") == timedelta(hours=1, minutes=30)


@pytest.mark.parametrize("text", ["", "0m", "15", "m", "1.5h", "30m1h", "4 hours", "-1h"])
def test_bad_durations_are_named(text: str) -> None:
    with pytest.raises(ValueError, match=repr(text)):
        parse_duration(text)


def test_targets_override_the_defaults() -> None:
    targets = parse_targets("P1=10m/2h, p3 = 2h/16h")
    assert targets["P1"] == Targets(timedelta(minutes=10), timedelta(hours=2))
    assert targets["P2"] == DEFAULT_TARGETS["P2"]
    assert targets["P3"] == Targets(timedelta(hours=2), timedelta(hours=16))
    assert parse_targets("") == dict(DEFAULT_TARGETS)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("P5=1h/2h", "'P5=1h/2h'"),
        ("P1=15m", "'P1=15m'"),
        ("P1=15m/4h, P2=2h/1h", "'P2=2h/1h'"),
        ("P2=1x/8h", "'1x'"),
    ],
)
def test_bad_targets_name_the_bad_part(text: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        parse_targets(text)


def test_business_hours() -> None:
    week = parse_hours("mon-thu 08:00-16:00; Fri 08:00-11:30")
    assert week == {
        **{day: (time(8), time(16)) for day in range(4)},
        4: (time(8), time(11, 30)),
    }
    assert parse_hours("sat,sun 10:00-24:00") == {5: (time(10), time.max), 6: (time(10), time.max)}
    assert parse_hours("") is None


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("fri-mon 09:00-17:00", "runs backwards"),
        ("mon-fri 17:00-09:00", "start before it ends"),
        ("mon-fri 09:00-25:00", "'25:00'"),
        ("mon-fri 24:00-24:00", "'24:00'"),
        ("monday 09:00-17:00", "'monday'"),
        ("mon-fri 9-17", "'mon-fri 9-17'"),
        ("mon-fri 09:00-17:00; fri 10:00-12:00", "fri already has hours"),
    ],
)
def test_bad_business_hours_name_the_bad_part(text: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        parse_hours(text)


def test_holidays() -> None:
    assert parse_holidays("2026-12-25, 2027-01-01") == {date(2026, 12, 25), date(2027, 1, 1)}
    assert parse_holidays("") == frozenset()
    for bad in ("2026-13-01", "25.12.2026", "20261225"):
        with pytest.raises(ValueError, match=repr(bad)):
            parse_holidays(f"2027-01-01, {bad}")


# Reports


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (timedelta(minutes=15), "15m"),
        (timedelta(hours=4), "4h"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(days=3), "3d"),
        (timedelta(days=2, hours=4), "2d4h"),
        (timedelta(minutes=5, seconds=40), "5m"),
        (timedelta(seconds=45), "45s"),
        (timedelta(0), "0s"),
        (-timedelta(minutes=20), "-20m"),
    ],
)
def test_describe(duration: timedelta, text: str) -> None:
    assert describe(duration) == text


# Properties


@given(
    start=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
    duration=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
)
def test_adding_working_time_then_measuring_it_gives_it_back(
    start: datetime, duration: timedelta
) -> None:
    calendar = Calendar(
        hours=parse_hours("mon-thu 08:00-16:30; fri 08:00-12:00"),
        holidays=parse_holidays("2026-03-30, 2026-12-25"),
        zone=BERLIN,
    )
    end = calendar.add(start, duration)
    assert end >= start
    assert calendar.elapsed(start, end) == duration
