"""Pytest fixtures every service's tests use: ``pytest_plugins = ["kit.testing.plugin"]``.

A service's tests name their database once, and get ``scratch``, ``database`` and ``admin`` from here::

    @pytest.fixture(scope="session")
    def service_under_test() -> ServiceUnderTest:
        return ServiceUnderTest("tickets", MIGRATIONS)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import nats
import pytest
from nats.aio.client import Client as NATS
from nats.js.api import StorageType, StreamConfig
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from kit.db.database import Database
from kit.local.nats import LocalNats
from kit.local.postgres import LocalPostgres, free_port
from kit.telemetry import install_tracer_provider
from kit.testing.infra import InfraServers, ScratchDatabase, ServiceDatabases, scratch_dir
from kit.testing.keys import SigningKeys

_SPANS = InMemorySpanExporter()
_KEEPER = StreamConfig(name="TEST_KEEPER", subjects=["_test.keeper"], storage=StorageType.FILE)
"""A stream the fixture never deletes: when an account's last stream is deleted, nats-server may still be
clearing the account's store folder while the next stream is created, which then fails with
"could not create storage directory" (error 10049)."""


@pytest.fixture(scope="session")
def servers() -> Iterator[InfraServers]:
    started = InfraServers.start()
    yield started
    started.stop()


@pytest.fixture(scope="session")
def service_databases(servers: InfraServers) -> ServiceDatabases:
    return ServiceDatabases(servers)


@dataclass(frozen=True)
class ServiceUnderTest:
    """The service whose database the tests migrate: its name and its migrations folder."""

    name: str
    migrations: Path


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    raise pytest.UsageError("a service's conftest defines the fixture service_under_test")


@pytest.fixture
def scratch(service_databases: ServiceDatabases, service_under_test: ServiceUnderTest) -> Iterator[ScratchDatabase]:
    """A migrated database of the service under test, of its own for each test."""
    database = service_databases.clone(service_under_test.name, service_under_test.migrations)
    yield database
    service_databases.drop(database)


@pytest.fixture
async def database(scratch: ScratchDatabase) -> AsyncIterator[Database]:
    """The scratch database as the runtime role, the way the service connects."""
    db = Database(scratch.runtime_url, pool_size=2)
    yield db
    await db.dispose()


@pytest.fixture
async def admin(scratch: ScratchDatabase) -> AsyncIterator[asyncpg.Connection]:
    """The superuser on the scratch database: writes fixtures and sees what was really stored, whatever the tenant."""
    conn = await asyncpg.connect(scratch.admin_url)
    yield conn
    await conn.close()


@pytest.fixture(scope="session")
def keys() -> SigningKeys:
    return SigningKeys.generate()


@pytest.fixture(scope="session")
def span_exporter() -> InMemorySpanExporter:
    """Spans of this process, recorded in memory (the tracer provider is installed once per process)."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_SPANS))
    install_tracer_provider(provider)
    return _SPANS


@pytest.fixture
async def nats_client(servers: InfraServers) -> AsyncIterator[NATS]:
    """A connection to the session's NATS with every stream but the keeper deleted first."""
    client = await nats.connect(servers.nats_url)
    js = client.jetstream()
    await js.add_stream(_KEEPER)
    for info in await js.streams_info():
        if info.config.name != _KEEPER.name:
            await js.delete_stream(info.config.name or "")
    yield client
    await client.close()


@pytest.fixture
def own_nats() -> Iterator[LocalNats]:
    """A private nats-server for one test, which the test may stop and start again."""
    workdir = scratch_dir("zentrale-nats-")
    server = LocalNats(workdir / "nats", free_port(), free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_postgres() -> Iterator[LocalPostgres]:
    """A private PostgreSQL for one test, which the test may stop and start again."""
    workdir = scratch_dir("zentrale-pg-")
    server = LocalPostgres(workdir / "postgres", free_port())
    server.start(fsync=False)
    yield server
    server.stop()
