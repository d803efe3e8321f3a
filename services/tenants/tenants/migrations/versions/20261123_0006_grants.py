"""Grants: a partner municipality lets the host's principals act on its data in named roles.

Revision ID: 20261123_0006
Revises: 20261123_0005
Create Date: 2026-11-23
"""

from alembic import op

from kit.db.rls import enable_tenant_rls

revision = "20261123_0006"
down_revision = "20261123_0005"
branch_labels = None
depends_on = None

# The gateway loads every tenant's grants at start: reads only, and only in a transaction that asks for them.
_DIRECTORY_READ = "current_setting('app.grant_directory', true) = 'on'"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE grants (
            tenant_id text NOT NULL,
            id uuid NOT NULL,
            grantee_tenant text NOT NULL,
            roles text[] NOT NULL,
            valid_from timestamptz NOT NULL,
            valid_until timestamptz,
            created_by text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_grants PRIMARY KEY (tenant_id, id),
            CONSTRAINT uq_grants_tenant_id_grantee_tenant UNIQUE (tenant_id, grantee_tenant),
            CONSTRAINT fk_grants_tenant_id_tenants FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id),
            CONSTRAINT ck_grants_grantee_tenant CHECK (grantee_tenant <> tenant_id),
            CONSTRAINT ck_grants_roles CHECK (
                cardinality(roles) > 0 AND roles <@ ARRAY['agent', 'back_office', 'knowledge_editor']::text[]
            ),
            CONSTRAINT ck_grants_valid_until CHECK (valid_until IS NULL OR valid_until > valid_from)
        )
        """
    )
    enable_tenant_rls(op, "grants")
    op.execute(f"CREATE POLICY grant_directory ON grants FOR SELECT USING ({_DIRECTORY_READ})")


def downgrade() -> None:
    op.execute("DROP TABLE grants")
