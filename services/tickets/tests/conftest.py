"""Fixtures of the tickets service's tests: a migrated database per test and a running consumer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from nats.aio.client import Client as NATS

from kit.db.database import Database
from kit.events import EventConsumer, ensure_stream, service_stream
from kit.events.streams import dead_letter_stream
from kit.testing.events import running_subscription
from kit.testing.infra import ScratchDatabase, ServiceDatabases
from tickets.events.handlers import SUBSCRIPTIONS
from tickets.migrate import MIGRATIONS


@pytest.fixture
def scratch(service_databases: ServiceDatabases) -> Iterator[ScratchDatabase]:
    """A migrated database of its own for each test."""
    database = service_databases.clone("tickets", MIGRATIONS)
    yield database
    service_databases.drop(database)


@pytest.fixture
async def database(scratch: ScratchDatabase) -> AsyncIterator[Database]:
    """The scratch database as the runtime role, the way the service connects."""
    db = Database(scratch.runtime_url, pool_size=2)
    yield db
    await db.dispose()


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
