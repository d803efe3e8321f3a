"""Search: which of a tenant's own descriptions hold which lexeme, in a plain B-tree under row-level security.

Row-level security keeps PostgreSQL from using the entries' GIN index (``@@`` is not leakproof): without
help, a search tests every one of the tenant's own entries. Postings are looked up by equality, which is
leakproof, so the index finds the few entries worth testing. A trigger keeps them in step with the
entries, whoever writes those.

Revision ID: 20261124_0007
Revises: 20261124_0006
Create Date: 2026-11-24
"""

from alembic import op

from kit.db.rls import enable_tenant_rls

revision = "20261124_0007"
down_revision = "20261124_0006"
branch_labels = None
depends_on = None

_SYNC = """
CREATE FUNCTION tenant_search_postings_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM tenant_search_postings p
        USING old_rows o
        WHERE p.tenant_id = o.tenant_id AND p.description_id = o.description_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO tenant_search_postings (tenant_id, lexeme, description_id)
        SELECT n.tenant_id, unnest(tsvector_to_array(n.document)), n.description_id
        FROM new_rows n
        WHERE NOT n.supplement;
    END IF;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE tenant_search_postings (
            tenant_id text NOT NULL,
            lexeme text NOT NULL,
            description_id uuid NOT NULL,
            CONSTRAINT pk_tenant_search_postings PRIMARY KEY (tenant_id, lexeme, description_id)
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_tenant_search_postings_description ON tenant_search_postings (tenant_id, description_id)"
    )
    enable_tenant_rls(op, "tenant_search_postings")
    op.execute(_SYNC)
    for event, tables in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ):
        op.execute(
            f"CREATE TRIGGER tenant_search_postings_{event.lower()} AFTER {event} ON tenant_search_entries "
            f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION tenant_search_postings_sync()"
        )
    # Entries written before: the owner reads across tenants only while the table is not forced.
    op.execute("ALTER TABLE tenant_search_entries NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE tenant_search_postings NO FORCE ROW LEVEL SECURITY")
    op.execute(
        """
        INSERT INTO tenant_search_postings (tenant_id, lexeme, description_id)
        SELECT tenant_id, unnest(tsvector_to_array(document)), description_id
        FROM tenant_search_entries WHERE NOT supplement
        """
    )
    op.execute("ALTER TABLE tenant_search_entries FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE tenant_search_postings FORCE ROW LEVEL SECURITY")


def downgrade() -> None:
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER tenant_search_postings_{event} ON tenant_search_entries")
    op.execute("DROP FUNCTION tenant_search_postings_sync()")
    op.execute("DROP TABLE tenant_search_postings")
