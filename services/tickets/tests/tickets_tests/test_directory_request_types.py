"""The read copy of Open311 request types: what a tenant's own descriptions offer, one description per code."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from nats.aio.client import Client as NATS
from sqlalchemy import select

from kit.db.database import Database
from kit.events import CloudEvent, EventConsumer, new_event
from tickets.directory.models import RequestType

from .support import consume

pytestmark = pytest.mark.parametrize("directory_consumer", ["tickets-request-types"], indirect=True)

BULKY_WASTE = uuid.UUID("0f4a7c1e-6f0e-4b8e-9d0a-3b8f2f6d1a01")
STREET_LIGHT = uuid.UUID("7c9d2e4b-1a3f-4d5e-8b6c-2e4f6a8c0b02")
PUBLISHED_AT = datetime(2026, 11, 24, 9, tzinfo=UTC)
ATTRIBUTE = {
    "code": "pickup_date",
    "description": "Gewünschter Abholtermin",
    "datatype": "singlevaluelist",
    "required": True,
    "datatype_description": None,
    "order": 1,
    "values": [{"key": "mon", "name": "Montag"}],
}


def _request_type(code: str, **changes: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": "Sperrmüll",
        "description": "Abholung von Sperrmüll",
        "group": "Abfall",
        "keywords": ["Sperrmüll", "Abholung"],
        "attributes": [ATTRIBUTE],
        **changes,
    }


def _description(
    description_id: uuid.UUID, minutes: int, request_type: dict[str, Any] | None, *, layer: str = "local"
) -> dict[str, Any]:
    return {
        "id": str(description_id),
        "layer": layer,
        "leika_key": "99013001000000",
        "name": "Sperrmüll anmelden",
        "online_service_url": None,
        "published_version": 1,
        "changed_by": "redaktion",
        "changed_at": (PUBLISHED_AT + timedelta(minutes=minutes)).isoformat(),
        "request_type": request_type,
    }


def _event(verb: str, data: dict[str, Any], tenant_id: str = "artland") -> CloudEvent:
    return new_event(service="knowledge", type=f"knowledge.description.{verb}.v1", tenant_id=tenant_id, data=data)


async def _request_types(database: Database, tenant_id: str = "artland") -> list[dict[str, Any]]:
    query = select(
        RequestType.tenant_id,
        RequestType.code,
        RequestType.description_id,
        RequestType.name,
        RequestType.description,
        RequestType.group_name,
        RequestType.keywords,
        RequestType.attributes,
        RequestType.leika_key,
        RequestType.changed_at,
    ).order_by(RequestType.code)
    return [dict(row) for row in await database.fetch_all(tenant_id, query)]


async def _codes(database: Database) -> list[tuple[str, uuid.UUID, datetime]]:
    return [(row["code"], row["description_id"], row["changed_at"]) for row in await _request_types(database)]


async def test_a_local_descriptions_request_type_is_kept_once_and_only_for_its_tenant(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    published = _event("published", _description(BULKY_WASTE, 0, _request_type("bulky-waste")))

    await consume(nats_client, directory_consumer, published, published)

    assert await _request_types(database) == [
        {
            "tenant_id": "artland",
            "code": "bulky-waste",
            "description_id": BULKY_WASTE,
            "name": "Sperrmüll",
            "description": "Abholung von Sperrmüll",
            "group_name": "Abfall",
            "keywords": ["Sperrmüll", "Abholung"],
            "attributes": [ATTRIBUTE],
            "leika_key": "99013001000000",
            "changed_at": PUBLISHED_AT,
        }
    ]
    assert await _request_types(database, "oldenburg") == []


async def test_a_changed_code_moves_and_an_older_event_changes_nothing(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    await consume(
        nats_client,
        directory_consumer,
        _event("published", _description(BULKY_WASTE, 0, _request_type("bulky-waste"))),
        _event("updated", _description(BULKY_WASTE, 10, _request_type("sperrmuell", name="Sperrmüll-Abholung"))),
        _event("updated", _description(BULKY_WASTE, 5, _request_type("bulky-waste-old"))),
    )

    [row] = await _request_types(database)
    assert (row["code"], row["name"], row["changed_at"]) == (
        "sperrmuell",
        "Sperrmüll-Abholung",
        PUBLISHED_AT + timedelta(minutes=10),
    )


async def test_archiving_or_dropping_the_request_type_removes_it(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    await consume(
        nats_client,
        directory_consumer,
        _event("published", _description(BULKY_WASTE, 0, _request_type("bulky-waste"))),
        _event("published", _description(STREET_LIGHT, 0, _request_type("street-light", name="Straßenlaterne"))),
    )
    assert [code for code, _, _ in await _codes(database)] == ["bulky-waste", "street-light"]

    await consume(
        nats_client,
        directory_consumer,
        _event("archived", _description(BULKY_WASTE, 5, _request_type("bulky-waste"))),
        _event("updated", _description(STREET_LIGHT, 5, None)),
    )

    assert await _request_types(database) == []


async def test_a_shared_description_offers_no_request_type(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    await consume(
        nats_client,
        directory_consumer,
        _event("published", _description(BULKY_WASTE, 0, _request_type("bulky-waste"), layer="shared")),
        _event("published", _description(STREET_LIGHT, 0, _request_type("street-light"), layer="supplement")),
    )

    assert [(code, description) for code, description, _ in await _codes(database)] == [("street-light", STREET_LIGHT)]


async def test_a_code_two_descriptions_claim_goes_to_the_one_changed_last_whatever_the_order(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    earlier = _event("published", _description(BULKY_WASTE, 0, _request_type("bulky-waste")))
    later = _event("published", _description(STREET_LIGHT, 10, _request_type("bulky-waste")))

    await consume(nats_client, directory_consumer, earlier, later)
    in_order = await _codes(database)
    await consume(
        nats_client,
        directory_consumer,
        _event("archived", _description(STREET_LIGHT, 20, None)),
        _event("updated", _description(STREET_LIGHT, 30, _request_type("bulky-waste"))),
        _event("updated", _description(BULKY_WASTE, 25, _request_type("bulky-waste"))),
    )
    out_of_order = await _codes(database)

    assert in_order == [("bulky-waste", STREET_LIGHT, PUBLISHED_AT + timedelta(minutes=10))]
    assert out_of_order == [("bulky-waste", STREET_LIGHT, PUBLISHED_AT + timedelta(minutes=30))]
