"""Breaches of contract targets already announced: one per municipality, local day and target.

Revision ID: 20261124_0004
Revises: 20261124_0003
Create Date: 2026-11-24
"""

from alembic import op

from kit.db.rls import enable_tenant_rls

revision = "20261124_0004"
down_revision = "20261124_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Written in the transaction that puts the breach event into the outbox: the key makes it once only,
    # however often and by however many workers a day is checked.
    op.execute(
        """
        CREATE TABLE breaches (
            tenant_id text NOT NULL,
            day date NOT NULL,
            target text NOT NULL,
            figures jsonb NOT NULL,
            event_id uuid NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_breaches PRIMARY KEY (tenant_id, day, target)
        )
        """
    )
    enable_tenant_rls(op, "breaches")


def downgrade() -> None:
    op.execute("DROP TABLE breaches")
