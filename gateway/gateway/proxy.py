"""Forward a request to its service: authenticate, scope to a tenant, sign, stream, time out, retry.

``Proxy.exchange`` is the path every forwarded request takes, whichever server parsed it: the aiohttp
application (``Proxy.handle``) or the gateway's fast front (``gateway.front``). Bodies stream in both
directions; only bodies of known size up to ``SMALL_BODY`` are read whole, so the common small JSON
answer goes out in one write without chunked framing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from yarl import URL

from gateway import open311
from gateway.audit import AccessAudit
from gateway.auth import Authenticator, acting_tenant
from gateway.authorization import authorize, public_reader, rate_limited_as
from gateway.client_address import TrustedProxies
from gateway.grants import Grants
from gateway.headers import (
    REQUEST_ID,
    client_response_headers,
    continue_trace,
    request_id,
    upstream_request_headers,
)
from gateway.metrics import UPSTREAM_FAILURES, UPSTREAM_RETRIES, LatencyRecorder
from gateway.problems import UpstreamTimeout, UpstreamUnreachable, problem_response
from gateway.rate_limits import RateLimiter
from gateway.routes import RouteMatch, RouteTable, is_canonical
from gateway.tokens import TokenCache
from gateway.upstream import Body, ConnectFailed, ReadTimeout, UpstreamError, UpstreamPool, UpstreamResponse
from kit.errors import BadRequest, ContentTooLarge, NotFound, ProblemError, problem
from kit.identity import Identity
from kit.telemetry import tracing_enabled

log = logging.getLogger("gateway.proxy")

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
SMALL_BODY = 64 * 1024
_LOCATED_PATHS = 4096
# Only W3C trace context is taken from clients; their baggage would travel into every service.
_CLIENT_TRACE = TraceContextTextMapPropagator()
_tracer = trace.get_tracer("gateway")


@dataclass(frozen=True, slots=True)
class ProxyConfig:
    """What the proxy needs of the settings."""

    upstreams: Mapping[str, str]
    max_body_bytes: int
    upstream_timeout: float
    connect_timeout: float
    connect_retries: int
    pool_size: int


@dataclass(frozen=True, slots=True)
class Incoming:
    """What the forwarding path reads of a request, whichever server parsed it."""

    method: str
    target: str
    path: str
    headers: CIMultiDictProxy[str]
    remote: str | None
    scheme: str
    host: str


@dataclass(frozen=True, slots=True)
class Exchange:
    """A service's answer whose head has arrived, and the headers the client gets with it."""

    upstream: UpstreamResponse
    headers: CIMultiDict[str]
    service: str


@dataclass(frozen=True, slots=True)
class ServerSpan:
    """A request's span, told the status it ended with."""

    span: trace.Span

    def ended(self, status: int) -> None:
        self.span.set_attribute("http.response.status_code", status)
        if status >= 500:
            self.span.set_status(StatusCode.ERROR)


def _incoming(request: web.Request) -> Incoming:
    return Incoming(
        request.method,
        request.raw_path,
        request.rel_url.raw_path,
        request.headers,
        request.remote,
        request.scheme,
        request.host,
    )


def routed(match: RouteMatch | None, canonical: bool) -> RouteMatch:
    """The route of a request, or the problem of a path that has none: 404, or 400 for a non-canonical path."""
    if match is None:
        raise NotFound() if canonical else BadRequest("The request path is not in canonical form.")
    return match


def failure(error: Exception, method: str, path: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The problem document and headers for a request that failed: its own problem, or 500 with no details."""
    if isinstance(error, ProblemError):
        return error.to_problem(instance=path), error.headers()
    # The client gets a problem document, never a stack trace.
    log.error("gateway.request.failed", extra={"method": method, "path": path}, exc_info=error)
    return problem(500, detail="An unexpected error occurred.", instance=path), {}


class _LimitedBody:
    """A request body of unknown length, refused once it passes the limit."""

    def __init__(self, content: aiohttp.StreamReader, limit: int) -> None:
        self._content = content
        self.limit = limit
        self.exceeded = False

    async def chunks(self) -> AsyncIterator[bytes]:
        """Yield the body as it arrives; raise once it passes the limit."""
        seen = 0
        async for chunk in self._content.iter_any():
            seen += len(chunk)
            if seen > self.limit:
                self.exceeded = True
                raise ContentTooLarge()
            yield chunk


# A request body to send on, its length if known, and the limit watching a body of unknown length.
RequestBody = tuple[Body, int | None, "_LimitedBody | None"]


def _too_large(limit: int) -> ContentTooLarge:
    return ContentTooLarge(f"The request body exceeds {limit} bytes.")


def new_session(config: ProxyConfig) -> aiohttp.ClientSession:
    """The session for the gateway's own calls to the services (readiness, API documents), not for requests."""
    connector = aiohttp.TCPConnector(
        limit=config.pool_size * max(len(config.upstreams), 1),
        limit_per_host=config.pool_size,
        ttl_dns_cache=60,
    )
    return aiohttp.ClientSession(
        connector=connector,
        # A shared jar would hand one client's cookies to the next.
        cookie_jar=aiohttp.DummyCookieJar(),
        # Bodies pass through as the service encoded them.
        auto_decompress=False,
        timeout=aiohttp.ClientTimeout(
            total=None, sock_connect=config.connect_timeout, sock_read=config.upstream_timeout
        ),
        raise_for_status=False,
    )


class Proxy:
    """The gateway's one request handler for every routed path."""

    def __init__(
        self,
        config: ProxyConfig,
        *,
        routes: RouteTable,
        authenticator: Authenticator,
        tokens: TokenCache,
        limiter: RateLimiter | None = None,
        audit: AccessAudit | None = None,
        grants: Grants | None = None,
        proxies: TrustedProxies | None = None,
    ) -> None:
        unknown = routes.services - config.upstreams.keys()
        if unknown:
            raise ValueError(f"routes name services without a URL: {', '.join(sorted(unknown))}")
        self.config = config
        self.routes = routes
        self.authenticator = authenticator
        self.tokens = tokens
        self.limiter = limiter
        self.audit = audit
        self.grants = grants
        self.proxies = proxies or TrustedProxies()
        self._bases = {name: url.rstrip("/") for name, url in config.upstreams.items()}
        self._latency = LatencyRecorder()
        self._session: aiohttp.ClientSession | None = None
        self._pools: dict[str, UpstreamPool] = {}
        self._located: dict[str, tuple[RouteMatch | None, str, bool]] = {}

    @property
    def session(self) -> aiohttp.ClientSession:
        """The session for the gateway's own calls to the services; requests go through the pools."""
        if self._session is None:
            raise RuntimeError("the proxy is not open")
        return self._session

    @property
    def is_open(self) -> bool:
        """Whether requests can be forwarded now."""
        return self._session is not None and not self._session.closed

    async def open(self) -> None:
        """Create the connection pools and the client session (inside the running event loop)."""
        self._session = new_session(self.config)
        self._pools = {name: self._pool(url) for name, url in self._bases.items()}

    async def close(self) -> None:
        """Close the client session and every pooled connection."""
        for pool in self._pools.values():
            await pool.close()
        if self._session is not None:
            await self._session.close()

    def _pool(self, base: str) -> UpstreamPool:
        url = URL(base)
        if url.scheme != "http" or url.host is None or url.path not in ("", "/"):
            raise ValueError(f"a service URL is http://host:port inside the cluster: {base!r}")
        return UpstreamPool(
            url.host,
            url.port or 80,
            size=self.config.pool_size,
            connect_timeout=self.config.connect_timeout,
            read_timeout=self.config.upstream_timeout,
        )

    def locate(self, path: str) -> tuple[RouteMatch | None, str, bool]:
        """The route of a raw path, its label for metrics and spans, and whether the path is canonical.

        Remembered per path (the same resources are asked for again and again); the memory is bounded by
        starting over when full, so clients cannot grow it.
        """
        located = self._located.get(path)
        if located is None:
            canonical = is_canonical(path)
            match = self.routes.match(path) if canonical else None
            located = (match, match.route.pattern if match is not None else "unmatched", canonical)
            if len(self._located) >= _LOCATED_PATHS:
                self._located.clear()
            self._located[path] = located
        return located

    def body_limit(self, match: RouteMatch) -> int:
        """The request body limit on a matched path: the default, or the larger one its route names."""
        return max(self.config.max_body_bytes, match.max_body_bytes or 0)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one request through its service, or with a problem document."""
        started = time.perf_counter()
        rid = request_id(request.headers.get(REQUEST_ID))
        match, route, canonical = self.locate(request.rel_url.raw_path)
        method = request.method
        recording = tracing_enabled()
        if recording:
            with self.server_span(method, route, request.headers) as span:
                response = await self._answer(request, rid, match, canonical, recording)
                span.ended(response.status)
        else:
            # No span to record: the client's trace context travels on as it came (see ``exchange``).
            response = await self._answer(request, rid, match, canonical, recording)
        self.record(method, route, response.status, started)
        return response

    @staticmethod
    @contextmanager
    def server_span(method: str, route: str, headers: Mapping[str, str]) -> Iterator[ServerSpan]:
        """The span of one request, continuing the client's W3C trace context."""
        with _tracer.start_as_current_span(
            f"{method} {route}",
            context=_CLIENT_TRACE.extract(headers),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "http.route": route},
        ) as span:
            yield ServerSpan(span)

    def record(self, method: str, route: str, status: int, started: float) -> None:
        """Observe one answered request in the latency histogram (and the debug log)."""
        seconds = time.perf_counter() - started
        self._latency.observe(method, route, status, seconds)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "gateway.request.proxied",
                extra={"method": method, "route": route, "status": status, "seconds": seconds},
            )

    async def _answer(
        self, request: web.Request, rid: str, match: RouteMatch | None, canonical: bool, recording: bool
    ) -> web.StreamResponse:
        try:
            route = routed(match, canonical)
            exchange = await self.exchange(
                _incoming(request), rid, route, lambda: self._body(request, route), recording=recording
            )
            try:
                return await self._relay(request, exchange)
            finally:
                exchange.upstream.release()
        except Exception as error:  # noqa: BLE001 - ``failure`` logs what is not a problem of the client's
            body, headers = failure(error, request.method, request.path)
            headers[REQUEST_ID] = rid
            raw_path = request.rel_url.raw_path
            if self.speaks_open311(match, raw_path):
                return open311.error_response(body, error, raw_path, headers)
            return problem_response(body, headers)

    def speaks_open311(self, match: RouteMatch | None, path: str) -> bool:
        """Whether a failed request's errors are Open311's: its route's, or the route its path resembles."""
        route = match.route if match is not None else self.routes.resembled(path)
        return route is not None and route.open311

    async def exchange(
        self,
        incoming: Incoming,
        rid: str,
        match: RouteMatch,
        read_body: Callable[[], Awaitable[RequestBody]],
        *,
        recording: bool = False,
    ) -> Exchange:
        """Admit the caller, send the request to its service and return once the answer's head is there.

        Whichever server parsed the request: authentication, rate limits, tenant scope and authorization, the
        signed identity, the forwarded headers, the access audit. The body is read only once admitted, but
        for an Open311 form that may hold the caller's key (``gateway.open311``).
        """
        if match.route.open311:
            incoming, read_body = await open311.with_api_key(incoming, read_body)
        headers = incoming.headers
        identity = public_reader(match, incoming.method, headers)
        if identity is None:
            identity = await self.authenticator.authenticate(headers)
        # Counted before the tenant check, so probing other tenants' URLs is limited too.
        origin = self.proxies.origin(incoming.remote, incoming.scheme, headers)
        limits = self.limiter.admit(rate_limited_as(identity, origin.address)) if self.limiter is not None else ()
        tenant, identity = self._acting(identity, match)
        # After the tenant check: another tenant's URL is 404 whatever the caller may do.
        authorize(identity, match, incoming.method)
        body = await read_body()
        out = upstream_request_headers(headers.items(), headers.get("Connection"))
        out["Authorization"] = self.tokens.authorization(identity, tenant)
        out[REQUEST_ID] = rid
        out["X-Forwarded-For"] = origin.address
        out["X-Forwarded-Proto"] = origin.scheme
        out["X-Forwarded-Host"] = incoming.host
        continue_trace(headers, out, recording=recording)
        upstream = await self._send(incoming.method, incoming.target, out, body, match.service)
        # The public's reads name nobody: they are not accesses by a principal.
        if self.audit is not None and tenant is not None and identity.kind != "anonymous":
            self.audit.note(
                identity,
                tenant=tenant,
                method=incoming.method,
                path=incoming.path,
                status=upstream.status,
                request_id=rid,
            )
        answer = client_response_headers(upstream.headers, upstream.connection)
        answer[REQUEST_ID] = rid
        if limits:
            answer.extend(limits)
        return Exchange(upstream, answer, match.service)

    async def read_whole(self, exchange: Exchange) -> bytes:
        """The whole body of a small answer; a service that stalls or breaks off is 504 or 502."""
        try:
            return await exchange.upstream.read()
        except ReadTimeout:
            UPSTREAM_FAILURES.labels(exchange.service, "timeout").inc()
            raise UpstreamTimeout(exchange.service) from None
        except UpstreamError:
            UPSTREAM_FAILURES.labels(exchange.service, "interrupted").inc()
            raise UpstreamUnreachable(exchange.service) from None

    @staticmethod
    def interrupted(exchange: Exchange, error: UpstreamError) -> None:
        """Count and log a service that broke off an answer whose head was sent on already."""
        UPSTREAM_FAILURES.labels(exchange.service, "interrupted").inc()
        log.warning("gateway.upstream.interrupted", extra={"upstream": exchange.service, "error": type(error).__name__})

    def _acting(self, identity: Identity, match: RouteMatch) -> tuple[str | None, Identity]:
        """The tenant the request acts for, and who acts: on a partner's URL, only through its grant."""
        home = identity.tenant_id
        if self.grants is not None and home is not None and match.tenant is not None and match.tenant != home:
            # Signed for the partner with the granted roles; the audit still names the home tenant.
            return match.tenant, self.grants.acting(identity, match.tenant)
        return acting_tenant(identity, match), identity

    async def _body(self, request: web.Request, match: RouteMatch) -> RequestBody:
        """The body to send on, its length if known, and the limit watching a body of unknown length."""
        if not request.body_exists:
            return None, None, None
        limit = self.body_limit(match)
        length = request.content_length
        if length is None:
            limited = _LimitedBody(request.content, limit)
            return limited.chunks(), None, limited
        if length > limit:
            raise _too_large(limit)
        if length <= SMALL_BODY:
            return await request.read(), length, None
        # The server's parser ends the stream at Content-Length, so the limit already holds.
        return request.content.iter_any(), length, None

    async def _send(
        self,
        method: str,
        target: str,
        headers: CIMultiDict[str],
        body: RequestBody,
        service: str,
    ) -> UpstreamResponse:
        content, length, limited = body
        idempotent = method in IDEMPOTENT
        attempts = 1 + self.config.connect_retries if idempotent else 1
        pool = self._pools[service]
        try:
            attempt = 1
            while True:
                try:
                    # A connection that drops before the answer is tried once more for idempotent methods
                    # (RFC 9112 §9.3.1); one that could not be opened never carried the request.
                    return await pool.request(
                        method, target, headers.items(), content, length=length, retry_dropped=idempotent
                    )
                except ConnectFailed:
                    if attempt >= attempts:
                        raise
                    attempt += 1
                    UPSTREAM_RETRIES.labels(service).inc()
        except UpstreamError as error:
            if limited is not None and limited.exceeded:
                raise _too_large(limited.limit) from None
            if isinstance(error, ReadTimeout):
                UPSTREAM_FAILURES.labels(service, "timeout").inc()
                log.warning("gateway.upstream.timeout", extra={"upstream": service})
                raise UpstreamTimeout(service) from None
            UPSTREAM_FAILURES.labels(service, "unreachable").inc()
            log.warning("gateway.upstream.unreachable", extra={"upstream": service, "error": type(error).__name__})
            raise UpstreamUnreachable(service) from None

    async def _relay(self, request: web.Request, exchange: Exchange) -> web.StreamResponse:
        upstream, headers = exchange.upstream, exchange.headers
        length = upstream.content_length
        if length is not None and length <= SMALL_BODY and request.method != "HEAD":
            body = await self.read_whole(exchange)
            headers.popall("Content-Length", None)
            return web.Response(status=upstream.status, reason=upstream.reason, headers=headers, body=body)
        response = web.StreamResponse(status=upstream.status, reason=upstream.reason, headers=headers)
        await response.prepare(request)
        try:
            async for chunk in upstream.chunks():
                await response.write(chunk)
            await response.write_eof()
        except ConnectionError:
            return response
        except UpstreamError as error:
            # The status line is sent already: cut the connection so the client sees a broken body.
            self.interrupted(exchange, error)
            _abort(request)
        except BaseException:
            _abort(request)
            raise
        return response


def _abort(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.abort()
