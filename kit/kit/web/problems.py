"""Render every error as RFC 9457 problem+json; validation errors name the field; no stack traces leak."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from kit.errors import PROBLEM_JSON, ProblemError, problem

log = logging.getLogger("kit.web.problems")


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=body["status"], media_type=PROBLEM_JSON, headers=headers)


def field_errors(errors: Sequence[Any]) -> list[dict[str, str]]:
    """Pydantic's errors as ``{field, pointer, detail}``; ``field`` drops the ``body``/``query`` prefix."""
    out = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        path = location[1:] if location and location[0] in ("body", "query", "path", "header", "cookie") else location
        out.append(
            {
                "field": ".".join(path) or (location[0] if location else ""),
                "in": location[0] if location else "",
                "pointer": "#/" + "/".join(path),
                "detail": str(error.get("msg", "invalid")),
            }
        )
    return out


async def _on_problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, ProblemError)
    return problem_response(error.to_problem(instance=request.url.path), error.headers())


async def _on_validation(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    errors = list(error.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem_response(problem(400, detail="The request body is not valid JSON.", instance=request.url.path))
    body = problem(
        422,
        detail="The request has invalid fields: " + ", ".join(e["field"] for e in field_errors(errors)),
        instance=request.url.path,
        errors=field_errors(errors),
    )
    return problem_response(body)


async def _on_http(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    return problem_response(
        problem(error.status_code, detail=error.detail if isinstance(error.detail, str) else None),
        dict(error.headers or {}),
    )


async def _on_database_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DBAPIError)
    if error.connection_invalidated:
        log.warning("http.database_unavailable", extra={"path": request.url.path})
        body = problem(503, detail="The database connection was lost; retry the request.", instance=request.url.path)
        return problem_response(body, {"Retry-After": "1"})
    return await _on_unexpected(request, error)


async def _on_pool_exhausted(request: Request, error: Exception) -> Response:
    """Every database connection stayed busy for the pool's whole timeout: overload, not a bug."""
    log.warning("http.database_busy", extra={"path": request.url.path})
    body = problem(503, detail="The database is busy; retry the request.", instance=request.url.path)
    return problem_response(body, {"Retry-After": "1"})


async def _on_unexpected(request: Request, error: Exception) -> Response:
    log.exception("http.unhandled_error", extra={"path": request.url.path})
    return problem_response(problem(500, detail="An unexpected error occurred.", instance=request.url.path))


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(PoolTimeout, _on_pool_exhausted)
    app.add_exception_handler(Exception, _on_unexpected)


PROBLEM_SCHEMA: dict[str, Any] = {
    "content": {
        PROBLEM_JSON: {
            "schema": {
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "instance": {"type": "string"},
                },
            }
        }
    }
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the problems an endpoint may answer."""
    return {status: {"description": problem(status)["title"], **PROBLEM_SCHEMA} for status in statuses}
