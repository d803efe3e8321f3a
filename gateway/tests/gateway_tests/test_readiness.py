"""The gateway's readiness names each service's, without depending on them."""

from __future__ import annotations

from .support import GatewayFactory, closed_url


async def test_readiness_reports_each_service_and_stays_ready_when_one_is_down(make_gateway: GatewayFactory) -> None:
    gateway = await make_gateway(knowledge_url=closed_url())

    response = await gateway.get("/readyz")
    body = await response.json()

    assert response.status == 200
    assert body["services"]["knowledge"] == "unavailable"
    assert body["services"]["tenants"] == "ready"
    assert set(body["services"]) == {"tenants", "knowledge", "tickets", "metrics"}
