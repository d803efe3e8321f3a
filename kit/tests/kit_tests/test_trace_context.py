"""Trace context without recorded spans (``TraceContext``), and outgoing HTTP calls when tracing is on."""

from __future__ import annotations

import httpx
from aiohttp import web
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from kit.http import client_session
from kit.local.postgres import free_port
from kit.telemetry import current_trace_id, current_traceparent, tracer
from kit.web.middleware import TraceContext

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


async def _trace(_: Request) -> JSONResponse:
    return JSONResponse({"trace_id": current_trace_id(), "traceparent": current_traceparent()})


def _client() -> httpx.AsyncClient:
    app = TraceContext(Starlette(routes=[Route("/trace", _trace)]))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sample")


async def test_the_callers_traceparent_is_current_in_the_request() -> None:
    async with _client() as client:
        answer = (await client.get("/trace", headers={"traceparent": TRACEPARENT})).json()
    assert answer["trace_id"] == TRACE_ID
    assert answer["traceparent"].split("-")[1] == TRACE_ID


async def test_a_request_without_one_runs_in_no_trace() -> None:
    async with _client() as client:
        answer = (await client.get("/trace")).json()
    assert answer == {"trace_id": None, "traceparent": None}


async def test_outgoing_http_calls_get_a_span_and_carry_the_trace(span_exporter: InMemorySpanExporter) -> None:
    received: list[str] = []

    async def echo(request: web.Request) -> web.Response:
        received.append(request.headers.get("traceparent", ""))
        return web.Response(text="ok")

    server = web.Application()
    server.add_routes([web.get("/echo", echo)])
    runner = web.AppRunner(server)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        with tracer("kit-tests").start_as_current_span("caller") as caller:
            async with client_session() as session, session.get(f"http://127.0.0.1:{port}/echo") as answer:
                assert answer.status == 200
    finally:
        await runner.cleanup()
    trace_id = format(caller.get_span_context().trace_id, "032x")
    assert received[0].split("-")[1] == trace_id
    clients = [s for s in span_exporter.get_finished_spans() if s.kind == SpanKind.CLIENT]
    assert any(format(s.context.trace_id, "032x") == trace_id for s in clients if s.context is not None)
