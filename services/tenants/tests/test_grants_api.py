"""Grants: Artland lets Oldenburg's principals act on its data in named roles, and the gateway loads them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from kit.identity import Identity
from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys

from .registry import ARTLAND, MUENCHEN, OLDENBURG, admin, admin_rows, agent, gateway, operator, register

GRANTS = "/v1/tenants/artland/grants"
AGENTS = {"grantee_tenant": "oldenburg", "roles": ["agent"]}


@pytest.fixture
async def artland(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await register(client, keys, ARTLAND, OLDENBURG, MUENCHEN)


async def _grant(client: httpx.AsyncClient, keys: SigningKeys, body: dict[str, Any] = AGENTS) -> httpx.Response:
    return await client.post(GRANTS, json=body, headers=operator(keys, "artland"))


@pytest.mark.usefixtures("artland")
async def test_an_operator_grants_and_artlands_admin_reads_and_revokes(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    created = await _grant(client, keys, {**AGENTS, "roles": ["back_office", "agent"]})
    grant = created.json()

    listed = await client.get(GRANTS, headers=admin(keys, "artland"))
    one = await client.get(f"{GRANTS}/{grant['id']}", headers=admin(keys, "artland"))
    revoked = await client.delete(f"{GRANTS}/{grant['id']}", headers=admin(keys, "artland"))
    gone = await client.get(f"{GRANTS}/{grant['id']}", headers=admin(keys, "artland"))
    again = await client.delete(f"{GRANTS}/{grant['id']}", headers=operator(keys, "artland"))

    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"{GRANTS}/{grant['id']}"
    assert (grant["tenant_id"], grant["grantee_tenant"], grant["roles"]) == (
        "artland",
        "oldenburg",
        ["agent", "back_office"],
    )
    assert (grant["valid_until"], grant["created_by"]) == (None, "test-user")
    assert [g["id"] for g in listed.json()["items"]] == [grant["id"]]
    assert one.json() == grant
    assert (revoked.status_code, gone.status_code, again.status_code) == (204, 404, 404)


@pytest.mark.usefixtures("artland")
async def test_a_grantee_holds_one_grant_per_municipality(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await _grant(client, keys)

    duplicate = await _grant(client, keys, {**AGENTS, "roles": ["knowledge_editor"]})
    other = await _grant(client, keys, {**AGENTS, "grantee_tenant": "muenchen"})

    assert duplicate.status_code == 409
    assert duplicate.json()["errors"][0]["field"] == "grantee_tenant"
    assert other.status_code == 201


@pytest.mark.usefixtures("artland")
@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({**AGENTS, "grantee_tenant": "bersenbrueck"}, 422, "grantee_tenant"),
        ({**AGENTS, "grantee_tenant": "artland"}, 422, "grantee_tenant"),
        ({**AGENTS, "roles": ["operator"]}, 422, "roles.0"),
        ({**AGENTS, "roles": ["agent", "tenant_admin"]}, 422, "roles.1"),
        ({**AGENTS, "roles": ["system"]}, 422, "roles.0"),
        ({**AGENTS, "roles": []}, 422, "roles"),
        ({**AGENTS, "roles": ["agent", "agent"]}, 422, "roles"),
        ({**AGENTS, "valid_from": "2027-01-01T00:00:00Z", "valid_until": "2026-12-31T00:00:00Z"}, 422, "valid_until"),
        ({**AGENTS, "valid_until": "2027-01-01T00:00:00"}, 422, "valid_until"),
    ],
    ids=["unknown", "self", "operator", "tenant-admin", "system", "none", "twice", "backwards", "naive"],
)
async def test_invalid_grants_name_the_field_and_write_nothing(
    client: httpx.AsyncClient,
    keys: SigningKeys,
    tenants_db: ScratchDatabase,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    response = await _grant(client, keys, body)

    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["field"] == field
    assert await admin_rows(tenants_db, "SELECT id FROM grants") == []
    assert await admin_rows(tenants_db, "SELECT id FROM outbox WHERE subject LIKE '%grant%'") == []


@pytest.mark.usefixtures("artland")
async def test_only_operators_grant_and_agents_see_no_grants(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    grant = (await _grant(client, keys)).json()

    answers = [
        await client.post(GRANTS, json={**AGENTS, "grantee_tenant": "muenchen"}, headers=admin(keys, "artland")),
        await client.get(GRANTS, headers=agent(keys, "artland")),
        await client.get(f"{GRANTS}/{grant['id']}", headers=agent(keys, "artland")),
        await client.delete(f"{GRANTS}/{grant['id']}", headers=agent(keys, "artland")),
    ]

    assert [a.status_code for a in answers] == [403] * 4


@pytest.mark.usefixtures("artland")
async def test_another_municipality_neither_sees_nor_changes_artlands_grants(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    grant = (await _grant(client, keys)).json()
    intruder = keys.headers_for("oldenburg", "operator", "tenant_admin")

    answers = [
        await client.post(GRANTS, json={**AGENTS, "grantee_tenant": "muenchen"}, headers=intruder),
        await client.get(GRANTS, headers=intruder),
        await client.get(f"{GRANTS}/{grant['id']}", headers=intruder),
        await client.delete(f"{GRANTS}/{grant['id']}", headers=intruder),
        await client.get(f"/v1/tenants/oldenburg/grants/{grant['id']}", headers=intruder),
        await client.delete(f"/v1/tenants/oldenburg/grants/{grant['id']}", headers=intruder),
    ]

    assert [a.status_code for a in answers] == [404] * 6
    assert (await client.get(f"{GRANTS}/{grant['id']}", headers=admin(keys, "artland"))).status_code == 200


@pytest.mark.usefixtures("artland")
async def test_grants_are_announced_with_their_whole_state(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    grant = (await _grant(client, keys)).json()
    await client.delete(f"{GRANTS}/{grant['id']}", headers=operator(keys, "artland"))

    events = await admin_rows(
        tenants_db, "SELECT tenant_id, subject, payload FROM outbox WHERE subject LIKE '%grant%' ORDER BY id"
    )

    assert [(e["tenant_id"], e["subject"]) for e in events] == [
        ("artland", "tenants.artland.grant.added.v1"),
        ("artland", "tenants.artland.grant.removed.v1"),
    ]
    assert all(_data(e["payload"]) == grant for e in events)


@pytest.mark.usefixtures("artland")
async def test_the_gateway_loads_every_municipalitys_grants_that_have_not_ended(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    artland = (await _grant(client, keys)).json()
    ended = {"valid_from": _at(-2), "valid_until": _at(-1)}
    await client.post(
        "/v1/tenants/oldenburg/grants",
        json={**AGENTS, "grantee_tenant": "muenchen", **ended},
        headers=operator(keys, "oldenburg"),
    )
    future = {"valid_from": _at(1)}
    muenchen = await client.post(
        "/v1/tenants/muenchen/grants", json={**AGENTS, **future}, headers=operator(keys, "muenchen")
    )

    loaded = await client.get("/v1/internal/grants", headers=gateway(keys))

    assert loaded.status_code == 200, loaded.text
    assert loaded.headers["Cache-Control"] == "no-store"
    assert loaded.json()["items"] == [artland, muenchen.json()]


@pytest.mark.usefixtures("artland")
async def test_only_the_gateway_with_a_system_token_reads_the_grant_directory(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    await _grant(client, keys)
    others = [
        operator(keys, "artland"),
        keys.headers_for(None, "operator"),
        keys.headers(Identity(subject="c", tenant_id="artland", roles=frozenset({"system"}), kind="client")),
        keys.headers(Identity(subject="s", tenant_id=None, roles=frozenset({"operator"}), kind="system")),
    ]

    answers = [await client.get("/v1/internal/grants", headers=headers) for headers in others]
    anonymous = await client.get("/v1/internal/grants")

    assert [a.status_code for a in answers] == [403] * 4
    assert anonymous.status_code == 401


def _at(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def _data(payload: bytes) -> Any:
    return json.loads(bytes(payload))["data"]
