"""A route's larger body limit: the knowledge import takes a municipality's whole XZuFi export."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient

from gateway.routes import MIB, Route, RouteTable

from .support import ARTLAND_KEY, EchoUpstream, GatewayFactory, pattern

Client = TestClient[Any, Any]
ARTLAND = {"X-API-Key": ARTLAND_KEY}
IMPORTS = "/v1/tenants/artland/knowledge/imports"
ARTICLES = "/v1/tenants/artland/knowledge/articles"
DEFAULT_LIMIT = 1_048_576
IMPORT_LIMIT = 64 * MIB


async def _too_large(response: Any, limit: int) -> None:
    assert response.status == 413
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json(content_type=None)
    assert body["status"] == 413
    assert body["detail"] == f"The request body exceeds {limit} bytes."


def test_the_import_path_takes_its_own_limit_on_the_knowledge_route() -> None:
    table = RouteTable()
    knowledge = table.match(ARTICLES)
    imports = table.match(IMPORTS)

    assert knowledge is not None
    assert imports is not None
    assert imports.route is knowledge.route
    assert (imports.service, imports.tenant) == ("knowledge", "artland")
    assert (imports.route.read_scope, imports.route.write_scope) == ("knowledge:read", None)
    assert imports.max_body_bytes == IMPORT_LIMIT
    assert knowledge.max_body_bytes is None


def test_only_the_import_path_itself_takes_the_larger_limit() -> None:
    table = RouteTable()

    for path in (f"{IMPORTS}/7", f"{IMPORTS}/", "/v1/tenants/artland/knowledge", "/v1/knowledge/base/imports"):
        match = table.match(path)
        assert match is not None, path
        assert match.max_body_bytes is None, path


def test_a_larger_limit_below_a_route_takes_tenants_and_keeps_that_routes_tenant() -> None:
    route = Route("/v1/shared", "knowledge", large_bodies={"/{tenant}/uploads": 8 * MIB})
    table = RouteTable([route])

    match = table.match("/v1/shared/artland/uploads")

    assert match is not None
    assert (match.route, match.tenant, match.max_body_bytes) == (route, None, 8 * MIB)


def test_a_larger_limit_on_a_path_another_route_answers_is_refused() -> None:
    routes = [
        Route("/v1/tenants/{tenant}/knowledge", "knowledge", large_bodies={"/files/upload": 8 * MIB}),
        Route("/v1/tenants/{tenant}/knowledge/files", "documents"),
    ]

    with pytest.raises(ValueError, match="another route answers"):
        RouteTable(routes)
    with pytest.raises(ValueError, match="starts with '/'"):
        RouteTable([Route("/v1/shared", "knowledge", large_bodies={"uploads": 8 * MIB})])


def test_a_larger_limit_never_takes_the_paths_of_a_tenant_route() -> None:
    routes = [
        Route("/v1/shared", "knowledge", large_bodies={"/uploads": 8 * MIB}),
        Route("/v1/shared/{tenant}", "tenants"),
    ]

    with pytest.raises(ValueError, match="would take the paths of"):
        RouteTable(routes)


async def test_an_import_above_the_default_limit_reaches_the_knowledge_service(
    gateway: Client, upstreams: dict[str, EchoUpstream]
) -> None:
    body = pattern(3 * DEFAULT_LIMIT)
    headers = {**ARTLAND, "Content-Type": "application/xml"}

    imported = await gateway.post(IMPORTS, headers=headers, data=body)
    elsewhere = await gateway.post(ARTICLES, headers=headers, data=body)

    received = await imported.json()
    assert imported.status == 200
    assert received["path"] == IMPORTS
    assert received["body_size"] == len(body)
    assert received["body_sha256"] == hashlib.sha256(body).hexdigest()
    await _too_large(elsewhere, DEFAULT_LIMIT)
    assert len(upstreams["knowledge"].calls) == 1


async def test_a_chunked_import_above_the_default_limit_reaches_the_knowledge_service(
    gateway: Client, upstreams: dict[str, EchoUpstream]
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield pattern(DEFAULT_LIMIT)

    imported = await gateway.post(IMPORTS, headers=ARTLAND, data=chunks())
    elsewhere = await gateway.post(ARTICLES, headers=ARTLAND, data=chunks())

    assert (await imported.json())["body_size"] == 3 * DEFAULT_LIMIT
    await _too_large(elsewhere, DEFAULT_LIMIT)
    assert len(upstreams["knowledge"].calls) == 1


async def test_an_import_declared_above_its_own_limit_is_a_413_problem(
    gateway: Client, upstreams: dict[str, EchoUpstream]
) -> None:
    reader, writer = await asyncio.open_connection(gateway.host, gateway.port)
    try:
        writer.write(
            f"POST {IMPORTS} HTTP/1.1\r\nHost: gateway\r\nX-API-Key: {ARTLAND_KEY}\r\n"
            f"Content-Type: application/xml\r\nContent-Length: {IMPORT_LIMIT + 1}\r\n\r\n<xzufi/>".encode()
        )
        head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).decode("latin-1")
        length = next(
            int(line.split(":")[1]) for line in head.split("\r\n") if line.lower().startswith("content-length:")
        )
        body = orjson.loads(await asyncio.wait_for(reader.readexactly(length), 5))
    finally:
        writer.close()

    assert head.startswith("HTTP/1.1 413 ")
    assert "application/problem+json" in head
    assert body["detail"] == f"The request body exceeds {IMPORT_LIMIT} bytes."
    assert not upstreams["knowledge"].calls


async def test_a_chunked_import_above_its_own_limit_is_a_413_problem(gateway: Client) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        block = b"x" * MIB
        for _ in range(IMPORT_LIMIT // MIB + 1):
            yield block

    response = await gateway.post(IMPORTS, headers=ARTLAND, data=chunks())

    await _too_large(response, IMPORT_LIMIT)


async def test_a_default_below_the_fronts_small_bodies_still_lets_imports_pass(make_gateway: GatewayFactory) -> None:
    gateway = await make_gateway(max_body_bytes=10_000)
    body = pattern(20_000)

    imported = await gateway.post(IMPORTS, headers=ARTLAND, data=body)
    elsewhere = await gateway.post(ARTICLES, headers=ARTLAND, data=body)

    assert (await imported.json())["body_size"] == 20_000
    await _too_large(elsewhere, 10_000)
