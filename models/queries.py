"""Keyword-only query functions; each takes the session of the current transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.tables import (
    AuditRecord,
    Conversation,
    Identity,
    LinkCode,
    OutboxMessage,
    Person,
    ProcessedEvent,
    StaffMember,
    Ticket,
    TicketEvent,
    utcnow,
)


async def mark_processed(session: AsyncSession, *, key: str) -> bool:
    """Record a platform event as handled; False if it already was (a retry)."""
    if await session.get(ProcessedEvent, key) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(ProcessedEvent(key=key))
    except IntegrityError:  # another worker recorded it between our read and write
        return False
    return True


async def find_person(session: AsyncSession, *, platform: str, external_id: str) -> Person | None:
    """The person behind a platform account, if Garda has met them."""
    statement = (
        select(Person)
        .join(Identity, col(Identity.person_id) == col(Person.id))
        .where(Identity.platform == platform, Identity.external_id == external_id)
    )
    return (await session.exec(statement)).first()


async def person_for(
    session: AsyncSession,
    *,
    platform: str,
    external_id: str,
    display_name: str = "",
    email: str | None = None,
) -> Person:
    """The person behind a platform account, created on first contact.

    ``email`` is one the platform has verified (a Slack profile's); it is recorded the first
    time, never overwritten by a later, different claim.
    """
    person = await find_person(session, platform=platform, external_id=external_id)
    if person is None:
        person = Person(display_name=display_name or external_id, email=email and email.casefold())
        session.add(person)
        await session.flush()
        assert person.id is not None
        session.add(Identity(person_id=person.id, platform=platform, external_id=external_id))
        await session.flush()
    elif display_name and person.display_name != display_name:
        person.display_name = display_name
    if email and not person.email:
        person.email = email.casefold()
    return person


async def lock_conversation(
    session: AsyncSession, *, user_key: str, person_id: int
) -> Conversation:
    """The user's conversation row, locked until the transaction ends (created if new)."""
    statement = select(Conversation).where(Conversation.user_key == user_key).with_for_update()
    conversation = (await session.exec(statement)).first()
    if conversation is None:
        conversation = Conversation(user_key=user_key, person_id=person_id)
        session.add(conversation)
        await session.flush()
    return conversation


async def create_ticket(
    session: AsyncSession, *, ticket: Ticket, actor: str, detail: dict[str, Any]
) -> Ticket:
    """Open ``ticket`` and record its creation, with ``detail``, as its first event."""
    session.add(ticket)
    await session.flush()
    await add_ticket_event(session, ticket=ticket, actor=actor, kind="created", detail=detail)
    return ticket


async def add_ticket_event(
    session: AsyncSession, *, ticket: Ticket, actor: str, kind: str, detail: dict[str, Any]
) -> TicketEvent:
    """Record one change to a ticket."""
    assert ticket.id is not None
    event = TicketEvent(ticket_id=ticket.id, actor=actor, kind=kind, detail=detail)
    session.add(event)
    await session.flush()
    return event


async def tickets_of(session: AsyncSession, *, person_id: int, limit: int = 10) -> Sequence[Ticket]:
    """A person's most recent tickets, newest first."""
    statement = (
        select(Ticket)
        .where(Ticket.requester_id == person_id)
        .order_by(col(Ticket.id).desc())
        .limit(limit)
    )
    return (await session.exec(statement)).all()


async def listening_ticket(
    session: AsyncSession, *, person_id: int, since: datetime
) -> Ticket | None:
    """The requester's ticket an agent is talking with them about, if any: one waiting on
    them, or one an agent wrote to them about since ``since``; the most recent, locked until
    the transaction ends."""
    active = ("new", "open", "in_progress", "escalated", "reopened", "resolved")
    statement = (
        select(Ticket)
        .where(Ticket.requester_id == person_id)
        .where(
            (col(Ticket.status) == "waiting")
            | (col(Ticket.status).in_(active) & (col(Ticket.relayed_at) >= since))
        )
        .order_by(col(Ticket.relayed_at).desc(), col(Ticket.id).desc())
        .limit(1)
        .with_for_update()
    )
    return (await session.exec(statement)).first()


async def ticket_events(session: AsyncSession, *, ticket_id: int) -> Sequence[TicketEvent]:
    """A ticket's history, oldest first."""
    statement = (
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(col(TicketEvent.id))
    )
    return (await session.exec(statement)).all()


async def save_link_code(
    session: AsyncSession, *, person_id: int, code_hash: str, expires_at: datetime
) -> None:
    """Store a new link code for ``person_id``, replacing any earlier one of theirs."""
    await session.exec(delete(LinkCode).where(col(LinkCode.person_id) == person_id))
    session.add(LinkCode(code_hash=code_hash, person_id=person_id, expires_at=expires_at))
    await session.flush()


async def redeem_link_code(session: AsyncSession, *, code_hash: str, now: datetime) -> int | None:
    """The person a valid code belongs to; the code is used up (expired ones are swept)."""
    await session.exec(delete(LinkCode).where(col(LinkCode.expires_at) < now))
    code = await session.get(LinkCode, code_hash, with_for_update=True)
    if code is None:
        return None
    await session.delete(code)
    await session.flush()
    return code.person_id


async def merge_people(session: AsyncSession, *, source: Person, target: Person) -> None:
    """Make ``source``'s accounts, conversations and tickets ``target``'s; drop ``source``."""
    for table, column in (
        (Identity, Identity.person_id),
        (Conversation, Conversation.person_id),
        (Ticket, Ticket.requester_id),
        (LinkCode, LinkCode.person_id),
    ):
        await session.exec(
            update(table).where(col(column) == source.id).values({column.key: target.id})  # type: ignore[attr-defined]
        )
    target.email = target.email or source.email
    target.lang = target.lang or source.lang
    session.add(target)
    await session.flush()
    await session.delete(source)
    await session.flush()


async def record_attempt(
    session: AsyncSession,
    *,
    actor: str,
    subject: str,
    action: str,
    outcome: str,
    backend: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditRecord:
    """Add one self-service attempt to the audit log (``detail`` must hold no secret)."""
    record = AuditRecord(
        actor=actor, subject=subject, action=action, outcome=outcome, backend=backend,
        detail=detail or {},
    )  # fmt: skip
    session.add(record)
    await session.flush()
    return record


async def attempts_since(
    session: AsyncSession, *, actor: str, action: str, since: datetime, outcomes: Sequence[str]
) -> list[AuditRecord]:
    """``actor``'s attempts at ``action`` since ``since`` that ended in one of ``outcomes``."""
    statement = (
        select(AuditRecord)
        .where(
            AuditRecord.actor == actor,
            AuditRecord.action == action,
            col(AuditRecord.created_at) >= since,
            col(AuditRecord.outcome).in_(outcomes),
        )
        .order_by(col(AuditRecord.created_at).desc())
    )
    return list((await session.exec(statement)).all())


async def audit_log(
    session: AsyncSession,
    *,
    action: str | None = None,
    actor: str | None = None,
    subject: str | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[AuditRecord]:
    """The newest audit records matching every filter given."""
    statement = select(AuditRecord)
    if action:
        statement = statement.where(AuditRecord.action == action)
    if actor:
        statement = statement.where(AuditRecord.actor == actor)
    if subject:
        statement = statement.where(AuditRecord.subject == subject)
    if outcome:
        statement = statement.where(AuditRecord.outcome == outcome)
    if since:
        statement = statement.where(col(AuditRecord.created_at) >= since)
    statement = statement.order_by(col(AuditRecord.created_at).desc()).limit(limit)
    return list((await session.exec(statement)).all())


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    target: str,
    reply: dict[str, Any],
    ticket_id: int | None = None,
    purpose: str = "notice",
    due_at: datetime | None = None,
) -> bool:
    """Put a message in the outbox, once per ``key`` ever: False if ``key`` was already used.

    Part of the caller's transaction: the message exists exactly when the change it tells
    of does.
    """
    values: dict[str, Any] = {
        "key": key,
        "target": target,
        "reply": reply,
        "ticket_id": ticket_id,
        "purpose": purpose,
        "attempts": 0,
        "error": "",
        "due_at": due_at or utcnow(),
        "created_at": utcnow(),
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(OutboxMessage).values(values).on_conflict_do_nothing()
    result = await session.exec(statement)
    return bool(result.rowcount)


async def staff_members(session: AsyncSession) -> list[StaffMember]:
    """Everyone added with ``garda people``, in the order they were added."""
    return list(await session.exec(select(StaffMember).order_by(col(StaffMember.id))))
