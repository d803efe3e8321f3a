"""The knowledge API on the kit: health, readiness and its OpenAPI document."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from kit.testing.infra import InfraServers, ScratchDatabase
from kit.testing.keys import SigningKeys
from knowledge.app import create_app
from knowledge.settings import get_settings


@pytest.fixture
def environment(
    monkeypatch: pytest.MonkeyPatch, scratch: ScratchDatabase, servers: InfraServers, keys: SigningKeys
) -> Iterator[None]:
    monkeypatch.setenv("ZENTRALE_ENV", "test")
    monkeypatch.setenv("KNOWLEDGE_DATABASE_URL", scratch.runtime_url)
    monkeypatch.setenv("NATS_URL", servers.nats_url)
    monkeypatch.setenv("ZENTRALE_INTERNAL_PUBLIC_KEYS", keys.jwks_json)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("environment")
async def test_app_answers_health_readiness_and_openapi() -> None:
    app = create_app()
    transport = httpx.ASGITransport(app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://app") as client,
    ):
        health = await client.get("/healthz")
        openapi = await client.get("/openapi.json")
        for _ in range(200):
            if (ready := await client.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.05)

    assert health.status_code == 200
    assert openapi.status_code == 200
    assert openapi.json()["info"]["title"] == "Zentrale knowledge"
    assert not [path for path in openapi.json()["paths"] if path.startswith("/v1")]
    assert ready.json()["checks"] == {"database": "ok", "nats": "ok"}
    assert (get_settings().service_name, get_settings().worker_port) == ("knowledge", 9102)
