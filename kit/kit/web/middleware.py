"""Pure ASGI middleware: body size limit, request metrics and trace context (cheap enough for every request)."""

from __future__ import annotations

import time
from typing import Any

from opentelemetry import context as otel_context
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit import metrics
from kit.errors import problem
from kit.telemetry import context_from
from kit.web.problems import problem_response


class BodyLimit:
    """Refuse bodies above ``max_bytes`` with 413, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await problem_response(problem(413, detail=self.detail))(scope, receive, send)
                return
        seen = 0
        exceeded = started = False

        async def limited() -> Message:
            """Count the body; past the limit the app is told the client left, so it stops reading."""
            nonlocal seen, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                exceeded = True
                return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, guarded)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await problem_response(problem(413, detail=self.detail))(scope, receive, send)

    @property
    def detail(self) -> str:
        return f"The request body exceeds {self.max_bytes} bytes."


class RequestMetrics:
    """Observe each request's latency by route template."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            route: Any = scope.get("route")
            template = getattr(route, "path", "unmatched")
            metrics.REQUEST_LATENCY.labels(self.service, scope["method"], template, str(status)).observe(
                time.perf_counter() - started
            )


_TRACE_HEADERS = (b"traceparent", b"tracestate")


class TraceContext:
    """Make the caller's ``traceparent`` current while no spans are recorded.

    Events written in the request then carry the caller's trace, and log lines its trace id. When
    tracing is on, FastAPI's own server span does this instead.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope.get("headers", ())
            if name in _TRACE_HEADERS
        }
        if not carrier:
            await self.app(scope, receive, send)
            return
        token = otel_context.attach(context_from(carrier))
        try:
            await self.app(scope, receive, send)
        finally:
            otel_context.detach(token)
