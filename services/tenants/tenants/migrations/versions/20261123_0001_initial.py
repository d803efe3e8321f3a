"""Outbox, inbox and tenants.

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
        CREATE TABLE tenants (
            tenant_id text NOT NULL,
            name text NOT NULL,
            status text NOT NULL DEFAULT 'onboarding',
            version integer NOT NULL DEFAULT 1,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_tenants PRIMARY KEY (tenant_id),
            CONSTRAINT ck_tenants_status CHECK (status IN ('onboarding', 'trial', 'active', 'suspended', 'terminated'))
        )
        """
    )
    enable_tenant_rls(op, "tenants")


def downgrade() -> None:
    op.execute("DROP TABLE tenants")
    drop_event_tables(op)
