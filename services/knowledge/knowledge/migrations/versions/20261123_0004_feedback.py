"""Agents' feedback on descriptions.

Revision ID: 20261123_0004
Revises: 20261123_0003
Create Date: 2026-11-23
"""

revision = "20261123_0004"
down_revision = "20261123_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
