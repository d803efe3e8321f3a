"""A service's larger body limit for the routes it names, and the default for every other."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request

from kit.app import create_service_app
from kit.settings import Environment, ServiceSettings
from kit.testing.keys import SigningKeys
from kit.web.middleware import BodyLimit

DEFAULT = 1_000
LARGE = 10_000
IMPORTS = "/v1/tenants/artland/imports"
NOTES = "/v1/tenants/artland/notes"

router = APIRouter()


@router.post("/tenants/{tenant_id}/imports")
@router.post("/tenants/{tenant_id}/notes")
async def take(request: Request) -> dict[str, int]:
    """Answer with the size of the body received."""
    return {"size": len(await request.body())}


def _app(keys: SigningKeys, large_bodies: dict[str, int]) -> FastAPI:
    settings = ServiceSettings(
        service_name="bodylimit",
        environment=Environment.TEST,
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none",
        internal_public_keys=keys.jwks_json,
        max_body_bytes=DEFAULT,
    )
    return create_service_app(
        settings, title="body limit", description="Bodies of two sizes", routers=[router], large_bodies=large_bodies
    )


@pytest.fixture
async def client(keys: SigningKeys) -> AsyncIterator[httpx.AsyncClient]:
    app = _app(keys, {"/v1/tenants/{tenant_id}/imports": LARGE})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://service", headers=keys.headers_for("artland")
    ) as http:
        yield http


def _refused(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == f"The request body exceeds {limit} bytes."


def _streamed(size: int) -> AsyncIterator[bytes]:
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, size, 500):
            yield b"x" * min(500, size - start)

    return chunks()


async def test_a_named_route_takes_a_body_above_the_default_and_others_do_not(client: httpx.AsyncClient) -> None:
    body = b"x" * 5_000

    imported = await client.post(IMPORTS, content=body)
    noted = await client.post(NOTES, content=body)

    assert imported.status_code == 200
    assert imported.json() == {"size": 5_000}
    _refused(noted, DEFAULT)


async def test_a_streamed_body_above_the_default_passes_only_on_the_named_route(client: httpx.AsyncClient) -> None:
    imported = await client.post(IMPORTS, content=_streamed(5_000))
    noted = await client.post(NOTES, content=_streamed(5_000))

    assert imported.json() == {"size": 5_000}
    _refused(noted, DEFAULT)


async def test_a_body_above_the_routes_own_limit_is_refused_naming_it(client: httpx.AsyncClient) -> None:
    _refused(await client.post(IMPORTS, content=b"x" * (LARGE + 1)), LARGE)
    _refused(await client.post(IMPORTS, content=_streamed(LARGE + 500)), LARGE)


def test_a_template_matches_its_path_segment_by_segment() -> None:
    limit = BodyLimit(FastAPI(), max_bytes=DEFAULT, large_bodies={"/v1/tenants/{tenant_id}/imports": LARGE})

    assert limit.limit_for(IMPORTS) == LARGE
    for path in (NOTES, f"{IMPORTS}/7", f"{IMPORTS}/", "/v1/tenants//imports", "/v1/tenants/artland"):
        assert limit.limit_for(path) == DEFAULT, path


def test_a_named_limit_never_lowers_the_default() -> None:
    limit = BodyLimit(FastAPI(), max_bytes=DEFAULT, large_bodies={"/v1/uploads": DEFAULT // 2})

    assert limit.limit_for("/v1/uploads") == DEFAULT


def test_templates_are_paths_of_single_segment_placeholders() -> None:
    with pytest.raises(ValueError, match="starts with '/'"):
        BodyLimit(FastAPI(), max_bytes=DEFAULT, large_bodies={"v1/uploads": LARGE})
    with pytest.raises(ValueError, match="converter"):
        BodyLimit(FastAPI(), max_bytes=DEFAULT, large_bodies={"/v1/files/{path:path}": LARGE})


def test_a_service_naming_a_path_without_a_route_fails_at_once(keys: SigningKeys) -> None:
    with pytest.raises(ValueError, match="without a route"):
        _app(keys, {"/v1/tenants/{tenant_id}/import": LARGE})
