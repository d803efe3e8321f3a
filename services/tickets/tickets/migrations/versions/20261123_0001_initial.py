"""Outbox, inbox and the read copy of the tenants served.

Revision ID: 20261123_0001
Revises:
Create Date: 2026-11-23
"""

from alembic import op

from kit.db.rls import enable_tenant_rls
from kit.events.outbox import create_event_tables, drop_event_tables

revision = "20261123_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_event_tables(op)
    op.execute(
        """
        CREATE TABLE known_tenants (
            tenant_id text NOT NULL,
            name text NOT NULL,
            created_at timestamptz NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_known_tenants PRIMARY KEY (tenant_id)
        )
        """
    )
    enable_tenant_rls(op, "known_tenants")


def downgrade() -> None:
    op.execute("DROP TABLE known_tenants")
    drop_event_tables(op)
