"""The access audit each tenant reads.

Revision ID: 20261123_0005
Revises: 20261123_0004
Create Date: 2026-11-23
"""

from alembic import op

from kit.db.rls import enable_tenant_rls

revision = "20261123_0005"
down_revision = "20261123_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE access_audit (
            tenant_id text NOT NULL,
            event_id uuid NOT NULL,
            occurred_at timestamptz NOT NULL,
            subject text NOT NULL,
            kind text NOT NULL,
            home_tenant text,
            roles text[] NOT NULL,
            method text NOT NULL,
            path text NOT NULL,
            status integer NOT NULL,
            request_id text NOT NULL,
            CONSTRAINT pk_access_audit PRIMARY KEY (tenant_id, event_id)
        )
        """
    )
    op.execute("CREATE INDEX ix_access_audit_newest ON access_audit (tenant_id, occurred_at DESC, event_id DESC)")
    enable_tenant_rls(op, "access_audit")


def downgrade() -> None:
    op.execute("DROP TABLE access_audit")
