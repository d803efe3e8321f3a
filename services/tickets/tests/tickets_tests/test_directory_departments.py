"""The read copy of departments: the latest version kept, a deleted one kept as deleted, each for its tenant only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from nats.aio.client import Client as NATS
from sqlalchemy import select

from kit.db.database import Database
from kit.events import CloudEvent, EventConsumer, new_event
from tickets.directory.models import Department

from .support import consume, dead_letters

pytestmark = pytest.mark.parametrize("directory_consumer", ["tickets-departments"], indirect=True)

BUERGERAMT = uuid.UUID("5b0c7a51-2d1e-4f6a-9a43-0d6c9f1e2a10")
UPDATED_AT = datetime(2026, 11, 24, 9, tzinfo=UTC)


def _department(tenant_id: str, version: int, **changes: Any) -> dict[str, Any]:
    return {
        "id": str(BUERGERAMT),
        "tenant_id": tenant_id,
        "name": "Bürgeramt",
        "email": "buergeramt@artland.example",
        "phone": None,
        "leika_keys": ["99085001012000"],
        "escalation_contact": None,
        "version": version,
        "updated_at": (UPDATED_AT + timedelta(minutes=version)).isoformat(),
        **changes,
    }


def _event(verb: str, tenant_id: str, data: dict[str, Any]) -> CloudEvent:
    return new_event(service="tenants", type=f"tenants.department.{verb}.v1", tenant_id=tenant_id, data=data)


async def _departments(database: Database, tenant_id: str) -> list[dict[str, Any]]:
    columns = (
        Department.tenant_id,
        Department.id,
        Department.name,
        Department.email,
        Department.phone,
        Department.leika_keys,
        Department.version,
        Department.deleted,
        Department.updated_at,
    )
    return [dict(row) for row in await database.fetch_all(tenant_id, select(*columns))]


async def test_a_department_is_kept_at_its_latest_version_whatever_the_order(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    created = _event("created", "artland", _department("artland", 1))
    events = (
        created,
        _event("updated", "artland", _department("artland", 3, name="Bürgerbüro", phone="+495431180")),
        _event("updated", "artland", _department("artland", 2, name="Bürgerservice")),
        created,
    )
    await consume(nats_client, directory_consumer, *events)

    assert await _departments(database, "artland") == [
        {
            "tenant_id": "artland",
            "id": BUERGERAMT,
            "name": "Bürgerbüro",
            "email": "buergeramt@artland.example",
            "phone": "+495431180",
            "leika_keys": ["99085001012000"],
            "version": 3,
            "deleted": False,
            "updated_at": UPDATED_AT + timedelta(minutes=3),
        }
    ]
    assert await _departments(database, "oldenburg") == []


async def test_a_deleted_department_stays_for_its_tickets_and_is_not_revived(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    events = (
        _event("created", "artland", _department("artland", 1)),
        _event("updated", "artland", _department("artland", 2, name="Bürgerservice")),
        _event("deleted", "artland", _department("artland", 2, name="Bürgerservice")),
        _event("updated", "artland", _department("artland", 2, name="Bürgerservice")),
    )
    await consume(nats_client, directory_consumer, *events)

    [row] = await _departments(database, "artland")
    assert (row["name"], row["version"], row["deleted"]) == ("Bürgerservice", 2, True)


async def test_a_department_of_another_tenant_is_dead_lettered(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    await consume(
        nats_client,
        directory_consumer,
        _event("created", "artland", _department("oldenburg", 1)),
        _event("created", "oldenburg", _department("oldenburg", 1)),
    )

    letters = await dead_letters(nats_client, directory_consumer)
    assert [letter.original_subject for letter in letters] == ["tenants.artland.department.created.v1"]
    assert "data names oldenburg" in letters[0].error
    assert await _departments(database, "artland") == []
    assert [row["tenant_id"] for row in await _departments(database, "oldenburg")] == ["oldenburg"]
