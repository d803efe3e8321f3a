"""The export: a municipality's published knowledge in one document, as its agents see it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from kit.testing.keys import SigningKeys

from .support import agent, editor, operator, tenant_admin
from .xzufi_files import sample

EXPORT = "/v1/tenants/artland/knowledge/export"
BASE = "/v1/knowledge/base/descriptions"
ARTLAND = "/v1/tenants/artland/knowledge"


async def _published(client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> str:
    created = await client.post(path, json=body, headers=headers)
    moved = await client.put(
        f"{path}/{created.json()['id']}/status", json={"status": "published"}, headers=headers | {"If-Match": '"1"'}
    )
    assert moved.status_code == 200, moved.text
    return str(created.json()["id"])


async def _artland_with_knowledge(client: httpx.AsyncClient, keys: SigningKeys) -> dict[str, str]:
    """Artland's imported sample, a shared description with Artland's supplement, and a draft of its own."""
    imported = await client.post(
        f"{ARTLAND}/imports", content=sample(), headers=editor(keys, "artland") | {"Content-Type": "application/xml"}
    )
    assert imported.status_code == 200, imported.text
    housing = await _published(
        client, BASE, {"content": {"name": "Wohngeld beantragen", "synonyms": ["Mietzuschuss"]}}, editor(keys)
    )
    supplement = {"content": {"modules": {"procedure": "Antrag im Rathaus Quakenbrück."}}}
    written = await client.put(
        f"{ARTLAND}/descriptions/{housing}/supplement", json=supplement, headers=editor(keys, "artland")
    )
    await client.put(
        f"{ARTLAND}/descriptions/{housing}/supplement/status",
        json={"status": "published"},
        headers=editor(keys, "artland") | {"If-Match": written.headers["ETag"]},
    )
    draft = await client.post(
        f"{ARTLAND}/descriptions", json={"content": {"name": "Entwurf Hundesteuer"}}, headers=editor(keys, "artland")
    )
    assert draft.status_code == 201
    return {"housing": housing}


async def test_the_export_holds_merged_shared_texts_imported_ones_offices_and_responsibilities(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    ids = await _artland_with_knowledge(client, keys)

    answer = await client.get(EXPORT, headers=agent(keys, "artland"))
    body = answer.json()
    by_name = {item["name"]: item for item in body["descriptions"]}
    offices = {office["name"]: office for office in body["offices"]}

    assert answer.status_code == 200
    assert body["tenant_id"] == "artland"
    assert sorted(by_name) == [
        "Personalausweis beantragen",
        "Reisepass beantragen",
        "Sperrmüll anmelden",
        "Wohngeld beantragen",
    ]
    assert by_name["Wohngeld beantragen"]["id"] == ids["housing"]
    assert (by_name["Wohngeld beantragen"]["layer"], by_name["Wohngeld beantragen"]["external_id"]) == ("shared", None)
    assert by_name["Wohngeld beantragen"]["modules"]["procedure"] == "Antrag im Rathaus Quakenbrück."
    assert by_name["Wohngeld beantragen"]["origins"]["modules.procedure"] == "supplement"
    assert (by_name["Reisepass beantragen"]["layer"], by_name["Reisepass beantragen"]["external_id"]) == (
        "local",
        "L100040_1001",
    )
    assert offices["Bürgerbüro Quakenbrück"]["external_id"] == "O100040_2001"
    assert offices["Bürgerbüro Quakenbrück"]["address"]["street"] == "Schiphorst 65"
    pairs = {(item["office_id"], item["description_id"]) for item in body["responsibilities"]}
    assert pairs == {
        (offices["Bürgerbüro Quakenbrück"]["id"], by_name["Reisepass beantragen"]["id"]),
        (offices["Bürgerbüro Quakenbrück"]["id"], by_name["Personalausweis beantragen"]["id"]),
        (offices["Fachdienst Abfallwirtschaft"]["id"], by_name["Sperrmüll anmelden"]["id"]),
    }


async def test_another_municipality_exports_only_its_own_and_the_shared_knowledge(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    await _artland_with_knowledge(client, keys)

    muenchen = await client.get("/v1/tenants/muenchen/knowledge/export", headers=agent(keys, "muenchen"))
    through_artland = await client.get(EXPORT, headers=agent(keys, "muenchen"))

    assert muenchen.status_code == 200
    assert [(item["name"], item["origins"].get("modules.procedure")) for item in muenchen.json()["descriptions"]] == [
        ("Wohngeld beantragen", None)
    ]
    assert (muenchen.json()["offices"], muenchen.json()["responsibilities"]) == ([], [])
    assert through_artland.status_code == 404


@pytest.mark.parametrize(
    ("role", "status"),
    [("agent", 200), ("knowledge_editor", 200), ("tenant_admin", 200), ("operator", 200), ("back_office", 403)],
)
async def test_agents_editors_admins_and_operators_export(
    client: httpx.AsyncClient, keys: SigningKeys, role: str, status: int
) -> None:
    headers = {
        "agent": agent(keys, "artland"),
        "knowledge_editor": editor(keys, "artland"),
        "tenant_admin": tenant_admin(keys, "artland"),
        "operator": operator(keys, "artland"),
        "back_office": keys.headers_for("artland", "back_office"),
    }[role]

    answer = await client.get(EXPORT, headers=headers)

    assert answer.status_code == status
    if status == 200:
        assert answer.json()["descriptions"] == answer.json()["offices"] == []
