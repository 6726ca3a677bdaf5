"""tickets: owners, SLA segments and timers, outbox, packets, drafts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 08:35:19.306423
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outboxmessage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("reply", sa.JSON(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(length=100), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outboxmessage_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outboxmessage_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "slatimer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "tier", "kind"),
    )
    with op.batch_alter_table("slatimer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slatimer_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_slatimer_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "ticketpost",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("chat_id", sa.String(length=200), nullable=False),
        sa.Column("thread_id", sa.String(length=100), nullable=True),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "chat_id", "message_id"),
    )
    with op.batch_alter_table("ticketpost", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticketpost_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "ticketsegment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ticketsegment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticketsegment_ticket_id"), ["ticket_id"], unique=False)

    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("draft", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("articles", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("attempts", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("transcript", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("requester_key", sa.String(length=240), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("assignee", sa.String(length=240), nullable=True))
        batch_op.add_column(
            sa.Column("assignee_name", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("resolution", sa.String(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("relayed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_ticket_assignee"), ["assignee"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_assignee"))
        batch_op.drop_column("closed_at")
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("acknowledged_at")
        batch_op.drop_column("relayed_at")
        batch_op.drop_column("resolution")
        batch_op.drop_column("assignee_name")
        batch_op.drop_column("assignee")
        batch_op.drop_column("requester_key")
        batch_op.drop_column("transcript")
        batch_op.drop_column("attempts")
        batch_op.drop_column("articles")

    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_column("draft")

    with op.batch_alter_table("ticketsegment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticketsegment_ticket_id"))

    op.drop_table("ticketsegment")
    with op.batch_alter_table("ticketpost", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticketpost_ticket_id"))

    op.drop_table("ticketpost")
    with op.batch_alter_table("slatimer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slatimer_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_slatimer_due_at"))

    op.drop_table("slatimer")
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outboxmessage_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_outboxmessage_due_at"))

    op.drop_table("outboxmessage")
