"""Agent frontends in a browser: CORS for the configured origins only, and protective headers on every answer."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from .support import ARTLAND_KEY, GatewayFactory

Client = TestClient[Any, Any]
DESK = "https://desk.oldenburg.example"
PREFLIGHT = {
    "Origin": DESK,
    "Access-Control-Request-Method": "PATCH",
    "Access-Control-Request-Headers": "If-Match, X-Evil",
}


async def test_a_configured_origin_gets_its_preflight_answered_by_the_gateway(make_gateway: GatewayFactory) -> None:
    gateway = await make_gateway(cors_origins=[DESK])

    allowed = await gateway.options("/v1/tenants/artland", headers=PREFLIGHT)
    stranger = await gateway.options("/v1/tenants/artland", headers={**PREFLIGHT, "Origin": "https://evil.example"})

    assert allowed.status == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == DESK
    assert allowed.headers["Access-Control-Allow-Headers"] == "if-match"
    assert "PATCH" in allowed.headers["Access-Control-Allow-Methods"]
    assert stranger.status == 403
    assert "Access-Control-Allow-Origin" not in stranger.headers


async def test_an_options_request_that_is_no_preflight_goes_through_like_any_other(
    make_gateway: GatewayFactory,
) -> None:
    gateway = await make_gateway(cors_origins=[DESK])

    anonymous = await gateway.options("/v1/tenants/artland", headers={"Origin": DESK})
    proxied = await gateway.options("/v1/tenants/artland", headers={"Origin": DESK, "X-API-Key": ARTLAND_KEY})

    assert anonymous.status == 401
    assert proxied.status != 401
    assert proxied.headers["Access-Control-Allow-Origin"] == DESK


async def test_answers_to_a_configured_origin_expose_what_a_frontend_reads(make_gateway: GatewayFactory) -> None:
    gateway = await make_gateway(cors_origins=[DESK])

    own = await gateway.get("/v1/tenants/artland", headers={"X-API-Key": ARTLAND_KEY, "Origin": DESK})
    other = await gateway.get("/v1/tenants/artland", headers={"X-API-Key": ARTLAND_KEY, "Origin": "https://x.example"})
    refused = await gateway.get("/v1/tenants/artland", headers={"Origin": DESK})

    assert own.headers["Access-Control-Allow-Origin"] == DESK
    assert "ETag" in own.headers["Access-Control-Expose-Headers"]
    assert "Origin" in own.headers.getall("Vary")
    assert "Access-Control-Allow-Origin" not in other.headers
    assert (refused.status, refused.headers["Access-Control-Allow-Origin"]) == (401, DESK)


async def test_every_answer_carries_the_security_headers(gateway: Client) -> None:
    proxied = await gateway.get("/v1/tenants/artland", headers={"X-API-Key": ARTLAND_KEY})
    problem = await gateway.get("/v1/nowhere")
    docs = await gateway.get("/docs")

    for response in (proxied, problem, docs):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Server"] == "zentrale"
    assert proxied.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert docs.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "Strict-Transport-Security" not in proxied.headers


async def test_hsts_is_sent_when_the_operator_turns_it_on(make_gateway: GatewayFactory) -> None:
    gateway = await make_gateway(hsts_seconds=31536000)
    response = await gateway.get("/healthz")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
