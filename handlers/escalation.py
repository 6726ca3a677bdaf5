"""A ticket's life after Level I: its packet in the support channel, its owner and tier, what
agent and requester say to each other, and its SLA clocks.

Every change is a ticket event, and every message it causes (to a support channel or to the
requester) goes into the outbox in the same transaction: it is delivered once the change is
committed, and only then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.desk import DESK_CHOICE, Desk, private_target
from handlers.desk import LANG as DESK_LANG
from handlers.i18n import Catalogue, Texts
from handlers.messages import Choice, Reply, reply_to_json
from handlers.sla import Segment, describe
from handlers.text import shorten
from models.queries import add_ticket_event, enqueue
from models.tables import Person, SlaTimer, Ticket, TicketEvent, TicketSegment, TicketStatus

SYSTEM = "garda"  # the actor of what Garda does by itself (SLA breaches, closing)
TOP_TIER = 3
DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
UNOWNED = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.ESCALATED)
PACKET_DESCRIPTION = 600  # characters of the requester's words in the packet
CLOSE_TIER = 0  # the close timer belongs to the ticket, not to a tier


@dataclass(frozen=True)
class Actor:
    """Whoever changes a ticket: an agent (by user key), the requester, or Garda."""

    key: str
    name: str
    tier: int = 0


GARDA = Actor(SYSTEM, "Garda")


def desk_choice(action: str, number: int | None) -> str:
    """The id of a ticket button: ``desk:claim:12``."""
    return f"{DESK_CHOICE}{action}:{number}"


class Tickets:
    """Changes tickets within one transaction and queues what each change must tell whom."""

    def __init__(
        self, session: AsyncSession, *, desk: Desk, catalogue: Catalogue, now: datetime
    ) -> None:
        self.session = session
        self.desk = desk
        self.catalogue = catalogue
        self.now = now
        self.t: Texts = catalogue.texts(DESK_LANG)
        self.queued = 0  # messages put in the outbox

    async def find(self, number: int) -> Ticket | None:
        """Ticket ``number``, locked until the transaction ends."""
        statement = select(Ticket).where(Ticket.id == number).with_for_update()
        return (await self.session.exec(statement)).first()

    # The life of a ticket

    async def opened(self, ticket: Ticket, *, since: datetime) -> None:
        """A new ticket: Level I's time on it, its tier's clocks, its packet."""
        assert ticket.id is not None
        self.session.add(
            TicketSegment(
                ticket_id=ticket.id, tier=1, started_at=min(since, self.now), ended_at=self.now
            )
        )
        await self._segment(ticket, paused=False)
        await self._schedule(ticket)
        await self._post_packet(ticket)

    async def claim(self, ticket: Ticket, agent: Actor) -> None:
        """``agent`` owns the ticket now; the requester is told who took it."""
        ticket.assignee, ticket.assignee_name = agent.key, agent.name
        ticket.acknowledged_at = ticket.acknowledged_at or self.now
        if ticket.status in UNOWNED:
            ticket.status = TicketStatus.IN_PROGRESS
        event = await self._event(ticket, agent, "claimed", {"tier": ticket.tier})
        await self._schedule(ticket)
        await self._tell_channel(ticket, event, "desk.claimed", agent=agent.name)
        await self._tell_requester(ticket, event, "relay.taken", agent=agent.name, tier=ticket.tier)
        await self._refresh(ticket, event)

    async def escalate(self, ticket: Ticket, actor: Actor, reason: str) -> None:
        """Up one tier: a new packet in that tier's channel, with its own clocks."""
        ticket.tier += 1
        ticket.assignee, ticket.assignee_name = None, ""
        ticket.status = TicketStatus.ESCALATED
        event = await self._event(
            ticket, actor, "escalated", {"tier": ticket.tier, "reason": reason}
        )
        await self._segment(ticket, paused=False)
        await self._schedule(ticket)
        await self._refresh(ticket, event, below=ticket.tier)
        await self._post_packet(ticket)
        await self._tell_channel(
            ticket,
            event,
            "desk.escalated",
            actor=actor.name,
            tier=ticket.tier,
            reason=reason or "-",
        )
        await self._tell_requester(ticket, event, "relay.escalated", tier=ticket.tier)

    async def ask(self, ticket: Ticket, agent: Actor, text: str) -> None:
        """A question for the requester; the clock waits for the answer."""
        await self._own(ticket, agent)
        ticket.status = TicketStatus.WAITING
        ticket.relayed_at = self.now
        event = await self._event(ticket, agent, "asked", {"text": text})
        await self._segment(ticket, paused=True)
        await self._schedule(ticket)
        await self._tell_requester(ticket, event, "relay.question", agent=agent.name, text=text)
        await self._tell_channel(ticket, event, "desk.asked", agent=agent.name, text=text)
        await self._refresh(ticket, event)

    async def reply(self, ticket: Ticket, agent: Actor, text: str, *, echo: bool = True) -> None:
        """A message for the requester; the clock keeps running. ``echo``: repeat it under the
        packet (not when it was written there)."""
        await self._own(ticket, agent)
        ticket.relayed_at = self.now
        event = await self._event(ticket, agent, "replied", {"text": text})
        await self._tell_requester(ticket, event, "relay.message", agent=agent.name, text=text)
        if echo:
            await self._tell_channel(ticket, event, "desk.replied", agent=agent.name, text=text)

    async def note(self, ticket: Ticket, agent: Actor, text: str, *, echo: bool = True) -> None:
        """An internal note: on the ticket and in its thread, never sent to the requester."""
        event = await self._event(ticket, agent, "note", {"text": text})
        if echo:
            await self._tell_channel(ticket, event, "desk.note", agent=agent.name, text=text)

    async def requester_says(self, ticket: Ticket, requester: Actor, text: str) -> None:
        """The requester's words, back on the ticket; an answer restarts a waiting clock."""
        event = await self._event(ticket, requester, "requester_replied", {"text": text})
        if ticket.status == TicketStatus.WAITING:
            ticket.status = TicketStatus.IN_PROGRESS if ticket.assignee else TicketStatus.NEW
            await self._segment(ticket, paused=False)
            await self._schedule(ticket)
            await self._refresh(ticket, event)
        await self._tell_channel(
            ticket, event, "desk.requester_said", requester=requester.name, text=text
        )

    async def resolve(self, ticket: Ticket, agent: Actor, note: str) -> None:
        """Resolved with ``note``; the requester is asked whether it is fixed."""
        if ticket.assignee is None:
            ticket.assignee, ticket.assignee_name = agent.key, agent.name
        ticket.status = TicketStatus.RESOLVED
        ticket.resolution = note
        ticket.resolved_at = self.now
        ticket.relayed_at = self.now
        event = await self._event(ticket, agent, "resolved", {"note": note})
        await self._end_segment(ticket)
        await self._schedule(ticket)
        await self._arm_close(ticket)
        t = self.catalogue.texts(ticket.lang)
        choices = (
            Choice(desk_choice("fixed", ticket.id), t("relay.fixed")),
            Choice(desk_choice("not_fixed", ticket.id), t("relay.not_fixed")),
        )
        await self._tell_requester(
            ticket, event, "relay.resolved", choices=choices, agent=agent.name, note=note
        )
        await self._tell_channel(ticket, event, "desk.resolved", agent=agent.name, note=note)
        await self._refresh(ticket, event)

    async def reopen(self, ticket: Ticket, actor: Actor, why: str) -> None:
        """Open again, with its owner; the clock goes on from where it stopped."""
        by_requester = actor.tier == 0
        ticket.status = TicketStatus.REOPENED
        ticket.resolved_at = ticket.closed_at = None
        event = await self._event(ticket, actor, "reopened", {"why": why})
        await self._segment(ticket, paused=False)
        await self._disarm_close(ticket)
        await self._schedule(ticket)
        await self._tell_channel(ticket, event, "desk.reopened", actor=actor.name, why=why or "-")
        if not by_requester:
            await self._tell_requester(ticket, event, "relay.reopened", agent=actor.name)
        await self._refresh(ticket, event)

    async def close(self, ticket: Ticket, actor: Actor, *, confirmed: bool) -> None:
        """Closed: the requester confirmed the fix, or did not answer in time."""
        ticket.status = TicketStatus.CLOSED
        ticket.closed_at = self.now
        event = await self._event(ticket, actor, "closed", {"confirmed": confirmed})
        await self._end_segment(ticket)
        await self._schedule(ticket)
        await self._disarm_close(ticket)
        if confirmed:
            await self._tell_channel(ticket, event, "desk.confirmed", requester=actor.name)
        else:
            days = self.desk.close_after.days
            await self._tell_channel(ticket, event, "desk.closed_unanswered", days=days)
            await self._tell_requester(ticket, event, "relay.closed", days=days)
        await self._refresh(ticket, event)

    async def fire(self, ticket: Ticket, timer: SlaTimer) -> None:
        """An SLA timer came due: warn at 80%; on a breach, ping and escalate a tier."""
        if timer.kind == "close":
            if ticket.status == TicketStatus.RESOLVED:
                await self.close(ticket, GARDA, confirmed=False)
            return
        if timer.tier != ticket.tier or ticket.status in (*DONE, TicketStatus.WAITING):
            return  # the ticket moved on since the timer was set
        targets = self.desk.sla.targets_for(ticket.priority)
        target = targets.acknowledge if timer.kind.startswith("ack") else targets.resolve
        event = await self._event(
            ticket, GARDA, f"sla_{timer.kind}", {"tier": timer.tier, "target": describe(target)}
        )
        await self._ping(
            ticket,
            event,
            f"desk.sla.{timer.kind}",
            priority=ticket.priority,
            target=describe(target),
            tier=ticket.tier,
            owner=ticket.assignee_name or self.t("desk.nobody"),
        )
        if timer.kind.endswith("breach") and ticket.tier < TOP_TIER:
            reason = self.t(f"desk.sla.reason.{timer.kind}", target=describe(target))
            await self.escalate(ticket, GARDA, reason)

    # What a change tells whom

    async def _event(
        self, ticket: Ticket, actor: Actor, kind: str, detail: dict[str, Any]
    ) -> TicketEvent:
        ticket.updated_at = self.now
        self.session.add(ticket)
        return await add_ticket_event(
            self.session, ticket=ticket, actor=actor.key, kind=kind, detail=detail
        )

    async def _own(self, ticket: Ticket, agent: Actor) -> None:
        """Whoever answers an unowned ticket has taken it."""
        if ticket.assignee is None:
            await self.claim(ticket, agent)

    async def _queue(
        self, key: str, target: str, reply: Reply, *, ticket: Ticket | None, purpose: str
    ) -> None:
        ticket_id = ticket.id if ticket is not None else None
        if await enqueue(
            self.session,
            key=key,
            target=target,
            reply=reply_to_json(reply),
            ticket_id=ticket_id,
            purpose=purpose,
            due_at=self.now,
        ):
            self.queued += 1

    async def _tell_channel(
        self, ticket: Ticket, event: TicketEvent, key: str, **params: object
    ) -> None:
        """A line under the ticket's packet in its tier's channel."""
        channel = self.desk.channel_for(ticket.tier, ticket.topic)
        if channel is not None:
            text = self.t(key, number=ticket.id, **params)
            await self._queue(
                f"t{ticket.id}:e{event.id}:channel",
                str(channel),
                Reply(text),
                ticket=ticket,
                purpose="notice",
            )

    async def _ping(self, ticket: Ticket, event: TicketEvent, key: str, **params: object) -> None:
        """A message of its own in the channel (not in the thread), so that people see it."""
        channel = self.desk.channel_for(ticket.tier, ticket.topic)
        if channel is not None:
            text = self.t(key, number=ticket.id, subject=ticket.subject, **params)
            await self._queue(
                f"t{ticket.id}:e{event.id}:ping",
                str(channel),
                Reply(text),
                ticket=None,
                purpose="notice",
            )

    async def _tell_requester(
        self,
        ticket: Ticket,
        event: TicketEvent,
        key: str,
        *,
        choices: tuple[Choice, ...] = (),
        **params: object,
    ) -> None:
        """A message in the requester's private chat, in their language."""
        if not ticket.requester_key:
            return
        text = self.catalogue.text(ticket.lang, key, number=ticket.id, **params)
        await self._queue(
            f"t{ticket.id}:e{event.id}:requester",
            private_target(ticket.requester_key),
            Reply(text, choices),
            ticket=ticket,
            purpose="notice",
        )

    async def _post_packet(self, ticket: Ticket) -> None:
        """The ticket at a glance, with its buttons, in its tier's channel."""
        channel = self.desk.channel_for(ticket.tier, ticket.topic)
        if channel is not None:
            reply = await self.packet(ticket, tier=ticket.tier)
            await self._queue(
                f"t{ticket.id}:packet:{ticket.tier}",
                str(channel),
                reply,
                ticket=ticket,
                purpose="packet",
            )

    async def _refresh(
        self, ticket: Ticket, event: TicketEvent, *, below: int | None = None
    ) -> None:
        """Re-render the packets already in channels (of tiers under ``below``, if given) to
        show the ticket as it is now."""
        newest: dict[str, int] = {}  # channel -> the highest tier posted there
        for tier in range(2, below or ticket.tier + 1):
            address = self.desk.channel_for(tier, ticket.topic)
            if address is not None:
                newest[str(address)] = tier
        for target, tier in newest.items():
            reply = await self.packet(ticket, tier=tier)
            await self._queue(
                f"t{ticket.id}:e{event.id}:edit:{tier}",
                target,
                reply,
                ticket=ticket,
                purpose="edit",
            )

    async def packet(self, ticket: Ticket, *, tier: int) -> Reply:
        """The packet as the channel of ``tier`` should show it, buttons included."""
        t = self.t
        moved_on = tier < ticket.tier
        status = t(f"ticket.status.{ticket.status}")
        if moved_on:
            status = t("desk.moved_on", tier=ticket.tier)
        tried = [f"{entry['article']} ({entry['score']:.2f})" for entry in ticket.articles]
        tried += [f"{entry['action']} → {entry['outcome']}" for entry in ticket.attempts]
        text = t(
            "desk.packet",
            number=ticket.id,
            subject=ticket.subject,
            priority=ticket.priority,
            priority_name=t(f"priority.{ticket.priority}"),
            tier=ticket.tier,
            status=status,
            requester=await self._requester_name(ticket),
            user=ticket.requester_key or "-",
            topic=ticket.topic,
            description=shorten(ticket.description, PACKET_DESCRIPTION) or "-",
            facts=fact_lines(ticket.facts, t) or t("ticket.no_facts"),
            tried=", ".join(tried) or "-",
            owner=ticket.assignee_name or t("desk.nobody"),
            clock=await self._clock_line(ticket),
        )
        return Reply(text, () if moved_on else self._buttons(ticket))

    def _buttons(self, ticket: Ticket) -> tuple[Choice, ...]:
        number = ticket.id
        status = TicketStatus(ticket.status)
        if status == TicketStatus.CLOSED:
            return ()
        if status == TicketStatus.RESOLVED:
            return (Choice(desk_choice("reopen", number), self.t("desk.button.reopen")),)
        buttons = []
        if ticket.assignee is None:
            buttons.append(Choice(desk_choice("claim", number), self.t("desk.button.claim")))
        if ticket.tier < TOP_TIER:
            label = self.t("desk.button.escalate", tier=ticket.tier + 1)
            buttons.append(Choice(desk_choice("escalate", number), label))
        buttons.append(Choice(desk_choice("ask", number), self.t("desk.button.ask")))
        buttons.append(Choice(desk_choice("resolve", number), self.t("desk.button.resolve")))
        return tuple(buttons)

    async def _requester_name(self, ticket: Ticket) -> str:
        person = await self.session.get(Person, ticket.requester_id)
        return person.display_name if person is not None else "-"

    async def _clock_line(self, ticket: Ticket) -> str:
        """When the current tier must acknowledge and resolve by, in UTC."""
        timers = await self._timers(ticket)
        due = {
            timer.kind: timer.due_at
            for timer in timers
            if timer.tier == ticket.tier and timer.fired_at is None
        }
        parts = []
        for kind, key in (
            ("ack_breach", "desk.clock.ack"),
            ("resolve_breach", "desk.clock.resolve"),
        ):
            if kind in due:
                parts.append(self.t(key, at=f"{due[kind]:%Y-%m-%d %H:%M} UTC"))
        if ticket.status == TicketStatus.WAITING:
            parts.append(self.t("desk.clock.paused"))
        return " · ".join(parts) or "-"

    # Clocks

    async def segments(self, ticket: Ticket) -> list[TicketSegment]:
        """The ticket's segments, oldest first."""
        statement = (
            select(TicketSegment)
            .where(TicketSegment.ticket_id == ticket.id)
            .order_by(col(TicketSegment.id))
        )
        return list((await self.session.exec(statement)).all())

    async def _timers(self, ticket: Ticket) -> list[SlaTimer]:
        statement = select(SlaTimer).where(SlaTimer.ticket_id == ticket.id)
        return list((await self.session.exec(statement)).all())

    async def _end_segment(self, ticket: Ticket) -> None:
        for segment in await self.segments(ticket):
            if segment.ended_at is None:
                segment.ended_at = self.now
                self.session.add(segment)

    async def _segment(self, ticket: Ticket, *, paused: bool) -> None:
        """End the running segment and start one at the ticket's tier."""
        assert ticket.id is not None
        await self._end_segment(ticket)
        self.session.add(
            TicketSegment(ticket_id=ticket.id, tier=ticket.tier, paused=paused, started_at=self.now)
        )
        await self.session.flush()

    async def _schedule(self, ticket: Ticket) -> None:
        """Set the current tier's warning and breach timers from the time it has used so far;
        drop the timers that no longer apply (an owner found, a pause, another tier)."""
        policy = self.desk.sla
        targets = policy.targets_for(ticket.priority)
        running = ticket.status not in (*DONE, TicketStatus.WAITING)
        plan = {}
        if running and ticket.assignee is None:
            plan["ack_warn"] = targets.acknowledge * policy.warn_at
            plan["ack_breach"] = targets.acknowledge
        if running:
            plan["resolve_warn"] = targets.resolve * policy.warn_at
            plan["resolve_breach"] = targets.resolve
        segments = [
            Segment(s.tier, s.started_at, s.ended_at, s.paused) for s in await self.segments(ticket)
        ]

        def due(target: Any) -> datetime:
            return policy.due(
                segments, tier=ticket.tier, priority=ticket.priority, now=self.now, target=target
            )

        for timer in await self._timers(ticket):
            if timer.kind == "close":
                continue
            if timer.fired_at is not None:  # fired once at this tier: never again
                if timer.tier == ticket.tier:
                    plan.pop(timer.kind, None)
                continue
            if timer.tier == ticket.tier and timer.kind in plan:
                timer.due_at = due(plan.pop(timer.kind))
                self.session.add(timer)
            else:
                await self.session.delete(timer)
        assert ticket.id is not None
        for kind, target in plan.items():
            self.session.add(
                SlaTimer(ticket_id=ticket.id, tier=ticket.tier, kind=kind, due_at=due(target))
            )
        await self.session.flush()

    async def _arm_close(self, ticket: Ticket) -> None:
        """Close the ticket after ``desk.close_after`` unless the requester answers first."""
        assert ticket.id is not None
        due = self.now + self.desk.close_after
        for timer in await self._timers(ticket):
            if timer.kind == "close":
                timer.due_at, timer.fired_at = due, None
                self.session.add(timer)
                return
        self.session.add(SlaTimer(ticket_id=ticket.id, tier=CLOSE_TIER, kind="close", due_at=due))

    async def _disarm_close(self, ticket: Ticket) -> None:
        await self.session.exec(
            delete(SlaTimer).where(
                col(SlaTimer.ticket_id) == ticket.id,
                col(SlaTimer.kind) == "close",
                col(SlaTimer.fired_at).is_(None),
            )
        )


def fact_lines(facts: dict[str, str], t: Texts) -> str:
    """The collected facts, one "  • label: value" line each."""
    return "\n".join(f"  • {t(f'fact.{name}.label')}: {value}" for name, value in facts.items())
