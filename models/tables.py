"""All of Garda's tables and their enums, in one readable module."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Dialect, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware time in every database: SQLite hands times back without a zone,
    PostgreSQL with one; read through this, both compare with :func:`utcnow`."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def _timestamp() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


class TicketStatus(enum.StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING = "waiting"
    ESCALATED = "escalated"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"


class Person(SQLModel, table=True):
    """Someone Garda talks to; one person may reach it from several platforms."""

    id: int | None = Field(default=None, primary_key=True)
    display_name: str = Field(default="", max_length=200)
    # Only ever a verified address (a Slack profile's, or one proven by a mailed code): the
    # self-service actions act on the directory account with this email.
    email: str | None = Field(default=None, max_length=320, index=True)
    lang: str | None = Field(default=None, max_length=8)  # saved choice from /lang
    created_at: datetime = _timestamp()


class Identity(SQLModel, table=True):
    """One platform account of a person, e.g. ``slack:U123`` or ``telegram:42``."""

    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    platform: str = Field(max_length=20)
    external_id: str = Field(max_length=200)
    created_at: datetime = _timestamp()


class LinkCode(SQLModel, table=True):
    """A one-time code that joins another platform account to a person (``/link``).

    Only a hash of the code is stored: whoever reads the table cannot use it.
    """

    code_hash: str = Field(primary_key=True, max_length=64)
    person_id: int = Field(foreign_key="person.id", index=True)
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    created_at: datetime = _timestamp()


class Conversation(SQLModel, table=True):
    """The persisted state of one user's conversation; its row is the per-user lock."""

    id: int | None = Field(default=None, primary_key=True)
    user_key: str = Field(max_length=240, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    state: str = Field(default="idle", max_length=40)
    data: dict[str, Any] = _json(dict)
    lang: str | None = Field(default=None, max_length=8)
    updated_at: datetime = _timestamp()


class Ticket(SQLModel, table=True):
    """A request Level I could not close, owned by a support tier."""

    id: int | None = Field(default=None, primary_key=True)  # the ticket number users see
    requester_id: int = Field(foreign_key="person.id", index=True)
    subject: str = Field(max_length=200)
    description: str = ""
    topic: str = Field(default="other", max_length=40)
    article_id: str | None = Field(default=None, max_length=120)
    impact: str = Field(max_length=10)
    urgency: str = Field(max_length=10)
    priority: str = Field(max_length=4)
    tier: int = 2
    status: str = Field(default=TicketStatus.NEW.value, max_length=20)  # a TicketStatus
    facts: dict[str, Any] = _json(dict)
    articles: list[Any] = _json(list)  # [{"article", "score"}]: what Level I showed or offered
    attempts: list[Any] = _json(list)  # [{"action", "outcome"}]: self-service tried first
    transcript: list[Any] = _json(list)  # [{"who", "text"}]: the conversation, secrets redacted
    lang: str = Field(default="en", max_length=8)
    origin: str = Field(default="", max_length=300)  # address the request came from
    requester_key: str = Field(default="", max_length=240)  # the account to answer in private
    assignee: str | None = Field(default=None, max_length=240, index=True)  # an agent's user key
    assignee_name: str = Field(default="", max_length=200)
    resolution: str = ""  # the resolving agent's note
    relayed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    acknowledged_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class TicketSegment(SQLModel, table=True):
    """A stretch of a ticket's life at one tier, running or paused (waiting on the requester).

    The SLA clocks of each tier are the sums of its running segments; tier 1 is Level I's
    own intake, from the first message to the ticket.
    """

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    tier: int
    paused: bool = False
    started_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


class SlaTimer(SQLModel, table=True):
    """A moment an SLA clock reaches a warning or a target (or a resolved ticket closes).

    One row per ticket, tier and kind: rescheduling moves ``due_at``; a fired timer keeps
    ``fired_at``, so no sweeper, however many run, fires it twice.
    """

    __table_args__ = (UniqueConstraint("ticket_id", "tier", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    tier: int
    kind: str = Field(max_length=20)  # ack_warn, ack_breach, resolve_warn, resolve_breach, close
    due_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False, index=True))
    fired_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


class OutboxMessage(SQLModel, table=True):
    """A message that must reach a support channel or a requester, written in the same
    transaction as the change it tells of and delivered afterwards, with retries."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)  # idempotency: one message per key, ever
    target: str = Field(max_length=300)  # an address (slack:C1/ts), or private:slack:U1
    reply: dict[str, Any] = _json(dict)  # the Reply, as handlers.messages.reply_to_json
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    purpose: str = Field(default="notice", max_length=20)  # packet, edit, notice
    attempts: int = 0
    due_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False, index=True)
    )
    sent_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    message_id: str | None = Field(default=None, max_length=100)  # the platform's, once sent
    error: str = Field(default="", max_length=500)
    created_at: datetime = _timestamp()


class TicketPost(SQLModel, table=True):
    """A ticket's packet as posted in a support channel: where replies to it belong."""

    __table_args__ = (UniqueConstraint("platform", "chat_id", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    tier: int
    platform: str = Field(max_length=20)
    chat_id: str = Field(max_length=200)
    thread_id: str | None = Field(default=None, max_length=100)
    message_id: str = Field(max_length=100)
    created_at: datetime = _timestamp()


class TicketEvent(SQLModel, table=True):
    """One change to a ticket: who did what, when."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    actor: str = Field(max_length=240)
    kind: str = Field(max_length=40)
    detail: dict[str, Any] = _json(dict)
    created_at: datetime = _timestamp()


class Article(SQLModel, table=True):
    """The current revision of one knowledge-base article in one language."""

    __table_args__ = (UniqueConstraint("slug", "lang"),)

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, index=True)
    lang: str = Field(max_length=8)
    title: str = Field(max_length=200)
    topic: str = Field(max_length=40)
    symptoms: list[str] = _json(list)
    keywords: list[str] = _json(list)
    action: str | None = Field(default=None, max_length=40)
    needs: list[str] = _json(list)
    tier: int = 2
    body: str = ""
    enabled: bool = True
    draft: bool = False  # written from a resolved ticket, waiting for an admin to publish
    outdated: bool = False  # another language of it changed since this one was last edited
    revision: int = 1
    updated_by: str = Field(default="", max_length=240)
    updated_at: datetime = _timestamp()


class ArticleRevision(SQLModel, table=True):
    """A full snapshot of an article as it was after one change."""

    __table_args__ = (UniqueConstraint("slug", "lang", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, index=True)
    lang: str = Field(max_length=8)
    revision: int
    snapshot: dict[str, Any] = _json(dict)
    author: str = Field(max_length=240)
    source: str = Field(max_length=20)  # import, cli, chat, revert
    created_at: datetime = _timestamp()


class StaffMember(SQLModel, table=True):
    """Someone who works the desk, added with ``garda people``: an admin or an L1-L3 agent.

    Adds to the people named in configuration (``GARDA_ADMINS``, ``GARDA_AGENTS_L1/L2/L3``).
    """

    id: int | None = Field(default=None, primary_key=True)
    user_key: str = Field(max_length=240, unique=True)  # slack:U123, telegram:42
    role: str = Field(max_length=10)  # a StaffRole value
    name: str = Field(default="", max_length=200)
    added_by: str = Field(default="", max_length=240)
    created_at: datetime = _timestamp()


class StaffRole(enum.StrEnum):
    """What a staff member may do: admins edit the knowledge base and count as Level 3."""

    ADMIN = "admin"
    L1 = "l1"
    L2 = "l2"
    L3 = "l3"


class RequestOutcome(enum.StrEnum):
    """How a support conversation ended."""

    SOLVED = "solved"  # the requester said an article solved it
    FIXED = "fixed"  # a self-service action did the fix
    TICKET = "ticket"  # a ticket was opened
    DROPPED = "dropped"  # cancelled, refused or left without a fix or a ticket


class SupportRequest(SQLModel, table=True):
    """One support conversation with Level I, from the problem's first words to its end.

    The analytics (deflection, top topics, article helpfulness) are counted from these.
    """

    id: int | None = Field(default=None, primary_key=True)
    user_key: str = Field(max_length=240, index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    started_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    ended_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False, index=True))
    outcome: str = Field(max_length=20)  # a RequestOutcome value
    topic: str = Field(default="other", max_length=40)
    article: str | None = Field(default=None, max_length=120)  # the last article shown
    feedback: str | None = Field(default=None, max_length=20)  # solved, not_solved, human
    action: str | None = Field(default=None, max_length=40)  # the self-service action run
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    lang: str = Field(default="en", max_length=8)
    query: str = ""  # the requester's first words, secrets redacted


class KnowledgeGap(SQLModel, table=True):
    """A question the knowledge base did not answer well: escalated, not solved, or weak."""

    id: int | None = Field(default=None, primary_key=True)
    query: str = ""  # the requester's words, secrets redacted
    lang: str = Field(default="en", max_length=8)
    reason: str = Field(max_length=20)  # escalate, not_solved, weak
    article: str | None = Field(default=None, max_length=120)  # the best (weak) match, if any
    score: float = 0.0
    user_key: str = Field(default="", max_length=240)
    drafted_as: str | None = Field(default=None, max_length=120)  # the draft made from it
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(UtcDateTime(), nullable=False, index=True),
    )


class RegressionCase(SQLModel, table=True):
    """A query and the answer it must keep getting (``garda kb test`` checks them)."""

    id: int | None = Field(default=None, primary_key=True)
    query: str = Field(max_length=500, unique=True)
    expected: str = Field(max_length=120)  # an article id, or "escalate"
    source: str = Field(max_length=20)  # kb_test, solved
    author: str = Field(default="", max_length=240)
    created_at: datetime = _timestamp()


class EmailCode(SQLModel, table=True):
    """A code mailed to prove an email address is someone's (hashed; expires; few tries)."""

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    email: str = Field(max_length=320)
    code_hash: str = Field(max_length=64)
    attempts: int = 0
    expires_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class AuditRecord(SQLModel, table=True):
    """One self-service attempt: who, for whom, what, when, and how it ended (no secrets)."""

    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=240, index=True)  # the user key of whoever asked
    subject: str = Field(default="", max_length=320)  # whose account, or which address
    action: str = Field(max_length=40, index=True)
    outcome: str = Field(max_length=20)  # an Outcome value
    backend: str = Field(default="", max_length=20)
    detail: dict[str, Any] = _json(dict)  # the backend's answer, summarised
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(UtcDateTime(), nullable=False, index=True),
    )


class DirectoryAccount(SQLModel, table=True):
    """An account in the builtin directory (``GARDA_DIRECTORY=builtin``)."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=120, unique=True)
    email: str = Field(max_length=320, unique=True)
    display_name: str = Field(default="", max_length=200)
    password_hash: str = Field(default="", max_length=300)
    must_change: bool = False  # the password is temporary: change it at the next sign-in
    locked: bool = False
    updated_at: datetime = _timestamp()


class FirewallBan(SQLModel, table=True):
    """An address banned by one rule of the builtin firewall (``GARDA_FIREWALL=builtin``)."""

    __table_args__ = (UniqueConstraint("address", "jail"),)

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=64, index=True)
    jail: str = Field(default="default", max_length=60)
    created_at: datetime = _timestamp()


class SubscriptionRecord(SQLModel, table=True):
    """A subscription in the builtin store (``GARDA_SUBSCRIPTIONS=builtin``)."""

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=60, unique=True)
    owner_email: str = Field(max_length=320, index=True)
    plan: str = Field(default="", max_length=120)
    contact_email: str = Field(default="", max_length=320)
    phone: str = Field(default="", max_length=40)
    billing_email: str = Field(default="", max_length=320)
    updated_at: datetime = _timestamp()


class ProcessedEvent(SQLModel, table=True):
    """A platform event already handled (Slack ``event_id``, Telegram ``update_id``)."""

    key: str = Field(primary_key=True, max_length=240)
    created_at: datetime = _timestamp()
