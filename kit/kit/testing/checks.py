"""Checks every service runs on its own schema and app: the same rules, written once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from functools import _lru_cache_wrapper
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from alembic import command
from fastapi import FastAPI

from kit.db.catalog import tenant_isolation_problems
from kit.migrations import alembic_config
from kit.testing.infra import InfraServers, ScratchDatabase, run_sync
from kit.testing.keys import SigningKeys

_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"


async def schema_state(
    database: ScratchDatabase, *, shared: Iterable[str] = ("alembic_version",)
) -> tuple[list[str], list[str]]:
    """The tables of ``database`` and every way they fail the tenancy rules."""
    conn = await asyncpg.connect(database.admin_url)
    try:
        tables = [row["tablename"] for row in await conn.fetch(_TABLES)]
        problems = await tenant_isolation_problems(conn, runtime_role=database.spec.runtime, shared_tables=shared)
    finally:
        await conn.close()
    return tables, problems


def assert_migrations_reversible(
    migrations: Path, database: ScratchDatabase, *, shared: Iterable[str] = ("alembic_version",)
) -> list[str]:
    """Downgrade to nothing and upgrade again; the result is sealed. Returns the tables at head."""
    config = alembic_config(migrations, database.owner_url, runtime_role=database.spec.runtime)
    command.downgrade(config, "base")
    emptied, _ = run_sync(schema_state(database, shared=shared))
    command.upgrade(config, "head")
    tables, problems = run_sync(schema_state(database, shared=shared))
    assert emptied == ["alembic_version"]
    assert problems == []
    return tables


@asynccontextmanager
async def service_client(
    create_app: Callable[[], FastAPI],
    get_settings: _lru_cache_wrapper[Any],
    *,
    prefix: str,
    database: ScratchDatabase,
    servers: InfraServers,
    keys: SigningKeys,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[httpx.AsyncClient]:
    """A service app configured from the environment as in production, running, with a client on it."""
    monkeypatch.setenv("ZENTRALE_ENV", "test")
    monkeypatch.setenv(f"{prefix}_DATABASE_URL", database.runtime_url)
    monkeypatch.setenv("NATS_URL", servers.nats_url)
    monkeypatch.setenv("ZENTRALE_INTERNAL_PUBLIC_KEYS", keys.jwks_json)
    get_settings.cache_clear()
    try:
        app = create_app()
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=f"http://{prefix.lower()}") as client,
        ):
            yield client
    finally:
        get_settings.cache_clear()
