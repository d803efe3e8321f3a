"""Descriptions: the host keeps a shared base, municipalities supplement it or keep their own, agents see the merge."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys

from .support import BULKY_WASTE, PASSPORT, admin_rows, agent, editor, operator, published, tenant_admin

BASE = "/v1/knowledge/base/descriptions"
ARTLAND = "/v1/tenants/artland/knowledge/descriptions"
MUENCHEN = "/v1/tenants/muenchen/knowledge/descriptions"


async def test_agents_see_the_shared_text_with_their_municipalitys_supplement(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    passport = await published(client, BASE, PASSPORT, editor(keys))
    supplement = {"content": {"modules": {"procedure": "Termin im Bürgerbüro Quakenbrück."}, "synonyms": ["Perso"]}}

    written = await client.put(f"{ARTLAND}/{passport}/supplement", json=supplement, headers=editor(keys, "artland"))
    moved = await client.put(
        f"{ARTLAND}/{passport}/supplement/status",
        json={"status": "published"},
        headers=editor(keys, "artland") | {"If-Match": written.headers["ETag"]},
    )
    in_artland = (await client.get(f"{ARTLAND}/{passport}", headers=agent(keys, "artland"))).json()
    in_muenchen = (await client.get(f"{MUENCHEN}/{passport}", headers=agent(keys, "muenchen"))).json()

    assert (written.status_code, moved.status_code) == (201, 200)
    assert in_artland["modules"]["procedure"] == "Termin im Bürgerbüro Quakenbrück."
    assert in_artland["origins"]["modules.procedure"] == "supplement"
    assert in_artland["origins"]["modules.full_text"] == "base"
    assert in_artland["synonyms"] == ["Pass", "Perso"]
    assert in_muenchen["modules"]["procedure"] == "Termin vereinbaren."
    assert in_muenchen["origins"]["modules.procedure"] == "base"


async def test_a_municipalitys_own_description_is_invisible_to_others(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    own = await published(client, ARTLAND, BULKY_WASTE, editor(keys, "artland"))

    listed = await client.get(ARTLAND, headers=agent(keys, "artland"))
    elsewhere = await client.get(MUENCHEN, headers=agent(keys, "muenchen"))
    peeked = await client.get(f"{MUENCHEN}/{own}", headers=agent(keys, "muenchen"))

    assert [item["name"] for item in listed.json()["items"]] == ["Sperrmüll anmelden"]
    assert listed.json()["items"][0]["origins"]["name"] == "local"
    assert elsewhere.json()["items"] == []
    assert peeked.status_code == 404


async def test_edits_keep_the_published_text_until_the_next_ispublished(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    own = await published(client, ARTLAND, BULKY_WASTE, editor(keys, "artland"))
    changed = {"content": {"name": "Sperrmüll und Elektroschrott anmelden"}}

    edited = await client.patch(
        f"{ARTLAND}/{own}", json=changed, headers=tenant_admin(keys, "artland") | {"If-Match": '"2"'}
    )
    seen = await client.get(f"{ARTLAND}/{own}", headers=agent(keys, "artland"))
    publish_own = await client.put(
        f"{ARTLAND}/{own}/status",
        json={"status": "published"},
        headers=tenant_admin(keys, "artland") | {"If-Match": '"3"'},
    )
    versions = await client.get(f"{ARTLAND}/{own}/versions", headers=editor(keys, "artland"))

    assert (edited.status_code, edited.json()["status"], edited.json()["version"]) == (200, "review", 3)
    assert seen.json()["name"] == "Sperrmüll anmelden"
    assert publish_own.status_code == 403
    assert [(v["version"], v["status"]) for v in versions.json()["items"]] == [
        (3, "review"),
        (2, "published"),
        (1, "draft"),
    ]
    assert versions.json()["items"][0]["changed_by"] == "test-user"
    rows = await admin_rows(
        scratch, "SELECT count(*) AS n FROM tenant_description_versions WHERE tenant_id = 'artland'"
    )
    assert rows[0]["n"] == 3


async def test_only_the_hosts_editors_keep_the_shared_base(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    by_partner_editor = await client.post(BASE, json=PASSPORT, headers=editor(keys, "artland"))
    by_admin = await client.post(BASE, json=PASSPORT, headers=tenant_admin(keys, "oldenburg"))
    by_operator = await client.post(BASE, json=PASSPORT, headers=operator(keys))

    assert (by_partner_editor.status_code, by_admin.status_code, by_operator.status_code) == (403, 403, 201)


async def test_stale_and_missing_versions_are_refused(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    passport = await published(client, BASE, PASSPORT, editor(keys))
    path = f"{BASE}/{passport}"

    stale = await client.patch(path, json={"review_due": "2027-06-30"}, headers=editor(keys) | {"If-Match": '"1"'})
    missing = await client.patch(path, json={"review_due": "2027-06-30"}, headers=editor(keys))
    backwards = await client.put(f"{path}/status", json={"status": "draft"}, headers=editor(keys) | {"If-Match": '"2"'})

    assert (stale.status_code, missing.status_code, backwards.status_code) == (412, 428, 409)
    assert stale.headers["content-type"] == "application/problem+json"


async def test_bad_input_is_named(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    bad_key = await client.post(BASE, json={**PASSPORT, "leika_key": "9908500101"}, headers=editor(keys))
    bad_fee = await client.post(
        ARTLAND,
        json={"content": {"name": "Hundesteuer", "fees": [{"label": "Steuer", "amount_eur": "-1"}]}},
        headers=editor(keys, "artland"),
    )
    unknown_tenant = await client.get("/v1/tenants/nowhere/knowledge/descriptions", headers=agent(keys, "nowhere"))
    await client.post(BASE, json=PASSPORT, headers=editor(keys))
    twice = await client.post(BASE, json=PASSPORT, headers=editor(keys))

    assert (bad_key.status_code, bad_key.json()["errors"][0]["field"]) == (422, "leika_key")
    assert (bad_fee.status_code, bad_fee.json()["errors"][0]["field"]) == (422, "content.fees.0.amount_eur")
    assert unknown_tenant.status_code == 404
    assert (twice.status_code, twice.json()["errors"][0]["field"]) == (409, "leika_key")


async def test_supplements_are_per_tenant_and_shared_texts_are_not_edited_through_a_tenant(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    passport = await published(client, BASE, PASSPORT, editor(keys))
    supplement = {"content": {"modules": {"notes": "Nur mit Termin"}}}
    written = await client.put(f"{ARTLAND}/{passport}/supplement", json=supplement, headers=editor(keys, "artland"))

    through_tenant = await client.patch(
        f"{ARTLAND}/{passport}",
        json={"review_due": "2027-01-01"},
        headers=editor(keys, "artland") | {"If-Match": '"2"'},
    )
    muenchens = await client.get(f"{MUENCHEN}/{passport}/supplement", headers=editor(keys, "muenchen"))

    assert written.status_code == 201
    assert through_tenant.status_code == 409
    assert muenchens.status_code == 404


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("GET", "/working", None),
        ("PATCH", "", {"review_due": "2027-01-01"}),
        ("PUT", "/status", {"status": "archived"}),
        ("GET", "/versions", None),
    ],
)
async def test_another_tenant_cannot_touch_a_municipalitys_own_description(
    client: httpx.AsyncClient, keys: SigningKeys, method: str, suffix: str, body: dict[str, Any] | None
) -> None:
    own = await published(client, ARTLAND, BULKY_WASTE, editor(keys, "artland"))
    headers = editor(keys, "muenchen") | {"If-Match": "*"}

    through_own_url = await client.request(method, f"{MUENCHEN}/{own}{suffix}", json=body, headers=headers)
    through_artlands_url = await client.request(method, f"{ARTLAND}/{own}{suffix}", json=body, headers=headers)

    assert (through_own_url.status_code, through_artlands_url.status_code) == (404, 404)


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "/supplement", None),
        ("PUT", "/supplement", {"content": {"synonyms": ["Pass"]}}),
        ("PUT", "/supplement/status", {"status": "archived"}),
        ("GET", "/supplement/versions", None),
    ],
)
async def test_another_tenant_cannot_touch_a_municipalitys_supplement(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase, method: str, suffix: str, body: Any
) -> None:
    passport = await published(client, BASE, PASSPORT, editor(keys))
    written = await client.put(
        f"{ARTLAND}/{passport}/supplement", json={"content": {"synonyms": ["Perso"]}}, headers=editor(keys, "artland")
    )
    assert written.status_code == 201

    through_artlands_url = await client.request(
        method, f"{ARTLAND}/{passport}{suffix}", json=body, headers=editor(keys, "muenchen") | {"If-Match": "*"}
    )
    rows = await admin_rows(scratch, "SELECT tenant_id, content FROM tenant_descriptions")

    assert through_artlands_url.status_code == 404
    assert [(r["tenant_id"], r["content"]) for r in rows] == [("artland", '{"synonyms": ["Perso"]}')]


async def test_an_archived_description_stays_withdrawn_when_it_is_restored_or_edited(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    own = await published(client, ARTLAND, BULKY_WASTE, editor(keys, "artland"))
    headers = editor(keys, "artland")

    archived = await client.put(
        f"{ARTLAND}/{own}/status", json={"status": "archived"}, headers=headers | {"If-Match": '"2"'}
    )
    restored = await client.put(
        f"{ARTLAND}/{own}/status", json={"status": "draft"}, headers=headers | {"If-Match": '"3"'}
    )
    seen = await client.get(f"{ARTLAND}/{own}", headers=agent(keys, "artland"))
    listed = await client.get(ARTLAND, headers=agent(keys, "artland"))

    assert (archived.status_code, archived.json()["published_version"]) == (200, None)
    assert (restored.status_code, restored.json()["status"]) == (200, "draft")
    assert seen.status_code == 404
    assert listed.json()["items"] == []


async def test_working_texts_of_the_shared_base_are_for_their_writers(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    passport = await published(client, BASE, PASSPORT, editor(keys))

    by_agent = await client.get(f"{BASE}/{passport}", headers=agent(keys, "artland"))
    history_by_agent = await client.get(f"{BASE}/{passport}/versions", headers=agent(keys, "artland"))
    by_partner_admin = await client.get(f"{BASE}/{passport}", headers=tenant_admin(keys, "artland"))

    assert (by_agent.status_code, history_by_agent.status_code) == (403, 403)
    assert (by_partner_admin.status_code, by_partner_admin.json()["status"]) == (200, "published")
