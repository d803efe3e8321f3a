"""Managing a tenant's API clients: the key shown once, scopes, roles, rotation, revocation, isolation."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import httpx
import pytest

from kit.db.database import Database
from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys
from tenants.client import repository

from .registry import ARTLAND, OLDENBURG, admin, admin_rows, agent, operator, register

PORTAL = {"name": "Open311 portal", "scopes": ["open311:write", "tickets:read"], "description": "Citizen portal"}
CLIENTS = "/v1/tenants/artland/clients"


@pytest.fixture
async def tenants(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await register(client, keys, ARTLAND, OLDENBURG)


async def _create(
    client: httpx.AsyncClient, keys: SigningKeys, body: dict[str, Any] = PORTAL, tenant: str = "artland"
) -> dict[str, Any]:
    response = await client.post(f"/v1/tenants/{tenant}/clients", json=body, headers=admin(keys, tenant))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.mark.usefixtures("tenants")
async def test_a_new_client_shows_its_key_once_and_never_again(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    response = await client.post(CLIENTS, json=PORTAL, headers=admin(keys, "artland"))
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    created = response.json()
    key = created["key"]
    assert key.startswith(f"zk_{created['keys'][0]['prefix']}_")
    assert response.headers["location"] == f"{CLIENTS}/{created['id']}"
    assert created["scopes"] == ["open311:write", "tickets:read"]
    assert created["status"] == "active"
    assert created["created_by"] == "test-user"
    assert [k["status"] for k in created["keys"]] == ["active"]

    listed = await client.get(CLIENTS, headers=agent(keys, "artland"))
    read = await client.get(f"{CLIENTS}/{created['id']}", headers=agent(keys, "artland"))
    for answer in (listed, read):
        assert answer.status_code == 200
        assert key not in answer.text
        assert key.rsplit("_", 1)[1] not in answer.text
    assert "key" not in read.json()
    assert "key" not in listed.json()["items"][0]
    assert read.json()["keys"][0]["prefix"] == created["keys"][0]["prefix"]


@pytest.mark.usefixtures("tenants")
async def test_only_the_keys_digest_is_stored(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    key = (await _create(client, keys))["key"]
    secret = key.rsplit("_", 1)[1]
    stored = [
        str(row["r"])
        for table in ("api_clients", "api_keys", "outbox")
        for row in await admin_rows(tenants_db, f"SELECT {table}::text AS r, * FROM {table}")
    ]
    assert stored
    assert not [row for row in stored if key in row or secret in row]
    digests = await admin_rows(tenants_db, "SELECT key_hash FROM api_keys")
    assert [bytes(row["key_hash"]) for row in digests] == [hashlib.sha256(key.encode()).digest()]


@pytest.mark.usefixtures("tenants")
async def test_unknown_scope_is_refused_naming_the_field(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    body = {**PORTAL, "scopes": ["tickets:read", "tickets:delete"]}
    response = await client.post(CLIENTS, json=body, headers=admin(keys, "artland"))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["scopes.1"]

    empty = await client.post(CLIENTS, json={**PORTAL, "scopes": []}, headers=admin(keys, "artland"))
    assert [e["field"] for e in empty.json()["errors"]] == ["scopes"]


@pytest.mark.usefixtures("tenants")
async def test_scopes_are_kept_once_and_in_order(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    created = await _create(client, keys, {"name": "BI", "scopes": ["tickets:read", "figures:read", "tickets:read"]})
    assert created["scopes"] == ["figures:read", "tickets:read"]
    assert created["description"] == ""


@pytest.mark.usefixtures("tenants")
async def test_an_active_name_is_taken_until_its_client_is_revoked(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    first = await _create(client, keys)
    again = await client.post(CLIENTS, json={**PORTAL, "name": " Open311 portal "}, headers=admin(keys, "artland"))
    assert again.status_code == 409
    assert [e["field"] for e in again.json()["errors"]] == ["name"]
    await _create(client, keys, tenant="oldenburg")

    await client.post(f"{CLIENTS}/{first['id']}/revoke", headers=admin(keys, "artland"))
    assert (await _create(client, keys))["name"] == "Open311 portal"


async def test_a_client_for_an_unregistered_tenant_is_not_found(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    response = await client.post("/v1/tenants/nowhere/clients", json=PORTAL, headers=operator(keys, "nowhere"))
    assert response.status_code == 404


@pytest.mark.usefixtures("tenants")
async def test_operators_and_tenant_admins_manage_agents_only_read(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    by_operator = await client.post(CLIENTS, json=PORTAL, headers=operator(keys, "artland"))
    assert by_operator.status_code == 201
    url = f"{CLIENTS}/{by_operator.json()['id']}"

    for headers in (agent(keys, "artland"), keys.headers_for("artland", "knowledge_editor")):
        assert (await client.post(CLIENTS, json={**PORTAL, "name": "x"}, headers=headers)).status_code == 403
        assert (await client.patch(url, json={"description": "x"}, headers=headers)).status_code == 403
        assert (await client.post(f"{url}/rotate", headers=headers)).status_code == 403
        assert (await client.post(f"{url}/revoke", headers=headers)).status_code == 403
    assert (await client.get(url, headers=agent(keys, "artland"))).status_code == 200
    assert (await client.get(CLIENTS, headers=agent(keys, "artland"))).status_code == 200
    assert (await client.get(url, headers=keys.headers_for("artland", "knowledge_editor"))).status_code == 403

    assert (await client.post(f"{url}/rotate", headers=admin(keys, "artland"))).status_code == 200
    assert (await client.post(f"{url}/revoke", headers=operator(keys, "artland"))).status_code == 200


@pytest.mark.usefixtures("tenants")
async def test_another_tenants_admin_finds_no_client_on_any_endpoint(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    created = await _create(client, keys)
    url = f"{CLIENTS}/{created['id']}"
    # Through artland's URL the gateway's tenant check answers; through its own URL the database does.
    own_url = f"/v1/tenants/oldenburg/clients/{created['id']}"
    stranger = admin(keys, "oldenburg")
    for target in (url, own_url):
        assert (await client.get(target, headers=stranger)).status_code == 404
        assert (await client.patch(target, json={"name": "mine"}, headers=stranger)).status_code == 404
        assert (await client.post(f"{target}/rotate", headers=stranger)).status_code == 404
        assert (await client.post(f"{target}/revoke", headers=stranger)).status_code == 404
    assert (await client.get(CLIENTS, headers=stranger)).status_code == 404
    assert (await client.post(CLIENTS, json=PORTAL, headers=stranger)).status_code == 404
    assert (await client.get("/v1/tenants/oldenburg/clients", headers=stranger)).json()["items"] == []

    still = await client.get(url, headers=agent(keys, "artland"))
    assert still.json()["status"] == "active"
    assert still.json()["name"] == "Open311 portal"


@pytest.mark.usefixtures("tenants")
async def test_the_list_pages_with_a_cursor_and_filters_by_status(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    names = [f"client {n}" for n in range(5)]
    ids = [(await _create(client, keys, {"name": name, "scopes": ["tickets:read"]}))["id"] for name in names]
    await client.post(f"{CLIENTS}/{ids[1]}/revoke", headers=admin(keys, "artland"))

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(CLIENTS, params=params, headers=agent(keys, "artland"))).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    assert pages == 3

    active = await client.get(CLIENTS, params={"status": "active"}, headers=agent(keys, "artland"))
    assert [item["id"] for item in active.json()["items"]] == [ids[0], *ids[2:]]
    revoked = await client.get(CLIENTS, params={"status": "revoked"}, headers=agent(keys, "artland"))
    assert [item["id"] for item in revoked.json()["items"]] == [ids[1]]


@pytest.mark.usefixtures("tenants")
async def test_a_cursor_that_is_none_of_ours_names_the_field(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    response = await client.get(CLIENTS, params={"cursor": "bm90IGEgY3Vyc29y"}, headers=agent(keys, "artland"))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["cursor"]


@pytest.mark.usefixtures("tenants")
async def test_rotation_shows_a_new_key_once_and_lets_the_old_one_expire(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    created = await _create(client, keys)
    url = f"{CLIENTS}/{created['id']}"
    response = await client.post(f"{url}/rotate", json={"grace_seconds": 3600}, headers=admin(keys, "artland"))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    rotated = response.json()
    assert rotated["key"] != created["key"]
    assert rotated["version"] == 2
    new, old = rotated["keys"]
    assert rotated["key"].startswith(f"zk_{new['prefix']}_")
    assert (new["status"], new["valid_until"]) == ("active", None)
    assert (old["prefix"], old["status"]) == (created["keys"][0]["prefix"], "expiring")
    assert old["valid_until"] is not None

    read = (await client.get(url, headers=agent(keys, "artland"))).json()
    assert "key" not in read
    assert [k["status"] for k in read["keys"]] == ["active", "expiring"]


@pytest.mark.usefixtures("tenants")
async def test_rotation_grace_is_bounded_to_a_week(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    created = await _create(client, keys)
    url = f"{CLIENTS}/{created['id']}/rotate"
    for grace in (-1, 7 * 24 * 3600 + 1):
        response = await client.post(url, json={"grace_seconds": grace}, headers=admin(keys, "artland"))
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["grace_seconds"]


@pytest.mark.usefixtures("tenants")
async def test_revocation_ends_every_key_and_may_be_repeated(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    created = await _create(client, keys)
    url = f"{CLIENTS}/{created['id']}"
    await client.post(f"{url}/rotate", headers=admin(keys, "artland"))

    first = await client.post(f"{url}/revoke", headers=admin(keys, "artland"))
    again = await client.post(f"{url}/revoke", headers=admin(keys, "artland"))
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert first.json()["status"] == "revoked"
    assert first.json()["revoked_by"] == "test-user"
    assert [k["status"] for k in first.json()["keys"]] == ["revoked", "revoked"]

    rotate = await client.post(f"{url}/rotate", headers=admin(keys, "artland"))
    assert rotate.status_code == 409
    update = await client.patch(url, json={"description": "x"}, headers=admin(keys, "artland"))
    assert update.status_code == 409
    subjects = await admin_rows(tenants_db, "SELECT subject FROM outbox WHERE subject LIKE '%client.revoked%'")
    assert len(subjects) == 1


@pytest.mark.usefixtures("tenants")
async def test_changing_scopes_counts_the_version_up_and_unchanged_fields_do_not(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    created = await _create(client, keys)
    url = f"{CLIENTS}/{created['id']}"
    same = await client.patch(url, json={"name": "Open311 portal"}, headers=admin(keys, "artland"))
    assert same.json()["version"] == 1
    changed = await client.patch(url, json={"scopes": ["tickets:read"]}, headers=admin(keys, "artland"))
    assert changed.status_code == 200
    assert (changed.json()["scopes"], changed.json()["version"]) == (["tickets:read"], 2)
    assert changed.json()["description"] == "Citizen portal"

    other = await _create(client, keys, {"name": "BI", "scopes": ["figures:read"]})
    taken = await client.patch(
        f"{CLIENTS}/{other['id']}", json={"name": "Open311 portal"}, headers=admin(keys, "artland")
    )
    assert taken.status_code == 409
    updates = await admin_rows(tenants_db, "SELECT subject FROM outbox WHERE subject LIKE '%client.updated%'")
    assert len(updates) == 1


@pytest.mark.usefixtures("tenants")
async def test_every_change_is_announced_with_the_whole_client_and_no_secret(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    created = await _create(client, keys)
    url = f"{CLIENTS}/{created['id']}"
    rotated = (await client.post(f"{url}/rotate", headers=admin(keys, "artland"))).json()
    revoked = (await client.post(f"{url}/revoke", headers=admin(keys, "artland"))).json()

    rows = await admin_rows(
        tenants_db, "SELECT tenant_id, subject, payload FROM outbox WHERE subject LIKE '%.client.%' ORDER BY id"
    )
    assert [(row["tenant_id"], row["subject"]) for row in rows] == [
        ("artland", "tenants.artland.client.created.v1"),
        ("artland", "tenants.artland.client.rotated.v1"),
        ("artland", "tenants.artland.client.revoked.v1"),
    ]
    for row in rows:
        payload = bytes(row["payload"]).decode()
        for key in (created["key"], rotated["key"]):
            assert key not in payload
            assert key.rsplit("_", 1)[1] not in payload
            assert hashlib.sha256(key.encode()).hexdigest() not in payload
    event = json.loads(bytes(rows[-1]["payload"]))
    assert event["type"] == "tenants.client.revoked.v1"
    assert event["subject"] == f"client/{created['id']}"
    assert event["data"] == {**revoked, "tenant_id": "artland"}
    assert "key_hash" not in json.dumps(event)


@pytest.mark.usefixtures("tenants")
async def test_a_name_taken_between_check_and_write_is_reported_not_raised(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    await _create(client, keys)
    other = await _create(client, keys, {"name": "BI", "scopes": ["figures:read"]})
    database = Database(tenants_db.runtime_url, pool_size=1)
    try:
        async with database.transaction("artland") as session:
            renamed = await repository.update_client(session, uuid.UUID(other["id"]), {"name": "Open311 portal"})
    finally:
        await database.dispose()
    assert renamed is None
