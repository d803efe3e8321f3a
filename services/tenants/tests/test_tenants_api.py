"""Registering and reading municipalities; one municipality never sees another."""

from __future__ import annotations

import asyncpg
import httpx

from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys

ARTLAND = {"id": "artland", "name": "Samtgemeinde Artland"}


async def _create(client: httpx.AsyncClient, keys: SigningKeys, body: dict[str, str]) -> httpx.Response:
    return await client.post("/v1/tenants", json=body, headers=keys.headers_for(None, "operator"))


async def test_operator_registers_a_tenant_that_starts_in_onboarding(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    created = await _create(client, keys, ARTLAND)
    assert created.status_code == 201
    assert created.json()["status"] == "onboarding"

    read = await client.get("/v1/tenants/artland", headers=keys.headers_for("artland", "agent"))
    assert read.status_code == 200
    assert read.json()["name"] == "Samtgemeinde Artland"


async def test_registration_is_announced_through_the_outbox(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    await _create(client, keys, ARTLAND)
    conn = await asyncpg.connect(tenants_db.admin_url)
    try:
        rows = await conn.fetch("SELECT tenant_id, subject FROM outbox")
    finally:
        await conn.close()
    assert [(r["tenant_id"], r["subject"]) for r in rows] == [("artland", "tenants.artland.tenant.created.v1")]


async def test_another_tenant_reading_artland_gets_not_found(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await _create(client, keys, ARTLAND)
    response = await client.get("/v1/tenants/artland", headers=keys.headers_for("oldenburg", "agent"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_unknown_tenant_reads_like_another_tenants(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    response = await client.get("/v1/tenants/nowhere", headers=keys.headers_for("nowhere", "agent"))
    assert response.status_code == 404


async def test_only_operators_register_tenants(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    response = await client.post("/v1/tenants", json=ARTLAND, headers=keys.headers_for("artland", "tenant_admin"))
    assert response.status_code == 403


async def test_registering_twice_conflicts_and_announces_once(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    await _create(client, keys, ARTLAND)
    again = await _create(client, keys, ARTLAND)
    assert again.status_code == 409
    conn = await asyncpg.connect(tenants_db.admin_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 1
    finally:
        await conn.close()


async def test_invalid_slug_names_the_field(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    response = await _create(client, keys, {"id": "Artland!", "name": "x"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["id"]
