"""The tenants database is sealed per tenant, and its migrations go down and up."""

from __future__ import annotations

import asyncpg
from alembic import command

from kit.db.catalog import tenant_isolation_problems
from kit.migrations import alembic_config
from kit.testing.infra import ScratchDatabase
from tenants.migrate import MIGRATIONS


async def test_every_tenant_table_is_sealed(tenants_db: ScratchDatabase) -> None:
    conn = await asyncpg.connect(tenants_db.admin_url)
    try:
        problems = await tenant_isolation_problems(conn, runtime_role=tenants_db.spec.runtime)
    finally:
        await conn.close()
    assert problems == []


def test_migrations_downgrade_and_upgrade_again(tenants_db: ScratchDatabase) -> None:
    config = alembic_config(MIGRATIONS, tenants_db.owner_url, runtime_role=tenants_db.spec.runtime)
    command.downgrade(config, "base")
    command.upgrade(config, "head")
