"""The knowledge API on the kit: health, readiness and its OpenAPI document."""

from __future__ import annotations

import httpx

from kit.testing.events import eventually
from knowledge.settings import get_settings


async def test_app_answers_health_readiness_and_openapi(client: httpx.AsyncClient) -> None:
    async def ready() -> bool:
        return (await client.get("/readyz")).status_code == 200

    await eventually(ready)
    health = await client.get("/healthz")
    openapi = (await client.get("/openapi.json")).json()
    settings = get_settings()

    assert health.status_code == 200
    assert openapi["info"]["title"] == "Zentrale knowledge"
    assert "/v1/tenants/{tenant_id}/knowledge/descriptions/{description_id}" in openapi["paths"]
    assert (settings.service_name, settings.worker_port, settings.host_tenant) == ("knowledge", 9102, "oldenburg")
