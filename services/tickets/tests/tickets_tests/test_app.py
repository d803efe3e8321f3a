"""The tickets API on the kit: health, readiness and its OpenAPI document."""

from __future__ import annotations

import httpx

from kit.testing.events import eventually
from tickets.settings import get_settings


async def test_app_answers_health_readiness_and_openapi(client: httpx.AsyncClient) -> None:
    async def ready() -> bool:
        return (await client.get("/readyz")).status_code == 200

    await eventually(ready)
    health = await client.get("/healthz")
    openapi = (await client.get("/openapi.json")).json()
    settings = get_settings()

    assert health.status_code == 200
    assert openapi["info"]["title"] == "Zentrale tickets"
    assert (settings.service_name, settings.worker_port) == ("tickets", 9103)
