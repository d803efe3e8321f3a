"""Ids of descriptions and offices in an outside system (XZuFi), so that imports update what they wrote before.

Revision ID: 20261123_0005
Revises: 20261123_0004
Create Date: 2026-11-23
"""

revision = "20261123_0005"
down_revision = "20261123_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
