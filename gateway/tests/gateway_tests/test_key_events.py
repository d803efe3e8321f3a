"""The tenants service's events drop cached keys; without NATS the gateway serves and relies on the TTL."""

from __future__ import annotations

import json
import uuid
from typing import Any

import nats
from aiohttp.test_utils import TestClient

from gateway.app import KEY_EVENTS, KEY_VERIFIER
from gateway.client_keys import KeyCache, digest
from gateway.key_events import KeyEvents
from kit.identity import Identity
from kit.local.nats import LocalNats
from kit.testing.events import eventually
from kit.testing.infra import InfraServers

from .support import GatewayFactory, KeyService, app_of, tenant_key, verified

Client = TestClient[Any, Any]
CLIENT_ID = "5d2c7c1e-8d3a-4f6e-9a51-2b7e0c9d4f10"
OTHER_CLIENT_ID = "0b7d6a2e-1c3f-4e5a-8b9c-7d6e5f4a3b21"
KNOWLEDGE = "/v1/tenants/artland/knowledge/articles"


def _knowledge(tenant: str) -> str:
    return f"/v1/tenants/{tenant}/knowledge/articles"


def _event(event_type: str, tenant: str, data: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "/zentrale/tenants",
            "type": event_type,
            "tenantid": tenant,
            "data": data,
        }
    ).encode()


async def _subscribed_gateway(make_gateway: GatewayFactory, key_service: KeyService, nats_url: str) -> Client:
    gateway = await make_gateway(tenants_url=key_service.url, nats_url=nats_url)
    await app_of(gateway)[KEY_EVENTS].subscribed.wait()
    return gateway


async def test_a_revoked_client_s_key_is_refused_once_the_event_arrives(
    make_gateway: GatewayFactory, key_service: KeyService, servers: InfraServers
) -> None:
    key, other = tenant_key(), tenant_key()
    key_service.answers[key] = verified("artland", CLIENT_ID)
    key_service.answers[other] = verified("artland", OTHER_CLIENT_ID)
    gateway = await _subscribed_gateway(make_gateway, key_service, servers.nats_url)
    assert (await gateway.get(KNOWLEDGE, headers={"X-API-Key": key})).status == 200
    assert (await gateway.get(KNOWLEDGE, headers={"X-API-Key": other})).status == 200

    del key_service.answers[key]
    publisher = await nats.connect(servers.nats_url)
    try:
        await publisher.publish(
            "tenants.artland.client.revoked.v1",
            _event("tenants.client.revoked.v1", "artland", {"id": CLIENT_ID, "tenant_id": "artland", "keys": []}),
        )

        async def refused() -> bool:
            return (await gateway.get(KNOWLEDGE, headers={"X-API-Key": key})).status == 401

        await eventually(refused, within=5)
    finally:
        await publisher.close()
    assert (await gateway.get(KNOWLEDGE, headers={"X-API-Key": other})).status == 200
    assert key_service.calls == 3


async def test_a_tenant_status_change_drops_every_key_of_that_tenant_only(
    make_gateway: GatewayFactory, key_service: KeyService, servers: InfraServers
) -> None:
    artland, oldenburg = tenant_key(), tenant_key()
    key_service.answers[artland] = verified("artland", CLIENT_ID)
    key_service.answers[oldenburg] = verified("oldenburg", OTHER_CLIENT_ID)
    gateway = await _subscribed_gateway(make_gateway, key_service, servers.nats_url)
    for tenant, key in (("artland", artland), ("oldenburg", oldenburg)):
        assert (await gateway.get(_knowledge(tenant), headers={"X-API-Key": key})).status == 200
    cache = app_of(gateway)[KEY_VERIFIER].cache
    assert len(cache) == 2

    publisher = await nats.connect(servers.nats_url)
    try:
        await publisher.publish(
            "tenants.artland.tenant.status_changed.v1",
            _event("tenants.tenant.status_changed.v1", "artland", {"id": "artland", "status": "suspended"}),
        )

        async def dropped() -> bool:
            return len(cache) == 1

        await eventually(dropped, within=5)
    finally:
        await publisher.close()
    calls = key_service.calls
    assert (await gateway.get(_knowledge("oldenburg"), headers={"X-API-Key": oldenburg})).status == 200
    assert key_service.calls == calls
    assert (await gateway.get(_knowledge("artland"), headers={"X-API-Key": artland})).status == 200
    assert key_service.calls == calls + 1


async def test_a_lost_connection_clears_the_cache_and_so_does_the_reconnect(own_nats: LocalNats) -> None:
    cache = KeyCache()
    events = KeyEvents(cache, nats_url=own_nats.url, retry_seconds=0.1)
    identity = Identity(subject="client:a", tenant_id="artland", kind="client")

    def prime() -> None:
        cache.put(digest(tenant_key()), identity, client_id="a", expires=cache.clock() + 60)

    events.start()
    try:
        await events.subscribed.wait()
        prime()
        own_nats.stop()

        async def cleared() -> bool:
            return len(cache) == 0

        await eventually(cleared, within=10)
        prime()
        own_nats.start()
        await eventually(cleared, within=10)
        assert events.connected
    finally:
        await events.stop()


async def test_without_nats_the_gateway_serves_tenant_keys_and_reports_the_events_missing(
    make_gateway: GatewayFactory, key_service: KeyService
) -> None:
    key = tenant_key()
    key_service.answers[key] = verified("artland", CLIENT_ID)
    gateway = await make_gateway(tenants_url=key_service.url)

    assert (await gateway.get(KNOWLEDGE, headers={"X-API-Key": key})).status == 200
    ready = await gateway.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["checks"]["key_events"] == "unavailable"
