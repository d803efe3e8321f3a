"""The fast front at the connection level: what it answers itself, what it hands to aiohttp, and how it closes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web
from aiohttp.test_utils import TestClient

from gateway.front import Front

from .support import ARTLAND_KEY, GatewayFactory

Client = TestClient[Any, Any]
GET_ARTLAND = f"GET /v1/tenants/artland HTTP/1.1\r\nHost: gateway\r\nX-API-Key: {ARTLAND_KEY}\r\n\r\n".encode()
HEALTH = b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


@asynccontextmanager
async def raw_connection(gateway: Client) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection(gateway.host, gateway.port)
    try:
        yield reader, writer
    finally:
        writer.close()


async def read_answer(reader: asyncio.StreamReader) -> Answer:
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).decode("latin-1")
    status_line, *lines = head.rstrip("\r\n").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    if headers.get("transfer-encoding") == "chunked":
        body = b""
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            body += await reader.readexactly(size + 2)
            body = body[:-2]
        await reader.readexactly(2)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Answer(int(status_line.split(" ")[1]), headers, body)


def front_of(gateway: Client) -> Front:
    runner = gateway.server.runner
    assert runner is not None
    front: object = runner.server
    assert isinstance(front, Front)
    return front


def handed_off_requests(gateway: Client) -> int:
    """Requests the aiohttp application has answered so far."""
    server = front_of(gateway).handoff
    assert isinstance(server, web.Server)
    return server.requests_count


async def test_a_proxied_request_is_answered_by_the_front_with_the_gateways_headers(gateway: Client) -> None:
    async with raw_connection(gateway) as (reader, writer):
        writer.write(GET_ARTLAND)
        answer = await read_answer(reader)

    assert answer.status == 200
    assert answer.json()["path"] == "/v1/tenants/artland"
    assert answer.headers["server"] == "zentrale"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    assert len(answer.headers["x-request-id"]) == 32
    assert answer.headers["date"].endswith("GMT")
    assert "ratelimit" in answer.headers
    assert handed_off_requests(gateway) == 0


async def test_the_gateways_own_endpoint_on_the_same_connection_goes_to_aiohttp(gateway: Client) -> None:
    async with raw_connection(gateway) as (reader, writer):
        writer.write(GET_ARTLAND)
        first = await read_answer(reader)
        writer.write(HEALTH)
        second = await read_answer(reader)
        writer.write(GET_ARTLAND)
        third = await read_answer(reader)

    assert (first.status, second.status, third.status) == (200, 200, 200)
    assert second.json() == {"status": "ok"}
    assert third.json()["path"] == "/v1/tenants/artland"
    # Once handed over, the connection stays with aiohttp.
    assert handed_off_requests(gateway) == 2


async def test_pipelined_requests_are_answered_in_order(gateway: Client) -> None:
    second = GET_ARTLAND.replace(b"/v1/tenants/artland ", b"/v1/tenants/artland/knowledge/articles ")
    async with raw_connection(gateway) as (reader, writer):
        writer.write(GET_ARTLAND + second + GET_ARTLAND)
        answers = [await read_answer(reader) for _ in range(3)]

    assert [a.json()["service"] for a in answers] == ["tenants", "knowledge", "tenants"]
    assert handed_off_requests(gateway) == 0


async def test_a_request_arriving_in_pieces_is_answered_once_whole(gateway: Client) -> None:
    body = b'{"title": "Meldebescheinigung"}'
    request = (
        b"POST /v1/tenants/artland/knowledge/articles HTTP/1.1\r\nHost: gateway\r\n"
        + f"X-API-Key: {ARTLAND_KEY}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    async with raw_connection(gateway) as (reader, writer):
        for start in range(0, len(request), 20):
            writer.write(request[start : start + 20])
            await writer.drain()
            await asyncio.sleep(0.01)
        answer = await read_answer(reader)

    assert answer.status == 200
    assert answer.json()["body_size"] == len(body)
    assert handed_off_requests(gateway) == 0


async def test_connection_close_is_honoured(gateway: Client) -> None:
    async with raw_connection(gateway) as (reader, writer):
        writer.write(GET_ARTLAND.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        answer = await read_answer(reader)
        rest = await asyncio.wait_for(reader.read(), 5)

    assert answer.status == 200
    assert answer.headers["connection"] == "close"
    assert rest == b""


async def test_what_the_front_does_not_take_is_answered_by_aiohttp(gateway: Client) -> None:
    old_http = GET_ARTLAND.replace(b"HTTP/1.1", b"HTTP/1.0")
    head = GET_ARTLAND.replace(b"GET ", b"HEAD ")
    chunked = (
        b"POST /v1/tenants/artland/knowledge/articles HTTP/1.1\r\nHost: gateway\r\n"
        + f"X-API-Key: {ARTLAND_KEY}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        + b"5\r\nhello\r\n0\r\n\r\n"
    )
    for request, status in ((old_http, 200), (head, 200), (chunked, 200), (b"GARBAGE\r\n\r\n", 400)):
        async with raw_connection(gateway) as (reader, writer):
            writer.write(request)
            if request is head:
                line = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
                assert line.startswith(b"HTTP/1.1 200")
                continue
            answer = await read_answer(reader)
        assert answer.status == status, request
    assert handed_off_requests(gateway) == 4


async def test_a_problem_from_the_front_is_problem_json_with_the_security_headers(gateway: Client) -> None:
    async with raw_connection(gateway) as (reader, writer):
        writer.write(b"GET /v1/tenants/artland HTTP/1.1\r\nHost: gateway\r\n\r\n")
        answer = await read_answer(reader)

    assert answer.status == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.json()["instance"] == "/v1/tenants/artland"
    assert handed_off_requests(gateway) == 0


async def test_an_answer_without_a_length_is_sent_chunked(make_gateway: GatewayFactory) -> None:
    gateway = await make_gateway()
    async with raw_connection(gateway) as (reader, writer):
        request = GET_ARTLAND.replace(b"/v1/tenants/artland ", b"/v1/tenants/artland?size=200000 ")
        writer.write(request)
        answer = await read_answer(reader)
        writer.write(GET_ARTLAND)
        after = await read_answer(reader)

    assert answer.status == 200
    assert answer.headers["transfer-encoding"] == "chunked"
    assert len(answer.body) == 200_000
    assert after.status == 200


async def test_closing_the_gateway_lets_a_request_under_way_finish_and_closes_idle_connections(
    make_gateway: GatewayFactory,
) -> None:
    gateway = await make_gateway()
    slow = GET_ARTLAND.replace(b"/v1/tenants/artland ", b"/v1/tenants/artland?sleep=0.3 ")
    async with raw_connection(gateway) as (busy_reader, busy_writer), raw_connection(gateway) as (idle_reader, idle):
        idle.write(GET_ARTLAND)
        assert (await read_answer(idle_reader)).status == 200
        busy_writer.write(slow)
        await asyncio.sleep(0.1)
        closing = asyncio.ensure_future(gateway.server.close())

        answer = await read_answer(busy_reader)
        assert await asyncio.wait_for(idle_reader.read(), 5) == b""
        await closing

    assert answer.status == 200
    assert answer.headers["connection"] == "close"
