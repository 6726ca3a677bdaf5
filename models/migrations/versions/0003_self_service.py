"""self-service: directory, firewall, subscriptions, audit, email codes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 07:51:21.460578
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auditrecord",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=240), nullable=False),
        sa.Column("subject", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("backend", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("auditrecord", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auditrecord_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_auditrecord_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_auditrecord_created_at"), ["created_at"], unique=False)

    op.create_table(
        "directoryaccount",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("must_change", sa.Boolean(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "firewallban",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("jail", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("address", "jail"),
    )
    with op.batch_alter_table("firewallban", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_firewallban_address"), ["address"], unique=False)

    op.create_table(
        "subscriptionrecord",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=60), nullable=False),
        sa.Column("owner_email", sa.String(length=320), nullable=False),
        sa.Column("plan", sa.String(length=120), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("billing_email", sa.String(length=320), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref"),
    )
    with op.batch_alter_table("subscriptionrecord", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscriptionrecord_owner_email"), ["owner_email"], unique=False
        )

    op.create_table(
        "emailcode",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("person_id"),
    )


def downgrade() -> None:
    op.drop_table("emailcode")
    with op.batch_alter_table("subscriptionrecord", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriptionrecord_owner_email"))

    op.drop_table("subscriptionrecord")
    with op.batch_alter_table("firewallban", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_firewallban_address"))

    op.drop_table("firewallban")
    op.drop_table("directoryaccount")
    with op.batch_alter_table("auditrecord", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auditrecord_created_at"))
        batch_op.drop_index(batch_op.f("ix_auditrecord_actor"))
        batch_op.drop_index(batch_op.f("ix_auditrecord_action"))

    op.drop_table("auditrecord")
