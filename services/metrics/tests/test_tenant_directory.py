"""The read copies of the tenants service's directory: municipalities, contract versions, lines and grants,
each filled from its events once per event, for its tenant only, the latest state kept whatever the order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from nats.aio.client import Client as NATS
from sqlalchemy import bindparam, select

from kit.db.database import Database
from kit.events import CloudEvent, EventConsumer, new_event
from kit.events.outbox import inbox
from metrics.directory import repository as directory
from metrics.directory.models import KnownTenant
from metrics.routing import find_routes

from .support import LINES, TERMS, consume, dead_letters

consuming_contracts = pytest.mark.parametrize("directory_consumer", ["metrics-contracts"], indirect=True)
consuming_lines = pytest.mark.parametrize("directory_consumer", ["metrics-lines"], indirect=True)
consuming_grants = pytest.mark.parametrize("directory_consumer", ["metrics-grants"], indirect=True)


def _event(event_type: str, tenant_id: str, data: dict[str, Any]) -> CloudEvent:
    return new_event(service="tenants", type=event_type, tenant_id=tenant_id, data=data)


def _tenant(tenant_id: str, *, version: int = 1, status: str = "onboarding", **changes: Any) -> dict[str, Any]:
    """A municipality's whole record as the tenants service publishes it."""
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


def _tenant_event(verb: str, tenant_id: str, data: dict[str, Any]) -> CloudEvent:
    return _event(f"tenants.tenant.{verb}.v1", tenant_id, data)


async def _known_tenants(database: Database, tenant_id: str) -> list[dict[str, Any]]:
    columns = (
        KnownTenant.tenant_id,
        KnownTenant.name,
        KnownTenant.time_zone,
        KnownTenant.status,
        KnownTenant.version,
        KnownTenant.created_at,
        KnownTenant.received_at,
    )
    return [dict(row) for row in await database.fetch_all(tenant_id, select(*columns))]


async def test_tenant_created_is_kept_once_and_only_for_its_tenant(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    event = _tenant_event("created", "artland", _tenant("artland"))

    await consume(nats_client, directory_consumer, event)
    first = await _known_tenants(database, "artland")
    await consume(nats_client, directory_consumer, event)

    assert [{key: value for key, value in row.items() if key != "received_at"} for row in first] == [
        {
            "tenant_id": "artland",
            "name": "Samtgemeinde Artland",
            "time_zone": "Europe/Berlin",
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


async def test_unreadable_events_are_dead_lettered_and_the_next_is_handled(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    nameless = _tenant("artland")
    del nameless["name"]
    await consume(
        nats_client,
        directory_consumer,
        _tenant_event("created", "artland", nameless),
        _tenant_event("created", "artland", _tenant("oldenburg", name="Stadt Oldenburg")),
        _tenant_event("created", "oldenburg", _tenant("oldenburg", name="Stadt Oldenburg")),
    )

    letters = await dead_letters(nats_client, directory_consumer)
    assert [letter.original_subject for letter in letters] == ["tenants.artland.tenant.created.v1"] * 2
    assert "name: Field required" in letters[0].error
    assert "data names oldenburg" in letters[1].error
    assert await _known_tenants(database, "artland") == []
    assert [row["name"] for row in await _known_tenants(database, "oldenburg")] == ["Stadt Oldenburg"]


async def test_a_later_version_of_a_tenant_wins_whatever_order_the_events_arrive_in(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    events = (
        _tenant_event("created", "artland", _tenant("artland")),
        _tenant_event("updated", "artland", _tenant("artland", version=2, time_zone="Europe/Amsterdam")),
        _tenant_event("status_changed", "artland", _tenant("artland", version=4, status="suspended")),
        _tenant_event("status_changed", "artland", _tenant("artland", version=3, status="active", name="Artland")),
    )

    await consume(nats_client, directory_consumer, *events)

    [row] = await _known_tenants(database, "artland")
    assert (row["version"], row["status"], row["name"], row["time_zone"]) == (
        4,
        "suspended",
        "Samtgemeinde Artland",
        "Europe/Berlin",
    )
    assert row["created_at"] == events[0].time
    assert await dead_letters(nats_client, directory_consumer) == []


def _contract(tenant_id: str, version: int, effective_from: datetime, terms: dict[str, Any]) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "version": version,
        "effective_from": effective_from.isoformat(),
        "terms": terms,
        "created_at": "2025-12-01T10:00:00+00:00",
        "created_by": "host-admin",
    }


def _version_added(tenant_id: str, data: dict[str, Any]) -> CloudEvent:
    return _event("tenants.contract.version_added.v1", tenant_id, data)


async def _contract_versions(database: Database, tenant_id: str) -> list[tuple[int, datetime, dict[str, Any]]]:
    async with database.lean_transaction(tenant_id) as conn:
        return await directory.contract_versions(conn)


@consuming_contracts
async def test_a_contract_version_is_kept_as_published_once_and_only_for_its_tenant(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    january, february = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    stricter = TERMS | {"service_level": TERMS["service_level"] | {"threshold_seconds": 15}}
    first = _version_added("artland", _contract("artland", 1, january, TERMS))
    changed = _version_added("artland", _contract("artland", 1, february, stricter))
    second = _version_added("artland", _contract("artland", 2, february, stricter))

    await consume(nats_client, directory_consumer, second, first, first, changed)

    assert await _contract_versions(database, "artland") == [(1, january, TERMS), (2, february, stricter)]
    assert await _contract_versions(database, "oldenburg") == []
    assert await dead_letters(nats_client, directory_consumer) == []


@consuming_contracts
async def test_a_contract_named_for_another_tenant_is_dead_lettered(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    january = datetime(2026, 1, 1, tzinfo=UTC)

    await consume(
        nats_client,
        directory_consumer,
        _version_added("artland", _contract("oldenburg", 1, january, TERMS)),
        _version_added("oldenburg", _contract("oldenburg", 1, january, TERMS)),
    )

    [letter] = await dead_letters(nats_client, directory_consumer)
    assert "data names oldenburg" in letter.error
    assert await _contract_versions(database, "artland") == []
    assert [version for version, _, _ in await _contract_versions(database, "oldenburg")] == [1]


def _line(tenant_id: str, address: str, line_id: uuid.UUID | None = None) -> dict[str, Any]:
    """A line as the tenants service publishes it."""
    return {
        "id": str(line_id or uuid.uuid4()),
        "tenant_id": tenant_id,
        "kind": "number",
        "address": address,
        "label": None,
    }


def _line_event(verb: str, line: dict[str, Any]) -> CloudEvent:
    return _event(f"tenants.line.{verb}.v1", line["tenant_id"], line)


async def _tenants_by_line(database: Database) -> dict[str, str]:
    """Whose calls each known line carries, as ingest finds them across tenants."""
    routes = await find_routes(database, [*LINES.values()], reporter_tenant=None, at=datetime.now(UTC))
    return routes.tenants_by_line


async def _own_lines(database: Database, tenant_id: str) -> list[tuple[str, bool]]:
    async with database.lean_transaction(tenant_id) as conn:
        rows = await conn.fetch("SELECT address, removed FROM lines ORDER BY address")
    return [(row["address"], row["removed"]) for row in rows]


@consuming_lines
async def test_a_line_routes_its_calls_to_its_tenant_until_removed_for_good(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    oldenburg, artland = _line("oldenburg", LINES["oldenburg"]), _line("artland", LINES["artland"])
    await consume(nats_client, directory_consumer, _line_event("added", oldenburg), _line_event("added", artland))
    both = await _tenants_by_line(database)

    # A removal overtaken by a repeat of the addition: the line stays removed.
    removed = _line_event("removed", artland)
    await consume(nats_client, directory_consumer, removed, _line_event("added", artland), removed)

    assert both == {LINES["oldenburg"]: "oldenburg", LINES["artland"]: "artland"}
    assert await _tenants_by_line(database) == {LINES["oldenburg"]: "oldenburg"}
    assert await _own_lines(database, "artland") == [(LINES["artland"], True)]
    assert await _own_lines(database, "oldenburg") == [(LINES["oldenburg"], False)]
    assert await dead_letters(nats_client, directory_consumer) == []


@consuming_lines
async def test_a_line_removed_before_its_addition_arrives_stays_removed(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    artland = _line("artland", LINES["artland"])

    await consume(nats_client, directory_consumer, _line_event("removed", artland), _line_event("added", artland))

    assert await _tenants_by_line(database) == {}
    assert await _own_lines(database, "artland") == [(LINES["artland"], True)]


@consuming_lines
async def test_a_line_named_for_another_tenant_is_dead_lettered(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    foreign = _event("tenants.line.added.v1", "artland", _line("oldenburg", LINES["oldenburg"]))

    await consume(nats_client, directory_consumer, foreign)

    [letter] = await dead_letters(nats_client, directory_consumer)
    assert "data names oldenburg" in letter.error
    assert await _tenants_by_line(database) == {}


def _grant(tenant_id: str, grantee: str, *, valid_until: datetime | None = None) -> dict[str, Any]:
    """``grantee`` serving ``tenant_id`` from yesterday, as the tenants service publishes it."""
    now = datetime.now(UTC)
    return {
        "id": str(uuid.uuid4()),
        "tenant_id": tenant_id,
        "grantee_tenant": grantee,
        "roles": ["agent"],
        "valid_from": (now - timedelta(days=1)).isoformat(),
        "valid_until": valid_until.isoformat() if valid_until else None,
        "created_by": f"{tenant_id}-admin",
        "created_at": (now - timedelta(days=2)).isoformat(),
    }


def _grant_event(verb: str, grant: dict[str, Any]) -> CloudEvent:
    return _event(f"tenants.grant.{verb}.v1", grant["tenant_id"], grant)


async def _served_by(database: Database, host: str) -> frozenset[str] | None:
    """The municipalities whose calls ``host``'s telephony may report now."""
    return (await find_routes(database, [], reporter_tenant=host, at=datetime.now(UTC))).served


@consuming_grants
async def test_a_grant_lets_its_host_report_for_the_partner_until_removed_for_good(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    artland = _grant("artland", "oldenburg")
    muenchen = _grant("muenchen", "oldenburg", valid_until=datetime.now(UTC) - timedelta(minutes=1))
    await consume(nats_client, directory_consumer, _grant_event("added", artland), _grant_event("added", muenchen))
    granted = await _served_by(database, "oldenburg")

    removed = _grant_event("removed", artland)
    await consume(nats_client, directory_consumer, removed, _grant_event("added", artland))

    assert granted == frozenset({"oldenburg", "artland"})
    assert await _served_by(database, "artland") == frozenset({"artland"})
    assert await _served_by(database, "oldenburg") == frozenset({"oldenburg"})
    assert await dead_letters(nats_client, directory_consumer) == []


@consuming_grants
async def test_a_grant_named_for_another_tenant_is_dead_lettered(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    # The grant is the partner's (Artland's) to give: an event of the host's that names it is not taken.
    await consume(
        nats_client, directory_consumer, _event("tenants.grant.added.v1", "oldenburg", _grant("artland", "oldenburg"))
    )

    [letter] = await dead_letters(nats_client, directory_consumer)
    assert "data names artland" in letter.error
    assert await _served_by(database, "oldenburg") == frozenset({"oldenburg"})
