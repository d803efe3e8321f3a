"""The access audit: what the gateway reports of each access to a municipality's data, read by that municipality."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NATS

from kit.db.database import Database
from kit.events import CloudEvent, EventConsumer, ensure_stream, new_event, service_stream
from kit.events.deadletters import list_dead_letters
from kit.events.streams import dead_letter_stream
from kit.testing.events import consumer_settled, eventually, publish_copy, running_subscription
from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys
from tenants.events.handlers import ACCESS_AUDIT

from .registry import ARTLAND, OLDENBURG, admin, agent, register

AUDIT = "/v1/tenants/artland/audit"


@pytest.fixture
async def audit_consumer(tenants_db: ScratchDatabase, nats_client: NATS) -> AsyncIterator[EventConsumer]:
    js = nats_client.jetstream()
    await ensure_stream(js, service_stream("gateway"))
    await ensure_stream(js, dead_letter_stream())
    database = Database(tenants_db.runtime_url, pool_size=2)
    try:
        async with running_subscription(ACCESS_AUDIT, database=database, nats=nats_client) as consumer:
            yield consumer
    finally:
        await database.dispose()


def _record(
    tenant: str, *, subject: str, home: str | None, path: str | None = None, status: int = 200
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "at": datetime.now(UTC).isoformat(),
        "subject": subject,
        "kind": "user",
        "home_tenant": home,
        "roles": ["agent", "back_office"],
        "method": "GET",
        "path": path or f"/v1/tenants/{tenant}/contract",
        "status": status,
        "request_id": f"req-{subject}",
    }


def _accesses(tenant: str, *records: dict[str, Any]) -> CloudEvent:
    data = {"accesses": list(records)}
    return new_event(service="gateway", type="gateway.accesses.recorded.v1", tenant_id=tenant, data=data)


def _access(tenant: str, *, subject: str, home: str | None, path: str | None = None, status: int = 200) -> CloudEvent:
    return _accesses(tenant, _record(tenant, subject=subject, home=home, path=path, status=status))


async def _publish_and_settle(nats: NATS, consumer: EventConsumer, *events: CloudEvent, settled: int) -> None:
    for event in events:
        await publish_copy(nats, event)
    await eventually(lambda: consumer_settled(nats, consumer, settled))


async def test_a_municipality_reads_who_of_the_host_accessed_its_data(
    client: httpx.AsyncClient, keys: SigningKeys, nats_client: NATS, audit_consumer: EventConsumer
) -> None:
    await register(client, keys, ARTLAND, OLDENBURG)
    events = [
        _access("artland", subject="agent-meyer", home="oldenburg"),
        _access("oldenburg", subject="agent-meyer", home="oldenburg"),
        _access("artland", subject="agent-schulz", home="oldenburg", status=404),
        _access("artland", subject="ops", home=None),
    ]
    await _publish_and_settle(nats_client, audit_consumer, *events, settled=4)
    await publish_copy(nats_client, events[0])
    await eventually(lambda: consumer_settled(nats_client, audit_consumer, 5))

    everything = (await client.get(AUDIT, headers=admin(keys, "artland"))).json()
    meyer = (await client.get(AUDIT, params={"subject": "agent-meyer"}, headers=admin(keys, "artland"))).json()

    assert [item["subject"] for item in everything["items"]] == ["ops", "agent-schulz", "agent-meyer"]
    assert everything["items"][1]["status"] == 404
    assert [(i["home_tenant"], i["path"]) for i in meyer["items"]] == [("oldenburg", "/v1/tenants/artland/contract")]


async def test_one_event_carries_many_accesses_each_kept_once(
    client: httpx.AsyncClient, keys: SigningKeys, nats_client: NATS, audit_consumer: EventConsumer
) -> None:
    await register(client, keys, ARTLAND)
    records = [_record("artland", subject=f"agent-{n}", home="oldenburg") for n in range(3)]
    await _publish_and_settle(nats_client, audit_consumer, _accesses("artland", *records), settled=1)
    # The same accesses again in a new event (a gateway that published, lost the ack and rebuilt nothing).
    await _publish_and_settle(nats_client, audit_consumer, _accesses("artland", records[2]), settled=2)

    items = (await client.get(AUDIT, headers=admin(keys, "artland"))).json()["items"]

    assert sorted((i["id"], i["subject"]) for i in items) == sorted((r["id"], r["subject"]) for r in records)
    assert items[0]["roles"] == ["agent", "back_office"]


async def test_the_audit_pages_newest_first(
    client: httpx.AsyncClient, keys: SigningKeys, nats_client: NATS, audit_consumer: EventConsumer
) -> None:
    await register(client, keys, ARTLAND)
    events = [_access("artland", subject=f"agent-{n}", home="oldenburg") for n in range(5)]
    await _publish_and_settle(nats_client, audit_consumer, *events, settled=5)

    seen: list[str] = []
    cursor: str | None = None
    for _ in range(5):
        params: dict[str, str | int] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = (await client.get(AUDIT, params=params, headers=admin(keys, "artland"))).json()
        seen += [item["subject"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert seen == [f"agent-{n}" for n in reversed(range(5))]
    bad = await client.get(AUDIT, params={"cursor": "nonsense"}, headers=admin(keys, "artland"))
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "cursor")


async def test_another_tenant_and_agents_cannot_read_the_audit(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await register(client, keys, ARTLAND, OLDENBURG)
    stranger = await client.get(AUDIT, headers=keys.headers_for("oldenburg", "tenant_admin", "operator"))
    own_agent = await client.get(AUDIT, headers=agent(keys, "artland"))
    assert (stranger.status_code, own_agent.status_code) == (404, 403)


async def test_an_access_reported_for_another_tenants_path_is_dead_lettered(
    client: httpx.AsyncClient, keys: SigningKeys, nats_client: NATS, audit_consumer: EventConsumer
) -> None:
    await register(client, keys, ARTLAND)
    own = _record("artland", subject="x", home="oldenburg")
    forged = [
        _accesses("artland", own, _record("artland", subject="x", home="oldenburg", path=path))
        for path in ("/v1/tenants/oldenburg/contract", "/v1/tenants/artland-nord/contract")
    ]
    await _publish_and_settle(nats_client, audit_consumer, *forged, settled=2)

    letters = await list_dead_letters(nats_client.jetstream())
    for event in forged:
        assert any(event.id.encode() in letter.payload and "is not a path of" in letter.error for letter in letters)
    assert (await client.get(AUDIT, headers=admin(keys, "artland"))).json()["items"] == []
