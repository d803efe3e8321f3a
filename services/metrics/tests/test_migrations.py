"""The metrics schema: every tenant table sealed, and the migrations reversible."""

from __future__ import annotations

import asyncpg
from alembic import command
from sqlalchemy import select

from kit.db.catalog import tenant_isolation_problems
from kit.db.database import Database
from kit.migrations import alembic_config
from kit.testing.infra import ScratchDatabase, run_sync
from metrics.directory.models import KnownTenant
from metrics.migrate import MIGRATIONS

_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"


async def _catalog(scratch: ScratchDatabase) -> tuple[list[str], list[str]]:
    conn = await asyncpg.connect(scratch.admin_url)
    try:
        tables = [row["tablename"] for row in await conn.fetch(_TABLES)]
        return tables, await tenant_isolation_problems(conn, runtime_role=scratch.spec.runtime)
    finally:
        await conn.close()


async def _runtime_reads_known_tenants(scratch: ScratchDatabase) -> int:
    database = Database(scratch.runtime_url, pool_size=1)
    try:
        return len(await database.fetch_all("artland", select(KnownTenant.tenant_id)))
    finally:
        await database.dispose()


async def test_every_tenant_table_is_sealed(scratch: ScratchDatabase) -> None:
    tables, problems = await _catalog(scratch)

    assert tables == ["alembic_version", "inbox", "known_tenants", "outbox"]
    assert problems == []


def test_migrations_go_down_and_up_again(scratch: ScratchDatabase) -> None:
    config = alembic_config(MIGRATIONS, scratch.owner_url, runtime_role=scratch.spec.runtime)

    command.downgrade(config, "base")
    after_downgrade, _ = run_sync(_catalog(scratch))
    command.upgrade(config, "head")
    after_upgrade, problems = run_sync(_catalog(scratch))

    assert after_downgrade == ["alembic_version"]
    assert after_upgrade == ["alembic_version", "inbox", "known_tenants", "outbox"]
    assert problems == []
    assert run_sync(_runtime_reads_known_tenants(scratch)) == 0
