"""Search: postings say whether the lexeme stands in the entry's summary (name, synonyms or teaser).

A common word ("Gebühr", "Antrag") stands in nearly every one of a tenant's descriptions, but in the
summaries of a few. Searching the summaries first then tested thousands of entries found through the
postings to keep those few; a partial index of the summary postings finds them directly.

Revision ID: 20261124_0008
Revises: 20261124_0007
Create Date: 2026-11-24
"""

from alembic import op

revision = "20261124_0008"
down_revision = "20261124_0007"
branch_labels = None
depends_on = None

# A lexeme is in the summary (``ts_filter(document, '{a,b,c}')``) when one of its positions weighs A, B or C.
_SYNC = """
CREATE OR REPLACE FUNCTION tenant_search_postings_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM tenant_search_postings p
        USING old_rows o
        WHERE p.tenant_id = o.tenant_id AND p.description_id = o.description_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO tenant_search_postings (tenant_id, lexeme, description_id, in_summary)
        SELECT n.tenant_id, t.lexeme, n.description_id, t.weights && '{A,B,C}'::text[]
        FROM new_rows n CROSS JOIN LATERAL unnest(n.document) AS t
        WHERE NOT n.supplement;
    END IF;
    RETURN NULL;
END $$
"""

_SYNC_BEFORE = """
CREATE OR REPLACE FUNCTION tenant_search_postings_sync() RETURNS trigger LANGUAGE plpgsql AS $$
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
    op.execute("ALTER TABLE tenant_search_postings ADD COLUMN in_summary boolean NOT NULL DEFAULT false")
    op.execute(_SYNC)
    # Postings written before: the owner reads across tenants only while the tables are not forced.
    op.execute("ALTER TABLE tenant_search_entries NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE tenant_search_postings NO FORCE ROW LEVEL SECURITY")
    op.execute(
        """
        UPDATE tenant_search_postings p SET in_summary = true
        FROM tenant_search_entries e
        WHERE e.tenant_id = p.tenant_id AND e.description_id = p.description_id
          AND p.lexeme = ANY(tsvector_to_array(e.summary))
        """
    )
    op.execute("ALTER TABLE tenant_search_entries FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE tenant_search_postings FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE INDEX ix_tenant_search_postings_summary ON tenant_search_postings (tenant_id, lexeme, description_id) "
        "WHERE in_summary"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_tenant_search_postings_summary")
    op.execute(_SYNC_BEFORE)
    op.execute("ALTER TABLE tenant_search_postings DROP COLUMN in_summary")
