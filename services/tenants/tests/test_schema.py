"""The tenants database is sealed per tenant, and its migrations go down and up."""

from __future__ import annotations

from kit.testing.checks import assert_migrations_reversible, schema_state
from kit.testing.infra import ScratchDatabase
from tenants.migrate import MIGRATIONS

TABLES = ["alembic_version", "inbox", "outbox", "tenants"]


async def test_every_tenant_table_is_sealed(tenants_db: ScratchDatabase) -> None:
    assert await schema_state(tenants_db) == (TABLES, [])


def test_migrations_downgrade_and_upgrade_again(tenants_db: ScratchDatabase) -> None:
    assert assert_migrations_reversible(MIGRATIONS, tenants_db) == TABLES
