"""The public reading a tenant's public routes: limited per client address, and per tenant in a budget of its own."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient

from kit.errors import PROBLEM_JSON

from .support import ARTLAND_KEY, GatewayFactory, StandIn

Client = TestClient[Any, Any]
PUBLIC = "/v1/tenants/{tenant}/public/articles"
TAG = '"0f343b0931126a20f133d67c2b018a3b"'
CACHED = "public, max-age=300"


class PublishedCopy(StandIn):
    """The knowledge service's public reads as a cache meets them: a tagged copy, or 304 if the client's is current."""

    def __init__(self) -> None:
        self.server = None
        self.asked: list[str | None] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1/tenants/{tenant}/public/descriptions", self._read)
        return app

    async def _read(self, request: web.Request) -> web.StreamResponse:
        self.asked.append(request.headers.get("If-None-Match"))
        headers = {"ETag": TAG, "Cache-Control": CACHED}
        if request.headers.get("If-None-Match") == TAG:
            return web.Response(status=304, headers=headers)
        return web.json_response({"items": [], "next_cursor": None}, headers=headers)


def _from(address: str) -> aiohttp.ClientSession:
    """A session whose connections leave from ``address``: every 127/8 address is this machine."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(address, 0)))


async def _reads(gateway: Client, session: aiohttp.ClientSession, tenant: str, count: int) -> list[str]:
    """``count`` credential-free reads of ``tenant``'s public articles: "200", or "429 <limit>"."""
    outcomes = []
    for _ in range(count):
        async with session.get(gateway.make_url(PUBLIC.format(tenant=tenant))) as response:
            if response.status != 429:
                outcomes.append(str(response.status))
                continue
            assert response.headers["Content-Type"] == PROBLEM_JSON
            assert response.headers["Cache-Control"] == "no-store"
            outcomes.append(f"429 {(await response.json(content_type=None))['limit']}")
    return outcomes


async def test_each_client_address_has_its_own_limit_and_all_count_toward_the_tenants_public_budget(
    make_gateway: GatewayFactory,
) -> None:
    gateway = await make_gateway(
        rate_limit_client=2, rate_limit_public=3, rate_limit_tenant=100, rate_limit_window=3600
    )
    second, third = _from("127.0.0.2"), _from("127.0.0.3")
    try:
        first_reads = await _reads(gateway, gateway.session, "artland", 3)
        second_reads = await _reads(gateway, second, "artland", 2)
        third_reads = await _reads(gateway, third, "oldenburg", 1) + await _reads(gateway, third, "artland", 1)
    finally:
        await second.close()
        await third.close()

    assert first_reads == ["200", "200", "429 client"]
    assert second_reads == ["200", "429 public"]
    assert third_reads == ["200", "429 public"]


async def test_the_public_does_not_use_up_the_budget_of_the_tenants_own_callers(
    make_gateway: GatewayFactory,
) -> None:
    gateway = await make_gateway(
        rate_limit_client=100, rate_limit_public=2, rate_limit_tenant=2, rate_limit_window=3600
    )

    public = await _reads(gateway, gateway.session, "artland", 3)
    staff = [(await gateway.get("/v1/tenants/artland", headers={"X-API-Key": ARTLAND_KEY})).status for _ in range(3)]
    anonymous = await gateway.get(PUBLIC.format(tenant="artland"))

    assert public == ["200", "200", "429 public"]
    assert staff == [200, 200, 429]
    assert anonymous.headers["RateLimit-Policy"] == '"client";q=100;w=3600, "public";q=2;w=3600'


async def test_a_conditional_read_by_the_public_reaches_the_knowledge_service_and_its_304_comes_back_bare(
    make_gateway: GatewayFactory,
) -> None:
    knowledge = await PublishedCopy().start()
    try:
        gateway = await make_gateway(knowledge_url=knowledge.url)
        path = "/v1/tenants/artland/public/descriptions"
        fresh = await gateway.get(path)
        confirmed = await gateway.get(path, headers={"If-None-Match": TAG})
        confirmed_body = await confirmed.read()
    finally:
        await knowledge.stop()

    assert knowledge.asked == [None, TAG]
    assert (fresh.status, fresh.headers["ETag"], fresh.headers["Cache-Control"]) == (200, TAG, CACHED)
    assert (confirmed.status, confirmed_body) == (304, b"")
    assert (confirmed.headers["ETag"], confirmed.headers["Cache-Control"]) == (TAG, CACHED)
