"""``TraceContext``: without recorded spans, a request still runs in its caller's trace."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from kit.telemetry import current_trace_id, current_traceparent
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
