"""Municipalities the tests register, with consistent official keys, and the headers they act with."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from kit.identity import Identity
from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys

OLDENBURG = {"id": "oldenburg", "name": "Stadt Oldenburg", "ars": "034030000000", "ags": "03403000", "state": "NI"}
ARTLAND = {"id": "artland", "name": "Samtgemeinde Artland", "ars": "034595406029", "ags": "03459029", "state": "NI"}
MUENCHEN = {
    "id": "muenchen",
    "name": "Landeshauptstadt München",
    "ars": "091620000000",
    "ags": "09162000",
    "state": "BY",
}


async def register(client: httpx.AsyncClient, keys: SigningKeys, *tenants: dict[str, str]) -> None:
    """Register each municipality as an operator would."""
    for tenant in tenants:
        response = await client.post("/v1/tenants", json=tenant, headers=keys.headers_for(None, "operator"))
        assert response.status_code == 201, response.text


def operator(keys: SigningKeys, tenant_id: str) -> dict[str, str]:
    """An operator acting for ``tenant_id`` (the gateway puts the tenant into the token)."""
    return keys.headers_for(tenant_id, "operator")


def admin(keys: SigningKeys, tenant_id: str) -> dict[str, str]:
    return keys.headers_for(tenant_id, "tenant_admin")


def agent(keys: SigningKeys, tenant_id: str) -> dict[str, str]:
    return keys.headers_for(tenant_id, "agent")


def gateway(keys: SigningKeys) -> dict[str, str]:
    """The gateway's own system token, as it asks the internal endpoints."""
    return keys.headers(Identity(subject="gateway", tenant_id=None, roles=frozenset({"system"}), kind="system"))


async def admin_rows(database: ScratchDatabase, query: str, *args: Any) -> list[asyncpg.Record]:
    """Rows as the superuser sees them: what was really written, whatever the tenant."""
    conn = await asyncpg.connect(database.admin_url)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()
