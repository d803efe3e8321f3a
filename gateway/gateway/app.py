"""The gateway application: health, metrics and docs answered here, every other path proxied."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from gateway.audit import AccessAudit
from gateway.auth import ApiKeys, Authenticator
from gateway.browser import BrowserPolicy
from gateway.client_address import TrustedProxies
from gateway.client_keys import KeyCache, TenantKeyVerifier, VerifierConfig
from gateway.docs import asset, docs_page
from gateway.grants import Grants
from gateway.key_events import KeyEvents
from gateway.oidc import OidcTokens, oidc_from_settings
from gateway.openapi import TITLE, MergedOpenApi
from gateway.problems import MethodNotAllowed, error_response, problem_response
from gateway.proxy import SMALL_BODY, Proxy, ProxyConfig
from gateway.rate_limit_store import SharedCounts
from gateway.rate_limits import RateLimiter
from gateway.readiness import ServiceReadiness
from gateway.routes import RouteTable
from gateway.settings import GatewaySettings
from gateway.tokens import TokenCache
from kit import metrics
from kit.errors import NotFound, problem
from kit.identity import InternalTokenSigner, load_text_or_file

log = logging.getLogger("gateway.app")

PROXY = web.AppKey("proxy", Proxy)
BROWSER = web.AppKey("browser", BrowserPolicy)
OPENAPI = web.AppKey("openapi", MergedOpenApi)
KEY_VERIFIER = web.AppKey("key_verifier", TenantKeyVerifier)
KEY_EVENTS = web.AppKey("key_events", KeyEvents)
OIDC = web.AppKey("oidc", OidcTokens)
RATE_LIMITS = web.AppKey("rate_limits", SharedCounts)
READINESS = web.AppKey("readiness", ServiceReadiness)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_READ_METHODS = frozenset({"GET", "HEAD"})


def load_signer(settings: GatewaySettings) -> InternalTokenSigner:
    """The internal token signer from ``GATEWAY_SIGNING_KEY`` (PEM text or a path to a PEM file)."""
    value = settings.signing_key.get_secret_value().strip()
    if not value:
        raise ValueError("GATEWAY_SIGNING_KEY is not set: the gateway cannot vouch for callers without it")
    try:
        pem = load_text_or_file(value)
        return InternalTokenSigner.from_pem(pem, kid=settings.signing_key_id, ttl_seconds=settings.internal_token_ttl)
    except (OSError, ValueError, TypeError) as error:
        raise ValueError(f"GATEWAY_SIGNING_KEY is not a usable Ed25519 private key: {type(error).__name__}") from None


def _own_endpoint(handler: Handler) -> Handler:
    """Answer other methods than GET and HEAD, and any failure, with problem+json."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        if request.method not in _READ_METHODS:
            return error_response(MethodNotAllowed("GET, HEAD"), request.path)
        try:
            return await handler(request)
        except Exception:  # the client gets a problem document, never a stack trace
            log.exception("gateway.endpoint.failed", extra={"path": request.path})
            return problem_response(problem(500, detail="An unexpected error occurred.", instance=request.path))

    return guarded


async def healthz(request: web.Request) -> web.StreamResponse:
    """Answer while the process runs; checks nothing else."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.StreamResponse:
    """Answer 200 once the signing key is loaded and the upstream client is open; report each service.

    Services, NATS and the grants are reported, not required: a gateway taken out of rotation because one
    service is down would turn that service's outage into everyone's. Without NATS revoked keys work until
    their cache entry expires and each replica limits on its own; until the grants are loaded, the host's
    agents reach only their own municipality.
    """
    proxy = request.app[PROXY]
    if proxy.is_open:
        checks = {
            "signing_key": "ok",
            "upstream_client": "ok",
            "key_events": "ok" if request.app[KEY_EVENTS].connected else "unavailable",
            "rate_limits": "shared" if request.app[RATE_LIMITS].shared else "local",
            "grants": "loaded" if proxy.grants is not None and proxy.grants.loaded.is_set() else "not loaded",
        }
        services = await request.app[READINESS].report()
        return web.json_response({"status": "ready", "checks": checks, "services": services})
    return problem_response(problem(503, detail="not ready", checks={"upstream_client": "closed"}))


async def prometheus(request: web.Request) -> web.StreamResponse:
    """Expose the process's Prometheus metrics."""
    body, content_type = metrics.exposition()
    return web.Response(body=body, headers={"Content-Type": content_type})


async def openapi_document(request: web.Request) -> web.StreamResponse:
    """The public API of every service, merged."""
    body = await request.app[OPENAPI].document()
    return web.Response(body=body, content_type="application/json")


async def docs(request: web.Request) -> web.StreamResponse:
    """Interactive documentation of the merged API."""
    return web.Response(text=docs_page(title=TITLE), content_type="text/html")


async def docs_asset(request: web.Request) -> web.StreamResponse:
    """A Swagger UI script, style or icon, served from the installed package: the docs work offline."""
    found = asset(request.match_info["name"])
    if found is None:
        return error_response(NotFound(), request.path)
    path, content_type = found
    headers = {"Content-Type": content_type, "Cache-Control": "public, max-age=86400"}
    return web.FileResponse(path, headers=headers)


def create_app(settings: GatewaySettings) -> web.Application:
    """Build the gateway; fails at once on a missing or unusable signing key."""
    routes = RouteTable()
    tokens = TokenCache(load_signer(settings))
    cache = KeyCache()
    oidc, demo = oidc_from_settings(settings)
    verifier = TenantKeyVerifier(
        VerifierConfig(
            tenants_url=settings.tenants_url,
            positive_seconds=settings.key_cache_seconds,
            negative_seconds=settings.key_negative_cache_seconds,
            timeout=settings.key_verify_timeout,
        ),
        tokens=tokens,
        cache=cache,
    )
    limiter = RateLimiter(settings.rate_limit_config())
    proxy = Proxy(
        ProxyConfig(
            upstreams=settings.upstream_urls(),
            max_body_bytes=settings.max_body_bytes,
            upstream_timeout=settings.upstream_timeout,
            connect_timeout=settings.connect_timeout,
            connect_retries=settings.connect_retries,
            pool_size=settings.upstream_pool_size,
        ),
        routes=routes,
        # Tenant-issued keys first: other credentials pass it without being hashed.
        authenticator=Authenticator([verifier, ApiKeys(settings.api_key_grants()), oidc]),
        tokens=tokens,
        limiter=limiter,
        proxies=TrustedProxies(settings.trusted_proxies),
    )
    proxy.grants = Grants(
        tenants_url=settings.tenants_url,
        tokens=tokens,
        timeout=settings.key_verify_timeout,
        refresh_seconds=settings.grants_refresh_seconds,
    )
    key_events = KeyEvents(cache, nats_url=settings.nats_url, name=settings.service_name, listeners=[proxy.grants])
    proxy.audit = AccessAudit(lambda: key_events.client)
    # The proxy holds each request to its route's limit and has aiohttp read only small bodies whole.
    app = web.Application(client_max_size=max(settings.max_body_bytes, SMALL_BODY))
    browser = BrowserPolicy(settings.cors_origins, hsts_seconds=settings.hsts_seconds)
    browser.install(app)
    app[BROWSER] = browser
    app[PROXY] = proxy
    app[KEY_VERIFIER] = verifier
    app[OIDC] = oidc
    app[KEY_EVENTS] = key_events
    app[RATE_LIMITS] = SharedCounts(limiter, nats_url=settings.nats_url, name=settings.service_name)
    app[READINESS] = ServiceReadiness(lambda: proxy.session, settings.upstream_urls())
    app[OPENAPI] = MergedOpenApi(
        lambda: proxy.session, settings.upstream_urls(), routes, ttl=settings.openapi_cache_seconds
    )
    app.cleanup_ctx.append(_upstream_client)
    app.cleanup_ctx.append(_key_verification)
    app.cleanup_ctx.append(_oidc_keys)
    if demo is not None:
        demo.add_routes(app)
    app.cleanup_ctx.append(_shared_rate_limits)
    app.cleanup_ctx.append(_access_audit)
    for path, handler in (
        ("/healthz", healthz),
        ("/readyz", readyz),
        ("/metrics", prometheus),
        ("/openapi.json", openapi_document),
        ("/docs", docs),
        ("/docs/assets/{name}", docs_asset),
    ):
        app.router.add_route("*", path, _own_endpoint(handler))
    browser.add_preflight(app, proxy.handle)
    app.router.add_route("*", "/{path:.*}", proxy.handle)
    return app


async def _upstream_client(app: web.Application) -> AsyncIterator[None]:
    proxy = app[PROXY]
    await proxy.open()
    yield
    await proxy.close()


async def _key_verification(app: web.Application) -> AsyncIterator[None]:
    verifier, events, grants = app[KEY_VERIFIER], app[KEY_EVENTS], app[PROXY].grants
    assert grants is not None
    await verifier.open()
    await grants.open()
    events.start()
    yield
    await events.stop()
    await grants.close()
    await verifier.close()


async def _shared_rate_limits(app: web.Application) -> AsyncIterator[None]:
    counts = app[RATE_LIMITS]
    counts.start()
    yield
    await counts.stop()


async def _access_audit(app: web.Application) -> AsyncIterator[None]:
    audit = app[PROXY].audit
    assert audit is not None
    audit.start()
    yield
    await audit.stop()


async def _oidc_keys(app: web.Application) -> AsyncIterator[None]:
    oidc = app[OIDC]
    await oidc.open()
    yield
    await oidc.close()
