"""The metrics API on the kit: health, readiness and its OpenAPI document."""

from __future__ import annotations

import pytest

from kit.testing.checks import service_client
from kit.testing.events import eventually
from kit.testing.infra import InfraServers, ScratchDatabase
from kit.testing.keys import SigningKeys
from metrics.app import create_app
from metrics.settings import get_settings


async def test_app_answers_health_readiness_and_openapi(
    scratch: ScratchDatabase, servers: InfraServers, keys: SigningKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with service_client(
        create_app,
        get_settings,
        prefix="METRICS",
        database=scratch,
        servers=servers,
        keys=keys,
        monkeypatch=monkeypatch,
    ) as client:

        async def ready() -> bool:
            return (await client.get("/readyz")).status_code == 200

        await eventually(ready)
        health = await client.get("/healthz")
        openapi = (await client.get("/openapi.json")).json()
        settings = get_settings()

    assert health.status_code == 200
    assert openapi["info"]["title"] == "Zentrale metrics"
    assert (settings.service_name, settings.worker_port) == ("metrics", 9104)
