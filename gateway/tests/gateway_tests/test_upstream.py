"""The lean client to the services: one request per pooled keep-alive connection, framing done right."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import uvloop
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.upstream import ConnectFailed, ReadTimeout, UpstreamPool, encode_head

from .support import closed_url


class Service:
    """A real HTTP server that counts its connections and at most how many were busy at once."""

    def __init__(self) -> None:
        self.connections: set[int] = set()
        self.busy = 0
        self.most_busy = 0
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self.answer)
        self.server = TestServer(app)

    async def answer(self, request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        self.connections.add(id(request.transport))
        self.busy += 1
        self.most_busy = max(self.most_busy, self.busy)
        try:
            await asyncio.sleep(float(request.query.get("sleep", "0")))
            body = await request.read()
            headers = {"Connection": "close"} if "close" in request.query else {}
            text = f"{request.method} {request.path_qs} {len(body)} {request.headers.get('Transfer-Encoding', '-')}"
            return web.Response(text=text, headers=headers)
        finally:
            self.busy -= 1


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    running = Service()
    await running.server.start_server()
    yield running
    await running.server.close()


def _pool(service: Service, **options: float) -> UpstreamPool:
    return UpstreamPool("127.0.0.1", service.server.port or 0, **options)  # type: ignore[arg-type]


async def _text(pool: UpstreamPool, method: str, target: str, body: bytes | None = None) -> str:
    response = await pool.request(method, target, [("Accept", "*/*")], body)
    try:
        return (await response.read()).decode()
    finally:
        response.release()


def test_a_line_break_in_a_header_is_refused_and_the_framing_is_the_clients_own() -> None:
    with pytest.raises(ValueError, match="line break"):
        encode_head("GET", "/", "svc:80", [("X-Note", "a\r\nX-Tenant: oldenburg")], "")
    with pytest.raises(ValueError, match="line break"):
        encode_head("GET", "/", "svc:80", [("X-Note\n", "a")], "")

    head = encode_head(
        "POST", "/t", "svc:80", [("Content-Length", "99"), ("Host", "evil"), ("A", "1")], "Content-Length: 3"
    )

    assert head == b"POST /t HTTP/1.1\r\nHost: svc:80\r\nA: 1\r\nContent-Length: 3\r\n\r\n"


async def test_requests_one_after_another_share_one_connection_unless_the_service_closes_it(
    service: Service,
) -> None:
    pool = _pool(service)
    try:
        answers = [await _text(pool, "GET", f"/v1/x?n={n}") for n in range(3)]
        assert answers[2] == "GET /v1/x?n=2 0 -"
        assert len(service.connections) == 1

        await _text(pool, "GET", "/v1/x?close=1")
        await _text(pool, "GET", "/v1/x")
        assert len(service.connections) == 2
    finally:
        await pool.close()


async def test_bodies_go_with_their_length_or_in_chunks_and_a_head_answer_ends_at_its_head(
    service: Service,
) -> None:
    pool = _pool(service)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"x" * 70_000

    try:
        assert await _text(pool, "PUT", "/v1/doc", b"abc") == "PUT /v1/doc 3 -"
        streamed = await pool.request("POST", "/v1/doc", [], chunks())
        assert (await streamed.read()).decode() == "POST /v1/doc 210000 chunked"
        streamed.release()
        head = await pool.request("HEAD", "/v1/doc", [])
        assert (head.status, head.content_length, await head.read()) == (200, len("HEAD /v1/doc 0 -"), b"")
        head.release()
        assert await _text(pool, "GET", "/v1/after") == "GET /v1/after 0 -"
    finally:
        await pool.close()


async def test_at_most_size_connections_are_busy_at_once(service: Service) -> None:
    pool = _pool(service, size=2)
    try:
        await asyncio.gather(*(_text(pool, "GET", "/v1/slow?sleep=0.05") for _ in range(6)))
    finally:
        await pool.close()

    assert service.most_busy == 2


async def test_a_silent_service_times_out_and_a_closed_port_fails_to_connect(service: Service) -> None:
    pool = _pool(service, read_timeout=0.1)
    closed = UpstreamPool("127.0.0.1", int(closed_url().rsplit(":", 1)[1]))
    try:
        with pytest.raises(ReadTimeout):
            await pool.request("GET", "/v1/slow?sleep=1", [])
        with pytest.raises(ConnectFailed):
            await closed.request("GET", "/", [])
        assert await _text(pool, "GET", "/v1/fine") == "GET /v1/fine 0 -"
    finally:
        await pool.close()


def test_the_client_works_on_uvloop_as_the_gateway_runs() -> None:
    async def scenario() -> list[str]:
        running = Service()
        await running.server.start_server()
        pool = _pool(running)
        try:
            return [await _text(pool, "GET", "/v1/a"), await _text(pool, "PUT", "/v1/b", b"xy")]
        finally:
            await pool.close()
            await running.server.close()

    assert uvloop.run(scenario()) == ["GET /v1/a 0 -", "PUT /v1/b 2 -"]
