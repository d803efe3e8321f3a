"""End to end: a key the real tenants service issued works through the gateway until it is revoked there."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import uvicorn
from nats.aio.client import Client as NATS

from gateway.app import KEY_EVENTS
from kit.events import OutboxRelay
from kit.events.streams import ensure_stream, service_stream
from kit.local.postgres import free_port
from kit.testing.events import eventually, running
from kit.testing.infra import InfraServers, ScratchDatabase, ServiceDatabases
from tenants.app import create_app
from tenants.migrate import MIGRATIONS
from tenants.settings import get_settings

from .support import OPERATOR_KEY, EchoUpstream, GatewayFactory, SigningMaterial, app_of

ARTLAND = {"id": "artland", "name": "Samtgemeinde Artland", "ars": "034595406029", "ags": "03459029", "state": "NI"}
PORTAL = {"name": "Open311 portal", "scopes": ["knowledge:read", "open311:write", "tickets:read"]}
OPERATOR = {"X-API-Key": OPERATOR_KEY}


@pytest.fixture
def tenants_db(service_databases: ServiceDatabases) -> Iterator[ScratchDatabase]:
    database = service_databases.clone("tenants", MIGRATIONS)
    yield database
    service_databases.drop(database)


@pytest.fixture
async def tenants_url(
    tenants_db: ScratchDatabase, servers: InfraServers, signing: SigningMaterial, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[str]:
    """The real tenants API on a local port, trusting the test gateway's signing key."""
    monkeypatch.setenv("ZENTRALE_ENV", "test")
    monkeypatch.setenv("TENANTS_DATABASE_URL", tenants_db.runtime_url)
    monkeypatch.setenv("NATS_URL", servers.nats_url)
    monkeypatch.setenv("ZENTRALE_INTERNAL_PUBLIC_KEYS", signing.jwks_json)
    get_settings.cache_clear()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    try:
        await eventually(started, within=20)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        get_settings.cache_clear()


async def test_a_revoked_key_is_refused_through_the_gateway_within_five_seconds(
    make_gateway: GatewayFactory,
    upstreams: dict[str, EchoUpstream],
    tenants_url: str,
    tenants_db: ScratchDatabase,
    servers: InfraServers,
    nats_client: NATS,
) -> None:
    await ensure_stream(nats_client.jetstream(), service_stream("tenants"))
    relay = OutboxRelay(service="tenants", database_url=tenants_db.runtime_url, nats=nats_client, poll_interval=0.1)
    gateway = await make_gateway(tenants_url=tenants_url, nats_url=servers.nats_url)
    await app_of(gateway)[KEY_EVENTS].subscribed.wait()

    async with running(relay):
        registered = await gateway.post("/v1/tenants", json=ARTLAND, headers=OPERATOR)
        assert registered.status == 201, await registered.text()
        created = await gateway.post("/v1/tenants/artland/clients", json=PORTAL, headers=OPERATOR)
        assert created.status == 201, await created.text()
        client: dict[str, Any] = await created.json()
        key = {"Authorization": f"Bearer {client['key']}"}

        used = await gateway.get("/v1/tenants/artland/knowledge/articles", headers=key)
        assert used.status == 200
        identity = (await used.json())["identity"]
        assert (identity["subject"], identity["tenant"], identity["kind"]) == (
            f"client:{client['id']}",
            "artland",
            "client",
        )
        assert identity["scopes"] == ["knowledge:read", "open311:write", "tickets:read"]
        assert len(upstreams["knowledge"].calls) == 1

        revoked = await gateway.post(f"/v1/tenants/artland/clients/{client['id']}/revoke", headers=OPERATOR)
        assert revoked.status == 200, await revoked.text()

        async def refused() -> bool:
            response = await gateway.get("/v1/tenants/artland/knowledge/articles", headers=key)
            assert response.status in (200, 401)
            return response.status == 401

        await eventually(refused, within=5)
