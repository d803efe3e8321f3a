"""The gateway's readiness names each service's, without depending on them."""

from __future__ import annotations

import asyncio

from gateway.app import PROXY, RATE_LIMITS
from kit.testing.infra import InfraServers

from .support import GatewayFactory, app_of, closed_url


async def test_readiness_reports_each_service_and_stays_ready_when_one_is_down(make_gateway: GatewayFactory) -> None:
    gateway = await make_gateway(knowledge_url=closed_url())

    response = await gateway.get("/readyz")
    body = await response.json()

    assert response.status == 200
    assert body["services"]["knowledge"] == "unavailable"
    assert body["services"]["tenants"] == "ready"
    assert set(body["services"]) == {"tenants", "knowledge", "tickets", "metrics"}


async def test_readiness_says_whether_grants_are_loaded_and_rate_limits_shared(
    make_gateway: GatewayFactory, servers: InfraServers
) -> None:
    unloaded = await make_gateway(tenants_url=closed_url())
    loaded = await make_gateway(nats_url=servers.nats_url)
    await asyncio.wait_for(app_of(loaded)[PROXY].grants.loaded.wait(), 10)  # type: ignore[union-attr]
    await asyncio.wait_for(app_of(loaded)[RATE_LIMITS].ready.wait(), 10)

    down = (await (await unloaded.get("/readyz")).json())["checks"]
    up = (await (await loaded.get("/readyz")).json())["checks"]

    assert (down["grants"], down["rate_limits"]) == ("not loaded", "local")
    assert (up["grants"], up["rate_limits"]) == ("loaded", "shared")
