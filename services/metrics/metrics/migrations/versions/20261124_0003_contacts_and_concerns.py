"""Facts learnt from the tickets service: contacts by outcome, and forwarded concerns with their deadlines.

Revision ID: 20261124_0003
Revises: 20261124_0002
Create Date: 2026-11-24
"""

from alembic import op

from kit.db.rls import enable_tenant_rls

revision = "20261124_0003"
down_revision = "20261124_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE contact_facts (
            tenant_id text NOT NULL,
            contact_id uuid NOT NULL,
            channel text NOT NULL,
            outcome text NOT NULL,
            started_at timestamptz NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_contact_facts PRIMARY KEY (tenant_id, contact_id)
        )
        """
    )
    op.execute("CREATE INDEX ix_contact_facts_started ON contact_facts (tenant_id, started_at)")
    enable_tenant_rls(op, "contact_facts")
    # One row per ticket in its latest state by the producer's version; ``reopened_at`` is the latest reopening
    # known whatever the order, so that an answer given before it does not count for the new deadline.
    op.execute(
        """
        CREATE TABLE concern_facts (
            tenant_id text NOT NULL,
            ticket_id uuid NOT NULL,
            status text NOT NULL,
            forwarded_at timestamptz NOT NULL,
            due_at timestamptz,
            answered_at timestamptz,
            merged_into uuid,
            reopened_at timestamptz,
            version integer NOT NULL,
            updated_at timestamptz NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_concern_facts PRIMARY KEY (tenant_id, ticket_id)
        )
        """
    )
    op.execute("CREATE INDEX ix_concern_facts_due ON concern_facts (tenant_id, due_at)")
    enable_tenant_rls(op, "concern_facts")


def downgrade() -> None:
    for table in ("concern_facts", "contact_facts"):
        op.execute(f"DROP TABLE {table}")
