"""The gateway verifies API keys: across tenants, only usable keys, only for the gateway, noting the last use."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text

from kit.db.database import Database
from kit.identity import Identity
from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys
from tenants.client import keys as api_keys
from tenants.client import repository

from .registry import ARTLAND, OLDENBURG, admin, admin_rows, register

VERIFY = "/v1/internal/api-keys/verify"
PORTAL = {"name": "Open311 portal", "scopes": ["open311:write", "tickets:read"]}
GATEWAY = Identity(subject="gateway", tenant_id=None, roles=frozenset({"system"}), kind="system")


@pytest.fixture
async def tenants(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await register(client, keys, ARTLAND, OLDENBURG)


async def _create(client: httpx.AsyncClient, keys: SigningKeys, tenant: str = "artland") -> dict[str, Any]:
    response = await client.post(f"/v1/tenants/{tenant}/clients", json=PORTAL, headers=admin(keys, tenant))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _verify(client: httpx.AsyncClient, keys: SigningKeys, key: str) -> httpx.Response:
    return await client.post(VERIFY, json={"key": key}, headers=keys.headers(GATEWAY))


@pytest.mark.usefixtures("tenants")
async def test_a_key_is_verified_to_its_tenant_client_and_scopes(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    artland = await _create(client, keys)
    oldenburg = await _create(client, keys, "oldenburg")

    response = await _verify(client, keys, artland["key"])
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "tenant_id": "artland",
        "client_id": artland["id"],
        "client_name": "Open311 portal",
        "scopes": ["open311:write", "tickets:read"],
        "roles": ["integration_client"],
        "key_id": artland["keys"][0]["id"],
        "key_prefix": artland["keys"][0]["prefix"],
        "expires_at": None,
    }
    assert (await _verify(client, keys, oldenburg["key"])).json()["tenant_id"] == "oldenburg"


@pytest.mark.usefixtures("tenants")
async def test_wrong_unknown_and_malformed_keys_are_all_not_found(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    key = (await _create(client, keys))["key"]
    prefix = api_keys.prefix_of(key)
    unknown = api_keys.issue().key
    wrong_secret = f"zk_{prefix}_{unknown.rsplit('_', 1)[1]}"
    for presented in (wrong_secret, unknown, key[:-1], key.upper(), "not a key", key + " "):
        response = await _verify(client, keys, presented)
        assert response.status_code == 404, presented
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "No such API key."


@pytest.mark.usefixtures("tenants")
async def test_revocation_stops_every_key_of_the_client(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    created = await _create(client, keys)
    url = f"/v1/tenants/artland/clients/{created['id']}"
    rotated = (await client.post(f"{url}/rotate", headers=admin(keys, "artland"))).json()
    other = await _create(client, keys, "oldenburg")
    assert (await _verify(client, keys, created["key"])).status_code == 200
    assert (await _verify(client, keys, rotated["key"])).status_code == 200

    await client.post(f"{url}/revoke", headers=admin(keys, "artland"))
    assert (await _verify(client, keys, created["key"])).status_code == 404
    assert (await _verify(client, keys, rotated["key"])).status_code == 404
    assert (await _verify(client, keys, other["key"])).status_code == 200


@pytest.mark.usefixtures("tenants")
async def test_both_keys_work_during_the_grace_period_and_the_old_one_ends_after_it(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    created = await _create(client, keys)
    old_key = created["key"]
    url = f"/v1/tenants/artland/clients/{created['id']}/rotate"
    rotated = (await client.post(url, headers=admin(keys, "artland"))).json()
    new_key = rotated["key"]

    during = await _verify(client, keys, old_key)
    assert during.status_code == 200
    assert during.json()["expires_at"] == rotated["keys"][1]["valid_until"]
    assert (await _verify(client, keys, new_key)).json()["expires_at"] is None

    old_prefix = api_keys.prefix_of(old_key)
    await admin_rows(
        tenants_db, "UPDATE api_keys SET valid_until = now() - interval '1 second' WHERE prefix = $1", old_prefix
    )
    assert (await _verify(client, keys, old_key)).status_code == 404
    assert (await _verify(client, keys, new_key)).status_code == 200
    read = (await client.get(f"/v1/tenants/artland/clients/{created['id']}", headers=admin(keys, "artland"))).json()
    assert [k["status"] for k in read["keys"]] == ["active", "expired"]


@pytest.mark.usefixtures("tenants")
async def test_rotation_without_grace_ends_the_old_key_at_once(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    created = await _create(client, keys)
    url = f"/v1/tenants/artland/clients/{created['id']}/rotate"
    rotated = (await client.post(url, json={"grace_seconds": 0}, headers=admin(keys, "artland"))).json()
    assert [k["status"] for k in rotated["keys"]] == ["active", "expired"]
    assert (await _verify(client, keys, created["key"])).status_code == 404
    assert (await _verify(client, keys, rotated["key"])).status_code == 200


@pytest.mark.usefixtures("tenants")
async def test_a_second_rotation_never_extends_an_older_keys_end(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    created = await _create(client, keys)
    url = f"/v1/tenants/artland/clients/{created['id']}/rotate"
    await client.post(url, json={"grace_seconds": 60}, headers=admin(keys, "artland"))
    again = (await client.post(url, json={"grace_seconds": 3600}, headers=admin(keys, "artland"))).json()
    newest, middle, first = again["keys"]
    assert newest["valid_until"] is None
    assert first["valid_until"] < middle["valid_until"]
    rows = await admin_rows(
        tenants_db, "SELECT valid_until - created_at AS grace FROM api_keys WHERE prefix = $1", first["prefix"]
    )
    assert rows[0]["grace"].total_seconds() < 120


@pytest.mark.usefixtures("tenants")
async def test_use_is_noted_on_key_and_client_at_most_once_a_minute(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    created = await _create(client, keys)
    url = f"/v1/tenants/artland/clients/{created['id']}"
    assert created["last_used_at"] is None

    await _verify(client, keys, created["key"])
    read = (await client.get(url, headers=admin(keys, "artland"))).json()
    assert read["last_used_at"] is not None
    assert read["keys"][0]["last_used_at"] == read["last_used_at"]

    await _verify(client, keys, created["key"])
    assert (await client.get(url, headers=admin(keys, "artland"))).json()["last_used_at"] == read["last_used_at"]

    await admin_rows(tenants_db, "UPDATE api_keys SET last_used_at = last_used_at - interval '2 minutes'")
    await admin_rows(tenants_db, "UPDATE api_clients SET last_used_at = last_used_at - interval '2 minutes'")
    await _verify(client, keys, created["key"])
    later = (await client.get(url, headers=admin(keys, "artland"))).json()
    assert later["last_used_at"] > read["last_used_at"]
    assert later["keys"][0]["last_used_at"] == later["last_used_at"]


@pytest.mark.usefixtures("tenants")
async def test_only_the_gateway_with_a_system_token_may_verify(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    key = (await _create(client, keys))["key"]
    assert (await client.post(VERIFY, json={"key": key})).status_code == 401
    forged = {"Authorization": "Bearer not-a-token"}
    assert (await client.post(VERIFY, json={"key": key}, headers=forged)).status_code == 401
    callers = [
        keys.headers_for("artland", "tenant_admin"),
        keys.headers_for(None, "operator"),
        keys.headers_for("artland", "integration_client"),
        keys.headers(Identity(subject="c", tenant_id="artland", roles=frozenset({"system"}), kind="client")),
        keys.headers(Identity(subject="s", tenant_id=None, roles=frozenset({"operator"}), kind="system")),
    ]
    for headers in callers:
        assert (await client.post(VERIFY, json={"key": key}, headers=headers)).status_code == 403


@pytest.mark.usefixtures("tenants")
async def test_a_verification_request_without_a_key_names_the_field(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    response = await client.post(VERIFY, json={}, headers=keys.headers(GATEWAY))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["key"]


@pytest.mark.usefixtures("tenants")
async def test_the_runtime_role_reads_other_tenants_keys_only_when_asking_and_never_writes_them(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    await _create(client, keys)
    conn = await asyncpg.connect(tenants_db.runtime_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM api_keys") == 0
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.tenant_id', 'oldenburg', true)")
            assert await conn.fetchval("SELECT count(*) FROM api_keys") == 0
            await conn.execute("SELECT set_config('app.key_verification', 'on', true)")
            assert await conn.fetchval("SELECT count(*) FROM api_keys") == 1
            assert await conn.fetchval("SELECT count(*) FROM api_clients") == 0
            assert await conn.execute("UPDATE api_keys SET revoked_at = now()") == "UPDATE 0"
            assert await conn.execute("DELETE FROM api_keys") == "DELETE 0"
        assert await conn.fetchval("SELECT count(*) FROM api_keys") == 0
    finally:
        await conn.close()


@pytest.mark.usefixtures("tenants")
async def test_the_key_table_closes_again_with_the_lookups_statement(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    key = (await _create(client, keys))["key"]
    single = Database(tenants_db.runtime_url, pool_size=1)
    try:
        found = await repository.usable_keys_by_prefix(single, api_keys.prefix_of(key) or "")
        async with single.session(None) as session:
            setting = await session.scalar(text("SELECT current_setting('app.key_verification', true)"))
            visible = await session.scalar(text("SELECT count(*) FROM api_keys"))
    finally:
        await single.dispose()
    assert [row["tenant_id"] for row in found] == ["artland"]
    assert setting in ("", None)
    assert visible == 0


@pytest.mark.usefixtures("tenants")
async def test_keys_of_a_suspended_municipality_stop_until_it_is_active_again(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    artland = await _create(client, keys)

    async def move(status: str) -> None:
        response = await client.post(
            "/v1/tenants/artland/status", json={"status": status}, headers=keys.headers_for("artland", "operator")
        )
        assert response.status_code == 200, response.text

    await move("active")
    await move("suspended")
    suspended = await _verify(client, keys, artland["key"])
    await move("active")
    reactivated = await _verify(client, keys, artland["key"])

    assert (suspended.status_code, reactivated.status_code) == (404, 200)
