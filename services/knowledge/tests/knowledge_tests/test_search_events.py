"""Search and events: what the tickets service reports of contacts ranks descriptions; publishing is announced."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NATS

from kit.db.database import Database
from kit.events import EventConsumer, ensure_stream, new_event, service_stream
from kit.events.streams import dead_letter_stream
from kit.testing.events import consumer_settled, eventually, publish_copy, running_subscription
from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys
from knowledge.events.handlers import SUBSCRIPTIONS

from .support import admin_rows, agent, editor, published

BASE = "/v1/knowledge/base/descriptions"
ARTLAND = "/v1/tenants/artland/knowledge"


@pytest.fixture
async def usage_consumer(database: Database, nats_client: NATS) -> AsyncIterator[EventConsumer]:
    js = nats_client.jetstream()
    await ensure_stream(js, service_stream("tickets"))
    await ensure_stream(js, dead_letter_stream())
    usage = next(sub for sub in SUBSCRIPTIONS if sub.stream == "TICKETS")
    async with running_subscription(usage, database=database, nats=nats_client) as consumer:
        yield consumer


def _contact(tenant_id: str, description_id: str, outcome: str) -> Any:
    now = datetime.now(UTC).isoformat()
    data = {
        "id": str(uuid.uuid4()),
        "channel": "phone",
        "outcome": outcome,
        "description_ids": [description_id],
        "leika_key": None,
        "started_at": now,
        "ended_at": now,
    }
    return new_event(service="tickets", type="tickets.contact.recorded.v1", tenant_id=tenant_id, data=data)


def _card(name: str) -> dict[str, Any]:
    return {"content": {"name": name, "modules": {"full_text": "Ein Ausweis für Bewohner zum Parken."}}}


async def _order(client: httpx.AsyncClient, keys: SigningKeys, tenant: str = "artland") -> list[str]:
    answer = await client.get(
        f"/v1/tenants/{tenant}/knowledge/search", params={"q": "Ausweis"}, headers=agent(keys, tenant)
    )
    return [hit["name"] for hit in answer.json()["items"]]


async def test_what_solved_a_tenants_concerns_at_first_contact_ranks_higher_there(
    client: httpx.AsyncClient, keys: SigningKeys, nats_client: NATS, usage_consumer: EventConsumer
) -> None:
    ids = {name: await published(client, BASE, _card(name), editor(keys)) for name in ("Parkausweis", "Ausweis")}
    before = await _order(client, keys)
    second = before[1]

    for outcome in ("solved", "solved", "forwarded"):
        await publish_copy(nats_client, _contact("artland", ids[second], outcome))
    await eventually(lambda: consumer_settled(nats_client, usage_consumer, 3))

    assert (await _order(client, keys))[0] == second
    assert await _order(client, keys, "muenchen") == before


async def test_publishing_updating_and_archiving_are_announced(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    description = await published(client, f"{ARTLAND}/descriptions", _card("Anwohnerparken"), editor(keys, "artland"))
    path = f"{ARTLAND}/descriptions/{description}"
    edited = await client.patch(
        path, json={"content": {"name": "Bewohnerparken"}}, headers=editor(keys, "artland") | {"If-Match": '"2"'}
    )
    for status, version in (("published", edited.headers["ETag"]), ("archived", '"4"')):
        moved = await client.put(
            f"{path}/status", json={"status": status}, headers=editor(keys, "artland") | {"If-Match": version}
        )
        assert moved.status_code == 200, moved.text
    shared = await published(client, BASE, _card("Parkausweis"), editor(keys))

    rows = await admin_rows(scratch, "SELECT tenant_id, subject, payload FROM outbox ORDER BY id")
    events = [(row["tenant_id"], row["subject"], json.loads(row["payload"])["data"]) for row in rows]
    assert [(tenant, subject) for tenant, subject, _ in events] == [
        ("artland", "knowledge.artland.description.published.v1"),
        ("artland", "knowledge.artland.description.updated.v1"),
        ("artland", "knowledge.artland.description.archived.v1"),
        ("oldenburg", "knowledge.oldenburg.description.published.v1"),
    ]
    assert [(data["id"], data["layer"], data["name"]) for _, _, data in events] == [
        (description, "local", "Anwohnerparken"),
        (description, "local", "Bewohnerparken"),
        (description, "local", "Bewohnerparken"),
        (shared, "shared", "Parkausweis"),
    ]


async def test_a_suspended_municipality_is_not_served(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    await admin_rows(scratch, "UPDATE known_tenants SET status = 'suspended' WHERE tenant_id = 'artland'")

    answer = await client.get(f"{ARTLAND}/search", params={"q": "Ausweis"}, headers=agent(keys, "artland"))

    assert answer.status_code == 404
