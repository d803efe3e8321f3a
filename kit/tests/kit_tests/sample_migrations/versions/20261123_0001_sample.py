"""A sample tenant table with the kit's event tables.

Revision ID: 20261123_0001
Revises:
Create Date: 2026-11-23
"""

from alembic import op

from kit.db.rls import enable_tenant_rls
from kit.events.outbox import create_event_tables

revision = "20261123_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_event_tables(op)
    op.execute(
        """
        CREATE TABLE notes (
            tenant_id text NOT NULL,
            id bigint GENERATED ALWAYS AS IDENTITY,
            body text NOT NULL,
            CONSTRAINT pk_notes PRIMARY KEY (tenant_id, id)
        )
        """
    )
    enable_tenant_rls(op, "notes")


def downgrade() -> None:
    op.execute("DROP TABLE notes")
