"""Tickets from the requester's side: open one, list mine, show one."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.desk import LANG as DESK_LANG
from handlers.errors import UserFacingError
from handlers.i18n import Texts
from handlers.messages import Reply
from handlers.priority import priority
from handlers.router import Routes
from handlers.states import State
from handlers.text import shorten
from handlers.turn import Turn
from models.queries import create_ticket, ticket_events, tickets_of
from models.tables import Ticket

routes = Routes()

SUBJECT_LIMIT = 80
ANNOUNCED_DESCRIPTION = 600  # characters of the user's description in the channel post
DEFAULT_TIER = 2


async def open_ticket(turn: Turn, *, impact: str, urgency: str) -> Ticket:
    """Open a ticket carrying everything learned, and tell the user what happens next."""
    problem: list[str] = turn.data.get("problem") or []
    article_id = turn.data.get("article")
    doc = turn.kb.article(article_id, turn.lang) if article_id else None
    description = "\n\n".join(problem)
    rank = priority(impact, urgency)
    tier = doc.tier if doc is not None and doc.tier > 1 else DEFAULT_TIER
    assert turn.person.id is not None
    ticket = await create_ticket(
        turn.session,
        ticket=Ticket(
            requester_id=turn.person.id,
            subject=shorten(doc.title if doc else description or "-", SUBJECT_LIMIT),
            description=description,
            topic=doc.topic if doc else "other",
            article_id=doc.id if doc else None,
            impact=impact,
            urgency=urgency,
            priority=rank,
            tier=tier,
            facts=dict(turn.data.get("facts") or {}),
            lang=turn.lang,
            origin=str(turn.message.origin or turn.message.user_key),
        ),
        actor=turn.message.user_key,
        detail={"articles_tried": _tried(turn), "problem": problem},
    )
    turn.note("ticket", rank)
    announce(turn, ticket)
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


def announce(turn: Turn, ticket: Ticket) -> None:
    """Post the new ticket in its tier's support channel, if one is configured."""
    channel = turn.desk.channel_for(ticket.tier)
    if channel is None:
        return

    t = turn.catalogue.texts(DESK_LANG)
    facts = fact_lines(ticket.facts, t)
    text = t(
        "ticket.announce",
        number=ticket.id,
        subject=ticket.subject,
        priority=ticket.priority,
        priority_name=t(f"priority.{ticket.priority}"),
        tier=ticket.tier,
        requester=turn.person.display_name,
        user=turn.message.user_key,
        description=shorten(ticket.description, ANNOUNCED_DESCRIPTION) or "-",
        facts=facts or t("ticket.no_facts"),
    )
    turn.replies.append(Reply(text, to=channel))


def fact_lines(facts: dict[str, str], t: Texts) -> str:
    """The collected facts, one "  • label: value" line each."""
    return "\n".join(f"  • {t(f'fact.{name}.label')}: {value}" for name, value in facts.items())


def _tried(turn: Turn) -> list[dict[str, object]]:
    """Each article considered, once, with its best score."""
    best: dict[str, float] = {}
    for entry in turn.data.get("tried") or []:
        best[entry["article"]] = max(best.get(entry["article"], 0.0), entry["score"])
    return [{"article": article, "score": score} for article, score in best.items()]


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


@routes.command("ticket")
async def show_ticket(turn: Turn) -> State | None:
    """/ticket N — show one of your tickets with its history."""
    number = turn.args.lstrip("#").strip()
    if not number.isdigit() or len(number) > 12:
        raise UserFacingError("ticket.usage")
    ticket = await turn.session.get(Ticket, int(number))
    if ticket is None or ticket.requester_id != turn.person.id:
        raise UserFacingError("ticket.not_found", number=number)
    assert ticket.id is not None
    events = await ticket_events(turn.session, ticket_id=ticket.id)
    facts = fact_lines(ticket.facts, turn.t)
    history = "\n".join(
        f"  • {event.created_at:%Y-%m-%d %H:%M} {turn.t(f'ticket.event.{event.kind}')}"
        for event in events
    )
    turn.say(
        "ticket.detail",
        number=ticket.id,
        subject=ticket.subject,
        status=turn.t(f"ticket.status.{ticket.status}"),
        priority=ticket.priority,
        priority_name=turn.t(f"priority.{ticket.priority}"),
        tier=ticket.tier,
        description=shorten(ticket.description, 500),
        facts=facts or turn.t("ticket.no_facts"),
        history=history,
    )
    return None
