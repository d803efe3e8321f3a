from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from kit.testing.checks import service_client
from kit.testing.infra import InfraServers, ScratchDatabase, ServiceDatabases
from kit.testing.keys import SigningKeys
from tenants.app import create_app
from tenants.migrate import MIGRATIONS
from tenants.settings import get_settings


@pytest.fixture
def tenants_db(service_databases: ServiceDatabases) -> Iterator[ScratchDatabase]:
    database = service_databases.clone("tenants", MIGRATIONS)
    yield database
    service_databases.drop(database)


@pytest.fixture
async def client(
    tenants_db: ScratchDatabase, servers: InfraServers, keys: SigningKeys, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    async with service_client(
        create_app,
        get_settings,
        prefix="TENANTS",
        database=tenants_db,
        servers=servers,
        keys=keys,
        monkeypatch=monkeypatch,
    ) as http:
        yield http
