"""SLA clocks on a clock the test moves: warnings, breaches, pauses, business hours, closing,
and several sweepers at once."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from handlers.desk import Desk
from handlers.sla import Calendar, SlaPolicy
from models.tables import OutboxMessage, SlaTimer, Ticket
from tests.desk.office import AGENTS, L2, L3, Office, migrate, office
from tests.desk.test_lifecycle import open_vpn_ticket, ticket  # a P3 ticket for Level 2


async def test_unclaimed_is_reminded_at_80_percent_then_escalated(desk: Office) -> None:
    await open_vpn_ticket(desk)  # P3: acknowledge within 4h
    desk.board.new("l2-desk")
    desk.clock.advance(hours=3, minutes=11)
    assert await desk.sweep() == 0
    desk.clock.advance(minutes=1)
    assert await desk.sweep() == 1
    [reminder] = desk.board.new("l2-desk")
    assert reminder.text.startswith(
        "⏰ #1 (P3) VPN keeps disconnecting or is slow: still unclaimed"
    )
    assert reminder.reply.reply_to is None  # a message of its own, so people see it

    desk.clock.advance(minutes=48)
    assert await desk.sweep() == 1
    assert "nobody claimed it within 4h" in desk.board.news("l2-desk")
    assert "escalated to Level 3" in desk.packet(L2, 1).text
    assert "Level 3 · escalated" in desk.packet(L3, 1).text
    assert "Level 3 specialists" in desk.board.news("ana")
    assert await desk.sweep() == 0  # nothing fires twice


async def test_waiting_on_the_requester_stops_the_resolve_clock(desk: Office) -> None:
    await open_vpn_ticket(desk)  # P3: resolve within 24h
    await desk.press("budi", L2, "desk:claim:1")
    desk.clock.advance(hours=10)
    await desk.in_channel("budi", L2, "/ask 1 Can you send a screenshot?")
    desk.clock.advance(days=3)  # Ana is on leave
    assert await desk.sweep() == 0
    await desk.person("ana").say("here it is, the error says TLS handshake failed")
    async with desk.garda.sessions() as session:
        timers = {t.kind: t.due_at for t in (await session.exec(select(SlaTimer))).all()}
    resumed = desk.clock.now
    assert timers["resolve_breach"] == resumed + timedelta(hours=14)  # 24h - 10h used
    assert timers["resolve_warn"] == resumed + timedelta(hours=24 * 0.8 - 10)
    desk.clock.advance(hours=14)
    assert await desk.sweep() == 2  # the warning, then the breach
    assert (await ticket(desk)).tier == 3


async def test_business_hours_and_holidays_move_the_deadlines(
    seeded_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "garda.db"
    shutil.copyfile(seeded_template, path)
    jakarta = ZoneInfo("Asia/Jakarta")
    calendar = Calendar(
        hours={day: (time(9), time(17)) for day in range(5)},
        holidays=[datetime(2026, 11, 30).date()],  # a Monday off
        zone=jakarta,
    )
    desk = Desk({2: L2, 3: L3}, agents=AGENTS, sla=SlaPolicy(calendar=calendar))
    async with office(f"sqlite+aiosqlite:///{path}", desk=desk) as ready:
        ready.clock.now = datetime(2026, 11, 27, 16, 30, tzinfo=jakarta).astimezone(UTC)  # Fri
        await open_vpn_ticket(ready)  # P3: acknowledge within 4 working hours
        async with ready.garda.sessions() as session:
            timers = {t.kind: t.due_at for t in (await session.exec(select(SlaTimer))).all()}
        # 30 minutes on Friday, Monday off, then 3.5 hours on Tuesday
        assert timers["ack_breach"] == datetime(2026, 12, 1, 12, 30, tzinfo=jakarta)
        assert "acknowledge by 2026-12-01 05:30 UTC" in ready.packet(L2, 1).text


async def test_a_resolved_ticket_nobody_answers_closes_after_three_days(desk: Office) -> None:
    await open_vpn_ticket(desk)
    await desk.in_channel("budi", L2, "/resolve 1 Reset the VPN profile")
    desk.board.new("ana")
    desk.clock.advance(days=2, hours=23)
    assert await desk.sweep() == 0
    desk.clock.advance(hours=1)
    assert await desk.sweep() == 1
    assert (await ticket(desk)).status == "closed"
    assert "closed, as we didn't hear back from you in 3 days" in desk.board.news("ana")


async def test_a_ping_waits_out_a_platform_outage_and_arrives_once(desk: Office) -> None:
    await open_vpn_ticket(desk)
    desk.board.new("l2-desk")
    desk.clock.advance(hours=3, minutes=12)
    desk.board.failures = 3
    await desk.sweep()  # fired; the first delivery fails
    assert desk.board.new("l2-desk") == []
    for _ in range(6):  # the outbox retries with back-off as time passes
        desk.clock.advance(minutes=1)
        await desk.deliver()
    reminders = [p for p in desk.board.new("l2-desk") if p.text.startswith("⏰")]
    assert len(reminders) == 1


async def test_two_sweepers_at_once_ping_once(either_url: str) -> None:
    await migrate(either_url)
    async with office(either_url) as first, office(either_url) as second:
        second.clock = first.clock
        second.garda.dispatcher.clock = first.clock
        for _ in range(3):
            await open_vpn_ticket_for(first)
        first.clock.advance(hours=3, minutes=12)
        fired = await asyncio.gather(
            first.garda.dispatcher.sweep(), second.garda.dispatcher.sweep()
        )
        assert sum(fired) == 3
        async with first.garda.sessions() as session:
            pings = (await session.exec(select(OutboxMessage))).all()
            tickets = (await session.exec(select(Ticket))).all()
        assert len([m for m in pings if m.key.endswith(":ping")]) == 3
        assert len(tickets) == 3


async def open_vpn_ticket_for(desk: Office) -> None:
    """Like open_vpn_ticket, for a new requester each time (tickets may already exist)."""
    async with desk.garda.sessions() as session:
        count = len((await session.exec(select(Ticket))).all())
    person = desk.person(f"requester{count}")
    await person.say("my vpn keeps disconnecting every few minutes")
    await person.press("not_solved")
    while "Who is affected" not in person.text:
        await person.press("skip")
    await person.press("impact:medium")
    await person.press("urgency:medium")
