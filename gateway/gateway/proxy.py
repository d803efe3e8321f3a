"""Forward a request to its service: authenticate, scope to a tenant, sign, stream, time out, retry.

Each step of ``_forward`` is one call, so later steps (grants, rate limits, audit) slot in between.
Bodies stream in both directions; only bodies of known size up to ``SMALL_BODY`` are read whole, so
the common small JSON answer goes out in one write without chunked framing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from yarl import URL

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
from gateway.problems import UpstreamTimeout, UpstreamUnreachable, error_response, problem_response
from gateway.rate_limits import HeaderPairs, RateLimiter
from gateway.routes import RouteMatch, RouteTable, is_canonical
from gateway.tokens import TokenCache
from gateway.upstream import Body, ConnectFailed, ReadTimeout, UpstreamError, UpstreamPool, UpstreamResponse
from kit.errors import BadRequest, ContentTooLarge, NotFound, ProblemError, problem
from kit.identity import Identity
from kit.telemetry import tracing_enabled

log = logging.getLogger("gateway.proxy")

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
SMALL_BODY = 64 * 1024
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


class _LimitedBody:
    """A request body of unknown length, refused once it passes the limit."""

    def __init__(self, content: aiohttp.StreamReader, limit: int) -> None:
        self._content = content
        self._limit = limit
        self.exceeded = False

    async def chunks(self) -> AsyncIterator[bytes]:
        """Yield the body as it arrives; raise once it passes the limit."""
        seen = 0
        async for chunk in self._content.iter_any():
            seen += len(chunk)
            if seen > self._limit:
                self.exceeded = True
                raise ContentTooLarge()
            yield chunk


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

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one request through its service, or with a problem document."""
        started = time.perf_counter()
        rid = request_id(request.headers.get(REQUEST_ID))
        path = request.rel_url.raw_path
        canonical = is_canonical(path)
        match = self.routes.match(path) if canonical else None
        route = match.route.pattern if match is not None else "unmatched"
        method = request.method
        recording = tracing_enabled()
        if recording:
            with _tracer.start_as_current_span(
                f"{method} {route}",
                context=_CLIENT_TRACE.extract(request.headers),
                kind=SpanKind.SERVER,
                attributes={"http.request.method": method, "http.route": route},
            ) as span:
                response = await self._answer(request, rid, match, canonical, recording)
                span.set_attribute("http.response.status_code", response.status)
                if response.status >= 500:
                    span.set_status(StatusCode.ERROR)
        else:
            # No span to record: the client's trace context travels on as it came (see ``_forward``).
            response = await self._answer(request, rid, match, canonical, recording)
        seconds = time.perf_counter() - started
        self._latency.observe(method, route, response.status, seconds)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "gateway.request.proxied",
                extra={"method": method, "route": route, "status": response.status, "seconds": seconds},
            )
        return response

    async def _answer(
        self, request: web.Request, rid: str, match: RouteMatch | None, canonical: bool, recording: bool
    ) -> web.StreamResponse:
        try:
            if match is None:
                raise NotFound() if canonical else BadRequest("The request path is not in canonical form.")
            return await self._forward(request, rid, match, recording)
        except ProblemError as error:
            response = error_response(error, request.path)
            response.headers[REQUEST_ID] = rid
            return response
        except Exception:  # the client gets a problem document, never a stack trace
            log.exception("gateway.request.failed", extra={"method": request.method, "path": request.path})
            return problem_response(
                problem(500, detail="An unexpected error occurred.", instance=request.path), {REQUEST_ID: rid}
            )

    async def _forward(self, request: web.Request, rid: str, match: RouteMatch, recording: bool) -> web.StreamResponse:
        identity = public_reader(match, request.method, request.headers)
        if identity is None:
            identity = await self.authenticator.authenticate(request.headers)
        # Counted before the tenant check, so probing other tenants' URLs is limited too.
        origin = self.proxies.origin(request.remote, request.scheme, request.headers)
        limits = self.limiter.admit(rate_limited_as(identity, origin.address)) if self.limiter is not None else ()
        tenant, identity = self._acting(identity, match)
        # After the tenant check: another tenant's URL is 404 whatever the caller may do.
        authorize(identity, match, request.method)
        body = await self._body(request)
        headers = upstream_request_headers(request.headers.items(), request.headers.get("Connection"))
        headers["Authorization"] = self.tokens.authorization(identity, tenant)
        headers[REQUEST_ID] = rid
        headers["X-Forwarded-For"] = origin.address
        headers["X-Forwarded-Proto"] = origin.scheme
        headers["X-Forwarded-Host"] = request.host
        continue_trace(request.headers, headers, recording=recording)
        upstream = await self._send(request.method, request.raw_path, headers, body, match.service)
        # The public's reads name nobody: they are not accesses by a principal.
        if self.audit is not None and tenant is not None and identity.kind != "anonymous":
            path = request.rel_url.raw_path
            self.audit.note(
                identity, tenant=tenant, method=request.method, path=path, status=upstream.status, request_id=rid
            )
        try:
            return await self._relay(request, upstream, rid, match.service, limits)
        finally:
            upstream.release()

    def _acting(self, identity: Identity, match: RouteMatch) -> tuple[str | None, Identity]:
        """The tenant the request acts for, and who acts: on a partner's URL, only through its grant."""
        home = identity.tenant_id
        if self.grants is not None and home is not None and match.tenant is not None and match.tenant != home:
            # Signed for the partner with the granted roles; the audit still names the home tenant.
            return match.tenant, self.grants.acting(identity, match.tenant)
        return acting_tenant(identity, match), identity

    async def _body(self, request: web.Request) -> tuple[Body, int | None, _LimitedBody | None]:
        """The body to send on, its length if known, and the limit watching a body of unknown length."""
        if not request.body_exists:
            return None, None, None
        limit = self.config.max_body_bytes
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
        body: tuple[Body, int | None, _LimitedBody | None],
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
                raise _too_large(self.config.max_body_bytes) from None
            if isinstance(error, ReadTimeout):
                UPSTREAM_FAILURES.labels(service, "timeout").inc()
                log.warning("gateway.upstream.timeout", extra={"upstream": service})
                raise UpstreamTimeout(service) from None
            UPSTREAM_FAILURES.labels(service, "unreachable").inc()
            log.warning("gateway.upstream.unreachable", extra={"upstream": service, "error": type(error).__name__})
            raise UpstreamUnreachable(service) from None

    async def _relay(
        self, request: web.Request, upstream: UpstreamResponse, rid: str, service: str, limits: HeaderPairs = ()
    ) -> web.StreamResponse:
        headers = client_response_headers(upstream.headers, upstream.header("Connection"))
        headers[REQUEST_ID] = rid
        if limits:
            headers.extend(limits)
        length = upstream.content_length
        if length is not None and length <= SMALL_BODY and request.method != "HEAD":
            try:
                body = await upstream.read()
            except ReadTimeout:
                UPSTREAM_FAILURES.labels(service, "timeout").inc()
                raise UpstreamTimeout(service) from None
            except UpstreamError:
                UPSTREAM_FAILURES.labels(service, "interrupted").inc()
                raise UpstreamUnreachable(service) from None
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
            UPSTREAM_FAILURES.labels(service, "interrupted").inc()
            log.warning("gateway.upstream.interrupted", extra={"upstream": service, "error": type(error).__name__})
            _abort(request)
        except BaseException:
            _abort(request)
            raise
        return response


def _abort(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.abort()
