"""The tickets API with Oldenburg, Artland and München in its directory, each with a contract in force."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from kit.testing.checks import service_client
from kit.testing.infra import InfraServers, ScratchDatabase
from kit.testing.keys import SigningKeys
from tickets.app import create_app
from tickets.settings import get_settings

from .support import TENANTS, add_contract, know_tenants


@pytest.fixture
async def served(scratch: ScratchDatabase) -> ScratchDatabase:
    """The scratch database with the three municipalities and their contracts."""
    await know_tenants(scratch)
    for tenant_id in TENANTS:
        await add_contract(scratch, tenant_id)
    return scratch


@pytest.fixture
async def client(
    served: ScratchDatabase, servers: InfraServers, keys: SigningKeys, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    async with service_client(
        create_app,
        get_settings,
        prefix="TICKETS",
        database=served,
        servers=servers,
        keys=keys,
        monkeypatch=monkeypatch,
    ) as http:
        yield http
