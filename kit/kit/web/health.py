"""Liveness (the process answers) and readiness (its database and NATS answer), plus Prometheus metrics."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from kit import metrics
from kit.errors import problem
from kit.web.problems import problem_response

router = APIRouter(include_in_schema=False)
PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Answer while the process runs; checks nothing else."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> Any:
    """Answer 200 only while the database and NATS are reachable."""
    checks: dict[str, str] = {}
    database = getattr(request.app.state, "database", None)
    if database is not None:
        try:
            await asyncio.wait_for(database.ping(), timeout=2.0)
            checks["database"] = "ok"
        except Exception as error:  # noqa: BLE001 - any failure means not ready
            checks["database"] = type(error).__name__
    nats = getattr(request.app.state, "nats", None)
    checks["nats"] = "ok" if nats is not None and nats.is_connected else "disconnected"
    if all(state == "ok" for state in checks.values()):
        return {"status": "ready", "checks": checks}
    return problem_response(problem(503, detail="not ready", checks=checks))


@router.get("/metrics")
async def prometheus() -> Response:
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)
