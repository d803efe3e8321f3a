"""Departments: the back-office units of a municipality, managed by its admins, invisible to others."""

from __future__ import annotations

import httpx
import pytest

from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys

from .registry import ARTLAND, OLDENBURG, admin, admin_rows, agent, register

DEPARTMENTS = "/v1/tenants/artland/departments"
BUERGERBUERO = {
    "name": "Bürgerbüro",
    "email": "buergerbuero@artland.de",
    "phone": "+49 5431 1820",
    "leika_keys": ["99085001012000", "99115003001000"],
    "escalation_contact": {"name": "Frau Meyer", "email": "meyer@artland.de"},
}


@pytest.fixture
async def artland(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await register(client, keys, ARTLAND, OLDENBURG)


async def _create(client: httpx.AsyncClient, keys: SigningKeys) -> httpx.Response:
    response = await client.post(DEPARTMENTS, json=BUERGERBUERO, headers=admin(keys, "artland"))
    assert response.status_code == 201, response.text
    return response


@pytest.mark.usefixtures("artland")
async def test_tenant_admin_keeps_departments_that_agents_read(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    created = (await _create(client, keys)).json()
    path = f"{DEPARTMENTS}/{created['id']}"

    changed = await client.patch(
        path, json={"phone": "+49 5431 1821", "leika_keys": []}, headers=admin(keys, "artland") | {"If-Match": '"1"'}
    )
    listed = await client.get(DEPARTMENTS, headers=agent(keys, "artland"))
    deleted = await client.delete(path, headers=admin(keys, "artland"))
    gone = await client.get(path, headers=agent(keys, "artland"))

    assert (changed.status_code, changed.json()["phone"], changed.json()["leika_keys"]) == (200, "+49 5431 1821", [])
    assert changed.json()["email"] == BUERGERBUERO["email"]
    assert [d["name"] for d in listed.json()["items"]] == ["Bürgerbüro"]
    assert (deleted.status_code, gone.status_code) == (204, 404)
    events = await admin_rows(tenants_db, "SELECT subject FROM outbox WHERE subject LIKE '%department%' ORDER BY id")
    assert [e["subject"].split(".", 2)[2] for e in events] == [
        "department.created.v1",
        "department.updated.v1",
        "department.deleted.v1",
    ]


@pytest.mark.usefixtures("artland")
async def test_names_are_unique_within_a_tenant_only(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await _create(client, keys)
    again = await client.post(DEPARTMENTS, json=BUERGERBUERO, headers=admin(keys, "artland"))
    elsewhere = await client.post(
        "/v1/tenants/oldenburg/departments", json=BUERGERBUERO, headers=admin(keys, "oldenburg")
    )
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "name"
    assert elsewhere.status_code == 201


@pytest.mark.usefixtures("artland")
async def test_bad_fields_are_named(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    response = await client.post(
        DEPARTMENTS,
        json={**BUERGERBUERO, "leika_keys": ["9908500101"], "email": "nobody"},
        headers=admin(keys, "artland"),
    )
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == ["email", "leika_keys.0"]


@pytest.mark.usefixtures("artland")
async def test_agents_do_not_change_departments(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    response = await client.post(DEPARTMENTS, json=BUERGERBUERO, headers=agent(keys, "artland"))
    assert response.status_code == 403


@pytest.mark.usefixtures("artland")
async def test_another_tenants_admin_finds_no_artland_department(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    path = f"{DEPARTMENTS}/{(await _create(client, keys)).json()['id']}"
    intruder = admin(keys, "oldenburg") | {"If-Match": "*"}

    answers = [
        await client.get(path, headers=intruder),
        await client.patch(path, json={"name": "Gekapert"}, headers=intruder),
        await client.delete(path, headers=intruder),
        await client.get(DEPARTMENTS, headers=intruder),
        await client.post(DEPARTMENTS, json={**BUERGERBUERO, "name": "Untergeschoben"}, headers=intruder),
    ]
    own_id_elsewhere = await client.get(path.replace("artland", "oldenburg"), headers=intruder)

    assert [a.status_code for a in answers] == [404] * 5
    assert own_id_elsewhere.status_code == 404
    assert (await client.get(path, headers=agent(keys, "artland"))).json()["name"] == "Bürgerbüro"
