"""German search: the search entries of descriptions and the vocabulary that typos are corrected against.

Revision ID: 20261123_0003
Revises: 20261123_0002
Create Date: 2026-11-23
"""

revision = "20261123_0003"
down_revision = "20261123_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
