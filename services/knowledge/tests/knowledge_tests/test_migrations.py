"""The knowledge schema: every tenant table sealed, and the migrations reversible."""

from __future__ import annotations

from kit.testing.checks import assert_migrations_reversible, schema_state
from kit.testing.infra import ScratchDatabase
from knowledge.migrate import MIGRATIONS

TABLES = [
    "alembic_version",
    "base_description_versions",
    "base_descriptions",
    "base_search_entries",
    "base_search_terms",
    "description_feedback",
    "description_usage",
    "inbox",
    "known_tenants",
    "offices",
    "outbox",
    "responsibilities",
    "tenant_description_versions",
    "tenant_descriptions",
    "tenant_search_entries",
    "tenant_search_postings",
    "tenant_search_term_trigrams",
    "tenant_search_terms",
]
# The shared base belongs to no tenant; every tenant reads it.
SHARED = (
    "alembic_version",
    "base_descriptions",
    "base_description_versions",
    "base_search_entries",
    "base_search_terms",
)


async def test_every_tenant_table_is_sealed(scratch: ScratchDatabase) -> None:
    assert await schema_state(scratch, shared=SHARED) == (TABLES, [])


def test_migrations_go_down_and_up_again(scratch: ScratchDatabase) -> None:
    assert assert_migrations_reversible(MIGRATIONS, scratch, shared=SHARED) == TABLES
