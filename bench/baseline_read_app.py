"""The minimal endpoints of ``bench_tenant_read.py``: one tenant read with plain asyncpg.

Both run the very statement the kit's lean path sends (passed in ``BENCH_READ_SQL``: the tenant set
with ``set_config`` and the row read in one round trip) on an asyncpg pool as the same runtime role, and
answer the row as JSON. No authentication, middleware or validation. ``create_fastapi_app`` is the
baseline (the framework the services are built on); ``create_app`` is the same endpoint on bare
Starlette, the floor below FastAPI.

    BENCH_DATABASE_URL=… BENCH_READ_SQL=… uvicorn --factory bench.baseline_read_app:create_fastapi_app
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import orjson
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kit.db.database import TENANT_SETTING


def create_app() -> Starlette:
    """Build the app from ``BENCH_DATABASE_URL``, ``BENCH_READ_SQL`` and the pool sizes."""
    url = os.environ["BENCH_DATABASE_URL"]
    sql = os.environ["BENCH_READ_SQL"]
    pool_sizes = _pool_sizes()
    pools: list[asyncpg.Pool] = []

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        pools.append(await asyncpg.create_pool(url, **pool_sizes))
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


def create_fastapi_app() -> FastAPI:
    """The same read as the minimal FastAPI endpoint: a path parameter, the pooled query, the row as JSON.

    The services are FastAPI apps; this is the floor of that framework, without identity, middleware,
    validation or a response model, answering with ``orjson`` as the Starlette endpoint does.
    """
    sql = os.environ["BENCH_READ_SQL"]
    pool_sizes = _pool_sizes()
    pools: list[asyncpg.Pool] = []

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pools.append(await asyncpg.create_pool(os.environ["BENCH_DATABASE_URL"], **pool_sizes))
        try:
            yield
        finally:
            await pools[0].close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/v1/tenants/{tenant_id}")
    async def get_tenant(tenant_id: str) -> Response:
        async with pools[0].acquire() as conn:
            row = await conn.fetchrow(sql, TENANT_SETTING, tenant_id, tenant_id, 0)
        if row is None:
            return Response(b'{"status":404}', status_code=404, media_type="application/json")
        return Response(orjson.dumps(dict(row)), media_type="application/json")

    return app


def _pool_sizes() -> dict[str, int]:
    return {
        "min_size": int(os.environ.get("BENCH_POOL_MIN", "10")),
        "max_size": int(os.environ.get("BENCH_POOL_MAX", "20")),
    }
