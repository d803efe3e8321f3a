"""Start (or reuse, from ``ZENTRALE_TEST_DATABASE_URL``/``ZENTRALE_TEST_NATS_URL``) the servers tests need."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from kit.db.provision import ServiceDatabase, provision, quote_ident
from kit.local.nats import LocalNats
from kit.local.postgres import LocalPostgres, free_port
from kit.migrations import upgrade

T = TypeVar("T")
TEST_PASSWORD = "test-password"  # noqa: S105


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even while an event loop runs in this thread."""
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def scratch_dir(prefix: str) -> Path:
    """A temporary folder that the unprivileged PostgreSQL user can enter."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


@dataclass
class InfraServers:
    """PostgreSQL (as superuser URL) and NATS for one test session."""

    admin_url: str
    nats_url: str
    postgres: LocalPostgres | None = None
    nats: LocalNats | None = None
    workdir: Path | None = None

    @classmethod
    def start(cls) -> InfraServers:
        given_db, given_nats = os.environ.get("ZENTRALE_TEST_DATABASE_URL"), os.environ.get("ZENTRALE_TEST_NATS_URL")
        workdir = scratch_dir("zentrale-test-")
        postgres = nats = None
        if given_db is None:
            postgres = LocalPostgres(workdir / "postgres", free_port())
            postgres.start(fsync=False)
        if given_nats is None:
            nats = LocalNats(workdir / "nats", free_port(), free_port())
            nats.start()
        return cls(
            admin_url=given_db or (postgres.admin_url if postgres else ""),
            nats_url=given_nats or (nats.url if nats else ""),
            postgres=postgres,
            nats=nats,
            workdir=workdir,
        )

    def stop(self) -> None:
        if self.nats is not None:
            self.nats.stop()
        if self.postgres is not None:
            self.postgres.stop()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


@dataclass(frozen=True)
class ScratchDatabase:
    """One throw-away service database and the URLs of its two roles."""

    name: str
    spec: ServiceDatabase
    runtime_url: str
    owner_url: str
    admin_url: str


@dataclass
class ServiceDatabases:
    """Migrated template databases per service, cloned cheaply for each test."""

    servers: InfraServers
    _templates: dict[str, ServiceDatabase] = field(default_factory=dict)

    def spec(self, service: str) -> ServiceDatabase:
        return ServiceDatabase.for_service(service, password=TEST_PASSWORD)

    def template(self, service: str, migrations: Path | None) -> ServiceDatabase:
        if service not in self._templates:
            spec = self.spec(service)
            template = ServiceDatabase(
                database=f"{spec.database}_template",
                owner=spec.owner,
                owner_password=spec.owner_password,
                runtime=spec.runtime,
                runtime_password=spec.runtime_password,
            )
            run_sync(_recreate(self.servers.admin_url, template.database))
            run_sync(provision(self.servers.admin_url, template))
            if migrations is not None:
                upgrade(migrations, template.owner_url(self.servers.admin_url), runtime_role=template.runtime)
            self._templates[service] = template
        return self._templates[service]

    def clone(self, service: str, migrations: Path | None) -> ScratchDatabase:
        template = self.template(service, migrations)
        name = f"test_{service}_{uuid.uuid4().hex[:10]}"
        run_sync(_clone(self.servers.admin_url, template, name))
        return ScratchDatabase(
            name=name,
            spec=template,
            runtime_url=template.runtime_url(self.servers.admin_url, name),
            owner_url=template.owner_url(self.servers.admin_url, name),
            admin_url=_database_url(self.servers.admin_url, name),
        )

    def drop(self, database: ScratchDatabase) -> None:
        run_sync(_drop(self.servers.admin_url, database.name))


def _database_url(url: str, database: str) -> str:
    return url.rsplit("/", 1)[0] + f"/{database}"


async def _recreate(admin_url: str, name: str) -> None:
    await _drop(admin_url, name)


async def _clone(admin_url: str, template: ServiceDatabase, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(
            f"CREATE DATABASE {quote_ident(name)} TEMPLATE {quote_ident(template.database)} "
            f"OWNER {quote_ident(template.owner)}"
        )
    finally:
        await conn.close()


async def _drop(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
    finally:
        await conn.close()
