"""A ticket's whole life with three people: Ana asks, Budi (Level 2) and Sari (Level 3) work it."""

from __future__ import annotations

from sqlmodel import col, select

from models.tables import Article, SlaTimer, Ticket, TicketEvent, TicketSegment
from tests.desk.office import L2, L3, Office


async def open_vpn_ticket(desk: Office) -> None:
    ana = desk.person("ana")
    await ana.say("my vpn keeps disconnecting every few minutes")
    await ana.press("not_solved")
    while "Who is affected" not in ana.text:  # the article's facts: not known, skipped
        await ana.press("skip")
    await ana.press("impact:medium")
    assert "ticket #1" in await ana.press("urgency:medium")
    desk.board.new("ana")


async def ticket(desk: Office) -> Ticket:
    async with desk.garda.sessions() as session:
        return (await session.exec(select(Ticket))).one()


async def test_from_the_first_message_to_a_confirmed_fix(desk: Office) -> None:
    ana = desk.person("ana")
    await open_vpn_ticket(desk)

    # The packet reaches Level 2 with everything at a glance, and its buttons.
    packet = desk.packet(L2, 1)
    assert "P3 (medium) · Level 2 · new" in packet.text
    assert "my vpn keeps disconnecting every few minutes" in packet.text
    assert "From: Ana (console:ana)" in packet.text
    assert "Owner: nobody yet · acknowledge by 2026-11-23 13:00 UTC" in packet.text
    assert packet.buttons == ["Claim", "Escalate to L3", "Ask requester", "Resolve"]
    desk.board.new("l2-desk")

    # Budi claims it: Ana hears who took it; the packet shows the owner and loses "Claim".
    assert "#1 is yours" in await desk.press("budi", L2, "desk:claim:1")
    assert "Budi (Level 2 support) is now working on your ticket #1" in desk.board.news("ana")
    [claimed] = desk.board.new("l2-desk")
    assert (claimed.text, claimed.reply.reply_to) == (
        "#1 claimed by Budi.",
        packet.id,
    )  # in its thread
    assert "Owner: Budi" in packet.text
    assert packet.buttons == ["Escalate to L3", "Ask requester", "Resolve"]

    # A question pauses the clock until Ana answers; her answer comes back to the desk.
    await desk.in_channel("budi", L2, "/ask 1 Which VPN client version do you have?")
    assert "Which VPN client version do you have?" in desk.board.news("ana")
    assert (await ticket(desk)).status == "waiting"
    assert "Passed on to Budi on ticket #1" in await ana.say("Version 5.2, on Windows 11")
    assert desk.board.news("l2-desk").endswith("Ana answered: Version 5.2, on Windows 11")
    assert (await ticket(desk)).status == "in_progress"

    # Level 2 cannot fix it: up to Level 3, where Budi may not take it.
    await desk.in_channel("budi", L2, "/escalate 1 needs the VPN concentrator's logs")
    assert "escalated to Level 3" in packet.text and packet.buttons == []
    assert "Level 3 specialists" in desk.board.news("ana")
    l3_packet = desk.packet(L3, 1)
    assert "Level 3 · escalated" in l3_packet.text
    assert "above your tier" in await desk.press("budi", L3, "desk:claim:1")
    assert "#1 is yours" in await desk.press("sari", L3, "desk:claim:1")
    assert "Sari (Level 3 support)" in desk.board.news("ana")

    # Sari writes under the packet: it reaches Ana; "//" keeps a note among agents.
    desk.board.new("l3-desk")
    replies = await desk.in_channel(
        "sari", L3, "Please restart the VPN client once", reply_to=l3_packet.id
    )
    assert [reply.text for reply in replies] == ["✓ Sent to the requester of #1."]
    assert "Sari about ticket #1:\n\nPlease restart the VPN client once" in desk.board.news("ana")
    await desk.in_channel("sari", L3, "// firmware 9.1 drops idle tunnels", reply_to=l3_packet.id)
    await desk.in_channel("sari", L3, "/note 1 known bug, vendor case 4471")
    assert desk.board.news("ana") == ""  # notes never reach the requester

    # Resolved, but not fixed for Ana: "No" reopens it with Sari.
    await desk.in_channel("sari", L3, "/resolve 1 Restarted the tunnel")
    assert "Did this fix it?" in desk.board.news("ana")
    assert "reopened ticket #1" in await ana.press("desk:not_fixed:1")
    assert "#1 reopened by Ana" in desk.board.news("l3-desk")
    assert (await ticket(desk)).status == "reopened"

    # Resolved again; a typed "yes" closes it. The resolution can become a KB draft.
    replies = await desk.in_channel("sari", L3, "/resolve 1 Upgraded the concentrator to 9.2")
    assert [c.id for reply in replies for c in reply.choices] == ["desk:draft:1"]
    assert "Upgraded the concentrator to 9.2" in desk.board.news("ana")
    assert "Ticket #1 is closed" in await ana.say("yes")
    assert (await ticket(desk)).status == "closed"
    assert "Saved draft article ticket-1" in await desk.press("sari", L3, "desk:draft:1")

    async with desk.garda.sessions() as session:
        kinds = (await session.exec(select(TicketEvent.kind).order_by(col(TicketEvent.id)))).all()
        draft = (await session.exec(select(Article).where(Article.slug == "ticket-1"))).one()
    assert kinds == [
        "created", "claimed", "asked", "requester_replied", "escalated", "claimed",
        "replied", "note", "note", "resolved", "reopened", "resolved", "closed",
    ]  # fmt: skip
    assert (draft.draft, draft.enabled) == (True, False)
    assert draft.body == "Upgraded the concentrator to 9.2"
    assert "my vpn keeps disconnecting every few minutes" in draft.symptoms

    # Ana's /ticket shows the history without the internal notes.
    detail = await ana.say("/ticket 1")
    assert "internal note" not in detail and "closed" in detail


async def test_an_employee_cannot_work_tickets(desk: Office) -> None:
    await open_vpn_ticket(desk)
    ana = desk.person("ana")
    assert "Only support agents" in await ana.say("/take 1")
    assert "Only support agents" in await ana.press("desk:claim:1")
    assert "Only support agents" in await ana.say("/queue")
    # a refusal for a button pressed in the channel is for the presser's eyes only
    [refusal] = await desk.in_channel("eko", L2, choice="desk:claim:1")
    assert "Only support agents" in refusal.text and refusal.private
    # and someone else's "Did this fix it?" is not hers to answer
    other = desk.person("eko")
    assert "isn't yours" in await other.press("desk:fixed:1")


async def test_queue_and_mine_show_the_work(desk: Office) -> None:
    await open_vpn_ticket(desk)
    budi = desk.person("budi")
    assert "#1 P3 L2 [new]" in await budi.say("/queue")
    assert "own no open tickets" in await budi.say("/mine")
    await budi.say("/take 1")
    assert "#1 P3 L2 [in progress]" in await budi.say("/mine")
    assert "Budi already has ticket #1" in await desk.person("sari").say("/take 1")
    assert "Write /reply 12" in await budi.say("/reply 1")
    assert "no ticket #99" in await budi.say("/take 99")


async def test_the_ask_button_asks_for_the_question_in_private(desk: Office) -> None:
    await open_vpn_ticket(desk)
    answer = await desk.press("budi", L2, "desk:ask:1")
    assert "What should I ask the requester of ticket #1?" in answer
    budi = desk.person("budi")
    assert "Asked" in await budi.say("Is the VPN icon green or red?")
    assert "Is the VPN icon green or red?" in desk.board.news("ana")


async def test_time_at_each_tier_is_kept_in_segments(desk: Office) -> None:
    await open_vpn_ticket(desk)
    desk.clock.advance(minutes=30)
    await desk.in_channel("budi", L2, "/ask 1 Since when?")
    desk.clock.advance(hours=2)
    await desk.person("ana").say("since this morning")
    desk.clock.advance(minutes=10)
    await desk.in_channel("budi", L2, "/escalate 1")
    async with desk.garda.sessions() as session:
        segments = (await session.exec(select(TicketSegment).order_by(col(TicketSegment.id)))).all()
        timers = (await session.exec(select(SlaTimer))).all()
    spans = [
        (s.tier, s.paused, (s.ended_at - s.started_at) if s.ended_at else None) for s in segments
    ]
    assert [(tier, paused) for tier, paused, _ in spans] == [
        (1, False), (2, False), (2, True), (2, False), (3, False),
    ]  # fmt: skip
    assert [str(span) for _, _, span in spans[1:4]] == ["0:30:00", "2:00:00", "0:10:00"]
    assert {timer.tier for timer in timers if timer.fired_at is None} == {3}
