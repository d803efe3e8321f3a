"""The read copy of tenants: filled from the tenants events, once per event, for its tenant only, newest state kept."""

from __future__ import annotations

import uuid
from typing import Any

from nats.aio.client import Client as NATS
from sqlalchemy import bindparam, select

from kit.db.database import Database
from kit.events import CloudEvent, EventConsumer, new_event
from kit.events.deadletters import list_dead_letters
from kit.events.outbox import inbox
from kit.testing.events import consumer_settled, eventually, publish_copy
from knowledge.directory.models import KnownTenant
from knowledge.directory.repository import is_known


def _tenant_created(tenant_id: str, data: dict[str, Any]) -> CloudEvent:
    return new_event(service="tenants", type="tenants.tenant.created.v1", tenant_id=tenant_id, data=data)


def _status_changed(tenant_id: str, status: str, version: int) -> CloudEvent:
    data = {"id": tenant_id, "name": "Samtgemeinde Artland", "status": status, "version": version}
    return new_event(service="tenants", type="tenants.tenant.status_changed.v1", tenant_id=tenant_id, data=data)


async def _known_tenants(database: Database, tenant_id: str) -> list[dict[str, Any]]:
    columns = (
        KnownTenant.tenant_id,
        KnownTenant.name,
        KnownTenant.status,
        KnownTenant.created_at,
        KnownTenant.received_at,
    )
    return [dict(row) for row in await database.fetch_all(tenant_id, select(*columns))]


async def test_tenant_created_is_kept_once_and_only_for_its_tenant(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    event = _tenant_created(
        "artland", {"id": "artland", "name": "Samtgemeinde Artland", "status": "onboarding", "version": 1}
    )

    await publish_copy(nats_client, event)
    await eventually(lambda: consumer_settled(nats_client, directory_consumer, 1))
    first = await _known_tenants(database, "artland")
    await publish_copy(nats_client, event)
    await eventually(lambda: consumer_settled(nats_client, directory_consumer, 2))

    assert [(row["tenant_id"], row["name"], row["status"], row["created_at"]) for row in first] == [
        ("artland", "Samtgemeinde Artland", "onboarding", event.time)
    ]
    assert await _known_tenants(database, "artland") == first
    applied = await database.fetch_all(
        "artland",
        select(inbox.c.event_id).where(inbox.c.consumer == bindparam("consumer")),
        {"consumer": directory_consumer.name},
    )
    assert [row["event_id"] for row in applied] == [uuid.UUID(event.id)]
    assert await _known_tenants(database, "oldenburg") == []


async def test_unreadable_events_are_dead_lettered_and_the_next_is_handled(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    await publish_copy(nats_client, _tenant_created("artland", {"id": "artland"}))
    oldenburg = {"id": "oldenburg", "name": "Stadt Oldenburg", "status": "active", "version": 1}
    await publish_copy(nats_client, _tenant_created("artland", oldenburg))
    await publish_copy(nats_client, _tenant_created("oldenburg", oldenburg))
    await eventually(lambda: consumer_settled(nats_client, directory_consumer, 3))

    letters = [
        letter
        for letter in await list_dead_letters(nats_client.jetstream())
        if letter.consumer == directory_consumer.name
    ]
    assert [letter.original_subject for letter in letters] == ["tenants.artland.tenant.created.v1"] * 2
    assert "name: Field required" in letters[0].error
    assert "data names oldenburg" in letters[1].error
    assert await _known_tenants(database, "artland") == []
    assert [row["name"] for row in await _known_tenants(database, "oldenburg")] == ["Stadt Oldenburg"]


async def test_a_later_status_wins_whatever_order_the_events_arrive_in(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    for event in (_status_changed("artland", "suspended", 3), _status_changed("artland", "active", 2)):
        await publish_copy(nats_client, event)
    await eventually(lambda: consumer_settled(nats_client, directory_consumer, 2))

    assert [row["status"] for row in await _known_tenants(database, "artland")] == ["suspended"]
    assert not await is_known(database, "artland")
