"""What an Open311 request brings beyond a ticket: the answers to its service's attributes, a photo, an address id.

The public list of a municipality's Open311 requests reads only tickets of that source, newest first.

Revision ID: 20261124_0003
Revises: 20261124_0002
Create Date: 2026-11-24
"""

from alembic import op

revision = "20261124_0003"
down_revision = "20261124_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE tickets ADD COLUMN attributes jsonb, ADD COLUMN media_url text, ADD COLUMN address_id text")
    op.execute(
        "CREATE INDEX ix_tickets_open311_requested ON tickets (tenant_id, forwarded_at DESC, id DESC)"
        " WHERE source = 'open311'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_tickets_open311_requested")
    op.execute("ALTER TABLE tickets DROP COLUMN attributes, DROP COLUMN media_url, DROP COLUMN address_id")
