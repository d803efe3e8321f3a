"""Offices and their responsibilities: kept by a municipality's editors, read by its agents, invisible to others."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from kit.db.database import Database
from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys
from knowledge.office import service
from knowledge.office.errors import OfficeNameTaken
from knowledge.office.schemas import OfficeUpdate

from .support import admin_rows, agent, editor, operator, tenant_admin

OFFICES = "/v1/tenants/artland/knowledge/offices"
MUENCHEN_OFFICES = "/v1/tenants/muenchen/knowledge/offices"
BUERGERBUERO: dict[str, Any] = {
    "name": "Bürgerbüro",
    "address": {"street": "Hauptstraße 1", "postal_code": "49610", "city": "Quakenbrück"},
    "opening_hours": [
        {"weekday": "monday", "opens": "08:00", "closes": "12:30"},
        {"weekday": "thursday", "opens": "14:00", "closes": "18:00"},
    ],
    "opening_hours_note": "Termine nach Vereinbarung",
    "phone": "+49 5431 1820",
    "email": "buergerbuero@artland.de",
    "contacts": [{"name": "Frau Meyer", "role": "Leitung", "phone": "+49 5431 1830", "email": "meyer@artland.de"}],
}


async def _create(
    client: httpx.AsyncClient, keys: SigningKeys, tenant_id: str = "artland", office: dict[str, Any] = BUERGERBUERO
) -> dict[str, Any]:
    path = f"/v1/tenants/{tenant_id}/knowledge/offices"
    response = await client.post(path, json=office, headers=tenant_admin(keys, tenant_id))
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"{path}/{response.json()['id']}"
    created: dict[str, Any] = response.json()
    return created


async def _own_description(scratch: ScratchDatabase, tenant_id: str = "artland") -> uuid.UUID:
    rows = await admin_rows(
        scratch,
        "INSERT INTO tenant_descriptions (tenant_id, id, content, status, version, updated_by) "
        "VALUES ($1, $2, '{}', 'draft', 1, 'test') RETURNING id",
        tenant_id,
        uuid.uuid4(),
    )
    description_id: uuid.UUID = rows[0]["id"]
    return description_id


async def _shared_description(scratch: ScratchDatabase) -> uuid.UUID:
    rows = await admin_rows(
        scratch,
        "INSERT INTO base_descriptions (id, content, status, version, updated_by) "
        "VALUES ($1, '{}', 'published', 1, 'test') RETURNING id",
        uuid.uuid4(),
    )
    description_id: uuid.UUID = rows[0]["id"]
    return description_id


async def test_tenant_admin_keeps_offices_that_agents_read(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    created = await _create(client, keys)
    path = f"{OFFICES}/{created['id']}"

    read = await client.get(path, headers=agent(keys, "artland"))
    changed = await client.patch(
        path,
        json={"phone": "+49 5431 1821", "opening_hours": [], "address": None},
        headers=tenant_admin(keys, "artland") | {"If-Match": read.headers["ETag"]},
    )
    listed = await client.get(OFFICES, headers=agent(keys, "artland"))
    deleted = await client.delete(path, headers=tenant_admin(keys, "artland") | {"If-Match": '"2"'})
    gone = await client.get(path, headers=agent(keys, "artland"))

    assert (read.status_code, read.headers["ETag"]) == (200, '"1"')
    assert {key: read.json()[key] for key in BUERGERBUERO} == BUERGERBUERO
    assert (read.json()["tenant_id"], read.json()["version"]) == ("artland", 1)
    assert (changed.status_code, changed.headers["ETag"]) == (200, '"2"')
    body = changed.json()
    assert (body["phone"], body["opening_hours"], body["address"]) == ("+49 5431 1821", [], None)
    assert (body["email"], body["contacts"]) == (BUERGERBUERO["email"], BUERGERBUERO["contacts"])
    assert [office["name"] for office in listed.json()["items"]] == ["Bürgerbüro"]
    assert (deleted.status_code, gone.status_code) == (204, 404)


async def test_offices_are_listed_by_name_and_knowledge_editors_and_operators_keep_them_too(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    by_editor = await client.post(OFFICES, json={"name": "Standesamt"}, headers=editor(keys, "artland"))
    by_operator = await client.post(OFFICES, json={"name": "Bauamt"}, headers=operator(keys, "artland"))
    listed = await client.get(OFFICES, headers=agent(keys, "artland"))

    assert (by_editor.status_code, by_operator.status_code) == (201, 201)
    assert by_editor.json()["opening_hours"] == by_editor.json()["contacts"] == []
    assert [office["name"] for office in listed.json()["items"]] == ["Bauamt", "Standesamt"]


async def test_agents_do_not_change_offices(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    path = f"{OFFICES}/{(await _create(client, keys))['id']}"
    description = await _shared_description(scratch)
    clerk = agent(keys, "artland") | {"If-Match": "*"}

    answers = [
        await client.post(OFFICES, json={**BUERGERBUERO, "name": "Nebenstelle"}, headers=clerk),
        await client.patch(path, json={"name": "Gekapert"}, headers=clerk),
        await client.delete(path, headers=clerk),
        await client.put(f"{path}/descriptions/{description}", headers=clerk),
        await client.delete(f"{path}/descriptions/{description}", headers=clerk),
    ]

    assert [answer.status_code for answer in answers] == [403] * 5
    assert (await client.get(path, headers=clerk)).json()["name"] == "Bürgerbüro"


async def test_bad_fields_are_named(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    response = await client.post(
        OFFICES,
        json={
            **BUERGERBUERO,
            "address": {"street": "Hauptstraße 1", "postal_code": "4961", "city": "Quakenbrück"},
            "opening_hours": [
                {"weekday": "montag", "opens": "08:00", "closes": "12:00"},
                {"weekday": "tuesday", "opens": "14:00", "closes": "09:00"},
                {"weekday": "friday", "opens": "8:00", "closes": "12:00"},
            ],
            "email": "nobody",
            "contacts": [{"name": "Frau Meyer", "email": "meyer-at-artland"}],
        },
        headers=tenant_admin(keys, "artland"),
    )

    assert response.status_code == 422
    assert sorted(error["field"] for error in response.json()["errors"]) == [
        "address.postal_code",
        "contacts.0.email",
        "email",
        "opening_hours.0.weekday",
        "opening_hours.1.closes",
        "opening_hours.2.opens",
    ]


async def test_an_update_may_not_close_before_it_opens(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    path = f"{OFFICES}/{(await _create(client, keys))['id']}"
    response = await client.patch(
        path,
        json={"opening_hours": [{"weekday": "sunday", "opens": "10:00", "closes": "10:00"}]},
        headers=tenant_admin(keys, "artland") | {"If-Match": '"1"'},
    )
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["opening_hours.0.closes"]


async def test_names_are_unique_within_a_tenant_only(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await _create(client, keys)
    other = await _create(client, keys, office={"name": "Standesamt"})

    again = await client.post(OFFICES, json=BUERGERBUERO, headers=tenant_admin(keys, "artland"))
    renamed = await client.patch(
        f"{OFFICES}/{other['id']}",
        json={"name": "Bürgerbüro"},
        headers=tenant_admin(keys, "artland") | {"If-Match": '"1"'},
    )
    elsewhere = await client.post(MUENCHEN_OFFICES, json=BUERGERBUERO, headers=tenant_admin(keys, "muenchen"))

    assert (again.status_code, again.json()["errors"][0]["field"]) == (409, "name")
    assert (renamed.status_code, renamed.json()["errors"][0]["field"]) == (409, "name")
    assert elsewhere.status_code == 201


async def _waiting_for_a_lock(scratch: ScratchDatabase) -> None:
    """Return once a transaction of the database waits for another's lock."""
    query = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    for _ in range(500):
        if (await admin_rows(scratch, query))[0][0]:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no transaction came to wait")


async def test_two_offices_renamed_to_one_name_at_once_leave_one_with_it(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase, database: Database
) -> None:
    first = await _create(client, keys, office={"name": "Standesamt"})
    second = await _create(client, keys, office={"name": "Ordnungsamt"})
    rename = OfficeUpdate(name="Bürgerservice")

    async def rename_second() -> None:
        async with database.transaction("artland") as session:
            await service.update(session, office_id=uuid.UUID(second["id"]), data=rename, if_match='"1"')

    async with database.transaction("artland") as session:
        await service.update(session, office_id=uuid.UUID(first["id"]), data=rename, if_match='"1"')
        # The second rename comes while the first is not committed, and waits for it at the unique name.
        racing = asyncio.create_task(rename_second())
        await _waiting_for_a_lock(scratch)

    with pytest.raises(OfficeNameTaken):
        await racing
    names = [office["name"] for office in (await client.get(OFFICES, headers=agent(keys, "artland"))).json()["items"]]
    assert sorted(names) == ["Bürgerservice", "Ordnungsamt"]


async def test_changes_need_the_current_etag(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    path = f"{OFFICES}/{(await _create(client, keys))['id']}"
    admin = tenant_admin(keys, "artland")

    missing = await client.patch(path, json={"phone": "+49 5431 1"}, headers=admin)
    current = await client.patch(path, json={"phone": "+49 5431 2"}, headers=admin | {"If-Match": '"1"'})
    stale = await client.patch(path, json={"phone": "+49 5431 3"}, headers=admin | {"If-Match": '"1"'})
    stale_delete = await client.delete(path, headers=admin | {"If-Match": '"1"'})

    assert (missing.status_code, current.status_code, stale.status_code) == (428, 200, 412)
    assert stale_delete.status_code == 412
    assert (await client.get(path, headers=admin)).json()["phone"] == "+49 5431 2"


async def test_offices_are_assigned_to_shared_and_own_descriptions(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase, database: Database
) -> None:
    office = await _create(client, keys)
    standesamt = await _create(client, keys, office={"name": "Abteilung Standesamt"})
    path = f"{OFFICES}/{office['id']}/descriptions"
    shared, own = await _shared_description(scratch), await _own_description(scratch)
    admin = tenant_admin(keys, "artland")

    assigned = [
        await client.put(f"{path}/{shared}", headers=admin),
        await client.put(f"{path}/{own}", headers=editor(keys, "artland")),
        await client.put(f"{path}/{shared}", headers=admin),
        await client.put(f"{OFFICES}/{standesamt['id']}/descriptions/{shared}", headers=admin),
    ]
    listed = await client.get(path, headers=agent(keys, "artland"))
    async with database.transaction("artland") as session:
        for_shared = await service.responsible_offices(session, description_id=shared)
        for_own = await service.responsible_offices(session, description_id=own)
    async with database.transaction("muenchen") as session:
        for_shared_elsewhere = await service.responsible_offices(session, description_id=shared)

    assert [answer.status_code for answer in assigned] == [204] * 4
    assert sorted(item["description_id"] for item in listed.json()["items"]) == sorted([str(shared), str(own)])
    assert [row["name"] for row in for_shared] == ["Abteilung Standesamt", "Bürgerbüro"]
    assert [(row["id"], row["address"]) for row in for_own] == [(uuid.UUID(str(office["id"])), office["address"])]
    assert for_shared_elsewhere == []


async def test_an_assignment_is_removed_once_and_with_its_office(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    office = await _create(client, keys)
    path = f"{OFFICES}/{office['id']}/descriptions"
    shared, own = await _shared_description(scratch), await _own_description(scratch)
    admin = tenant_admin(keys, "artland")
    await client.put(f"{path}/{shared}", headers=admin)
    await client.put(f"{path}/{own}", headers=admin)

    removed = await client.delete(f"{path}/{shared}", headers=admin)
    again = await client.delete(f"{path}/{shared}", headers=admin)
    left = await client.get(path, headers=admin)
    await client.delete(f"{OFFICES}/{office['id']}", headers=admin)

    assert (removed.status_code, again.status_code) == (204, 404)
    assert left.json() == {"items": [{"description_id": str(own)}]}
    assert await admin_rows(scratch, "SELECT * FROM responsibilities") == []


async def test_only_descriptions_the_tenant_sees_can_be_assigned(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    office = await _create(client, keys)
    path = f"{OFFICES}/{office['id']}/descriptions"
    muenchens_own = await _own_description(scratch, "muenchen")
    admin = tenant_admin(keys, "artland")

    foreign = await client.put(f"{path}/{muenchens_own}", headers=admin)
    unknown = await client.put(f"{path}/{uuid.uuid4()}", headers=admin)
    no_office = await client.put(
        f"{OFFICES}/{uuid.uuid4()}/descriptions/{await _shared_description(scratch)}", headers=admin
    )
    no_office_list = await client.get(f"{OFFICES}/{uuid.uuid4()}/descriptions", headers=admin)

    assert [r.status_code for r in (foreign, unknown, no_office, no_office_list)] == [404] * 4
    assert foreign.json()["detail"] == "No such description."
    assert await admin_rows(scratch, "SELECT * FROM responsibilities") == []


async def test_an_unknown_tenant_has_no_offices(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    stranger = tenant_admin(keys, "nirgendwo") | {"If-Match": "*"}
    shared = await _shared_description(scratch)
    path = "/v1/tenants/nirgendwo/knowledge/offices"
    office_path = f"{path}/{uuid.uuid4()}"

    answers = [
        await client.post(path, json=BUERGERBUERO, headers=stranger),
        await client.get(path, headers=stranger),
        await client.get(office_path, headers=stranger),
        await client.patch(office_path, json={"name": "Irgendwas"}, headers=stranger),
        await client.delete(office_path, headers=stranger),
        await client.get(f"{office_path}/descriptions", headers=stranger),
        await client.put(f"{office_path}/descriptions/{shared}", headers=stranger),
        await client.delete(f"{office_path}/descriptions/{shared}", headers=stranger),
    ]

    assert [answer.status_code for answer in answers] == [404] * 8
    assert await admin_rows(scratch, "SELECT name FROM offices") == []


async def _office_answers(
    client: httpx.AsyncClient, base: str, office_id: object, description_id: uuid.UUID, headers: dict[str, str]
) -> list[int]:
    """The status of every office endpoint that names one office, called with ``headers``."""
    office_path = f"{base}/{office_id}"
    descriptions = f"{office_path}/descriptions"
    answers = [
        await client.get(office_path, headers=headers),
        await client.patch(office_path, json={"name": "Gekapert"}, headers=headers),
        await client.get(descriptions, headers=headers),
        await client.put(f"{descriptions}/{description_id}", headers=headers),
        await client.delete(f"{descriptions}/{description_id}", headers=headers),
        await client.delete(office_path, headers=headers),
    ]
    return [answer.status_code for answer in answers]


async def test_another_tenant_finds_no_artland_office_or_assignment(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    office = await _create(client, keys)
    shared = await _shared_description(scratch)
    await client.put(f"{OFFICES}/{office['id']}/descriptions/{shared}", headers=tenant_admin(keys, "artland"))
    muenchens = await _create(client, keys, "muenchen", {"name": "Kreisverwaltungsreferat"})
    intruders = [tenant_admin(keys, "muenchen") | {"If-Match": "*"}, agent(keys, "muenchen") | {"If-Match": "*"}]

    on_artlands_url = [await _office_answers(client, OFFICES, office["id"], shared, who) for who in intruders]
    on_artlands_url_collections = [
        (
            (await client.get(OFFICES, headers=who)).status_code,
            (await client.post(OFFICES, json={"name": "Untergeschoben"}, headers=who)).status_code,
        )
        for who in intruders
    ]
    artlands_id_on_own_url = await _office_answers(
        client, MUENCHEN_OFFICES, office["id"], shared, tenant_admin(keys, "muenchen") | {"If-Match": "*"}
    )
    muenchens_id_on_artlands_url = await _office_answers(
        client, OFFICES, muenchens["id"], shared, tenant_admin(keys, "artland") | {"If-Match": "*"}
    )

    assert on_artlands_url == [[404] * 6] * 2
    assert on_artlands_url_collections == [(404, 404)] * 2
    assert artlands_id_on_own_url == [404] * 6
    assert muenchens_id_on_artlands_url == [404] * 6
    artland = agent(keys, "artland")
    assert (await client.get(f"{OFFICES}/{office['id']}", headers=artland)).json()["name"] == "Bürgerbüro"
    assert (await client.get(f"{OFFICES}/{office['id']}/descriptions", headers=artland)).json() == {
        "items": [{"description_id": str(shared)}]
    }
    muenchen = agent(keys, "muenchen")
    assert [o["name"] for o in (await client.get(MUENCHEN_OFFICES, headers=muenchen)).json()["items"]] == [
        "Kreisverwaltungsreferat"
    ]
    assert await admin_rows(scratch, "SELECT tenant_id, office_id FROM responsibilities") == [
        ("artland", uuid.UUID(str(office["id"])))
    ]
