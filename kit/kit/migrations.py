"""Alembic for every service: one env implementation, migrations run as the owner role.

A service's ``migrations/env.py`` is one line (``run_env(...)``); ``upgrade`` runs its revisions
programmatically (used by the local stack, the test harness and ``zentrale <service> migrate``), and
``wait_until_current`` lets a new process wait, as the runtime role, until the migration has run.

Given the runtime role, a migration first gives it its access (``runtime_grants``), so a database that
only its owner may change needs no superuser step: everything in ``public`` to read and write, but
``alembic_version`` only to read.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
from alembic import command, context
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from kit.db.database import async_url
from kit.db.provision import quote_ident, runtime_grants
from kit.events.outbox import event_metadata

VERSION_TABLE = "alembic_version"


class MigrationsNotCurrent(RuntimeError):
    """The database is not at the newest revision, and waiting longer would not change that."""


def alembic_config(migrations_dir: Path, url: str, *, runtime_role: str = "") -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["runtime_role"] = runtime_role
    return config


def upgrade(migrations_dir: Path, url: str, *, runtime_role: str = "", revision: str = "head") -> None:
    """Bring the database at ``url`` (an owner's URL) to ``revision``, granting ``runtime_role`` its access."""
    command.upgrade(alembic_config(migrations_dir, url, runtime_role=runtime_role), revision)


def _grant_runtime(connection: Connection, runtime_role: str) -> None:
    """Give the runtime role what the database's owner can give: also on tables made before the grants existed."""
    database, owner = connection.exec_driver_sql("SELECT current_database(), current_user").one()
    for statement in runtime_grants(database=database, owner=owner, runtime=runtime_role):
        connection.exec_driver_sql(statement)
    runtime = quote_ident(runtime_role)
    connection.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {runtime}")
    connection.exec_driver_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {runtime}")
    _seal_version_table(connection, runtime_role)


def _seal_version_table(connection: Connection, runtime_role: str) -> None:
    """Let the runtime role read the revision (to wait for it), never change it."""
    if not connection.exec_driver_sql(f"SELECT to_regclass('{VERSION_TABLE}') IS NOT NULL").scalar():
        return
    runtime = quote_ident(runtime_role)
    connection.exec_driver_sql(f"REVOKE ALL ON {VERSION_TABLE} FROM {runtime}")
    connection.exec_driver_sql(f"GRANT SELECT ON {VERSION_TABLE} TO {runtime}")


def _run(connection: Connection, metadata: MetaData | None, runtime_role: str) -> None:
    if runtime_role:
        _grant_runtime(connection, runtime_role)
        connection.commit()
    targets = [event_metadata] if metadata is None else [metadata, event_metadata]
    context.configure(connection=connection, target_metadata=targets, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
    if runtime_role:
        # The default privileges also gave the runtime role writing rights on a version table made just now.
        _seal_version_table(connection, runtime_role)
        connection.commit()


async def _run_async(url: str, metadata: MetaData | None, runtime_role: str) -> None:
    engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run, metadata, runtime_role)
    await engine.dispose()


def run_env(metadata: MetaData | None = None) -> None:
    """The body of every service's ``env.py``; ``metadata`` must have every model imported (autogenerate)."""
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL for migrations")
    runtime_role = str(context.config.attributes.get("runtime_role", ""))
    asyncio.run(_run_async(url, metadata, runtime_role))


def wait_until_current(migrations_dir: Path, runtime_url: str, *, timeout: float, interval: float = 2.0) -> None:
    """Return once the database at ``runtime_url`` is at the newest revision of ``migrations_dir``.

    No server, role or database yet, no version table yet, an older revision: all are waited out, for
    ``timeout`` seconds at most. A revision that ``migrations_dir`` does not know fails at once, since
    waiting cannot mend it (the database was migrated by a newer release, or is another service's).
    """
    scripts = ScriptDirectory(str(migrations_dir))
    heads = frozenset(scripts.get_heads())
    known = frozenset(script.revision for script in scripts.walk_revisions())
    deadline = time.monotonic() + timeout
    last_seen = asyncio.run(_wait(runtime_url, heads=heads, known=known, deadline=deadline, interval=interval))
    if last_seen is not None:
        wanted = ", ".join(sorted(heads))
        raise MigrationsNotCurrent(f"the database did not reach revision {wanted} in {timeout:g} s; last: {last_seen}")


async def _wait(
    url: str, *, heads: frozenset[str], known: frozenset[str], deadline: float, interval: float
) -> str | None:
    """None once the database is at ``heads``; what was seen last when ``deadline`` (monotonic) comes first."""
    while True:
        try:
            current = await _revisions(url, connect_timeout=max(1.0, min(10.0, deadline - time.monotonic())))
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            seen = f"{type(error).__name__}: {error}"
        else:
            if current == heads:
                return None
            if not current <= known:
                unknown = ", ".join(sorted(current - known))
                raise MigrationsNotCurrent(f"the database is at revision {unknown}, which these migrations do not know")
            seen = f"the database is at {', '.join(sorted(current)) or 'no revision'}"
        if time.monotonic() + interval > deadline:
            return seen
        await asyncio.sleep(interval)


async def _revisions(url: str, *, connect_timeout: float) -> frozenset[str]:
    conn = await asyncpg.connect(url, timeout=connect_timeout)
    try:
        rows = await conn.fetch(f"SELECT version_num FROM {VERSION_TABLE}")
    finally:
        await conn.close()
    return frozenset(str(row["version_num"]) for row in rows)
