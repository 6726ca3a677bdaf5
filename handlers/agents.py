"""The support desk's side of tickets: Level II and III agents work them from chat.

Commands (`/queue`, `/take 12`, `/reply 12 text`…), the packet's buttons, and replies written
under a packet in a support channel all end in the same ticket changes
(:class:`handlers.escalation.Tickets`). Only configured agents may use them; an agent works
tickets up to their own tier.
"""

from __future__ import annotations

from sqlmodel import col, select

from handlers import tickets as requester_side
from handlers.desk import DESK_CHOICE
from handlers.errors import UserFacingError
from handlers.escalation import DONE, TOP_TIER, Actor, desk_choice
from handlers.messages import Choice, Reply
from handlers.router import Routes
from handlers.states import State
from handlers.text import shorten
from handlers.turn import Turn
from knowledge.store import save_draft
from models.tables import Ticket, TicketPost, TicketStatus

routes = Routes()

MAX_TEXT = 3000  # characters of an agent's message relayed on a ticket
QUEUE_LENGTH = 20
INTERNAL_PREFIXES = ("//", "note:")  # a reply under a packet that stays among agents
OPEN_STATUSES = tuple(status.value for status in TicketStatus if status not in DONE)
PRIORITY_ORDER = ("P1", "P2", "P3", "P4")


def agent_of(turn: Turn) -> Actor:
    """The agent behind this turn; anyone else is refused."""
    tier = turn.desk.tier_of(turn.message.user_key)
    if tier == 0:
        raise UserFacingError("agent.not_allowed")
    return Actor(turn.message.user_key, turn.person.display_name, tier)


async def ticket_for(turn: Turn, agent: Actor, number: int, *, open_only: bool = True) -> Ticket:
    """Ticket ``number``, locked, if ``agent`` may work it."""
    ticket = await turn.tickets().find(number)
    if ticket is None:
        raise UserFacingError("agent.no_ticket", number=number)
    if agent.tier < ticket.tier:
        raise UserFacingError("agent.tier_too_low", number=number, tier=ticket.tier)
    if open_only and ticket.status in DONE:
        status = turn.t(f"ticket.status.{ticket.status}")
        raise UserFacingError("agent.ticket_done", number=number, status=status)
    return ticket


def parse_args(turn: Turn, command: str, *, text: bool) -> tuple[int, str]:
    """``12 some words`` -> (12, "some words"); the command's usage when it is not that."""
    head, _, rest = turn.args.strip().partition(" ")
    head = head.lstrip("#")
    words = " ".join(rest.split()) if not text else rest.strip()
    if not head.isdigit() or len(head) > 12 or (text and not words):
        raise UserFacingError(f"agent.usage.{command}")
    return int(head), words[:MAX_TEXT]


# What an agent types


@routes.command("queue", hidden=True)
async def queue(turn: Turn) -> State | None:
    """/queue [tier] — open tickets at your tiers (or one tier), most urgent first."""
    agent = agent_of(turn)
    tier = turn.args.strip().removeprefix("L").removeprefix("l")
    statement = select(Ticket).where(col(Ticket.status).in_(OPEN_STATUSES))
    if tier:
        if tier not in ("1", "2", "3"):
            raise UserFacingError("agent.usage.queue")
        statement = statement.where(Ticket.tier == int(tier))
    else:
        statement = statement.where(col(Ticket.tier) <= agent.tier)
    found = sorted(
        (await turn.session.exec(statement)).all(),
        key=lambda t: (t.assignee is not None, PRIORITY_ORDER.index(t.priority), t.id or 0),
    )
    _list(turn, found, empty="agent.queue_empty", header="agent.queue_header")
    return None


@routes.command("mine", hidden=True)
async def mine(turn: Turn) -> State | None:
    """/mine — the open tickets you own."""
    agent = agent_of(turn)
    statement = (
        select(Ticket)
        .where(Ticket.assignee == agent.key, col(Ticket.status).in_(OPEN_STATUSES))
        .order_by(col(Ticket.id))
    )
    _list(
        turn,
        list((await turn.session.exec(statement)).all()),
        empty="agent.mine_empty",
        header="agent.mine_header",
    )
    return None


def _list(turn: Turn, found: list[Ticket], *, empty: str, header: str) -> None:
    if not found:
        turn.say(empty)
        return
    lines = [
        turn.t(
            "agent.queue_line",
            number=ticket.id,
            priority=ticket.priority,
            tier=ticket.tier,
            status=turn.t(f"ticket.status.{ticket.status}"),
            subject=shorten(ticket.subject, 60),
            owner=ticket.assignee_name or turn.t("desk.nobody"),
        )
        for ticket in found[:QUEUE_LENGTH]
    ]
    more = len(found) - QUEUE_LENGTH
    if more > 0:
        lines.append(turn.t("agent.queue_more", count=more))
    turn.say_text(turn.t(header, count=len(found)) + "\n" + "\n".join(lines))


@routes.command("take", hidden=True)
async def take(turn: Turn) -> State | None:
    """/take N — make ticket N yours; the requester is told who took it."""
    agent = agent_of(turn)
    number, _ = parse_args(turn, "take", text=False)
    await _claim(turn, agent, number)
    return None


async def _claim(turn: Turn, agent: Actor, number: int) -> None:
    ticket = await ticket_for(turn, agent, number)
    if ticket.assignee == agent.key:
        turn.say("agent.already_yours", number=number)
        return
    if ticket.assignee is not None:
        raise UserFacingError("agent.taken_by", number=number, agent=ticket.assignee_name)
    await turn.tickets().claim(ticket, agent)
    turn.say("agent.taken", number=number)


@routes.command("escalate", hidden=True)
async def escalate(turn: Turn) -> State | None:
    """/escalate N [reason] — pass ticket N to the next tier."""
    agent = agent_of(turn)
    number, reason = parse_args(turn, "escalate", text=False)
    await _escalate(turn, agent, number, reason)
    return None


async def _escalate(turn: Turn, agent: Actor, number: int, reason: str) -> None:
    ticket = await ticket_for(turn, agent, number)
    if ticket.tier >= TOP_TIER:
        raise UserFacingError("agent.top_tier", number=number)
    await turn.tickets().escalate(ticket, agent, reason)
    turn.say("agent.escalated", number=number, tier=ticket.tier)


@routes.command("ask", hidden=True)
async def ask(turn: Turn) -> State | None:
    """/ask N question — ask the requester; the clock waits for the answer."""
    agent = agent_of(turn)
    number, text = parse_args(turn, "ask", text=True)
    await turn.tickets().ask(await ticket_for(turn, agent, number), agent, text)
    turn.say("agent.asked", number=number)
    return None


@routes.command("reply", hidden=True)
async def reply(turn: Turn) -> State | None:
    """/reply N text — write to the requester of ticket N."""
    agent = agent_of(turn)
    number, text = parse_args(turn, "reply", text=True)
    await turn.tickets().reply(await ticket_for(turn, agent, number), agent, text)
    turn.say("agent.replied", number=number)
    return None


@routes.command("note", hidden=True)
async def note(turn: Turn) -> State | None:
    """/note N text — an internal note on ticket N (the requester never sees it)."""
    agent = agent_of(turn)
    number, text = parse_args(turn, "note", text=True)
    ticket = await ticket_for(turn, agent, number, open_only=False)
    await turn.tickets().note(ticket, agent, text)
    turn.say("agent.noted", number=number)
    return None


@routes.command("resolve", hidden=True)
async def resolve(turn: Turn) -> State | None:
    """/resolve N what fixed it — resolve ticket N; the requester is asked to confirm."""
    agent = agent_of(turn)
    number, text = parse_args(turn, "resolve", text=True)
    await _resolve(turn, agent, number, text)
    return None


async def _resolve(turn: Turn, agent: Actor, number: int, text: str) -> None:
    ticket = await ticket_for(turn, agent, number)
    await turn.tickets().resolve(ticket, agent, text)
    draft = Choice(desk_choice("draft", number), turn.t("agent.make_draft"))
    turn.replies.append(Reply(turn.t("agent.resolved", number=number), (draft,)))


@routes.command("reopen", hidden=True)
async def reopen(turn: Turn) -> State | None:
    """/reopen N [why] — open a resolved or closed ticket again."""
    agent = agent_of(turn)
    number, why = parse_args(turn, "reopen", text=False)
    await _reopen(turn, agent, number, why)
    return None


async def _reopen(turn: Turn, agent: Actor, number: int, why: str) -> None:
    ticket = await ticket_for(turn, agent, number, open_only=False)
    if ticket.status not in DONE:
        raise UserFacingError("agent.not_done", number=number)
    await turn.tickets().reopen(ticket, agent, why)
    turn.say("agent.reopened", number=number)


# What an agent presses


@routes.choice(DESK_CHOICE)
async def pressed(turn: Turn) -> State | None:
    """A ticket's button: the packet's (agents) or "Did this fix it?" (the requester)."""
    action, _, number_text = (turn.message.choice or "").removeprefix(DESK_CHOICE).partition(":")
    if not number_text.isdigit():
        turn.say("choice.expired")
        return None
    number = int(number_text)
    if action in ("fixed", "not_fixed"):
        ticket = await turn.tickets().find(number)
        if ticket is None:
            raise UserFacingError("ticket.not_found", number=number)
        await requester_side.confirm(turn, ticket, fixed=action == "fixed")
        return None
    agent = agent_of(turn)
    if action == "claim":
        await _claim(turn, agent, number)
    elif action == "escalate":
        await _escalate(turn, agent, number, turn.t("agent.reason_button"))
    elif action in ("ask", "resolve"):
        await ticket_for(turn, agent, number)  # may they? before asking for the words
        turn.data = {"desk": {"do": action, "ticket": number}}
        turn.say(f"agent.{action}_what", number=number)
        return State.DESK_INPUT
    elif action == "reopen":
        await _reopen(turn, agent, number, "")
    elif action == "draft":
        await _draft(turn, agent, number)
    else:
        turn.say("choice.expired")
    return None


@routes.state(State.DESK_INPUT)
async def desk_input(turn: Turn) -> State | None:
    """The words a pressed button asked for: the question, or what fixed it."""
    pending = turn.data.get("desk") or {}
    if not turn.text.strip():
        turn.say(f"agent.{pending.get('do', 'ask')}_what", number=pending.get("ticket"))
        return None
    agent = agent_of(turn)
    number, text = int(pending["ticket"]), turn.text.strip()[:MAX_TEXT]
    if pending["do"] == "ask":
        await turn.tickets().ask(await ticket_for(turn, agent, number), agent, text)
        turn.say("agent.asked", number=number)
    else:
        await _resolve(turn, agent, number, text)
    turn.data = {}
    return State.IDLE


async def _draft(turn: Turn, agent: Actor, number: int) -> None:
    """The knowledge loop: a resolved ticket becomes a draft article for an admin to publish."""
    ticket = await ticket_for(turn, agent, number, open_only=False)
    if ticket.status not in DONE or not ticket.resolution:
        raise UserFacingError("agent.not_done", number=number)
    symptoms = [
        shorten(line["text"], 200)
        for line in ticket.transcript
        if line.get("who") == "requester" and len(line.get("text", "").split()) >= 3
    ][:5] or [shorten(ticket.description or ticket.subject, 200)]
    slug = await save_draft(
        turn.session,
        slug=f"ticket-{number}",
        lang=ticket.lang,
        title=ticket.subject,
        topic=ticket.topic,
        symptoms=symptoms,
        body=ticket.resolution,
        tier=ticket.tier,
        author=agent.key,
    )
    if slug is None:
        turn.say("agent.draft_exists", slug=f"ticket-{number}")
    else:
        turn.say("agent.draft_saved", slug=slug, number=number)


# What an agent writes under a packet


@routes.in_channel
async def under_packet(turn: Turn) -> State | None:
    """A reply to a ticket's packet in a support channel reaches the requester, unless it
    starts with ``//`` or ``note:`` (then it is an internal note). Other talk is left alone."""
    message = turn.message
    if message.choice is not None or not message.reply_to or message.origin is None:
        return None
    statement = select(TicketPost).where(
        TicketPost.platform == message.platform,
        TicketPost.chat_id == message.origin.chat_id,
        TicketPost.message_id == message.reply_to,
    )
    post = (await turn.session.exec(statement)).first()
    if post is None or not turn.text.strip():
        return None
    if turn.desk.tier_of(message.user_key) == 0:
        turn.say("agent.not_relayed")
        return None
    agent = agent_of(turn)
    ticket = await ticket_for(turn, agent, post.ticket_id, open_only=False)
    text = turn.text.strip()
    internal = text.casefold().startswith(INTERNAL_PREFIXES)
    if internal:
        for prefix in INTERNAL_PREFIXES:
            if text.casefold().startswith(prefix):
                text = text[len(prefix) :].strip()
        await turn.tickets().note(ticket, agent, text[:MAX_TEXT], echo=False)
    elif ticket.status in DONE:
        turn.say(
            "agent.ticket_done", number=ticket.id, status=turn.t(f"ticket.status.{ticket.status}")
        )
    else:
        await turn.tickets().reply(ticket, agent, text[:MAX_TEXT], echo=False)
        turn.say("agent.relayed", number=ticket.id)
    return None
