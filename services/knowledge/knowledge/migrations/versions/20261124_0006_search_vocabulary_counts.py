"""Search: how many entries hold each lexeme, a summary of each entry, and a quick way to supplements.

Counts let a query widen a word to its most common compounds and continuations only, rather than to
any of them. The summary keeps the lexemes of the name, synonyms and teaser (weights A to C): a common
word is first looked for there, in a fraction of the data, and in the whole text only when the
summaries answer too little. The partial index finds the few supplement entries among a tenant's many
own ones.

Revision ID: 20261124_0006
Revises: 20261123_0005
Create Date: 2026-11-24
"""

from alembic import op

revision = "20261124_0006"
down_revision = "20261123_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("base_search_terms", "tenant_search_terms"):
        op.execute(f"ALTER TABLE {table} ADD COLUMN documents integer NOT NULL DEFAULT 1")
    for table in ("base_search_entries", "tenant_search_entries"):
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN summary tsvector "
            "GENERATED ALWAYS AS (ts_filter(document, '{a,b,c}')) STORED"
        )
    op.execute("CREATE INDEX ix_base_search_entries_summary ON base_search_entries USING gin (summary)")
    op.execute(
        "CREATE INDEX ix_tenant_search_entries_supplements ON tenant_search_entries (tenant_id) WHERE supplement"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_tenant_search_entries_supplements")
    op.execute("DROP INDEX ix_base_search_entries_summary")
    for table in ("base_search_entries", "tenant_search_entries"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN summary")
    for table in ("base_search_terms", "tenant_search_terms"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN documents")
