"""The read copy of tenants: filled from the tenants events, once per event, for its tenant only, newest state kept."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from nats.aio.client import Client as NATS
from sqlalchemy import bindparam, select

from kit.db.database import Database
from kit.events import CloudEvent, EventConsumer, new_event
from kit.events.outbox import inbox
from tickets.directory.models import KnownTenant
from tickets.directory.terms import forwarding_context

from .support import consume, dead_letters


def _tenant(tenant_id: str, *, version: int = 1, status: str = "onboarding", **changes: Any) -> dict[str, Any]:
    return {
        "id": tenant_id,
        "name": "Samtgemeinde Artland",
        "ars": "034595409",
        "ags": None,
        "state": "NI",
        "time_zone": "Europe/Berlin",
        "open311_jurisdiction_id": f"{tenant_id}.example",
        "status": status,
        "version": version,
        "updated_at": "2026-11-24T09:00:00+00:00",
        **changes,
    }


def _event(verb: str, tenant_id: str, data: dict[str, Any]) -> CloudEvent:
    return new_event(service="tenants", type=f"tenants.tenant.{verb}.v1", tenant_id=tenant_id, data=data)


async def _known_tenants(database: Database, tenant_id: str) -> list[dict[str, Any]]:
    columns = (
        KnownTenant.tenant_id,
        KnownTenant.name,
        KnownTenant.time_zone,
        KnownTenant.state,
        KnownTenant.open311_jurisdiction_id,
        KnownTenant.status,
        KnownTenant.version,
        KnownTenant.created_at,
        KnownTenant.received_at,
    )
    return [dict(row) for row in await database.fetch_all(tenant_id, select(*columns))]


async def _served(database: Database, tenant_id: str) -> bool:
    async with database.lean_transaction(tenant_id) as conn:
        context = await forwarding_context(conn, datetime.now(UTC), department_id=None, leika_key=None)
    return context.served


async def test_tenant_created_is_kept_once_and_only_for_its_tenant(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    event = _event("created", "artland", _tenant("artland"))

    await consume(nats_client, directory_consumer, event)
    first = await _known_tenants(database, "artland")
    await consume(nats_client, directory_consumer, event)

    assert [{key: value for key, value in row.items() if key != "received_at"} for row in first] == [
        {
            "tenant_id": "artland",
            "name": "Samtgemeinde Artland",
            "time_zone": "Europe/Berlin",
            "state": "NI",
            "open311_jurisdiction_id": "artland.example",
            "status": "onboarding",
            "version": 1,
            "created_at": event.time,
        }
    ]
    assert await _known_tenants(database, "artland") == first
    applied = await database.fetch_all(
        "artland",
        select(inbox.c.event_id).where(inbox.c.consumer == bindparam("consumer")),
        {"consumer": directory_consumer.name},
    )
    assert [row["event_id"] for row in applied] == [uuid.UUID(event.id)]
    assert await _known_tenants(database, "oldenburg") == []
    assert await _served(database, "artland")
    assert not await _served(database, "oldenburg")


async def test_unreadable_events_are_dead_lettered_and_the_next_is_handled(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    nameless = _tenant("artland")
    del nameless["name"]
    await consume(
        nats_client,
        directory_consumer,
        _event("created", "artland", nameless),
        _event("created", "artland", _tenant("oldenburg", name="Stadt Oldenburg")),
        _event("created", "oldenburg", _tenant("oldenburg", name="Stadt Oldenburg")),
    )

    letters = await dead_letters(nats_client, directory_consumer)
    assert [letter.original_subject for letter in letters] == ["tenants.artland.tenant.created.v1"] * 2
    assert "name: Field required" in letters[0].error
    assert "data names oldenburg" in letters[1].error
    assert await _known_tenants(database, "artland") == []
    assert [row["name"] for row in await _known_tenants(database, "oldenburg")] == ["Stadt Oldenburg"]


async def test_a_later_version_wins_whatever_order_the_events_arrive_in(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    events = (
        _event("created", "artland", _tenant("artland")),
        _event("updated", "artland", _tenant("artland", version=2, state="NW", time_zone="Europe/Amsterdam")),
        _event("status_changed", "artland", _tenant("artland", version=4, status="suspended", state="NW")),
        _event("status_changed", "artland", _tenant("artland", version=3, status="active", state="HB")),
    )
    await consume(nats_client, directory_consumer, *events)

    [row] = await _known_tenants(database, "artland")
    assert (row["version"], row["status"], row["state"], row["time_zone"]) == (4, "suspended", "NW", "Europe/Berlin")
    assert row["created_at"] == events[0].time
    assert not await _served(database, "artland")
