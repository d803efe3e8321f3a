"""The baseline of ``bench_tenant_read.py``: a minimal Starlette app reading one tenant with plain asyncpg.

It runs the very statement the kit's lean path sends (passed in ``BENCH_READ_SQL``: the tenant set with
``set_config`` and the row read in one round trip) on an asyncpg pool as the same runtime role, and
answers the row as JSON. No authentication, middleware or validation: the floor the kit is compared with.
``create_fastapi_app`` is a reference point beside it, not the baseline.

    BENCH_DATABASE_URL=… BENCH_READ_SQL=… uvicorn --factory bench.baseline_read_app:create_app
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import asyncpg
import orjson
from fastapi import Depends, FastAPI, HTTPException
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kit.db.database import TENANT_SETTING
from kit.identity import Identity, InternalTokenVerifier
from kit.web.deps import TenantPath
from tenants.tenant.schemas import TenantRead


def create_app() -> Starlette:
    """Build the app from ``BENCH_DATABASE_URL``, ``BENCH_READ_SQL`` and the pool sizes."""
    url = os.environ["BENCH_DATABASE_URL"]
    sql = os.environ["BENCH_READ_SQL"]
    min_size = int(os.environ.get("BENCH_POOL_MIN", "10"))
    max_size = int(os.environ.get("BENCH_POOL_MAX", "20"))
    pools: list[asyncpg.Pool] = []

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        pools.append(await asyncpg.create_pool(url, min_size=min_size, max_size=max_size))
        try:
            yield
        finally:
            await pools[0].close()

    async def get_tenant(request: Request) -> Response:
        tenant_id = request.path_params["tenant_id"]
        async with pools[0].acquire() as conn:
            row = await conn.fetchrow(sql, TENANT_SETTING, tenant_id, tenant_id, 0)
        if row is None:
            return Response(b'{"status":404}', status_code=404, media_type="application/json")
        return Response(orjson.dumps(dict(row)), media_type="application/json")

    return Starlette(routes=[Route("/v1/tenants/{tenant_id}", get_tenant)], lifespan=lifespan)


async def caller_for_path(request: Request, tenant_id: TenantPath) -> Identity:
    """The caller's verified token, if it acts for the tenant in the path."""
    _, _, token = request.headers.get("authorization", "").partition(" ")
    verifier: InternalTokenVerifier = request.app.state.verifier
    caller = verifier.verify(token)
    if caller.tenant_id != tenant_id:
        raise HTTPException(404)
    return caller


Caller = Annotated[Identity, Depends(caller_for_path)]


async def get_tenant_fastapi(request: Request, caller: Caller) -> TenantRead:
    """Read one municipality."""
    async with request.app.state.pool.acquire() as conn:
        row = await conn.fetchrow(request.app.state.sql, TENANT_SETTING, caller.tenant_id, caller.tenant_id, 0)
    if row is None:
        raise HTTPException(404)
    return TenantRead.model_validate(dict(row))


def create_fastapi_app() -> FastAPI:
    """The same read as a minimal FastAPI endpoint: token check, path validation, response model.

    Not the baseline: a reference for how much of the gap to the Starlette endpoint is FastAPI's own
    per-request work (routing, dependency solving, validation), which no kit change removes.
    """
    size = int(os.environ.get("BENCH_POOL_MAX", "20"))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(os.environ["BENCH_DATABASE_URL"], min_size=size, max_size=size)
        try:
            yield
        finally:
            await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)
    app.state.sql = os.environ["BENCH_READ_SQL"]
    app.state.verifier = InternalTokenVerifier.from_jwks(os.environ["ZENTRALE_INTERNAL_PUBLIC_KEYS"])
    app.add_api_route("/v1/tenants/{tenant_id}", get_tenant_fastapi, methods=["GET"], response_model=TenantRead)
    return app
