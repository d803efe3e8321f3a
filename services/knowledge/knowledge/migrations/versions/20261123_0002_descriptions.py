"""Service descriptions in layers (shared base, tenant supplements and tenant-only ones), offices, responsibilities.

The shared base belongs to no tenant: its tables have no ``tenant_id`` and no row-level security, and
every tenant reads them. A tenant's own rows (supplements, its own descriptions, offices) are sealed.

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

_STATUS = "CHECK (status IN ('draft', 'review', 'published', 'archived'))"
_LEIKA = "CHECK (leika_key ~ '^[0-9]{14}$')"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE TABLE base_descriptions (
            id uuid NOT NULL,
            leika_key text CONSTRAINT ck_base_descriptions_leika_key {_LEIKA},
            content jsonb NOT NULL,
            status text NOT NULL CONSTRAINT ck_base_descriptions_status {_STATUS},
            version integer NOT NULL,
            published_content jsonb,
            published_version integer,
            review_due date,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            updated_by text NOT NULL,
            CONSTRAINT pk_base_descriptions PRIMARY KEY (id)
        )
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_base_descriptions_leika_key ON base_descriptions (leika_key) "
        "WHERE leika_key IS NOT NULL AND status <> 'archived'"
    )
    op.execute(
        f"""
        CREATE TABLE base_description_versions (
            description_id uuid NOT NULL,
            version integer NOT NULL,
            content jsonb NOT NULL,
            status text NOT NULL CONSTRAINT ck_base_description_versions_status {_STATUS},
            changed_by text NOT NULL,
            changed_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_base_description_versions PRIMARY KEY (description_id, version),
            CONSTRAINT fk_base_description_versions_description
                FOREIGN KEY (description_id) REFERENCES base_descriptions (id)
        )
        """
    )
    op.execute(
        f"""
        CREATE TABLE tenant_descriptions (
            tenant_id text NOT NULL,
            id uuid NOT NULL,
            base_id uuid,
            leika_key text CONSTRAINT ck_tenant_descriptions_leika_key {_LEIKA},
            content jsonb NOT NULL,
            status text NOT NULL CONSTRAINT ck_tenant_descriptions_status {_STATUS},
            version integer NOT NULL,
            published_content jsonb,
            published_version integer,
            review_due date,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            updated_by text NOT NULL,
            CONSTRAINT pk_tenant_descriptions PRIMARY KEY (tenant_id, id),
            CONSTRAINT uq_tenant_descriptions_base UNIQUE (tenant_id, base_id),
            CONSTRAINT fk_tenant_descriptions_base FOREIGN KEY (base_id) REFERENCES base_descriptions (id),
            CONSTRAINT ck_tenant_descriptions_supplement_has_no_key CHECK (base_id IS NULL OR leika_key IS NULL)
        )
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_tenant_descriptions_leika_key ON tenant_descriptions (tenant_id, leika_key) "
        "WHERE leika_key IS NOT NULL AND status <> 'archived'"
    )
    op.execute(
        f"""
        CREATE TABLE tenant_description_versions (
            tenant_id text NOT NULL,
            description_id uuid NOT NULL,
            version integer NOT NULL,
            content jsonb NOT NULL,
            status text NOT NULL CONSTRAINT ck_tenant_description_versions_status {_STATUS},
            changed_by text NOT NULL,
            changed_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_tenant_description_versions PRIMARY KEY (tenant_id, description_id, version),
            CONSTRAINT fk_tenant_description_versions_description
                FOREIGN KEY (tenant_id, description_id) REFERENCES tenant_descriptions (tenant_id, id)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE offices (
            tenant_id text NOT NULL,
            id uuid NOT NULL,
            name text NOT NULL,
            address jsonb,
            opening_hours jsonb NOT NULL DEFAULT '[]',
            opening_hours_note text,
            phone text,
            email text,
            contacts jsonb NOT NULL DEFAULT '[]',
            version integer NOT NULL DEFAULT 1,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_offices PRIMARY KEY (tenant_id, id),
            CONSTRAINT uq_offices_name UNIQUE (tenant_id, name)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE responsibilities (
            tenant_id text NOT NULL,
            description_id uuid NOT NULL,
            office_id uuid NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_responsibilities PRIMARY KEY (tenant_id, description_id, office_id),
            CONSTRAINT fk_responsibilities_office
                FOREIGN KEY (tenant_id, office_id) REFERENCES offices (tenant_id, id) ON DELETE CASCADE
        )
        """
    )
    op.execute("CREATE INDEX ix_responsibilities_office ON responsibilities (tenant_id, office_id)")
    for table in ("tenant_descriptions", "tenant_description_versions", "offices", "responsibilities"):
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in (
        "responsibilities",
        "offices",
        "tenant_description_versions",
        "tenant_descriptions",
        "base_description_versions",
        "base_descriptions",
    ):
        op.execute(f"DROP TABLE {table}")
