"""Fixtures of the tickets service's tests: a migrated database per test, its superuser, a running consumer, and
the tickets API with Oldenburg, Artland and München in its directory, each with a contract in force."""

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
from tickets.app import create_app
from tickets.events.handlers import SUBSCRIPTIONS
from tickets.migrate import MIGRATIONS
from tickets.settings import get_settings

from .support import TENANTS, add_contract, know_tenants


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest("tickets", MIGRATIONS)


@pytest.fixture
async def directory_consumer(
    request: pytest.FixtureRequest, database: Database, nats_client: NATS
) -> AsyncIterator[EventConsumer]:
    """A read-copy subscription under a name of its own, consuming in the background.

    The tenants' by default; a test names another durable with
    ``@pytest.mark.parametrize("directory_consumer", ["tickets-departments"], indirect=True)``.
    """
    durable = getattr(request, "param", "tickets-tenants")
    subscription = next(sub for sub in SUBSCRIPTIONS if sub.durable == durable)
    js = nats_client.jetstream()
    await ensure_stream(js, service_stream(subscription.stream.lower()))
    await ensure_stream(js, dead_letter_stream())
    async with running_subscription(subscription, database=database, nats=nats_client) as consumer:
        yield consumer


@pytest.fixture
async def served(scratch: ScratchDatabase, admin: asyncpg.Connection) -> ScratchDatabase:
    """The scratch database with the three municipalities and their contracts."""
    await know_tenants(admin)
    for tenant_id in TENANTS:
        await add_contract(admin, tenant_id)
    return scratch


@pytest.fixture
async def client(
    served: ScratchDatabase, servers: InfraServers, keys: SigningKeys, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    """The whole tickets API, configured as in production, on the served database."""
    async with service_client(
        create_app,
        get_settings,
        prefix="TICKETS",
        database=served,
        servers=servers,
        keys=keys,
        monkeypatch=monkeypatch,
    ) as http:
        yield http
