"""The FastAPI app every service builds on: lifespan, identity, problems, health, metrics, tracing.

Request spans are FastAPI's own (its native OpenTelemetry support, on when a tracer provider is
installed); request metrics are the kit's Prometheus histograms, so FastAPI's metrics and logs are off.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, MutableMapping, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace

from kit.db.database import Database
from kit.identity import InternalTokenVerifier
from kit.logging import configure_logging
from kit.nats import connect
from kit.settings import ServiceSettings
from kit.telemetry import configure_tracing
from kit.web import health
from kit.web.deps import get_identity
from kit.web.middleware import BodyLimit, RequestMetrics, TraceContext
from kit.web.problems import install_problem_handlers


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    version: str = "0.1.0",
    large_bodies: Mapping[str, int] | None = None,
) -> FastAPI:
    """A service API: every ``/v1`` route requires the gateway's token; health and metrics do not.

    ``large_bodies`` names routes by their path (``/v1/tenants/{tenant_id}/imports``) that take
    request bodies up to a larger limit, in bytes, than ``settings.max_body_bytes``.
    """
    configure_logging(settings.service_name, level=settings.log_level, json=settings.log_json)
    tracing = configure_tracing(settings.service_name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(
            settings.database_url.get_secret_value(),
            pool_size=settings.db_pool_size,
            pool_timeout=settings.db_pool_timeout,
        )
        app.state.database = database
        app.state.nats = None
        connecting = asyncio.create_task(_connect_nats(app, settings))
        try:
            yield
        finally:
            connecting.cancel()
            with suppress(asyncio.CancelledError):
                await connecting
            if app.state.nats is not None:
                await app.state.nats.drain()
            await database.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        redirect_slashes=False,
        telemetry=_telemetry(tracing),
    )
    app.state.settings = settings
    app.state.verifier = InternalTokenVerifier.from_jwks(
        settings.internal_public_keys.get_secret_value() or '{"keys": []}'
    )
    install_problem_handlers(app)
    app.include_router(health.router)
    for router in routers:
        app.include_router(router, prefix="/v1", dependencies=[Depends(get_identity)])
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, large_bodies=_routed(routers, large_bodies or {}))
    app.add_middleware(RequestMetrics, service=settings.service_name)
    if not tracing:
        app.add_middleware(TraceContext)
    return app


def _routed(routers: Sequence[APIRouter], large_bodies: Mapping[str, int]) -> Mapping[str, int]:
    """``large_bodies``, once each path is known to be a route's: a mistyped path would keep the default."""
    paths = {"/v1" + route.path for router in routers for route in router.routes if isinstance(route, APIRoute)}
    unknown = set(large_bodies) - paths
    if unknown:
        raise ValueError(f"large_bodies names paths without a route: {', '.join(sorted(unknown))}")
    return large_bodies


def _telemetry(tracing: bool) -> TelemetryConfig:
    """FastAPI's request spans when tracing is on, with the provider named (not looked up per request)."""
    if not tracing:
        return {"tracing": False, "metrics": False, "logs": False}
    return {
        "tracing": True,
        "tracer_provider": trace.get_tracer_provider(),
        "metrics": False,
        "logs": False,
        "exclude": _untraced,
    }


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    """Probes and scrapes make no spans."""
    return scope.get("path") in health.PATHS


async def _connect_nats(app: FastAPI, settings: ServiceSettings) -> None:
    app.state.nats = await connect(settings.nats_url, name=f"{settings.service_name}-api")
