"""German search: the search entries of descriptions and the vocabulary that typos are corrected against.

Entries hold each published description as a weighted ``tsvector`` built by the service's own analyser
(stemming, umlaut and ß folding, stop words), so the database only matches and ranks. Shared descriptions
have one entry for all tenants; a tenant's own descriptions and its supplements have entries of the
tenant. The vocabulary is every lexeme of the entries, with a trigram index for typos and compounds.
Usage counts how often a description solved a tenant's concerns at first contact. The directory of
tenants learns their status.

Revision ID: 20261123_0003
Revises: 20261123_0002
Create Date: 2026-11-23
"""

from alembic import op

from kit.db.rls import enable_tenant_rls

revision = "20261123_0003"
down_revision = "20261123_0002"
branch_labels = None
depends_on = None

_TENANT_TABLES = ("tenant_search_entries", "tenant_search_terms", "description_usage")


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.execute(
        """
        CREATE TABLE base_search_entries (
            description_id uuid NOT NULL,
            document tsvector NOT NULL,
            online boolean NOT NULL,
            CONSTRAINT pk_base_search_entries PRIMARY KEY (description_id),
            CONSTRAINT fk_base_search_entries_description FOREIGN KEY (description_id)
                REFERENCES base_descriptions (id) ON DELETE CASCADE
        )
        """
    )
    op.execute("CREATE INDEX ix_base_search_entries_document ON base_search_entries USING gin (document)")
    op.execute(
        """
        CREATE TABLE tenant_search_entries (
            tenant_id text NOT NULL,
            description_id uuid NOT NULL,
            supplement boolean NOT NULL,
            document tsvector NOT NULL,
            online boolean NOT NULL,
            CONSTRAINT pk_tenant_search_entries PRIMARY KEY (tenant_id, description_id)
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_tenant_search_entries_document ON tenant_search_entries USING gin (tenant_id, document)"
    )
    op.execute(
        """
        CREATE TABLE base_search_terms (
            term text NOT NULL,
            CONSTRAINT pk_base_search_terms PRIMARY KEY (term)
        )
        """
    )
    op.execute("CREATE INDEX ix_base_search_terms_trigrams ON base_search_terms USING gin (term gin_trgm_ops)")
    op.execute(
        """
        CREATE TABLE tenant_search_terms (
            tenant_id text NOT NULL,
            term text NOT NULL,
            CONSTRAINT pk_tenant_search_terms PRIMARY KEY (tenant_id, term)
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_tenant_search_terms_trigrams ON tenant_search_terms USING gin (tenant_id, term gin_trgm_ops)"
    )
    op.execute(
        """
        CREATE TABLE description_usage (
            tenant_id text NOT NULL,
            description_id uuid NOT NULL,
            contacts integer NOT NULL DEFAULT 0,
            solved_at_first_contact integer NOT NULL DEFAULT 0,
            CONSTRAINT pk_description_usage PRIMARY KEY (tenant_id, description_id)
        )
        """
    )
    for table in _TENANT_TABLES:
        enable_tenant_rls(op, table)
    # Which municipalities are served: the read copy follows their lifecycle (and ignores older news).
    op.execute("ALTER TABLE known_tenants ADD COLUMN status text NOT NULL DEFAULT 'active'")
    op.execute("ALTER TABLE known_tenants ADD COLUMN version integer NOT NULL DEFAULT 1")


def downgrade() -> None:
    op.execute("ALTER TABLE known_tenants DROP COLUMN status, DROP COLUMN version")
    for table in (*_TENANT_TABLES, "base_search_terms", "base_search_entries"):
        op.execute(f"DROP TABLE {table}")
