"""Pure ASGI middleware: body size limit, request metrics and trace context (cheap enough for every request)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from opentelemetry import context as otel_context
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit import metrics
from kit.errors import problem
from kit.telemetry import context_from
from kit.web.problems import problem_response


class BodyLimit:
    """Refuse bodies above ``max_bytes`` with 413, by Content-Length or while streaming.

    ``large_bodies`` maps path templates (``/v1/tenants/{tenant_id}/imports``, where a ``{name}``
    segment stands for any one segment) to the larger limit of exactly those paths. A request's path is
    looked up only once its body passes ``max_bytes``.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, large_bodies: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self._large = [(_template(path), limit) for path, limit in (large_bodies or {}).items()]

    def limit_for(self, path: str) -> int:
        """The body limit of a request path: ``max_bytes``, or the larger limit its template names."""
        segments = path.split("/")
        for template, limit in self._large:
            if _matches(template, segments):
                return max(limit, self.max_bytes)
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                limit = self.limit_for(scope["path"])
                if int(value) > limit:
                    await _too_large(limit)(scope, receive, send)
                    return
        seen = 0
        exceeded = started = False

        async def limited() -> Message:
            """Count the body; past the limit the app is told the client left, so it stops reading."""
            nonlocal seen, exceeded, limit
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                limit = self.limit_for(scope["path"])
                if seen > limit:
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
            await _too_large(limit)(scope, receive, send)


def _template(path: str) -> tuple[str | None, ...]:
    """A path template's segments; None stands for a ``{name}`` placeholder."""
    if not path.startswith("/"):
        raise ValueError(f"a path template starts with '/': {path!r}")
    segments = path.split("/")
    for segment in segments:
        if segment.startswith("{") and ":" in segment:
            raise ValueError(f"a placeholder stands for one segment, without a converter: {path!r}")
    return tuple(None if segment.startswith("{") else segment for segment in segments)


def _matches(template: tuple[str | None, ...], segments: list[str]) -> bool:
    """Whether a path's segments fit a template; a placeholder takes any one non-empty segment."""
    return len(template) == len(segments) and all(
        bool(segment) if part is None else part == segment for part, segment in zip(template, segments, strict=True)
    )


def _too_large(limit: int) -> Response:
    return problem_response(problem(413, detail=f"The request body exceeds {limit} bytes."))


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
