"""Every published support figure, checked against numbers worked out by hand.

One small history is seeded at exact times (see ``seed``); each test says how its figure
follows from it. The period is the 30 days ending NOW: 2026-10-31 12:00 ≤ t < 2026-11-30
12:00 UTC. Runs on SQLite and, when ``GARDA_TEST_POSTGRES_URL`` is set, on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.escalation import SYSTEM
from models.analytics import Figures, Timings, period, support_figures
from models.analytics.figures import GARDA_ACTOR
from models.db import SessionFactory, make_engine, make_sessions
from models.migrate import upgrade
from models.tables import AuditRecord, Person, SupportRequest, Ticket, TicketEvent

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # a Monday
START, END = period(days=30, now=NOW)


def at(day: int, hour: int, minute: int = 0, *, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def minutes(count: float) -> timedelta:
    return timedelta(minutes=count)


@pytest.fixture
async def sessions(either_url: str) -> AsyncIterator[SessionFactory]:
    engine = make_engine(either_url)
    await upgrade(engine)
    try:
        yield make_sessions(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def figures(sessions: SessionFactory) -> Figures:
    await seed(sessions)
    return await figures_between(sessions, START, END)


async def figures_between(sessions: SessionFactory, start: datetime, end: datetime) -> Figures:
    async with sessions() as session:
        return await support_figures(session, start=start, end=end)


async def seed(sessions: SessionFactory) -> None:
    """Five people, 12 support conversations, 7 tickets with their events, 14 attempts."""
    async with sessions() as session, session.begin():
        people = {name: Person(display_name=name.title()) for name in PEOPLE}
        session.add_all(people.values())
        await session.flush()
        ids = {name: person.id or 0 for name, person in people.items()}
        for name, topic, outcome, started, ended, article, feedback in CONVERSATIONS:
            session.add(
                SupportRequest(
                    user_key=f"console:{name}", person_id=ids[name], started_at=started,
                    ended_at=ended, outcome=outcome, topic=topic, article=article,
                    feedback=feedback,
                )
            )  # fmt: skip
        for number, (name, topic, priority, tier, created, events) in TICKETS.items():
            ticket = Ticket(
                id=number, requester_id=ids[name], requester_key=f"console:{name}",
                subject=topic, topic=topic, impact="medium", urgency="medium",
                priority=priority, tier=tier, created_at=created,
            )  # fmt: skip
            session.add(ticket)
            await session.flush()
            session.add(TicketEvent(ticket_id=number, actor=f"console:{name}", kind="created",
                                    created_at=created))  # fmt: skip
            for when, actor, kind, detail in events:
                session.add(TicketEvent(ticket_id=number, actor=actor, kind=kind, detail=detail,
                                        created_at=when))  # fmt: skip
        for action, outcome, times, when in ATTEMPTS:
            for _ in range(times):
                session.add(AuditRecord(actor="console:ana", action=action, outcome=outcome,
                                        created_at=when))  # fmt: skip


PEOPLE = ("ana", "budi", "cici", "dedi", "eka")

# (who, topic, outcome, started, ended, last article shown, feedback)
CONVERSATIONS = [
    # 1 solved; ana is back on vpn 3 days later (#2): a return, not deflected
    ("ana", "vpn", "solved", at(10, 9, 50), at(10, 10), "vpn-setup", "solved"),
    # 2 a ticket (#1 below)
    ("ana", "vpn", "ticket", at(13, 10), at(13, 10, 20), "vpn-setup", "not_solved"),
    # 3 fixed; budi's next password_reset starts 8 days 1 hour later (#4): deflected
    ("budi", "password_reset", "fixed", at(12, 8, 50), at(12, 9), "password-reset", None),
    # 4 solved, nothing after it: deflected
    ("budi", "password_reset", "solved", at(20, 10), at(20, 10, 5), "password-reset", "solved"),
    # 5 solved; cici comes back next day on another topic (#6), eka on wifi (#11): deflected
    ("cici", "wifi", "solved", at(15, 10), at(15, 10, 10), "wifi-connect", "solved"),
    # 6 dropped, no answer to "did it help?"
    ("cici", "printer", "dropped", at(16, 9), at(16, 9, 5), "printer-jam", None),
    # 7 solved; dedi is back on email exactly 7 days later (#8): a return, not deflected
    ("dedi", "email", "solved", at(18, 12), at(18, 12), "email-setup", "solved"),
    # 8 a ticket (#2)
    ("dedi", "email", "ticket", at(25, 12), at(25, 12, 30), "email-setup", "not_solved"),
    # 9 fixed by self-service: deflected
    ("dedi", "account_locked", "fixed", at(27, 9), at(27, 9, 5), None, None),
    # 10 a ticket (#3); "human": the article did not help
    ("eka", "vpn", "ticket", at(26, 9, 45), at(26, 10), "vpn-setup", "human"),
    # 11 dropped
    ("eka", "wifi", "dropped", at(17, 9), at(17, 9, 2), None, None),
    # before the period: counted nowhere
    ("eka", "vpn", "solved", at(20, 9, month=10), at(20, 9, 5, month=10), "vpn-setup", "solved"),
]

BUDI, SARI = "console:budi", "console:sari"  # agents at Level 2 and 3
Event = tuple[datetime, str, str, dict[str, Any]]
# number -> (requester, topic, priority, tier now, opened, [(when, actor, kind, detail)]),
# one event a line: it reads like the ticket's history
# fmt: off
TICKETS: dict[int, tuple[str, str, str, int, datetime, list[Event]]] = {
    1: ("ana", "vpn", "P2", 3, at(13, 10, 20), [
        (at(13, 10, 50), BUDI, "claimed", {"tier": 2}),  # L2 answers in 30m
        (at(13, 11), BUDI, "asked", {"text": "which client?"}),
        (at(13, 11, 30), "console:ana", "requester_replied", {"text": "the new one"}),
        (at(13, 12), BUDI, "escalated", {"tier": 3, "reason": "needs L3"}),
        (at(13, 14), SARI, "claimed", {"tier": 3}),  # L3 answers in 2h
        (at(13, 16), SYSTEM, "sla_resolve_breach", {"tier": 3, "target": "4h"}),
        (at(13, 16, 20), SARI, "resolved", {"note": "new profile"}),  # resolved in 6h, at L3
        (at(13, 17), "console:ana", "closed", {"confirmed": True}),
    ]),
    2: ("dedi", "email", "P3", 3, at(25, 12, 30), [
        (at(25, 13), "console:dedi", "requester_replied", {"text": "hi"}),  # not an agent
        (at(25, 15, 42), SYSTEM, "sla_ack_warn", {"tier": 2, "target": "4h"}),
        (at(25, 16, 30), SYSTEM, "sla_ack_breach", {"tier": 2, "target": "4h"}),
        (at(25, 16, 30), SYSTEM, "escalated", {"tier": 3, "reason": "breach"}),  # L2 never did
        (at(25, 17, 30), SARI, "replied", {"text": "on it"}),  # L3 answers in 1h
        (at(26, 12, 30), SARI, "resolved", {"note": "quota"}),  # resolved in 24h, at L3
    ]),
    3: ("eka", "vpn", "P2", 3, at(26, 10), [
        (at(26, 10, 5), BUDI, "note", {"text": "internal"}),  # a note is no answer
        (at(26, 11, 30), BUDI, "replied", {"text": "try this"}),  # L2 answers in 90m
        (at(27, 8), SYSTEM, "sla_resolve_warn", {"tier": 2, "target": "1d"}),
        (at(27, 10), SYSTEM, "sla_resolve_breach", {"tier": 2, "target": "1d"}),
        (at(27, 10), SYSTEM, "escalated", {"tier": 3, "reason": "breach"}),
        (at(1, 9, month=12), SARI, "claimed", {"tier": 3}),  # after the period: not seen
    ]),
    4: ("cici", "server_down", "P1", 3, at(28, 8), [  # opened straight at L3
        (at(28, 8, 15), SARI, "claimed", {"tier": 3}),  # L3 answers in 15m
        (at(28, 10, 15), SARI, "resolved", {"note": "restarted"}),  # resolved in 2h15m
    ]),
    5: ("cici", "vpn", "P2", 2, at(29, 9), [
        (at(29, 9, 10), BUDI, "claimed", {"tier": 2}),  # L2 answers in 10m
        (at(29, 13), BUDI, "resolved", {"note": "reset"}),  # resolved in 4h, at L2
        (at(29, 15), "console:cici", "reopened", {"why": "again"}),
        (at(30, 9), BUDI, "resolved", {"note": "for good"}),  # not the first: ignored
    ]),
    6: ("dedi", "printer", "P2", 2, at(29, 10), [
        (at(29, 10, 50), BUDI, "claimed", {"tier": 2}),  # L2 answers in 50m; unresolved
    ]),
    7: ("ana", "vpn", "P2", 2, at(20, 9, month=10), [  # opened before the period
        (at(5, 9), BUDI, "resolved", {"note": "old"}),
    ]),
}
# fmt: on

# (action, outcome, how many, when)
ATTEMPTS = [
    ("password_reset", "done", 3, at(12, 9)),
    ("password_reset", "failed", 1, at(13, 9)),
    ("password_reset", "refused", 1, at(14, 9)),
    ("password_reset", "cancelled", 1, at(15, 9)),
    ("password_reset", "done", 1, at(1, 9, month=10)),  # before the period
    ("account_unlock", "done", 1, at(27, 9)),
    ("account_unlock", "nothing", 1, at(27, 10)),
    ("account_unlock", "not_found", 1, at(27, 11)),
    ("account_unlock", "limited", 2, at(27, 12)),
    ("ip_unblock", "refused", 2, at(28, 9)),
]


def test_garda_actor_is_the_escalation_modules() -> None:
    assert GARDA_ACTOR == SYSTEM


async def test_deflection(figures: Figures) -> None:
    # 11 conversations ended in the period (the October one did not).
    # Resolved: solved #1 #4 #5 #7 + fixed #3 #9 = 6.
    # Returns: #1 (ana, vpn, 3 days later) and #7 (dedi, email, exactly 7 days later) = 2.
    # Not returns: #3 (8 days 1 hour later), #5 (cici on printer; eka on wifi is someone else).
    # Deflected: 6 - 2 = 4 -> 4/11 = 36.4%
    d = figures.deflection
    assert (d.conversations, d.resolved, d.returned) == (11, 6, 2)
    assert (d.rate.part, d.rate.whole) == (4, 11)
    assert d.rate.value == pytest.approx(0.3636, abs=1e-4)
    # solved 4, fixed 2, ticket #2 #8 #10 = 3, dropped #6 #11 = 2
    assert figures.outcomes == {"solved": 4, "fixed": 2, "ticket": 3, "dropped": 2}


async def test_a_return_after_the_period_still_counts(sessions: SessionFactory) -> None:
    # 2026-11-06 00:00 ≤ t < 2026-11-20 00:00: #1 #3 #2 #5 #6 #11 #7 = 7 conversations.
    # Resolved #1 #3 #5 #7 = 4; #1 returned (#2); #7 returned by #8, which started on the
    # 25th, after this period's end -> 4 - 2 = 2 deflected: 2/7.
    await seed(sessions)
    found = await figures_between(sessions, at(6, 0), at(20, 0))
    assert (found.deflection.rate.part, found.deflection.rate.whole) == (2, 7)


async def test_trend_per_iso_week(figures: Figures) -> None:
    # 30 days from Saturday Oct 31: weeks 44 (Oct 31-Nov 1) to 49 (Monday Nov 30 morning).
    # W46 (9-15): #1 returned, #3 deflected, #2 ticket, #5 deflected -> 4, 2/4
    # W47 (16-22): #6, #11 dropped, #7 returned, #4 deflected      -> 4, 1/4
    # W48 (23-29): #8, #10 tickets, #9 deflected                   -> 3, 1/3
    assert figures.trend_unit == "week"
    rows = {p.label: (p.deflection.rate.part, p.deflection.rate.whole) for p in figures.trend}
    assert rows == {
        "2026-W44": (0, 0),
        "2026-W45": (0, 0),
        "2026-W46": (2, 4),
        "2026-W47": (1, 4),
        "2026-W48": (1, 3),
        "2026-W49": (0, 0),
    }
    assert figures.trend[0].start == START and figures.trend[1].start == at(2, 0)
    assert figures.trend[0].deflection.rate.value is None  # no data, not 0%


async def test_trend_per_day_for_a_short_period(sessions: SessionFactory) -> None:
    # 7 days ending NOW: Nov 23 12:00 to Nov 30 12:00 -> 8 calendar days, 23 to 30.
    # #8 on the 25th (ticket), #10 on the 26th (ticket), #9 on the 27th (fixed): 1/3.
    await seed(sessions)
    found = await figures_between(sessions, *period(days=7, now=NOW))
    assert found.trend_unit == "day"
    assert [p.label for p in found.trend] == [f"2026-11-{day}" for day in range(23, 31)]
    counts = {p.label[-2:]: (p.deflection.rate.part, p.deflection.conversations)
              for p in found.trend if p.deflection.conversations}  # fmt: skip
    assert counts == {"25": (0, 1), "26": (0, 1), "27": (1, 1)}
    assert (found.deflection.rate.part, found.deflection.rate.whole) == (1, 3)


async def test_self_service_per_action(figures: Figures) -> None:
    # password_reset: 3 done + 1 failed ran (4), 1 refused + 1 cancelled stopped: 6 attempts,
    #   3/4 = 75% (the October attempt is outside the period)
    # account_unlock: done + nothing + not_found ran (3), 2 limited: 5 attempts, 1/3
    # ip_unblock: 2 refused, none ran: no rate
    rows = {
        a.action: (a.attempts, a.success.part, a.success.whole, a.count("refused"),
                   a.count("limited"), a.count("cancelled"))
        for a in figures.self_service
    }  # fmt: skip
    assert rows == {
        "password_reset": (6, 3, 4, 1, 0, 1),
        "account_unlock": (5, 1, 3, 0, 2, 0),
        "ip_unblock": (2, 0, 0, 2, 0, 0),
    }
    assert [a.action for a in figures.self_service] == [
        "password_reset", "account_unlock", "ip_unblock"
    ]  # fmt: skip
    assert figures.self_service[2].success.value is None


def timing(t: Timings) -> tuple[int, timedelta | None, timedelta | None, int]:
    return t.count, t.median, t.p90, t.pending


async def test_time_to_first_response(figures: Figures) -> None:
    # L2 P2: #1 30m, #3 90m, #5 10m, #6 50m -> 10 30 50 90: median (30+50)/2 = 40m,
    #   p90 = the ceil(0.9*4) = 4th = 90m
    # L2 P3: #2 was never answered at L2 (dedi's own reply does not count) -> 1 waiting
    # L3 P1: #4 15m.   L3 P2: #1 2h; #3 waiting (Sari's claim is after the period).
    # L3 P3: #2 escalated 16:30, Sari replied 17:30 -> 1h
    rows = {(t.tier, t.priority): timing(t) for t in figures.first_response}
    assert rows == {
        (2, "P2"): (4, minutes(40), minutes(90), 0),
        (2, "P3"): (0, None, None, 1),
        (3, "P1"): (1, minutes(15), minutes(15), 0),
        (3, "P2"): (1, minutes(120), minutes(120), 1),
        (3, "P3"): (1, minutes(60), minutes(60), 0),
    }


async def test_time_to_resolution(figures: Figures) -> None:
    # #1 opened 10:20, resolved 16:20 at L3 -> 6h.  #2 12:30 -> next day 12:30 at L3 -> 24h.
    # #4 8:00 -> 10:15 at L3 -> 2h15m.  #5 9:00 -> 13:00 at L2 -> 4h (the second resolve after
    # a reopen does not count).  Unresolved: #3 (now L3, P2), #6 (L2, P2).
    rows = {(t.tier, t.priority): timing(t) for t in figures.resolution}
    assert rows == {
        (2, "P2"): (1, minutes(240), minutes(240), 1),
        (3, "P1"): (1, minutes(135), minutes(135), 0),
        (3, "P2"): (1, minutes(360), minutes(360), 1),
        (3, "P3"): (1, minutes(1440), minutes(1440), 0),
    }
    assert figures.tickets == 6  # #1-#6; #7 was opened in October


async def test_sla_compliance_per_tier(figures: Figures) -> None:
    # L2 reached by #1 #2 #3 #5 #6 = 5; #2 breached ack, #3 breached resolve (warnings do not
    #   count) -> 3/5 = 60%.
    # L3 reached by #1 #2 #3 #4 = 4; #1 breached resolve at L3 -> 3/4 = 75%.
    rows = {
        s.tier: (s.reached, s.ack_breached, s.resolve_breached, s.met.part) for s in figures.sla
    }
    assert rows == {2: (5, 1, 1, 3), 3: (4, 0, 1, 3)}
    assert figures.sla[0].met.value == pytest.approx(0.6)


async def test_tickets_as_they_were_at_the_end_of_an_earlier_period(
    sessions: SessionFactory,
) -> None:
    # Nov 20 00:00 to Nov 27 09:00: tickets #2 and #3. #3 was escalated at 10:00, after the
    # end, so it is still at L2 then, although it is at L3 now.
    # First response: L2 P2 #3 90m; L2 P3 #2 waiting; L3 P3 #2 1h.
    # Resolution: #2 24h at L3; #3 unresolved at L2.  SLA: L2 1/2 (#2's ack breach), L3 1/1.
    await seed(sessions)
    found = await figures_between(sessions, at(20, 0), at(27, 9))
    assert {(t.tier, t.priority): timing(t) for t in found.first_response} == {
        (2, "P2"): (1, minutes(90), minutes(90), 0),
        (2, "P3"): (0, None, None, 1),
        (3, "P3"): (1, minutes(60), minutes(60), 0),
    }
    assert {(t.tier, t.priority): timing(t) for t in found.resolution} == {
        (2, "P2"): (0, None, None, 1),
        (3, "P3"): (1, minutes(1440), minutes(1440), 0),
    }
    assert [(s.tier, s.reached, s.met.part) for s in found.sla] == [(2, 2, 1), (3, 1, 1)]


async def test_top_topics(figures: Figures) -> None:
    # conversations: vpn 3, email 2, password_reset 2, wifi 2, printer 1, account_locked 1
    # tickets opened: vpn #1 #3 #5, email #2, server_down #4, printer #6
    # most conversations first, then most tickets, then by name
    rows = [(t.topic, t.conversations, t.tickets) for t in figures.topics]
    assert rows == [
        ("vpn", 3, 3),
        ("email", 2, 1),
        ("password_reset", 2, 0),
        ("wifi", 2, 0),
        ("printer", 1, 1),
        ("account_locked", 1, 0),
        ("server_down", 0, 1),
    ]


async def test_article_helpfulness(figures: Figures) -> None:
    # vpn-setup: solved (#1), not_solved (#2), human (#10) -> 1 of 3
    # email-setup: solved (#7), not_solved (#8) -> 1 of 2
    # password-reset: solved (#4; #3 had no answer) -> 1 of 1;  wifi-connect (#5) -> 1 of 1
    # printer-jam (#6): shown, never answered -> not listed
    rows = [(a.article, a.helpful, a.unhelpful) for a in figures.articles]
    assert rows == [
        ("vpn-setup", 1, 2),
        ("email-setup", 1, 1),
        ("password-reset", 1, 0),
        ("wifi-connect", 1, 0),
    ]
    assert figures.articles[0].share.value == pytest.approx(1 / 3)


async def test_an_empty_period_is_no_data(sessions: SessionFactory) -> None:
    await seed(sessions)
    empty = await figures_between(sessions, *period(days=30, now=at(1, 0, month=6)))
    assert empty.conversations == 0 and empty.tickets == 0
    assert empty.deflection.rate.value is None
    assert all(point.deflection.rate.value is None for point in empty.trend)
    assert len(empty.trend) == 5  # May 2 to June 1: ISO weeks 18 to 22
    for figure in (empty.self_service, empty.first_response, empty.resolution, empty.sla):
        assert figure == ()
    assert empty.topics == () and empty.articles == ()
    assert empty.outcomes == {"solved": 0, "fixed": 0, "ticket": 0, "dropped": 0}


def test_percentiles_by_hand() -> None:
    def t(*mins: int) -> Timings:
        return Timings(2, "P2", tuple(minutes(m) for m in sorted(mins)))

    assert timing(t()) == (0, None, None, 0)
    assert (t(7).median, t(7).p90) == (minutes(7), minutes(7))
    # 1..10: median (5+6)/2 = 5.5; p90 = the 9th value
    ten = t(*range(1, 11))
    assert (ten.median, ten.p90) == (minutes(5.5), minutes(9))
    # 1..11: median the 6th; p90 = the ceil(9.9) = 10th
    eleven = t(*range(1, 12))
    assert (eleven.median, eleven.p90) == (minutes(6), minutes(10))
