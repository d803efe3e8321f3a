"""Fixtures of the knowledge service's tests: a migrated database per test and a running consumer."""

from __future__ import annotations

from collections.abc import AsyncIterator

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
from knowledge.app import create_app
from knowledge.events.handlers import SUBSCRIPTIONS
from knowledge.migrate import MIGRATIONS
from knowledge.settings import get_settings

from .support import HOST, know_tenants


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest("knowledge", MIGRATIONS)


@pytest.fixture
async def directory_consumer(database: Database, nats_client: NATS) -> AsyncIterator[EventConsumer]:
    """The tenant-directory subscription, under a name of its own, consuming in the background."""
    js = nats_client.jetstream()
    await ensure_stream(js, service_stream("tenants"))
    await ensure_stream(js, dead_letter_stream())
    async with running_subscription(SUBSCRIPTIONS[0], database=database, nats=nats_client) as consumer:
        yield consumer


@pytest.fixture
async def client(
    scratch: ScratchDatabase, servers: InfraServers, keys: SigningKeys, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    """The knowledge API with Oldenburg (the host), Artland and München in its directory."""
    await know_tenants(scratch)
    monkeypatch.setenv("KNOWLEDGE_HOST_TENANT", HOST)
    async with service_client(
        create_app,
        get_settings,
        prefix="KNOWLEDGE",
        database=scratch,
        servers=servers,
        keys=keys,
        monkeypatch=monkeypatch,
    ) as http:
        yield http
