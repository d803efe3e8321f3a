"""Tenant profiles, contracts, departments and numbers.

Revision ID: 20261123_0002
Revises: 20261123_0001
Create Date: 2026-11-23
"""

revision = "20261123_0002"
down_revision = "20261123_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
