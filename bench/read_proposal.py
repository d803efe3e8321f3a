"""Proposed changes to the kit's request path, measured beside the tenants service by ``bench_tenant_read.py``.

With the lean read compiled once (``Database.fetch_one``), a profile of ``GET /v1/tenants/{id}`` (py-spy
on one uvicorn process; variants of the app timed side by side) still showed these kit costs:

1. OpenTelemetry's FastAPI (ASGI) and asyncpg instrumentation cost about a millisecond of CPU per
   request on this kind of machine even with no tracer provider, when every span is a no-op.
   Proposed: instrument only when tracing is on (``OTEL_*`` export configured, or a test installed a
   provider); otherwise a small ASGI middleware makes the incoming ``traceparent`` current, so events
   written in the request still carry the caller's trace.
2. ``Database`` keeps SQLAlchemy's default ``max_overflow=10``: beyond ``pool_size`` connections in
   use, overflow connections are opened for a request and closed again at check-in, a new PostgreSQL
   connection (TCP, SCRAM, SSL probe) per request under load. Proposed: ``max_overflow=0`` and the
   pool sized by ``db_pool_size``; requests beyond it wait for a connection.
3. FastAPI solves dependencies node by node on every request (a quarter of the remaining request
   time); the read resolved four (the router's ``get_identity``, ``DatabaseDep``, ``TenantIdentity``
   and its ``CurrentIdentity``). Proposed: one ``TenantScope`` dependency for tenant-scoped endpoints:
   the caller, checked against the path's tenant, and the database.
4. The endpoint returns its response itself (``Response(model.model_dump_json())``) with
   ``response_model`` kept for OpenAPI, sparing FastAPI's second validation of the returned model.
5. ``Database.fetch_all`` checks a connection out through SQLAlchemy (``AsyncConnection`` with the
   AUTOCOMMIT execution option, then ``get_raw_connection``) for every read; that wrapper cost about a
   fifth of the request. Proposed: the lean reads run on an asyncpg pool of their own (sized by
   ``db_pool_size``), opened in the app's lifespan; the ORM sessions keep SQLAlchemy's pool.

The app below is ``kit.app.create_service_app`` (same problem handlers, health routes, body limit,
request metrics and identity dependency on every ``/v1`` route) with these changes.

    uvicorn --factory bench.read_proposal:create_app
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import bindparam, select
from starlette.types import ASGIApp, Receive, Scope, Send

from kit.db.database import SCOPE_TENANT, AnySelect, Database, _compiled
from kit.errors import NotFound
from kit.identity import Identity, InternalTokenVerifier
from kit.logging import configure_logging
from kit.nats import connect
from kit.settings import ServiceSettings
from kit.telemetry import configure_tracing, export_configured
from kit.tenancy import require_tenant_id
from kit.web import health
from kit.web.deps import TenantPath, get_database, get_identity
from kit.web.middleware import BodyLimit, RequestMetrics
from kit.web.problems import install_problem_handlers, problem_responses
from tenants.settings import get_settings
from tenants.tenant.errors import TenantNotFound
from tenants.tenant.models import Tenant
from tenants.tenant.schemas import TenantRead

BY_ID = select(
    Tenant.tenant_id.label("id"), Tenant.name, Tenant.status, Tenant.version, Tenant.created_at, Tenant.updated_at
).where(Tenant.tenant_id == bindparam("tenant_id"))


@dataclass(frozen=True)
class TenantScope:
    """What a tenant-scoped endpoint needs: the caller, acting for the path's tenant, and the database."""

    tenant_id: str
    identity: Identity
    database: Database


async def get_tenant_scope(request: Request, tenant_id: TenantPath) -> TenantScope:
    """The caller, if it acts for the tenant in the URL, with the database: one dependency, not a chain."""
    identity = await get_identity(request)
    if identity.tenant_id != tenant_id:
        raise NotFound()
    return TenantScope(tenant_id, identity, await get_database(request))


TenantScopeDep = Annotated[TenantScope, Depends(get_tenant_scope)]
router = APIRouter(tags=["tenants"])


@router.get("/tenants/{tenant_id}", response_model=TenantRead, responses=problem_responses(401, 404))
async def get_tenant(scope: TenantScopeDep) -> Response:
    """Read one municipality."""
    row = await scope.database.fetch_one(scope.tenant_id, BY_ID, {"tenant_id": scope.tenant_id})
    if row is None:
        raise TenantNotFound()
    return Response(TenantRead.model_validate(dict(row)).model_dump_json(), media_type="application/json")


class TraceContext:
    """Make the caller's ``traceparent`` current for the request, without recording spans."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope.get("headers", ())
            if name in (b"traceparent", b"tracestate")
        }
        if not carrier:
            await self.app(scope, receive, send)
            return
        token = otel_context.attach(propagate.extract(carrier))
        try:
            await self.app(scope, receive, send)
        finally:
            otel_context.detach(token)


class LeanReadDatabase(Database):
    """``Database`` whose lean reads run on an asyncpg pool of their own."""

    def __init__(self, url: str, *, pool_size: int, max_overflow: int = 0) -> None:
        super().__init__(url, pool_size=pool_size, max_overflow=max_overflow)
        self._url = url
        self._read_pool_size = pool_size
        self._reads: asyncpg.Pool | None = None

    async def open(self) -> None:
        self._reads = await asyncpg.create_pool(self._url, min_size=1, max_size=self._read_pool_size)

    async def dispose(self) -> None:
        if self._reads is not None:
            await self._reads.close()
        await super().dispose()

    async def fetch_all(
        self, tenant_id: str, query: AnySelect, params: Mapping[str, object] | None = None
    ) -> list[asyncpg.Record]:
        """Run a read for ``tenant_id`` in one round trip on the read pool."""
        assert self._reads is not None, "open() the database first"
        read = _compiled(query, self.engine.dialect)
        arguments = read.arguments({SCOPE_TENANT: require_tenant_id(tenant_id), **(params or {})})
        async with self._reads.acquire() as connection:
            rows: list[asyncpg.Record] = await connection.fetch(read.sql, *arguments)
        return rows


def tracing_enabled() -> bool:
    """Spans are recorded only when export is configured or a provider (e.g. a test's) is installed."""
    return export_configured() or isinstance(trace.get_tracer_provider(), TracerProvider)


def create_service_app(settings: ServiceSettings, *, routers: Sequence[APIRouter]) -> FastAPI:
    """``kit.app.create_service_app`` with changes 1, 2 and 5."""
    configure_logging(settings.service_name, level=settings.log_level, json=settings.log_json)
    tracing = tracing_enabled()
    if tracing:
        configure_tracing(settings.service_name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = LeanReadDatabase(settings.database_url.get_secret_value(), pool_size=settings.db_pool_size)
        await database.open()
        app.state.database = database
        app.state.nats = None

        async def connect_nats() -> None:
            app.state.nats = await connect(settings.nats_url, name=f"{settings.service_name}-api")

        connecting = asyncio.create_task(connect_nats())
        try:
            yield
        finally:
            connecting.cancel()
            with suppress(asyncio.CancelledError):
                await connecting
            if app.state.nats is not None:
                await app.state.nats.drain()
            await database.dispose()

    app = FastAPI(title="Zentrale tenants (proposal)", lifespan=lifespan, redirect_slashes=False)
    app.state.settings = settings
    app.state.verifier = InternalTokenVerifier.from_jwks(
        settings.internal_public_keys.get_secret_value() or '{"keys": []}'
    )
    install_problem_handlers(app)
    app.include_router(health.router)
    for included in routers:
        app.include_router(included, prefix="/v1", dependencies=[Depends(get_identity)])
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestMetrics, service=settings.service_name)
    if tracing:
        FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")
    else:
        app.add_middleware(TraceContext)
    return app


def create_app() -> FastAPI:
    """The tenants service's read with all the proposed changes."""
    return create_service_app(get_settings(), routers=[router])
