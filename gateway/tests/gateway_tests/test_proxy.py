"""Requests through a real gateway to small real services."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from prometheus_client import REGISTRY
from yarl import URL

from .support import (
    ARTLAND_KEY,
    OPERATOR_KEY,
    EchoUpstream,
    FlakyUpstream,
    GatewayFactory,
    SigningMaterial,
    pattern,
)

Client = TestClient[Any, Any]
ARTLAND = {"X-API-Key": ARTLAND_KEY}
OPERATOR = {"Authorization": f"Bearer {OPERATOR_KEY}"}


async def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status
    assert response.headers["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = await response.json(content_type=None)
    assert body["status"] == status
    return body


async def test_tenant_paths_reach_the_tenants_service(gateway: Client, upstreams: dict[str, EchoUpstream]) -> None:
    response = await gateway.get("/v1/tenants/artland?expand=contract&x=%20y", headers=ARTLAND)

    body = await response.json()
    assert response.status == 200
    assert body["service"] == "tenants"
    assert body["path"] == "/v1/tenants/artland"
    assert body["query"] == "expand=contract&x=%20y"
    assert response.headers["X-Upstream"] == "tenants"
    assert not upstreams["knowledge"].calls


async def test_knowledge_paths_reach_the_knowledge_service(gateway: Client) -> None:
    response = await gateway.post(
        "/v1/tenants/artland/knowledge/articles", headers=ARTLAND, json={"title": "Personalausweis"}
    )

    body = await response.json()
    assert body["service"] == "knowledge"
    assert body["method"] == "POST"
    assert body["headers"]["content-type"] == "application/json"
    assert body["body_size"] == len(b'{"title": "Personalausweis"}')


async def test_request_body_without_a_type_arrives_without_one(gateway: Client) -> None:
    response = await gateway.post(
        "/v1/tenants/artland/documents",
        headers=ARTLAND,
        data=b"raw",
        skip_auto_headers=["Content-Type", "Accept-Encoding"],
    )

    received = await response.json()
    assert "content-type" not in received["headers"]
    assert received["headers"]["accept-encoding"] == "identity"
    assert received["body_size"] == 3


async def test_unknown_path_is_a_404_problem(gateway: Client) -> None:
    body = await _problem(await gateway.get("/v1/nowhere", headers=ARTLAND), 404)

    assert body["instance"] == "/v1/nowhere"


async def test_dot_segments_are_refused(gateway: Client, upstreams: dict[str, EchoUpstream]) -> None:
    raw = URL(f"http://{gateway.host}:{gateway.port}/v1/tenants/artland/%2e%2e/oldenburg", encoded=True)

    response = await gateway.session.get(raw, headers=ARTLAND)

    assert str(response.url).endswith("/artland/%2e%2e/oldenburg")
    await _problem(response, 400)
    assert not upstreams["tenants"].calls


async def test_missing_key_is_a_401_problem(gateway: Client, upstreams: dict[str, EchoUpstream]) -> None:
    response = await gateway.get("/v1/tenants/artland")

    body = await _problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "API key" in body["detail"]
    assert not upstreams["tenants"].calls


async def test_unknown_key_is_a_401_problem(gateway: Client) -> None:
    response = await gateway.get("/v1/tenants/artland", headers={"Authorization": "Bearer not-a-key"})

    await _problem(response, 401)
    assert "WWW-Authenticate" in response.headers


async def test_tenant_bound_key_cannot_reach_another_tenant(
    gateway: Client, upstreams: dict[str, EchoUpstream]
) -> None:
    response = await gateway.get("/v1/tenants/oldenburg/knowledge/articles", headers=ARTLAND)

    body = await _problem(response, 404)
    assert "oldenburg" not in body.get("detail", "")
    assert not upstreams["knowledge"].calls
    assert not upstreams["tenants"].calls


async def test_operator_key_acting_for_a_tenant_carries_that_tenant(gateway: Client) -> None:
    body = await (await gateway.get("/v1/tenants/oldenburg", headers=OPERATOR)).json()

    assert body["identity"]["tenant"] == "oldenburg"
    assert body["identity"]["subject"] == "ops-console"
    assert body["identity"]["roles"] == ["operator"]


async def test_creating_a_tenant_carries_no_tenant(gateway: Client) -> None:
    body = await (await gateway.post("/v1/tenants", headers=OPERATOR, json={"id": "artland"})).json()

    assert body["identity"]["tenant"] is None


async def test_internal_token_verifies_and_carries_roles_and_scopes(gateway: Client, signing: SigningMaterial) -> None:
    body = await (await gateway.get("/v1/tenants/artland", headers=ARTLAND)).json()

    identity = signing.verifier.verify(body["identity"]["token"])
    assert identity.subject == "artland-app"
    assert identity.tenant_id == "artland"
    assert identity.roles == frozenset({"agent"})
    assert identity.scopes == frozenset({"tickets:read"})
    assert identity.kind == "user"


async def test_internal_token_is_reused_between_requests(gateway: Client) -> None:
    first = await (await gateway.get("/v1/tenants/artland", headers=ARTLAND)).json()
    second = await (await gateway.get("/v1/tenants/artland", headers=ARTLAND)).json()

    assert first["identity"]["token"] == second["identity"]["token"]


async def test_client_identity_headers_never_reach_the_service(gateway: Client) -> None:
    response = await gateway.get(
        "/v1/tenants/artland",
        headers={
            "Authorization": f"Bearer {ARTLAND_KEY}",
            "X-Tenant-Id": "oldenburg",
            "X-Zentrale-Tenant": "oldenburg",
            "X-User-Id": "admin",
            "Forwarded": "for=10.0.0.1",
            "X-Forwarded-For": "10.0.0.1",
            "X-Forwarded-Host": "evil.example",
            "Connection": "keep-alive, X-Secret-Hop",
            "X-Secret-Hop": "1",
            "Accept-Language": "de",
        },
    )

    received = (await response.json())["headers"]
    assert received["authorization"] != f"Bearer {ARTLAND_KEY}"
    assert ARTLAND_KEY not in str(received)
    for name in ("x-tenant-id", "x-zentrale-tenant", "x-user-id", "forwarded", "x-secret-hop"):
        assert name not in received
    assert received["x-forwarded-for"] == "127.0.0.1"
    assert received["x-forwarded-host"] != "evil.example"
    assert received["x-forwarded-proto"] == "http"
    assert received["accept-language"] == "de"


async def test_api_key_header_is_not_forwarded(gateway: Client) -> None:
    received = (await (await gateway.get("/v1/tenants/artland", headers=ARTLAND)).json())["headers"]

    assert "x-api-key" not in received


async def test_request_id_is_generated_and_forwarded(gateway: Client) -> None:
    response = await gateway.get("/v1/tenants/artland", headers=ARTLAND)

    generated = response.headers["X-Request-Id"]
    assert len(generated) == 32
    assert (await response.json())["headers"]["x-request-id"] == generated


async def test_request_id_from_the_client_is_kept_when_well_formed(gateway: Client) -> None:
    kept = await gateway.get("/v1/tenants/artland", headers={**ARTLAND, "X-Request-Id": "call-4711"})
    replaced = await gateway.get("/v1/tenants/artland", headers={**ARTLAND, "X-Request-Id": "x" * 300})

    assert kept.headers["X-Request-Id"] == "call-4711"
    assert (await kept.json())["headers"]["x-request-id"] == "call-4711"
    assert len(replaced.headers["X-Request-Id"]) == 32


async def test_problem_answers_carry_the_request_id(gateway: Client) -> None:
    response = await gateway.get("/v1/tenants/artland", headers={"X-Request-Id": "call-4712"})

    assert response.status == 401
    assert response.headers["X-Request-Id"] == "call-4712"


async def test_large_response_streams_through(gateway: Client) -> None:
    for query in ("size=5000000", "size=5000000&length=1"):
        response = await gateway.get(f"/v1/tenants/artland/documents?{query}", headers=ARTLAND)
        body = await response.read()

        assert response.status == 200
        assert len(body) == 5_000_000
        assert body == pattern(5_000_000)


async def test_service_failing_mid_stream_breaks_the_clients_body(gateway: Client) -> None:
    for query in ("size=5000000&cut=1000000", "size=5000000&length=1&cut=1000000"):
        response = await gateway.get(f"/v1/tenants/artland/documents?{query}", headers=ARTLAND)

        assert response.status == 200
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()


async def test_large_request_body_streams_through(make_gateway: GatewayFactory) -> None:
    gateway = await make_gateway(max_body_bytes=8_000_000)
    body = pattern(5_000_000)

    response = await gateway.put("/v1/tenants/artland/documents/1", headers=ARTLAND, data=body)

    received = await response.json()
    assert received["body_size"] == 5_000_000
    assert received["body_sha256"] == hashlib.sha256(body).hexdigest()


async def test_request_body_over_the_limit_is_a_413_problem(
    make_gateway: GatewayFactory, upstreams: dict[str, EchoUpstream]
) -> None:
    gateway = await make_gateway(max_body_bytes=100_000)

    response = await gateway.post("/v1/tenants/artland/documents", headers=ARTLAND, data=b"x" * 100_001)

    await _problem(response, 413)
    assert not upstreams["tenants"].calls


async def test_chunked_request_body_over_the_limit_is_a_413_problem(make_gateway: GatewayFactory) -> None:
    gateway = await make_gateway(max_body_bytes=100_000)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 16_384

    response = await gateway.post("/v1/tenants/artland/documents", headers=ARTLAND, data=chunks())

    await _problem(response, 413)


async def test_chunked_request_body_within_the_limit_passes(make_gateway: GatewayFactory) -> None:
    gateway = await make_gateway(max_body_bytes=100_000)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b"x" * 16_384

    response = await gateway.post("/v1/tenants/artland/documents", headers=ARTLAND, data=chunks())

    assert (await response.json())["body_size"] == 4 * 16_384


async def test_unreachable_service_is_a_502_problem_naming_it(gateway: Client) -> None:
    response = await gateway.get("/v1/tenants/artland/tickets/7", headers=ARTLAND)

    body = await _problem(response, 502)
    assert body["detail"] == "The tickets service is unreachable."
    assert body["service"] == "tickets"


async def test_slow_service_is_a_504_problem_naming_it(make_gateway: GatewayFactory) -> None:
    gateway = await make_gateway(upstream_timeout=0.2)

    response = await gateway.get("/v1/tenants/artland/knowledge/articles?sleep=1", headers=ARTLAND)

    body = await _problem(response, 504)
    assert body["service"] == "knowledge"
    assert "knowledge" in body["detail"]


async def test_dropped_connection_is_retried_for_get_but_not_for_post(make_gateway: GatewayFactory) -> None:
    for method, expected_status, expected_connections in (("GET", 200, 2), ("POST", 502, 1)):
        flaky = await FlakyUpstream().start()
        try:
            gateway = await make_gateway(tickets_url=flaky.url)
            response = await gateway.request(method, "/v1/tenants/artland/tickets", headers=ARTLAND)
            assert response.status == expected_status, method
            assert flaky.connections == expected_connections, method
        finally:
            await flaky.stop()


def _retries(upstream: str) -> float:
    return REGISTRY.get_sample_value("zentrale_gateway_upstream_retries_total", {"upstream": upstream}) or 0.0


async def test_refused_connection_is_retried_for_get_but_not_for_post(gateway: Client) -> None:
    before = _retries("metrics")
    await _problem(await gateway.get("/v1/tenants/artland/figures/sla", headers=ARTLAND), 502)
    after_get = _retries("metrics")
    await _problem(await gateway.post("/v1/tenants/artland/figures/sla", headers=ARTLAND), 502)

    assert after_get == before + 1
    assert _retries("metrics") == after_get


async def test_head_request_passes_without_body(gateway: Client) -> None:
    response = await gateway.head("/v1/tenants/artland", headers=ARTLAND)

    assert response.status == 200
    assert await response.read() == b""
