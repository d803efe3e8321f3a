"""Ids of descriptions and offices in an outside system (XZuFi), so that imports update what they wrote before.

An id is unique within its tenant only (two municipalities' editorial systems may use the same ids), and only
where it is set: descriptions and offices kept by hand have none.

Revision ID: 20261123_0005
Revises: 20261123_0004
Create Date: 2026-11-23
"""

from alembic import op

revision = "20261123_0005"
down_revision = "20261123_0004"
branch_labels = None
depends_on = None

_TABLES = ("tenant_descriptions", "offices")


def upgrade() -> None:
    for table in _TABLES:
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN external_id text "
            f"CONSTRAINT ck_{table}_external_id CHECK (external_id <> '' AND length(external_id) <= 200)"
        )
        op.execute(
            f"CREATE UNIQUE INDEX uq_{table}_external_id ON {table} (tenant_id, external_id) "
            "WHERE external_id IS NOT NULL"
        )


def downgrade() -> None:
    for table in _TABLES:
        op.execute(f"DROP INDEX uq_{table}_external_id")
        op.execute(f"ALTER TABLE {table} DROP COLUMN external_id")
