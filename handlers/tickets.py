"""Tickets from the requester's side: open one, list mine, show one."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers import outcomes
from handlers.errors import UserFacingError
from handlers.escalation import Actor, fact_lines
from handlers.i18n import Texts
from handlers.router import Routes, parse_command
from handlers.states import State
from handlers.text import shorten
from handlers.turn import Turn
from knowledge.text import fold
from models.queries import create_ticket, listening_ticket, ticket_events, tickets_of
from models.tables import RequestOutcome, Ticket, TicketStatus

routes = Routes()

SUBJECT_LIMIT = 80
DEFAULT_TIER = 2
RELAY_WINDOW = timedelta(hours=24)  # how long after an agent's message a reply goes to them


async def open_ticket(turn: Turn, *, impact: str, urgency: str) -> Ticket:
    """Open a ticket carrying everything learned, post it to its tier, and tell the user
    what happens next."""
    problem: list[str] = turn.data.get("problem") or []
    article_id = turn.data.get("article")
    doc = turn.kb.article(article_id, turn.lang) if article_id else None
    description = "\n\n".join(problem)
    rank = turn.desk.priority(impact, urgency)
    tier = doc.tier if doc is not None and doc.tier > 1 else DEFAULT_TIER
    assert turn.person.id is not None
    ticket = await create_ticket(
        turn.session,
        ticket=Ticket(
            requester_id=turn.person.id,
            requester_key=turn.message.user_key,
            subject=shorten(doc.title if doc else description or "-", SUBJECT_LIMIT),
            description=description,
            topic=doc.topic if doc else "other",
            article_id=doc.id if doc else None,
            impact=impact,
            urgency=urgency,
            priority=rank,
            tier=tier,
            facts=dict(turn.data.get("facts") or {}),
            articles=_tried(turn),
            attempts=list(turn.data.get("attempts") or []),
            transcript=list(turn.transcript),
            lang=turn.lang,
            origin=str(turn.message.origin or turn.message.user_key),
            created_at=turn.now,
            updated_at=turn.now,
        ),
        actor=turn.message.user_key,
        detail={"problem": problem},
    )
    await turn.tickets().opened(ticket, since=turn.since)
    await outcomes.finish(turn, RequestOutcome.TICKET, ticket=ticket)
    turn.note("ticket", rank)
    turn.say(
        "ticket.opened",
        number=ticket.id,
        subject=ticket.subject,
        priority=rank,
        priority_name=turn.t(f"priority.{rank}"),
        tier=tier,
        target=turn.t(f"priority.{rank}.target"),
    )
    return ticket


def _tried(turn: Turn) -> list[dict[str, object]]:
    """Each article considered, once, with its best score."""
    best: dict[str, float] = {}
    for entry in turn.data.get("tried") or []:
        best[entry["article"]] = max(best.get(entry["article"], 0.0), entry["score"])
    return [{"article": article, "score": score} for article, score in best.items()]


async def answer_on_ticket(turn: Turn) -> bool:
    """Words from a requester whom an agent is talking to go to that ticket; True if so.

    A ticket listens while it waits on the requester, or for a day after an agent last wrote
    to them; a resolved one listens for "yes, fixed" or "no". Anything else is a new request.
    """
    if turn.message.choice is not None or not turn.text or parse_command(turn.text):
        return False
    assert turn.person.id is not None
    ticket = await listening_ticket(
        turn.session, person_id=turn.person.id, since=turn.now - RELAY_WINDOW
    )
    if ticket is None:
        return False
    if ticket.status == TicketStatus.RESOLVED:
        fixed = _typed_verdict(turn)
        if fixed is None:
            return False
        await confirm(turn, ticket, fixed=fixed)
        return True
    requester = Actor(turn.message.user_key, turn.person.display_name)
    await turn.tickets().requester_says(ticket, requester, turn.text)
    turn.say("relay.sent", number=ticket.id, agent=ticket.assignee_name or turn.t("relay.desk"))
    return True


def _typed_verdict(turn: Turn) -> bool | None:
    """ "Yes" (True) or "no" (False) typed in any language, else None."""
    typed = fold(turn.text)
    for verdict, key in ((True, "relay.typed_yes"), (False, "relay.typed_no")):
        words = {fold(word) for text in turn.catalogue.all_texts(key) for word in text.split(",")}
        if typed in words:
            return verdict
    return None


async def confirm(turn: Turn, ticket: Ticket, *, fixed: bool) -> None:
    """The requester's answer to "Did this fix it?": yes closes, no reopens."""
    if ticket.requester_id != turn.person.id:
        raise UserFacingError("ticket.not_yours", number=ticket.id)
    requester = Actor(turn.message.user_key, turn.person.display_name)
    if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED) or (
        fixed and ticket.status == TicketStatus.CLOSED
    ):
        turn.say("relay.already", number=ticket.id, status=turn.t(f"ticket.status.{ticket.status}"))
    elif fixed:
        await turn.tickets().close(ticket, requester, confirmed=True)
        turn.say("relay.thanks_fixed", number=ticket.id)
    else:
        await turn.tickets().reopen(ticket, requester, turn.t("relay.not_fixed"))
        turn.say("relay.reopened_by_you", number=ticket.id)


@routes.command("status")
async def status(turn: Turn) -> State | None:
    """/status — list your tickets and where each one stands."""
    assert turn.person.id is not None
    turn.say_text(await status_text(turn.session, person_id=turn.person.id, t=turn.t))
    return None


async def status_text(session: AsyncSession, *, person_id: int, t: Texts) -> str:
    """Someone's tickets, one line each (what /status and Slack's App Home show)."""
    tickets = await tickets_of(session, person_id=person_id)
    if not tickets:
        return t("status.none")
    lines = [
        t(
            "status.line",
            number=ticket.id,
            subject=ticket.subject,
            status=t(f"ticket.status.{ticket.status}"),
            priority=ticket.priority,
        )
        for ticket in tickets
    ]
    return t("status.header") + "\n" + "\n".join(lines)


INTERNAL_EVENTS = ("note", "sla_ack_warn", "sla_resolve_warn")  # not shown to requesters


@routes.command("ticket")
async def show_ticket(turn: Turn) -> State | None:
    """/ticket N — show one of your tickets with its history."""
    number = turn.args.lstrip("#").strip()
    if not number.isdigit() or len(number) > 12:
        raise UserFacingError("ticket.usage")
    ticket = await turn.session.get(Ticket, int(number))
    agent = turn.desk.tier_of(turn.message.user_key) > 0  # agents see every ticket, in full
    if ticket is None or (ticket.requester_id != turn.person.id and not agent):
        raise UserFacingError("ticket.not_found", number=number)
    assert ticket.id is not None
    events = await ticket_events(turn.session, ticket_id=ticket.id)
    history = "\n".join(
        f"  • {event.created_at:%Y-%m-%d %H:%M} {turn.t(f'ticket.event.{event.kind}')}"
        + (f" ({event.actor})" if agent else "")
        for event in events
        if agent or event.kind not in INTERNAL_EVENTS
    )
    turn.say(
        "ticket.detail",
        number=ticket.id,
        subject=ticket.subject,
        status=turn.t(f"ticket.status.{ticket.status}"),
        priority=ticket.priority,
        priority_name=turn.t(f"priority.{ticket.priority}"),
        tier=ticket.tier,
        owner=ticket.assignee_name or turn.t("desk.nobody"),
        description=shorten(ticket.description, 500),
        facts=fact_lines(ticket.facts, turn.t) or turn.t("ticket.no_facts"),
        history=history,
    )
    if agent and ticket.transcript:
        lines = [f"  {line.get('name') or 'Garda'}: {line['text']}" for line in ticket.transcript]
        turn.say_text(turn.t("ticket.transcript") + "\n" + "\n".join(lines))
    return None
