from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from kit.testing.infra import InfraServers, ScratchDatabase, ServiceDatabases
from kit.testing.keys import SigningKeys
from tenants.migrate import MIGRATIONS


@pytest.fixture
def tenants_db(service_databases: ServiceDatabases) -> Iterator[ScratchDatabase]:
    database = service_databases.clone("tenants", MIGRATIONS)
    yield database
    service_databases.drop(database)


@pytest.fixture
async def app(
    tenants_db: ScratchDatabase, servers: InfraServers, keys: SigningKeys, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FastAPI]:
    from tenants import app as app_module
    from tenants.settings import get_settings

    monkeypatch.setenv("ZENTRALE_ENV", "test")
    monkeypatch.setenv("TENANTS_DATABASE_URL", tenants_db.runtime_url)
    monkeypatch.setenv("NATS_URL", servers.nats_url)
    monkeypatch.setenv("ZENTRALE_INTERNAL_PUBLIC_KEYS", keys.jwks_json)
    get_settings.cache_clear()
    application = app_module.create_app()
    async with application.router.lifespan_context(application):
        yield application
    get_settings.cache_clear()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tenants") as http:
        yield http
