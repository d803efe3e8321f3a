"""Events reach a tenant's webhook receivers signed, retried until they succeed or die, and only its own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest
from aiohttp import web
from nats.aio.client import Client as NATS
from prometheus_client import REGISTRY
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from kit.db.database import Database
from kit.events import CloudEvent, EventConsumer, ensure_stream, new_event, service_stream
from kit.events.streams import dead_letter_stream
from kit.settings import Environment
from kit.testing.events import consumer_settled, eventually, publish_copy, running_subscription
from kit.testing.infra import InfraServers, ScratchDatabase
from kit.testing.keys import SigningKeys
from kit.worker import Worker
from tenants.events.handlers import WEBHOOK_SOURCES, WEBHOOK_SUBSCRIPTIONS
from tenants.settings import TenantsSettings
from tenants.webhook.dispatcher import WebhookDispatcher, webhook_dispatcher

from .registry import ARTLAND, OLDENBURG, admin, admin_rows, register


@pytest.fixture(autouse=True)
def loopback_targets_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test receivers listen on 127.0.0.1; every other non-public range stays refused."""
    monkeypatch.setenv("TENANTS_WEBHOOK_ALLOWED_TARGET_NETWORKS", '["127.0.0.0/8"]')


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = orjson.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """A partner's endpoint on loopback: answers each path with the queued statuses, then 200."""

    base: str = ""
    received: list[Received] = field(default_factory=list)
    answers: dict[str, list[int]] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base + path

    def at(self, path: str) -> list[Received]:
        return [request for request in self.received if request.path == path]

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received.append(Received(request.path, dict(request.headers), body))
        queued = self.answers.get(request.path)
        status = queued.pop(0) if queued else 200
        return web.Response(status=status, text="thanks" if status < 300 else "not today")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    endpoint = Receiver()
    app = web.Application()
    app.router.add_post("/{path:.*}", endpoint.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    endpoint.base = f"http://127.0.0.1:{port}"
    yield endpoint
    await runner.cleanup()


def _settings(tenants_db: ScratchDatabase, **overrides: Any) -> TenantsSettings:
    values: dict[str, Any] = {
        "environment": Environment.TEST,
        "database_url": tenants_db.runtime_url,
        "webhook_allowed_target_networks": ["127.0.0.0/8"],
        "webhook_retry_schedule": [0.2, 0.2],
        "webhook_poll_interval": 0.1,
        "webhook_timeout": 5.0,
    }
    return TenantsSettings(**(values | overrides))


@asynccontextmanager
async def dispatching(database: Database, settings: TenantsSettings) -> AsyncIterator[WebhookDispatcher]:
    dispatcher = WebhookDispatcher(database=database, settings=settings)
    task = asyncio.create_task(dispatcher.run())
    try:
        yield dispatcher
    finally:
        dispatcher.stop()
        await asyncio.wait_for(task, timeout=15)


@dataclass
class Pipeline:
    """The worker's webhook part: a consumer per stream feeding deliveries, and a dispatcher sending them."""

    database: Database
    nats: NATS
    consumers: dict[str, EventConsumer]

    async def publish(self, event: CloudEvent) -> int:
        """Publish as the producer's relay would; returns the stream sequence."""
        ack = await self.nats.jetstream().publish(
            event.nats_subject, event.to_json(), headers={"Nats-Msg-Id": event.id}
        )
        return int(ack.seq)

    async def settled(self, stream: str, sequence: int) -> None:
        consumer = self.consumers[stream]
        await eventually(lambda: consumer_settled(self.nats, consumer, sequence))


@pytest.fixture
async def streams(nats_client: NATS) -> NATS:
    js = nats_client.jetstream()
    for source in WEBHOOK_SOURCES:
        await ensure_stream(js, service_stream(source))
    await ensure_stream(js, dead_letter_stream())
    return nats_client


@pytest.fixture
async def database(tenants_db: ScratchDatabase) -> AsyncIterator[Database]:
    db = Database(tenants_db.runtime_url)
    yield db
    await db.dispose()


@pytest.fixture
async def pipeline(tenants_db: ScratchDatabase, streams: NATS, database: Database) -> AsyncIterator[Pipeline]:
    async with AsyncExitStack() as stack:
        consumers = {
            sub.stream: await stack.enter_async_context(running_subscription(sub, database=database, nats=streams))
            for sub in WEBHOOK_SUBSCRIPTIONS
        }
        await stack.enter_async_context(dispatching(database, _settings(tenants_db)))
        yield Pipeline(database=database, nats=streams, consumers=consumers)


def ticket_created(tenant_id: str, title: str = "Straßenlaterne defekt") -> CloudEvent:
    return new_event(
        service="tickets",
        type="tickets.ticket.created.v1",
        tenant_id=tenant_id,
        subject=f"ticket/{uuid.uuid4()}",
        data={"title": title},
    )


async def _subscribe(
    client: httpx.AsyncClient, keys: SigningKeys, tenant_id: str, url: str, **body: object
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/tenants/{tenant_id}/webhooks", json={"url": url, **body}, headers=admin(keys, tenant_id)
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _deliveries(
    client: httpx.AsyncClient, keys: SigningKeys, tenant_id: str, webhook: dict[str, Any], **params: str
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/v1/tenants/{tenant_id}/webhooks/{webhook['id']}/deliveries", params=params, headers=admin(keys, tenant_id)
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _detail(
    client: httpx.AsyncClient, keys: SigningKeys, tenant_id: str, webhook: dict[str, Any], delivery_id: str
) -> dict[str, Any]:
    response = await client.get(
        f"/v1/tenants/{tenant_id}/webhooks/{webhook['id']}/deliveries/{delivery_id}", headers=admin(keys, tenant_id)
    )
    assert response.status_code == 200, response.text
    detail: dict[str, Any] = response.json()
    return detail


def _in_state(
    client: httpx.AsyncClient, keys: SigningKeys, tenant_id: str, webhook: dict[str, Any], status: str, count: int = 1
) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return len(await _deliveries(client, keys, tenant_id, webhook, status=status)) == count

    return check


def _verified(secret: str, request: Received) -> dict[str, Any]:
    event: dict[str, Any] = Webhook(secret).verify(request.body, request.headers)
    return event


async def test_a_failed_delivery_is_retried_until_it_succeeds_and_every_try_is_logged(
    client: httpx.AsyncClient, keys: SigningKeys, receiver: Receiver, pipeline: Pipeline
) -> None:
    await register(client, keys, ARTLAND)
    receiver.answers["/artland"] = [500]
    webhook = await _subscribe(client, keys, "artland", receiver.url("/artland"))
    event = ticket_created("artland")

    await pipeline.publish(event)
    await eventually(_in_state(client, keys, "artland", webhook, "succeeded"))

    requests = receiver.at("/artland")
    assert len(requests) == 2
    assert [_verified(webhook["secret"], r)["id"] for r in requests] == [event.id, event.id]
    assert {r.headers["webhook-id"] for r in requests} == {event.id}
    assert requests[0].event == orjson.loads(event.to_json())
    assert requests[0].headers["Content-Type"] == "application/json"
    [delivery] = await _deliveries(client, keys, "artland", webhook)
    detail = await _detail(client, keys, "artland", webhook, delivery["id"])
    assert delivery["event_id"] == event.id
    assert delivery["attempt_count"] == 2
    assert [(a["number"], a["response_status"], a["trigger"]) for a in detail["attempts"]] == [
        (1, 500, "scheduled"),
        (2, 200, "scheduled"),
    ]
    assert detail["attempts"][0]["error"] == "HTTP 500"
    assert detail["attempts"][0]["response_excerpt"] == "not today"
    assert detail["payload"]["data"] == {"title": "Straßenlaterne defekt"}


async def test_an_exhausted_delivery_dies_is_announced_and_can_be_redelivered_by_hand(
    client: httpx.AsyncClient, keys: SigningKeys, receiver: Receiver, pipeline: Pipeline, tenants_db: ScratchDatabase
) -> None:
    await register(client, keys, ARTLAND)
    receiver.answers["/artland"] = [500, 502, 503]
    webhook = await _subscribe(client, keys, "artland", receiver.url("/artland"))
    dead_before = REGISTRY.get_sample_value("zentrale_webhook_deliveries_dead_total") or 0

    await pipeline.publish(ticket_created("artland"))
    await eventually(_in_state(client, keys, "artland", webhook, "failed"))

    [dead] = await _deliveries(client, keys, "artland", webhook)
    assert dead["attempt_count"] == 3
    assert dead["next_attempt_at"] is None
    assert dead["last_response_status"] == 503
    announced = await admin_rows(
        tenants_db, "SELECT payload FROM outbox WHERE subject = 'tenants.artland.webhook.delivery_failed.v1'"
    )
    assert [orjson.loads(row["payload"])["data"]["delivery_id"] for row in announced] == [dead["id"]]
    assert REGISTRY.get_sample_value("zentrale_webhook_deliveries_dead_total") == dead_before + 1

    redelivered = await client.post(
        f"/v1/tenants/artland/webhooks/{webhook['id']}/deliveries/{dead['id']}/redeliver",
        headers=admin(keys, "artland"),
    )
    assert redelivered.status_code == 202
    assert redelivered.json()["status"] == "pending"
    await eventually(_in_state(client, keys, "artland", webhook, "succeeded"))

    detail = await _detail(client, keys, "artland", webhook, dead["id"])
    assert [(a["response_status"], a["trigger"]) for a in detail["attempts"]] == [
        (500, "scheduled"),
        (502, "scheduled"),
        (503, "scheduled"),
        (200, "manual"),
    ]
    assert len(receiver.at("/artland")) == 4


async def test_a_tenant_receives_only_its_own_events(
    client: httpx.AsyncClient, keys: SigningKeys, receiver: Receiver, pipeline: Pipeline
) -> None:
    await register(client, keys, ARTLAND, OLDENBURG)
    artland = await _subscribe(client, keys, "artland", receiver.url("/artland"))
    oldenburg = await _subscribe(client, keys, "oldenburg", receiver.url("/oldenburg"))

    for tenant in ("artland", "oldenburg", "oldenburg", "artland", "oldenburg"):
        await pipeline.publish(ticket_created(tenant, title=f"für {tenant}"))
    await eventually(_in_state(client, keys, "artland", artland, "succeeded", count=2))
    await eventually(_in_state(client, keys, "oldenburg", oldenburg, "succeeded", count=3))

    assert [_verified(artland["secret"], r)["tenantid"] for r in receiver.at("/artland")] == ["artland"] * 2
    assert [_verified(oldenburg["secret"], r)["tenantid"] for r in receiver.at("/oldenburg")] == ["oldenburg"] * 3
    with pytest.raises(WebhookVerificationError):
        _verified(oldenburg["secret"], receiver.at("/artland")[0])


async def test_an_event_that_comes_twice_is_delivered_once(
    client: httpx.AsyncClient,
    keys: SigningKeys,
    receiver: Receiver,
    pipeline: Pipeline,
    tenants_db: ScratchDatabase,
) -> None:
    await register(client, keys, ARTLAND)
    webhook = await _subscribe(client, keys, "artland", receiver.url("/artland"))
    event = ticket_created("artland")
    tickets = next(sub for sub in WEBHOOK_SUBSCRIPTIONS if sub.stream == "TICKETS")

    async with running_subscription(tickets, database=pipeline.database, nats=pipeline.nats) as second_consumer:
        await pipeline.publish(event)
        await publish_copy(pipeline.nats, event)
        last = await pipeline.publish(ticket_created("artland", title="marker"))
        await pipeline.settled("TICKETS", last)
        await eventually(lambda: consumer_settled(pipeline.nats, second_consumer, last))
    await eventually(_in_state(client, keys, "artland", webhook, "succeeded", count=2))

    rows = await admin_rows(tenants_db, "SELECT count(*) AS n FROM webhook_deliveries WHERE event_id = $1", event.id)
    assert rows[0]["n"] == 1
    assert [r.headers["webhook-id"] for r in receiver.at("/artland")].count(event.id) == 1


async def test_filters_and_disabled_subscriptions_decide_what_is_owed(
    client: httpx.AsyncClient, keys: SigningKeys, receiver: Receiver, pipeline: Pipeline
) -> None:
    await register(client, keys, ARTLAND)
    tickets_only = await _subscribe(client, keys, "artland", receiver.url("/tickets"), event_types=["tickets.ticket.*"])
    disabled = await _subscribe(client, keys, "artland", receiver.url("/disabled"), enabled=False)
    article = new_event(
        service="knowledge", type="knowledge.article.published.v1", tenant_id="artland", data={"title": "Hundesteuer"}
    )

    knowledge_seq = await pipeline.publish(article)
    tickets_seq = await pipeline.publish(ticket_created("artland"))
    await pipeline.settled("KNOWLEDGE", knowledge_seq)
    await pipeline.settled("TICKETS", tickets_seq)
    await eventually(_in_state(client, keys, "artland", tickets_only, "succeeded"))

    assert [r.event["type"] for r in receiver.at("/tickets")] == ["tickets.ticket.created.v1"]
    assert await _deliveries(client, keys, "artland", disabled) == []
    assert receiver.at("/disabled") == []


async def test_a_test_delivery_is_signed_with_both_secrets_after_rotation(
    client: httpx.AsyncClient, keys: SigningKeys, receiver: Receiver, pipeline: Pipeline
) -> None:
    await register(client, keys, ARTLAND)
    webhook = await _subscribe(client, keys, "artland", receiver.url("/artland"))
    rotated = await client.post(
        f"/v1/tenants/artland/webhooks/{webhook['id']}/rotate-secret", headers=admin(keys, "artland")
    )

    tested = await client.post(f"/v1/tenants/artland/webhooks/{webhook['id']}/test", headers=admin(keys, "artland"))
    assert tested.status_code == 202
    await eventually(_in_state(client, keys, "artland", webhook, "succeeded"))

    [request] = receiver.at("/artland")
    assert _verified(rotated.json()["secret"], request)["type"] == "tenants.webhook.tested.v1"
    assert _verified(webhook["secret"], request)["data"]["webhook_id"] == webhook["id"]


async def test_a_private_target_is_refused_at_delivery_when_the_operator_closed_it(
    client: httpx.AsyncClient,
    keys: SigningKeys,
    receiver: Receiver,
    tenants_db: ScratchDatabase,
    streams: NATS,
    database: Database,
) -> None:
    await register(client, keys, ARTLAND)
    webhook = await _subscribe(client, keys, "artland", receiver.url("/artland"))
    await client.post(f"/v1/tenants/artland/webhooks/{webhook['id']}/test", headers=admin(keys, "artland"))
    closed = _settings(tenants_db, webhook_allowed_target_networks=[], webhook_retry_schedule=[60.0])

    async with dispatching(database, closed):

        async def tried() -> bool:
            [delivery] = await _deliveries(client, keys, "artland", webhook)
            return bool(delivery["attempt_count"])

        await eventually(tried)

    [delivery] = await _deliveries(client, keys, "artland", webhook)
    assert delivery["status"] == "pending"
    assert "loopback" in delivery["last_error"]
    assert receiver.received == []


async def test_replicas_never_send_one_delivery_twice(
    client: httpx.AsyncClient,
    keys: SigningKeys,
    receiver: Receiver,
    pipeline: Pipeline,
    tenants_db: ScratchDatabase,
) -> None:
    await register(client, keys, ARTLAND)
    webhook = await _subscribe(client, keys, "artland", receiver.url("/artland"))
    events = [ticket_created("artland", title=f"Nr. {n}") for n in range(20)]

    async with (
        dispatching(pipeline.database, _settings(tenants_db)),
        dispatching(pipeline.database, _settings(tenants_db)),
    ):
        for event in events:
            await pipeline.publish(event)
        await eventually(_in_state(client, keys, "artland", webhook, "succeeded", count=20))

    assert sorted(r.headers["webhook-id"] for r in receiver.at("/artland")) == sorted(e.id for e in events)


async def test_the_worker_runs_the_dispatcher_beside_its_consumers(
    client: httpx.AsyncClient,
    keys: SigningKeys,
    receiver: Receiver,
    tenants_db: ScratchDatabase,
    servers: InfraServers,
    streams: NATS,
) -> None:
    await register(client, keys, ARTLAND)
    webhook = await _subscribe(client, keys, "artland", receiver.url("/artland"))
    settings = _settings(tenants_db, nats_url=servers.nats_url)
    worker = Worker(
        service="tenants", settings=settings, subscriptions=WEBHOOK_SUBSCRIPTIONS, loops=(webhook_dispatcher(settings),)
    )
    await worker.start()
    try:
        event = ticket_created("artland")
        await streams.jetstream().publish(event.nats_subject, event.to_json(), headers={"Nats-Msg-Id": event.id})
        await eventually(_in_state(client, keys, "artland", webhook, "succeeded"))
    finally:
        await worker.stop()

    assert [type(loop).__name__ for loop in worker.background] == ["WebhookDispatcher"]


async def test_disabling_pauses_pending_deliveries_and_enabling_resumes_them(
    client: httpx.AsyncClient,
    keys: SigningKeys,
    receiver: Receiver,
    tenants_db: ScratchDatabase,
    database: Database,
) -> None:
    await register(client, keys, ARTLAND)
    webhook = await _subscribe(client, keys, "artland", receiver.url("/artland"))
    one = f"/v1/tenants/artland/webhooks/{webhook['id']}"
    await client.post(f"{one}/test", headers=admin(keys, "artland"))

    await client.patch(one, json={"enabled": False}, headers={**admin(keys, "artland"), "If-Match": '"1"'})
    [paused] = await _deliveries(client, keys, "artland", webhook)
    refused = await client.post(f"{one}/deliveries/{paused['id']}/redeliver", headers=admin(keys, "artland"))
    await client.patch(one, json={"enabled": True}, headers={**admin(keys, "artland"), "If-Match": '"2"'})
    [resumed] = await _deliveries(client, keys, "artland", webhook)

    assert (paused["status"], paused["next_attempt_at"]) == ("pending", None)
    assert refused.status_code == 409
    assert resumed["next_attempt_at"] is not None
    async with dispatching(database, _settings(tenants_db)):
        await eventually(_in_state(client, keys, "artland", webhook, "succeeded"))
    assert len(receiver.at("/artland")) == 1


async def test_finished_deliveries_leave_the_log_after_the_retention(
    client: httpx.AsyncClient,
    keys: SigningKeys,
    receiver: Receiver,
    tenants_db: ScratchDatabase,
    database: Database,
) -> None:
    await register(client, keys, ARTLAND)
    webhook = await _subscribe(client, keys, "artland", receiver.url("/artland"))
    await client.post(f"/v1/tenants/artland/webhooks/{webhook['id']}/test", headers=admin(keys, "artland"))
    async with dispatching(database, _settings(tenants_db)):
        await eventually(_in_state(client, keys, "artland", webhook, "succeeded"))

    async with dispatching(database, _settings(tenants_db, webhook_log_retention_days=1e-9)):

        async def purged() -> bool:
            return await _deliveries(client, keys, "artland", webhook) == []

        await eventually(purged)
    rows = await admin_rows(tenants_db, "SELECT count(*) AS n FROM webhook_delivery_attempts")
    assert rows[0]["n"] == 0
