"""Search: a tenant's vocabulary looked up by equality and ranges, which row-level security lets indexes answer.

``LIKE`` and the trigram operators are not leakproof: under row-level security PostgreSQL tests them on
every one of the tenant's lexemes, whatever index there is. Equality and comparisons of text are
leakproof, so:

- compounds a word begins are the lexemes in a range of a B-tree ordered byte by byte (``COLLATE "C"``);
  compounds it ends are found the same way in the lexemes spelled backwards, kept in a column of their own;
- typos: ``tenant_search_term_trigrams`` holds every trigram of every lexeme (as ``show_trgm`` gives
  them); the lexemes sharing enough trigrams with a word are found by equality, and only they are compared.

The trigram GIN index could only ever serve the tenant condition, which the primary key serves as well.

Revision ID: 20261124_0009
Revises: 20261124_0008
Create Date: 2026-11-24
"""

from alembic import op

from kit.db.rls import enable_tenant_rls

revision = "20261124_0009"
down_revision = "20261124_0008"
branch_labels = None
depends_on = None

_SYNC = """
CREATE FUNCTION tenant_search_term_trigrams_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM tenant_search_term_trigrams g
        USING old_rows o
        WHERE g.tenant_id = o.tenant_id AND g.term = o.term;
    ELSE
        INSERT INTO tenant_search_term_trigrams (tenant_id, trigram, term)
        SELECT n.tenant_id, unnest(show_trgm(n.term)), n.term
        FROM new_rows n
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.execute("ALTER TABLE tenant_search_terms ADD COLUMN reversed text GENERATED ALWAYS AS (reverse(term)) STORED")
    op.execute('CREATE INDEX ix_tenant_search_terms_prefix ON tenant_search_terms (tenant_id, term COLLATE "C")')
    op.execute('CREATE INDEX ix_tenant_search_terms_suffix ON tenant_search_terms (tenant_id, reversed COLLATE "C")')
    op.execute("DROP INDEX ix_tenant_search_terms_trigrams")
    op.execute(
        """
        CREATE TABLE tenant_search_term_trigrams (
            tenant_id text NOT NULL,
            trigram text NOT NULL,
            term text NOT NULL,
            CONSTRAINT pk_tenant_search_term_trigrams PRIMARY KEY (tenant_id, trigram, term)
        )
        """
    )
    enable_tenant_rls(op, "tenant_search_term_trigrams")
    op.execute(_SYNC)
    for event, tables in (("INSERT", "NEW TABLE AS new_rows"), ("DELETE", "OLD TABLE AS old_rows")):
        op.execute(
            f"CREATE TRIGGER tenant_search_term_trigrams_{event.lower()} AFTER {event} ON tenant_search_terms "
            f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION tenant_search_term_trigrams_sync()"
        )
    # Lexemes known before: the owner reads across tenants only while the tables are not forced.
    op.execute("ALTER TABLE tenant_search_terms NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE tenant_search_term_trigrams NO FORCE ROW LEVEL SECURITY")
    op.execute(
        """
        INSERT INTO tenant_search_term_trigrams (tenant_id, trigram, term)
        SELECT tenant_id, unnest(show_trgm(term)), term FROM tenant_search_terms
        """
    )
    op.execute("ALTER TABLE tenant_search_terms FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE tenant_search_term_trigrams FORCE ROW LEVEL SECURITY")


def downgrade() -> None:
    for event in ("insert", "delete"):
        op.execute(f"DROP TRIGGER tenant_search_term_trigrams_{event} ON tenant_search_terms")
    op.execute("DROP FUNCTION tenant_search_term_trigrams_sync()")
    op.execute("DROP TABLE tenant_search_term_trigrams")
    op.execute(
        "CREATE INDEX ix_tenant_search_terms_trigrams ON tenant_search_terms USING gin (tenant_id, term gin_trgm_ops)"
    )
    op.execute("DROP INDEX ix_tenant_search_terms_suffix")
    op.execute("DROP INDEX ix_tenant_search_terms_prefix")
    op.execute("ALTER TABLE tenant_search_terms DROP COLUMN reversed")
