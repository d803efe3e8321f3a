"""Migrations run as the database's owner give the runtime role its access; new processes wait for them.

The databases here are made the way the PostgreSQL operator makes them on Kubernetes: two login roles and
a database owned by the owner role, with none of the grants that ``provision`` adds for the local stack.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.exc import ProgrammingError

from kit.db.catalog import tenant_isolation_problems
from kit.db.database import Database
from kit.db.provision import ServiceDatabase, quote_ident
from kit.local.postgres import free_port
from kit.migrations import MigrationsNotCurrent, upgrade, wait_until_current
from kit.testing.infra import TEST_PASSWORD, InfraServers, ScratchDatabase, run_sync

from .sample import MIGRATIONS, commit_note, notes

HEAD = "20261123_0001"


async def _create_bare(admin_url: str, spec: ServiceDatabase) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        for role in (spec.owner, spec.runtime):
            await conn.execute(f"CREATE ROLE {quote_ident(role)} LOGIN PASSWORD '{TEST_PASSWORD}'")
        await conn.execute(f"CREATE DATABASE {quote_ident(spec.database)} OWNER {quote_ident(spec.owner)}")
    finally:
        await conn.close()


async def _drop_bare(admin_url: str, spec: ServiceDatabase) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(spec.database)} WITH (FORCE)")
        for role in (spec.runtime, spec.owner):
            await conn.execute(f"DROP ROLE IF EXISTS {quote_ident(role)}")
    finally:
        await conn.close()


@pytest.fixture
def bare(servers: InfraServers) -> Iterator[ServiceDatabase]:
    """An owner role, a runtime role and a database of the owner: nothing granted to the runtime role."""
    suffix = uuid.uuid4().hex[:8]
    spec = ServiceDatabase(
        database=f"bare_{suffix}",
        owner=f"bare_{suffix}_owner",
        owner_password=TEST_PASSWORD,
        runtime=f"bare_{suffix}_app",
        runtime_password=TEST_PASSWORD,
    )
    run_sync(_create_bare(servers.admin_url, spec))
    yield spec
    run_sync(_drop_bare(servers.admin_url, spec))


async def _runtime_reads_and_writes_notes(runtime_url: str) -> list[str]:
    database = Database(runtime_url, pool_size=1)
    try:
        await commit_note(database, "artland", "written by the runtime role")
        rows = await database.fetch_all("artland", select(notes.c.body))
    finally:
        await database.dispose()
    return [row["body"] for row in rows]


async def _problems(admin_url: str, spec: ServiceDatabase) -> list[str]:
    conn = await asyncpg.connect(admin_url.rsplit("/", 1)[0] + f"/{spec.database}")
    try:
        return await tenant_isolation_problems(conn, runtime_role=spec.runtime)
    finally:
        await conn.close()


async def _runtime_may_read_but_not_change_the_revision(runtime_url: str) -> None:
    conn = await asyncpg.connect(runtime_url)
    try:
        assert await conn.fetchval("SELECT version_num FROM alembic_version") == HEAD
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("UPDATE alembic_version SET version_num = 'forged'")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE mine (id int)")
    finally:
        await conn.close()


def test_the_owners_migration_lets_a_bare_runtime_role_use_the_tables_and_only_read_the_revision(
    bare: ServiceDatabase, servers: InfraServers
) -> None:
    upgrade(MIGRATIONS, bare.owner_url(servers.admin_url), runtime_role=bare.runtime)

    runtime_url = bare.runtime_url(servers.admin_url)
    assert run_sync(_runtime_reads_and_writes_notes(runtime_url)) == ["written by the runtime role"]
    run_sync(_runtime_may_read_but_not_change_the_revision(runtime_url))
    assert run_sync(_problems(servers.admin_url, bare)) == []


def test_a_database_migrated_without_grants_gets_them_on_the_next_migration(
    bare: ServiceDatabase, servers: InfraServers
) -> None:
    owner_url, runtime_url = bare.owner_url(servers.admin_url), bare.runtime_url(servers.admin_url)
    upgrade(MIGRATIONS, owner_url)
    with pytest.raises(ProgrammingError, match="permission denied for table notes"):
        run_sync(_runtime_reads_and_writes_notes(runtime_url))

    upgrade(MIGRATIONS, owner_url, runtime_role=bare.runtime)

    assert run_sync(_runtime_reads_and_writes_notes(runtime_url)) == ["written by the runtime role"]
    run_sync(_runtime_may_read_but_not_change_the_revision(runtime_url))
    assert run_sync(_problems(servers.admin_url, bare)) == []


async def test_the_catalog_check_refuses_a_runtime_role_that_may_change_the_revision(
    sample_db: ScratchDatabase,
) -> None:
    conn = await asyncpg.connect(sample_db.admin_url)
    try:
        await conn.execute(f"GRANT UPDATE ON alembic_version TO {quote_ident(sample_db.spec.runtime)}")
        problems = await tenant_isolation_problems(conn, runtime_role=sample_db.spec.runtime)
    finally:
        await conn.close()
    assert problems == [f"alembic_version: the runtime role {sample_db.spec.runtime} may change it"]


def test_waiting_returns_at_once_when_the_database_is_current(sample_db: ScratchDatabase) -> None:
    started = time.monotonic()
    wait_until_current(MIGRATIONS, sample_db.runtime_url, timeout=10, interval=0.1)
    assert time.monotonic() - started < 5


def test_waiting_returns_once_the_migration_has_run(bare: ServiceDatabase, servers: InfraServers) -> None:
    migration = threading.Timer(
        1.0, upgrade, args=(MIGRATIONS, bare.owner_url(servers.admin_url)), kwargs={"runtime_role": bare.runtime}
    )
    migration.start()
    try:
        wait_until_current(MIGRATIONS, bare.runtime_url(servers.admin_url), timeout=60, interval=0.2)
    finally:
        migration.join()


def test_waiting_on_a_database_without_migrations_times_out_and_says_why(
    bare: ServiceDatabase, servers: InfraServers
) -> None:
    upgrade(MIGRATIONS, bare.owner_url(servers.admin_url), runtime_role=bare.runtime, revision="base")
    with pytest.raises(
        MigrationsNotCurrent, match=f"did not reach revision {HEAD} in 0.5 s; last: the database is at no revision"
    ):
        wait_until_current(MIGRATIONS, bare.runtime_url(servers.admin_url), timeout=0.5, interval=0.1)


def test_waiting_without_a_version_table_times_out(bare: ServiceDatabase, servers: InfraServers) -> None:
    with pytest.raises(MigrationsNotCurrent, match="last: UndefinedTableError"):
        wait_until_current(MIGRATIONS, bare.runtime_url(servers.admin_url), timeout=0.5, interval=0.1)


def test_waiting_for_a_server_that_is_not_there_times_out() -> None:
    url = f"postgresql://nobody:{TEST_PASSWORD}@127.0.0.1:{free_port()}/nothing"
    with pytest.raises(MigrationsNotCurrent, match="last: ConnectionRefusedError"):
        wait_until_current(MIGRATIONS, url, timeout=0.5, interval=0.1)


async def _forge_revision(admin_url: str, revision: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute("UPDATE alembic_version SET version_num = $1", revision)
    finally:
        await conn.close()


def test_a_revision_these_migrations_do_not_know_fails_without_waiting(sample_db: ScratchDatabase) -> None:
    run_sync(_forge_revision(sample_db.admin_url, "29991231_0001"))
    started = time.monotonic()
    with pytest.raises(MigrationsNotCurrent, match="at revision 29991231_0001, which these migrations do not know"):
        wait_until_current(MIGRATIONS, sample_db.runtime_url, timeout=30, interval=0.1)
    assert time.monotonic() - started < 10
