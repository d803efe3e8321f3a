"""Fixtures of the metrics service's tests: a migrated database per test and a running consumer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client as NATS

from kit.db.database import Database
from kit.events import EventConsumer, ensure_stream, service_stream
from kit.events.streams import dead_letter_stream
from kit.testing.events import running_subscription
from kit.testing.plugin import ServiceUnderTest
from metrics.events.handlers import SUBSCRIPTIONS
from metrics.migrate import MIGRATIONS


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest("metrics", MIGRATIONS)


@pytest.fixture
async def directory_consumer(database: Database, nats_client: NATS) -> AsyncIterator[EventConsumer]:
    """The tenant-directory subscription, under a name of its own, consuming in the background."""
    js = nats_client.jetstream()
    await ensure_stream(js, service_stream("tenants"))
    await ensure_stream(js, dead_letter_stream())
    async with running_subscription(SUBSCRIPTIONS[0], database=database, nats=nats_client) as consumer:
        yield consumer
