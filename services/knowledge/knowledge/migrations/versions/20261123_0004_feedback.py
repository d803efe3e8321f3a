"""Agents' feedback on descriptions.

Feedback belongs to the tenant whose agent gave it, also on a shared description: its table is sealed
like every tenant table. It names a shared or a tenant's own description, so it has no foreign key.

Revision ID: 20261123_0004
Revises: 20261123_0003
Create Date: 2026-11-23
"""

from alembic import op

from kit.db.rls import enable_tenant_rls

revision = "20261123_0004"
down_revision = "20261123_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE description_feedback (
            tenant_id text NOT NULL,
            id uuid NOT NULL,
            description_id uuid NOT NULL,
            kind text NOT NULL
                CONSTRAINT ck_description_feedback_kind CHECK (kind IN ('helpful', 'outdated', 'wrong', 'unclear')),
            comment text CONSTRAINT ck_description_feedback_comment_length CHECK (char_length(comment) <= 2000),
            given_by text NOT NULL,
            given_at timestamptz NOT NULL DEFAULT now(),
            resolved_at timestamptz,
            resolved_by text,
            resolution_note text
                CONSTRAINT ck_description_feedback_resolution_note_length CHECK (char_length(resolution_note) <= 2000),
            CONSTRAINT pk_description_feedback PRIMARY KEY (tenant_id, id),
            CONSTRAINT ck_description_feedback_resolved CHECK ((resolved_at IS NULL) = (resolved_by IS NULL))
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_description_feedback_description "
        "ON description_feedback (tenant_id, description_id, given_at DESC, id DESC)"
    )
    enable_tenant_rls(op, "description_feedback")


def downgrade() -> None:
    op.execute("DROP TABLE description_feedback")
