"""Fixtures of the metrics service's tests: a migrated database per test, its superuser, a running consumer, and
the metrics API with Oldenburg, Artland and München in its directory, Oldenburg's and Artland's main lines and
contracts."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from nats.aio.client import Client as NATS

from kit.db.database import Database
from kit.events import EventConsumer, ensure_stream, service_stream
from kit.events.streams import dead_letter_stream
from kit.testing.checks import service_client
from kit.testing.events import running_subscription
from kit.testing.infra import InfraServers, ScratchDatabase
from kit.testing.keys import SigningKeys
from kit.testing.plugin import ServiceUnderTest
from metrics.app import create_app
from metrics.events.handlers import SUBSCRIPTIONS
from metrics.migrate import MIGRATIONS
from metrics.settings import get_settings

from .support import LINES, add_contract, add_line, know_tenants


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest("metrics", MIGRATIONS)


@pytest.fixture
async def directory_consumer(
    request: pytest.FixtureRequest, database: Database, nats_client: NATS
) -> AsyncIterator[EventConsumer]:
    """A read-copy subscription under a name of its own, consuming in the background.

    The tenants' by default; a test names another durable with
    ``@pytest.mark.parametrize("directory_consumer", ["metrics-lines"], indirect=True)``.
    """
    durable = getattr(request, "param", "metrics-tenants")
    subscription = next(sub for sub in SUBSCRIPTIONS if sub.durable == durable)
    js = nats_client.jetstream()
    await ensure_stream(js, service_stream(subscription.stream.lower()))
    await ensure_stream(js, dead_letter_stream())
    async with running_subscription(subscription, database=database, nats=nats_client) as consumer:
        yield consumer


@pytest.fixture
async def served(scratch: ScratchDatabase, admin: asyncpg.Connection) -> ScratchDatabase:
    """The scratch database with the three municipalities; Oldenburg's contract judges by 20 s with 10 s short
    abandons, Artland's by 30 s without; München has neither line nor contract."""
    await know_tenants(admin)
    await add_contract(admin, "oldenburg")
    await add_contract(admin, "artland", threshold_seconds=30, short_abandon_seconds=0)
    for tenant_id, address in LINES.items():
        await add_line(admin, tenant_id, address)
    return scratch


@pytest.fixture
async def client(
    served: ScratchDatabase, servers: InfraServers, keys: SigningKeys, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    """The whole metrics API, configured as in production, on the served database."""
    async with service_client(
        create_app,
        get_settings,
        prefix="METRICS",
        database=served,
        servers=servers,
        keys=keys,
        monkeypatch=monkeypatch,
    ) as http:
        yield http
