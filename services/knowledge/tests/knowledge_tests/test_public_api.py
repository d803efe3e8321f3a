"""The public read API: a municipality's web site reads what is published there, and caches may keep it."""

from __future__ import annotations

import re
from typing import Any

import httpx

from kit.errors import PROBLEM_JSON
from kit.identity import Identity, Role
from kit.testing.keys import SigningKeys

from .support import BULKY_WASTE, PASSPORT, agent, editor, tenant_admin

BASE = "/v1/knowledge/base/descriptions"
ARTLAND = "/v1/tenants/artland/knowledge/descriptions"
MUENCHEN = "/v1/tenants/muenchen/knowledge/descriptions"
PUBLIC = "/v1/tenants/artland/public"
DOG_TAX: dict[str, Any] = {"content": {"name": "Hundesteuer anmelden"}}
BUERGERBUERO: dict[str, Any] = {
    "name": "Bürgerbüro",
    "address": {"street": "Hauptstraße 1", "postal_code": "49610", "city": "Quakenbrück"},
    "opening_hours": [{"weekday": "monday", "opens": "08:00", "closes": "12:30"}],
    "phone": "+49 5431 1820",
    "email": "buergerbuero@artland.de",
    "contacts": [{"name": "Frau Meyer", "role": "Leitung", "phone": "+49 5431 1830", "email": "meyer@artland.de"}],
}
PUBLIC_OFFICE_FIELDS = {"id", "name", "address", "opening_hours", "opening_hours_note", "phone", "email"}
INTERNAL_DESCRIPTION_FIELDS = {"layer", "origins", "content", "status", "version", "updated_at", "updated_by"}


def public(keys: SigningKeys, tenant_id: str = "artland") -> dict[str, str]:
    """The headers of a request without credentials, as the gateway signs it for the tenant in the URL."""
    nobody = Identity(subject="anonymous", tenant_id=tenant_id, roles=frozenset({Role.PUBLIC.value}), kind="anonymous")
    return keys.headers(nobody)


async def _created(client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> str:
    created = await client.post(path, json=body, headers=headers)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def _move(client: httpx.AsyncClient, path: str, status: str, headers: dict[str, str], *, version: int) -> None:
    moved = await client.put(f"{path}/status", json={"status": status}, headers=headers | {"If-Match": f'"{version}"'})
    assert moved.status_code == 200, moved.text


async def _published(client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> str:
    description_id = await _created(client, path, body, headers)
    await _move(client, f"{path}/{description_id}", "published", headers, version=1)
    return description_id


async def _office(client: httpx.AsyncClient, keys: SigningKeys, tenant_id: str = "artland") -> str:
    return await _created(
        client, f"/v1/tenants/{tenant_id}/knowledge/offices", BUERGERBUERO, tenant_admin(keys, tenant_id)
    )


async def test_the_public_reads_the_merged_published_text_and_the_offices_without_anything_internal(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    passport = await _published(client, BASE, PASSPORT, editor(keys))
    supplement = {"content": {"modules": {"procedure": "Termin im Bürgerbüro Quakenbrück."}, "synonyms": ["Perso"]}}
    await client.put(f"{ARTLAND}/{passport}/supplement", json=supplement, headers=editor(keys, "artland"))
    await _move(client, f"{ARTLAND}/{passport}/supplement", "published", editor(keys, "artland"), version=1)
    office = await _office(client, keys)
    assigned = await client.put(
        f"/v1/tenants/artland/knowledge/offices/{office}/descriptions/{passport}", headers=tenant_admin(keys, "artland")
    )

    listed = await client.get(f"{PUBLIC}/descriptions", headers=public(keys))
    read = await client.get(f"{PUBLIC}/descriptions/{passport}", headers=public(keys))
    offices = await client.get(f"{PUBLIC}/offices", headers=public(keys))
    one_office = await client.get(f"{PUBLIC}/offices/{office}", headers=public(keys))

    assert assigned.status_code == 204
    assert [response.status_code for response in (listed, read, offices, one_office)] == [200, 200, 200, 200]
    assert [item["name"] for item in listed.json()["items"]] == ["Reisepass beantragen"]
    description = read.json()
    assert description["modules"] == {
        "full_text": "Einen Reisepass beantragen Sie persönlich.",
        "procedure": "Termin im Bürgerbüro Quakenbrück.",
    }
    assert (description["leika_key"], description["synonyms"]) == ("99085001012000", ["Pass", "Perso"])
    assert description["fees"] == [{"label": "Reisepass (ab 24 Jahren)", "amount_eur": "70.00"}]
    assert INTERNAL_DESCRIPTION_FIELDS.isdisjoint(description)
    assert INTERNAL_DESCRIPTION_FIELDS.isdisjoint(listed.json()["items"][0])
    assert "offices" not in listed.json()["items"][0]
    assert [set(shown) for shown in description["offices"]] == [PUBLIC_OFFICE_FIELDS]
    assert description["offices"][0]["phone"] == "+49 5431 1820"
    assert [set(shown) for shown in offices.json()["items"]] == [PUBLIC_OFFICE_FIELDS]
    assert set(one_office.json()) == PUBLIC_OFFICE_FIELDS
    assert "Meyer" not in offices.text + one_office.text + read.text


async def test_drafts_texts_in_review_and_archived_descriptions_are_never_shown(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    artland_editor = editor(keys, "artland")
    shown = await _published(client, ARTLAND, BULKY_WASTE, artland_editor)
    draft = await _created(client, ARTLAND, DOG_TAX, artland_editor)
    in_review = await _created(client, ARTLAND, DOG_TAX, tenant_admin(keys, "artland"))
    archived = await _published(client, ARTLAND, DOG_TAX, artland_editor)
    await _move(client, f"{ARTLAND}/{archived}", "archived", artland_editor, version=2)
    edited = await client.patch(
        f"{ARTLAND}/{shown}",
        json={"content": {"name": "Sperrmüll und Elektroschrott anmelden"}},
        headers=artland_editor | {"If-Match": '"2"'},
    )

    listed = await client.get(f"{PUBLIC}/descriptions", headers=public(keys))
    read = await client.get(f"{PUBLIC}/descriptions/{shown}", headers=public(keys))
    hidden = [
        (await client.get(f"{PUBLIC}/descriptions/{i}", headers=public(keys))).status_code
        for i in (draft, in_review, archived)
    ]

    assert edited.json()["status"] == "draft"
    assert [item["id"] for item in listed.json()["items"]] == [shown]
    assert read.json()["name"] == "Sperrmüll anmelden"
    assert hidden == [404, 404, 404]


async def test_a_supplement_not_yet_published_leaves_the_shared_text_as_it_is(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    passport = await _published(client, BASE, PASSPORT, editor(keys))
    supplement = {"content": {"modules": {"procedure": "Nur mit Termin."}}}
    written = await client.put(f"{ARTLAND}/{passport}/supplement", json=supplement, headers=editor(keys, "artland"))

    read = await client.get(f"{PUBLIC}/descriptions/{passport}", headers=public(keys))

    assert written.json()["status"] == "draft"
    assert read.json()["modules"]["procedure"] == "Termin vereinbaren."


async def test_another_municipalitys_own_description_and_office_do_not_exist_through_this_public_url(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    theirs = await _published(client, MUENCHEN, BULKY_WASTE, editor(keys, "muenchen"))
    their_office = await _office(client, keys, "muenchen")

    listed = await client.get(f"{PUBLIC}/descriptions", headers=public(keys))
    description = await client.get(f"{PUBLIC}/descriptions/{theirs}", headers=public(keys))
    office = await client.get(f"{PUBLIC}/offices/{their_office}", headers=public(keys))
    offices = await client.get(f"{PUBLIC}/offices", headers=public(keys))
    signed_for_muenchen = await client.get(f"{PUBLIC}/descriptions", headers=public(keys, "muenchen"))

    assert (listed.json()["items"], offices.json()["items"]) == ([], [])
    for response in (description, office, signed_for_muenchen):
        assert response.status_code == 404
        assert response.headers["Content-Type"] == PROBLEM_JSON
        assert response.headers["Cache-Control"] == "no-store"


async def test_a_copy_is_tagged_for_caches_and_confirmed_with_304_while_the_published_text_is_unchanged(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    artland_editor = editor(keys, "artland")
    own = await _published(client, ARTLAND, BULKY_WASTE, artland_editor)
    path = f"{PUBLIC}/descriptions/{own}"

    first = await client.get(path, headers=public(keys))
    tag = first.headers["ETag"]
    current = await client.get(path, headers=public(keys) | {"If-None-Match": tag})
    weakened = await client.get(path, headers=public(keys) | {"If-None-Match": f'"other", W/{tag}'})
    anything = await client.get(path, headers=public(keys) | {"If-None-Match": "*"})
    stale = await client.get(path, headers=public(keys) | {"If-None-Match": '"other"'})
    await client.patch(path.replace("public", "knowledge"), json=DOG_TAX, headers=artland_editor | {"If-Match": '"2"'})
    while_drafting = await client.get(path, headers=public(keys) | {"If-None-Match": tag})
    await _move(client, f"{ARTLAND}/{own}", "published", artland_editor, version=3)
    republished = await client.get(path, headers=public(keys) | {"If-None-Match": tag})

    assert first.status_code == 200
    assert re.fullmatch(r'"[0-9a-f]{32}"', tag)
    assert first.headers["Cache-Control"] == "public, max-age=300"
    assert "Vary" not in first.headers
    for confirmed in (current, weakened, anything, while_drafting):
        assert (confirmed.status_code, confirmed.content) == (304, b"")
        assert (confirmed.headers["ETag"], confirmed.headers["Cache-Control"]) == (tag, "public, max-age=300")
        assert "Content-Type" not in confirmed.headers
    assert (stale.status_code, stale.json()) == (200, first.json())
    assert (republished.status_code, republished.json()["name"]) == (200, "Hundesteuer anmelden")
    assert republished.headers["ETag"] != tag


async def test_lists_and_offices_are_tagged_and_a_changed_office_gets_a_new_tag(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    office = await _office(client, keys)
    path = f"{PUBLIC}/offices/{office}"
    read = await client.get(path, headers=public(keys))
    listed = await client.get(f"{PUBLIC}/offices", headers=public(keys))
    descriptions = await client.get(f"{PUBLIC}/descriptions", headers=public(keys))
    await client.patch(
        path.replace("public", "knowledge"),
        json={"opening_hours_note": "Mittwochs geschlossen"},
        headers=tenant_admin(keys, "artland") | {"If-Match": '"1"'},
    )

    unchanged_list = await client.get(
        f"{PUBLIC}/descriptions", headers=public(keys) | {"If-None-Match": descriptions.headers["ETag"]}
    )
    changed = await client.get(path, headers=public(keys) | {"If-None-Match": read.headers["ETag"]})
    changed_list = await client.get(
        f"{PUBLIC}/offices", headers=public(keys) | {"If-None-Match": listed.headers["ETag"]}
    )

    assert unchanged_list.status_code == 304
    assert (changed.status_code, changed.json()["opening_hours_note"]) == (200, "Mittwochs geschlossen")
    assert changed_list.status_code == 200
    assert {changed.headers["ETag"], changed_list.headers["ETag"]}.isdisjoint(
        {read.headers["ETag"], listed.headers["ETag"]}
    )


async def test_staff_read_the_same_copy_as_the_public(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await _published(client, ARTLAND, BULKY_WASTE, editor(keys, "artland"))
    path = f"{PUBLIC}/descriptions"

    anonymous = await client.get(path, headers=public(keys))
    staff = [await client.get(path, headers=headers) for headers in (agent(keys, "artland"), editor(keys, "artland"))]

    assert [(r.status_code, r.content, r.headers["ETag"]) for r in staff] == [
        (200, anonymous.content, anonymous.headers["ETag"])
    ] * 2


async def test_the_list_is_paged_newest_first(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    older = await _published(client, ARTLAND, BULKY_WASTE, editor(keys, "artland"))
    newer = await _published(client, ARTLAND, DOG_TAX, editor(keys, "artland"))

    first = await client.get(f"{PUBLIC}/descriptions", params={"limit": 1}, headers=public(keys))
    cursor = first.json()["next_cursor"]
    second = await client.get(f"{PUBLIC}/descriptions", params={"limit": 1, "cursor": cursor}, headers=public(keys))

    assert [item["id"] for item in first.json()["items"] + second.json()["items"]] == [newer, older]
    assert second.json()["next_cursor"] is None
    assert first.headers["ETag"] != second.headers["ETag"]


async def test_head_answers_the_get_headers_without_a_body(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await _office(client, keys)
    path = f"{PUBLIC}/offices"

    got = await client.get(path, headers=public(keys))
    head = await client.head(path, headers=public(keys))
    confirmed = await client.head(path, headers=public(keys) | {"If-None-Match": got.headers["ETag"]})

    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["Content-Length"] == str(len(got.content))
    assert (head.headers["ETag"], head.headers["Content-Type"]) == (got.headers["ETag"], "application/json")
    assert (confirmed.status_code, confirmed.content) == (304, b"")


async def test_unknown_tenants_and_other_problems_are_problem_documents_that_no_cache_keeps(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    unknown_tenant = await client.get("/v1/tenants/nowhere/public/descriptions", headers=public(keys, "nowhere"))
    unknown_description = await client.get(
        f"{PUBLIC}/descriptions/00000000-0000-4000-8000-000000000000", headers=public(keys)
    )
    bad_cursor = await client.get(f"{PUBLIC}/descriptions", params={"cursor": "not-a-cursor"}, headers=public(keys))
    bad_id = await client.get(f"{PUBLIC}/offices/not-an-id", headers=public(keys))
    unsigned = await client.get(f"{PUBLIC}/offices")
    written = await client.post(f"{PUBLIC}/offices", json=BUERGERBUERO, headers=editor(keys, "artland"))

    problems = (unknown_tenant, unknown_description, bad_cursor, bad_id, unsigned)
    assert [response.status_code for response in problems] == [404, 404, 422, 422, 401]
    for response in problems:
        assert response.headers["Content-Type"] == PROBLEM_JSON
        assert response.headers["Cache-Control"] == "no-store"
        assert "ETag" not in response.headers
    assert unknown_tenant.json()["detail"] == "No such tenant."
    assert (written.status_code, written.headers["Allow"]) == (405, "GET")
