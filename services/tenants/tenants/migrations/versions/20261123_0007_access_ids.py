"""Access records are keyed by the access's own id: one gateway event now carries many accesses.

Revision ID: 20261123_0007
Revises: 20261123_0006
Create Date: 2026-11-23
"""

from alembic import op

revision = "20261123_0007"
down_revision = "20261123_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE access_audit RENAME COLUMN event_id TO id")


def downgrade() -> None:
    op.execute("ALTER TABLE access_audit RENAME COLUMN id TO event_id")
