"""Alembic for every service: one env implementation, migrations run as the owner role.

A service's ``migrations/env.py`` is one line (``run_env(...)``); ``upgrade`` runs its revisions
programmatically (used by the local stack, the test harness and ``python -m <service>.migrate``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from kit.db.database import async_url
from kit.db.provision import quote_ident
from kit.events.outbox import event_metadata


def alembic_config(migrations_dir: Path, url: str, *, runtime_role: str = "") -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["runtime_role"] = runtime_role
    return config


def upgrade(migrations_dir: Path, url: str, *, runtime_role: str = "", revision: str = "head") -> None:
    """Bring the database at ``url`` (an owner's URL) to ``revision``."""
    command.upgrade(alembic_config(migrations_dir, url, runtime_role=runtime_role), revision)


def _run(connection: Connection, metadata: MetaData | None, runtime_role: str) -> None:
    targets = [event_metadata] if metadata is None else [metadata, event_metadata]
    context.configure(connection=connection, target_metadata=targets, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
    if runtime_role:
        connection.exec_driver_sql(f"REVOKE ALL ON alembic_version FROM {quote_ident(runtime_role)}")
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
