"""knowledge kept alive: staff, support requests, knowledge gaps, regression cases

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 09:12:33.364236
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "knowledgegap",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query", sa.String(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("article", sa.String(length=120), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("user_key", sa.String(length=240), nullable=False),
        sa.Column("drafted_as", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("knowledgegap", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_knowledgegap_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "regressioncase",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query", sa.String(length=500), nullable=False),
        sa.Column("expected", sa.String(length=120), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("author", sa.String(length=240), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("query"),
    )
    op.create_table(
        "staffmember",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_key", sa.String(length=240), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("added_by", sa.String(length=240), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_key"),
    )
    op.create_table(
        "supportrequest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_key", sa.String(length=240), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        sa.Column("article", sa.String(length=120), nullable=True),
        sa.Column("feedback", sa.String(length=20), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("query", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("supportrequest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supportrequest_ended_at"), ["ended_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_supportrequest_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_supportrequest_ticket_id"), ["ticket_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_supportrequest_user_key"), ["user_key"], unique=False)

    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("outdated", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_column("outdated")

    with op.batch_alter_table("supportrequest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supportrequest_user_key"))
        batch_op.drop_index(batch_op.f("ix_supportrequest_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_supportrequest_person_id"))
        batch_op.drop_index(batch_op.f("ix_supportrequest_ended_at"))

    op.drop_table("supportrequest")
    op.drop_table("staffmember")
    op.drop_table("regressioncase")
    with op.batch_alter_table("knowledgegap", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledgegap_created_at"))

    op.drop_table("knowledgegap")
