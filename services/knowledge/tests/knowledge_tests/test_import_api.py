"""XZuFi imports: a municipality's editorial system writes its descriptions, offices and responsibilities."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys
from knowledge.exchange import repository

from .support import admin_rows, agent, editor, operator, tenant_admin
from .xzufi_files import leistung, loesche, organisationseinheit, sample, text_module, transfer

IMPORTS = "/v1/tenants/artland/knowledge/imports"
ARTLAND = "/v1/tenants/artland/knowledge"
XML = {"Content-Type": "application/xml"}
SAMPLE_REPORT = {
    "dry_run": False,
    "descriptions": {"created": 3, "updated": 0, "deleted": 0, "unchanged": 1},
    "offices": {"created": 2, "updated": 0, "deleted": 0, "unchanged": 0},
    "responsibilities": {"created": 3, "updated": 0, "deleted": 0, "unchanged": 0},
}


async def _import(
    client: httpx.AsyncClient, keys: SigningKeys, data: bytes, *, tenant: str = "artland", query: str = ""
) -> httpx.Response:
    path = f"/v1/tenants/{tenant}/knowledge/imports{query}"
    return await client.post(path, content=data, headers=editor(keys, tenant) | XML)


async def _imported(scratch: ScratchDatabase, table: str = "tenant_descriptions") -> dict[str, Any]:
    """Rows an import wrote, by external id, as the superuser sees them."""
    rows = await admin_rows(scratch, f"SELECT * FROM {table} WHERE external_id IS NOT NULL")
    return {row["external_id"]: dict(row) for row in rows}


async def _version_count(scratch: ScratchDatabase) -> int:
    rows = await admin_rows(scratch, "SELECT count(*) AS n FROM tenant_description_versions")
    return int(rows[0]["n"])


async def test_an_import_publishes_descriptions_offices_and_responsibilities_for_agents(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    imported = await _import(client, keys, sample())
    descriptions = await _imported(scratch)
    offices = await _imported(scratch, "offices")
    passport = descriptions["L100040_1001"]["id"]

    seen = await client.get(f"{ARTLAND}/descriptions/{passport}", headers=agent(keys, "artland"))
    listed = await client.get(f"{ARTLAND}/descriptions", headers=agent(keys, "artland"))

    assert (imported.status_code, imported.json()) == (200, SAMPLE_REPORT)
    assert seen.status_code == 200
    assert (seen.json()["name"], seen.json()["leika_key"]) == ("Reisepass beantragen", "99085001012000")
    assert seen.json()["fees"][0] == {"label": "Reisepass für Personen ab 24 Jahren", "amount_eur": "70.00"}
    assert seen.json()["origins"]["modules.procedure"] == "local"
    assert [office["name"] for office in seen.json()["offices"]] == ["Bürgerbüro Quakenbrück"]
    assert sorted(item["name"] for item in listed.json()["items"]) == [
        "Personalausweis beantragen",
        "Reisepass beantragen",
        "Sperrmüll anmelden",
    ]
    assert {row["status"] for row in descriptions.values()} == {"published"}
    assert (descriptions["L100040_1001"]["version"], descriptions["L100040_1001"]["updated_by"]) == (
        1,
        "editor-meyer",
    )
    assert offices["O100040_2001"]["opening_hours_note"] == "Termine nach Vereinbarung"
    assert await _version_count(scratch) == 3


async def test_importing_the_same_file_again_changes_nothing(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    await _import(client, keys, sample())
    before = (await _imported(scratch), await _imported(scratch, "offices"), await _version_count(scratch))

    again = await _import(client, keys, sample())
    after = (await _imported(scratch), await _imported(scratch, "offices"), await _version_count(scratch))

    assert again.status_code == 200
    assert again.json() == {
        "dry_run": False,
        "descriptions": {"created": 0, "updated": 0, "deleted": 0, "unchanged": 4},
        "offices": {"created": 0, "updated": 0, "deleted": 0, "unchanged": 2},
        "responsibilities": {"created": 0, "updated": 0, "deleted": 0, "unchanged": 3},
    }
    assert after == before


async def test_a_changed_text_is_published_as_a_new_version_and_the_rest_stays_untouched(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    await _import(client, keys, sample())
    changed = sample().replace("persönlich im Bürgerbüro.".encode(), "persönlich, nur mit Termin.".encode())

    answer = await _import(client, keys, changed)
    rows = await _imported(scratch)
    versions = await admin_rows(
        scratch,
        "SELECT version, status FROM tenant_description_versions WHERE description_id = $1 ORDER BY version",
        rows["L100040_1001"]["id"],
    )

    assert answer.json()["descriptions"] == {"created": 0, "updated": 1, "deleted": 0, "unchanged": 3}
    assert json.loads(rows["L100040_1001"]["published_content"])["modules"]["full_text"].endswith("mit Termin.")
    assert (rows["L100040_1001"]["version"], rows["L100040_1001"]["published_version"]) == (2, 2)
    assert [(v["version"], v["status"]) for v in versions] == [(1, "published"), (2, "published")]
    assert rows["L100040_1002"]["version"] == 1


async def test_deletions_withdraw_descriptions_and_remove_offices_with_their_responsibilities(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    await _import(client, keys, sample())
    passport = (await _imported(scratch))["L100040_1001"]["id"]

    answer = await _import(
        client, keys, transfer(loesche("Leistung", "L100040_1001"), loesche("Organisationseinheit", "O100040_2002"))
    )
    seen = await client.get(f"{ARTLAND}/descriptions/{passport}", headers=agent(keys, "artland"))
    rows = await _imported(scratch)
    pairs = await admin_rows(scratch, "SELECT count(*) AS n FROM responsibilities")
    again = await _import(
        client, keys, transfer(loesche("Leistung", "L100040_1001"), loesche("Organisationseinheit", "O100040_2002"))
    )

    assert answer.json()["descriptions"] == {"created": 0, "updated": 0, "deleted": 1, "unchanged": 0}
    assert answer.json()["offices"] == {"created": 0, "updated": 0, "deleted": 1, "unchanged": 0}
    assert answer.json()["responsibilities"] == {"created": 0, "updated": 0, "deleted": 2, "unchanged": 0}
    assert seen.status_code == 404
    assert (rows["L100040_1001"]["status"], rows["L100040_1001"]["published_content"]) == ("archived", None)
    assert "O100040_2002" not in await _imported(scratch, "offices")
    assert pairs[0]["n"] == 1
    assert again.json()["descriptions"]["unchanged"] == again.json()["offices"]["unchanged"] == 1


async def test_an_office_sent_again_brings_its_whole_list_of_responsibilities_and_keeps_those_given_by_hand(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    await _import(client, keys, sample())
    office = (await _imported(scratch, "offices"))["O100040_2001"]["id"]
    shared = await admin_rows(
        scratch,
        "INSERT INTO base_descriptions (id, content, status, version, updated_by, published_content) "
        "VALUES (gen_random_uuid(), '{\"name\": \"Wohngeld\"}', 'published', 1, 'test', '{\"name\": \"Wohngeld\"}') "
        "RETURNING id",
    )
    by_hand = await client.put(
        f"{ARTLAND}/offices/{office}/descriptions/{shared[0]['id']}", headers=editor(keys, "artland")
    )

    answer = await _import(
        client, keys, transfer(organisationseinheit("O100040_2001", "Bürgerbüro Quakenbrück", "L100040_1001"))
    )
    handled = await client.get(f"{ARTLAND}/offices/{office}/descriptions", headers=agent(keys, "artland"))
    passport = (await _imported(scratch))["L100040_1001"]["id"]

    assert by_hand.status_code == 204
    assert answer.json()["offices"]["updated"] == 1
    assert answer.json()["responsibilities"] == {"created": 0, "updated": 0, "deleted": 1, "unchanged": 1}
    assert {item["description_id"] for item in handled.json()["items"]} == {str(passport), str(shared[0]["id"])}


async def test_a_dry_run_reports_without_writing(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    answer = await _import(client, keys, sample(), query="?dry_run=true")

    assert answer.status_code == 200
    assert answer.json() == SAMPLE_REPORT | {"dry_run": True}
    assert await _imported(scratch) == {}
    assert await _imported(scratch, "offices") == {}


async def test_a_bad_element_late_in_the_file_leaves_nothing_written(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    many = [leistung(f"L{n}", f"Leistung Nummer {n}") for n in range(50)]
    bad = leistung("L99", "Reisepass beantragen", leika="990850010120")

    answer = await _import(client, keys, transfer(*many, bad))

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == "/xzufi.transfer.operation.040102/schreibe[51]/leistung/referenzLeiKa"
    assert answer.json()["errors"][0]["line"] == 53
    assert await _imported(scratch) == {}


async def test_a_failure_while_writing_rolls_back_everything_written_before(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(repository, "insert_pairs", broken)

    with pytest.raises(RuntimeError, match="went away"):
        await _import(client, keys, sample())

    assert await _imported(scratch) == {}
    assert await _imported(scratch, "offices") == {}
    assert await _version_count(scratch) == 0


async def test_malformed_xml_and_wrong_structures_are_named(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    broken = await _import(client, keys, sample().replace(b"</xzufi:strasse>", b"</xzufi:strase>"))
    unknown = await _import(client, keys, transfer(organisationseinheit("O1", "Bürgerbüro", "L404")))
    as_json = await client.post(
        IMPORTS, content=sample(), headers=editor(keys, "artland") | {"Content-Type": "application/json"}
    )

    assert broken.status_code == 422
    assert broken.json()["errors"][0]["field"].endswith("/schreibe[4]/organisationseinheit/anschrift[2]/strasse")
    assert broken.json()["errors"][0]["line"] == 138
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"].endswith("/schreibe/organisationseinheit/zustaendigkeit")
    assert "L404" in unknown.json()["detail"]
    assert as_json.status_code == 415


async def test_a_leika_key_or_office_name_kept_by_hand_is_a_conflict(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    own = {"leika_key": "99085001012000", "content": {"name": "Reisepass"}}
    created = await client.post(f"{ARTLAND}/descriptions", json=own, headers=editor(keys, "artland"))
    office = await client.post(
        f"{ARTLAND}/offices", json={"name": "Fachdienst Abfallwirtschaft"}, headers=editor(keys, "artland")
    )

    key_taken = await _import(client, keys, sample())
    name_taken = await _import(client, keys, transfer(organisationseinheit("O1", "Fachdienst Abfallwirtschaft")))

    assert (created.status_code, office.status_code) == (201, 201)
    assert key_taken.status_code == 409
    assert key_taken.json()["errors"][0]["field"].endswith("/schreibe[1]/leistung")
    assert name_taken.status_code == 409


async def test_another_municipality_cannot_see_or_import_into_imported_knowledge(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    await _import(client, keys, sample())
    passport = (await _imported(scratch))["L100040_1001"]["id"]

    peeked = await client.get(
        f"/v1/tenants/muenchen/knowledge/descriptions/{passport}", headers=agent(keys, "muenchen")
    )
    through_artland = await client.get(f"{ARTLAND}/descriptions/{passport}", headers=agent(keys, "muenchen"))
    listed = await client.get("/v1/tenants/muenchen/knowledge/descriptions", headers=agent(keys, "muenchen"))
    offices = await client.get("/v1/tenants/muenchen/knowledge/offices", headers=agent(keys, "muenchen"))
    into_artland = await client.post(IMPORTS, content=sample(), headers=editor(keys, "muenchen") | XML)
    own = await _import(client, keys, sample(), tenant="muenchen")

    assert (peeked.status_code, through_artland.status_code, into_artland.status_code) == (404, 404, 404)
    assert (listed.json()["items"], offices.json()["items"]) == ([], [])
    assert own.json()["descriptions"]["created"] == 3


@pytest.mark.parametrize(
    ("who", "status"),
    [("tenant_admin", 200), ("knowledge_editor", 200), ("operator", 200), ("agent", 403), ("back_office", 403)],
)
async def test_editors_admins_and_operators_import_agents_do_not(
    client: httpx.AsyncClient, keys: SigningKeys, who: str, status: int
) -> None:
    headers = {
        "tenant_admin": tenant_admin(keys, "artland"),
        "knowledge_editor": editor(keys, "artland"),
        "operator": operator(keys, "artland"),
        "agent": agent(keys, "artland"),
        "back_office": keys.headers_for("artland", "back_office"),
    }[who]

    answer = await client.post(
        IMPORTS,
        content=transfer(leistung("L1", "Fundsache melden", text_module("05", "Fund abgeben"))),
        headers=headers | XML,
    )

    assert answer.status_code == status


async def test_imported_descriptions_are_found_at_once_and_their_changes_announced(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    await _import(client, keys, transfer(leistung("L1", "Saisonkarte Hallenbad Quakenbrück")))
    search = f"{ARTLAND}/search"
    found = await client.get(search, params={"q": "Hallenbad"}, headers=agent(keys, "artland"))
    await _import(client, keys, transfer(leistung("L1", "Saisonkarte Freibad Quakenbrück")))
    renamed = await client.get(search, params={"q": "Freibad"}, headers=agent(keys, "artland"))
    await _import(client, keys, transfer(loesche("Leistung", "L1")))
    gone = await client.get(search, params={"q": "Freibad"}, headers=agent(keys, "artland"))

    assert [hit["name"] for hit in found.json()["items"]] == ["Saisonkarte Hallenbad Quakenbrück"]
    assert [hit["name"] for hit in renamed.json()["items"]] == ["Saisonkarte Freibad Quakenbrück"]
    assert gone.json()["items"] == []
    rows = await admin_rows(scratch, "SELECT subject, payload FROM outbox ORDER BY id")
    assert [(row["subject"], json.loads(row["payload"])["data"]["name"]) for row in rows] == [
        ("knowledge.artland.description.published.v1", "Saisonkarte Hallenbad Quakenbrück"),
        ("knowledge.artland.description.updated.v1", "Saisonkarte Freibad Quakenbrück"),
        ("knowledge.artland.description.archived.v1", "Saisonkarte Freibad Quakenbrück"),
    ]
