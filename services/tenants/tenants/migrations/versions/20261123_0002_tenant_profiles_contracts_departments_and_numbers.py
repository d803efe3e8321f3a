"""Tenant profiles, contracts, departments and numbers.

Revision ID: 20261123_0002
Revises: 20261123_0001
Create Date: 2026-11-23
"""

from alembic import op

from kit.db.rls import enable_tenant_rls

revision = "20261123_0002"
down_revision = "20261123_0001"
branch_labels = None
depends_on = None

# Operators list all municipalities: reads only, and only in transactions that ask for the directory.
_DIRECTORY_READ = "current_setting('app.tenant_directory', true) = 'on'"


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE tenants
            ADD COLUMN ars text,
            ADD COLUMN ags text,
            ADD COLUMN state text,
            ADD COLUMN time_zone text NOT NULL DEFAULT 'Europe/Berlin',
            ADD COLUMN open311_jurisdiction_id text,
            ADD CONSTRAINT ck_tenants_ars CHECK (ars ~ '^[0-9]{12}$'),
            ADD CONSTRAINT ck_tenants_ags CHECK (ags ~ '^[0-9]{8}$')
        """
    )
    op.execute(f"CREATE POLICY tenant_directory ON tenants FOR SELECT USING ({_DIRECTORY_READ})")
    # Globally unique names that route to a tenant. They say only which municipality a public number or
    # jurisdiction belongs to, which the resolve endpoints answer anyway; the tenant's own rows stay sealed.
    op.execute(
        """
        CREATE TABLE jurisdiction_directory (
            jurisdiction_id text NOT NULL,
            tenant_id text NOT NULL,
            CONSTRAINT pk_jurisdiction_directory PRIMARY KEY (jurisdiction_id)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE contract_versions (
            tenant_id text NOT NULL,
            version integer NOT NULL,
            effective_from timestamptz NOT NULL,
            terms jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            created_by text NOT NULL,
            CONSTRAINT pk_contract_versions PRIMARY KEY (tenant_id, version),
            CONSTRAINT fk_contract_versions_tenant_id_tenants FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id),
            CONSTRAINT ck_contract_versions_version CHECK (version > 0)
        )
        """
    )
    op.execute("CREATE INDEX ix_contract_versions_effective ON contract_versions (tenant_id, effective_from)")
    op.execute(
        """
        CREATE TABLE departments (
            tenant_id text NOT NULL,
            id uuid NOT NULL,
            name text NOT NULL,
            email text,
            phone text,
            leika_keys text[] NOT NULL DEFAULT '{}',
            escalation_contact jsonb,
            version integer NOT NULL DEFAULT 1,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_departments PRIMARY KEY (tenant_id, id),
            CONSTRAINT uq_departments_tenant_id_name UNIQUE (tenant_id, name),
            CONSTRAINT fk_departments_tenant_id_tenants FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE inbound_lines (
            tenant_id text NOT NULL,
            id uuid NOT NULL,
            kind text NOT NULL,
            address text NOT NULL,
            label text,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_inbound_lines PRIMARY KEY (tenant_id, id),
            CONSTRAINT uq_inbound_lines_tenant_id_kind_address UNIQUE (tenant_id, kind, address),
            CONSTRAINT fk_inbound_lines_tenant_id_tenants FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id),
            CONSTRAINT ck_inbound_lines_kind CHECK (kind IN ('number', 'queue'))
        )
        """
    )
    op.execute(
        """
        CREATE TABLE line_directory (
            kind text NOT NULL,
            address text NOT NULL,
            tenant_id text NOT NULL,
            line_id uuid NOT NULL,
            CONSTRAINT pk_line_directory PRIMARY KEY (kind, address)
        )
        """
    )
    for table in ("contract_versions", "departments", "inbound_lines"):
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in ("line_directory", "inbound_lines", "departments", "contract_versions", "jurisdiction_directory"):
        op.execute(f"DROP TABLE {table}")
    op.execute("DROP POLICY tenant_directory ON tenants")
    op.execute(
        """
        ALTER TABLE tenants
            DROP COLUMN ars, DROP COLUMN ags, DROP COLUMN state, DROP COLUMN time_zone,
            DROP COLUMN open311_jurisdiction_id
        """
    )
