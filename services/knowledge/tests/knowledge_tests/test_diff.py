"""Comparing versions: texts as line diffs, structured parts as values, through every layer's history."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from kit.testing.keys import SigningKeys
from knowledge.description.diff import compare

from .support import agent, editor, tenant_admin

BASE = "/v1/knowledge/base/descriptions"
ARTLAND = "/v1/tenants/artland/knowledge/descriptions"
MUENCHEN = "/v1/tenants/muenchen/knowledge/descriptions"
PASSPORT: dict[str, Any] = {
    "name": "Reisepass beantragen",
    "modules": {
        "full_text": "Einen Reisepass beantragen Sie persönlich.\nBringen Sie ein Passbild mit.",
        "procedure": "Termin vereinbaren.",
    },
    "fees": [{"label": "Reisepass (ab 24 Jahren)", "amount_eur": "70.00"}],
    "synonyms": ["Pass"],
    "source": "FIM Stammtext",
}


# The function


def test_a_changed_text_module_is_a_line_diff() -> None:
    after = {**PASSPORT, "modules": {**PASSPORT["modules"], "full_text": PASSPORT["modules"]["full_text"] + "\nNeu."}}

    [change] = compare(PASSPORT, after)

    assert (change.path, change.kind, change.before, change.after) == ("modules.full_text", "changed", None, None)
    assert change.diff == [
        "--- a/modules.full_text",
        "+++ b/modules.full_text",
        "@@ -1,2 +1,3 @@",
        " Einen Reisepass beantragen Sie persönlich.",
        " Bringen Sie ein Passbild mit.",
        "+Neu.",
    ]


def test_structured_parts_show_their_values_and_parts_come_in_the_order_of_the_form() -> None:
    after = {
        "name": "Reisepass beantragen oder verlängern",
        "modules": {"full_text": PASSPORT["modules"]["full_text"], "notes": "Nur mit Termin."},
        "fees": [{"label": "Reisepass (ab 24 Jahren)", "amount_eur": "70.00"}],
        "synonyms": ["Pass", "Reisepass"],
        "processing_time": {"min_days": 21, "max_days": 42},
    }

    changes = compare(PASSPORT, after)

    assert [(c.path, c.kind) for c in changes] == [
        ("name", "changed"),
        ("modules.procedure", "removed"),
        ("modules.notes", "added"),
        ("processing_time", "added"),
        ("synonyms", "changed"),
        ("source", "removed"),
    ]
    assert (changes[1].diff or [])[-1] == "-Termin vereinbaren."
    assert (changes[2].diff or [])[-1] == "+Nur mit Termin."
    assert (changes[3].before, changes[3].after) == (None, {"min_days": 21, "max_days": 42})
    assert (changes[4].before, changes[4].after) == (["Pass"], ["Pass", "Reisepass"])


def test_equal_contents_have_no_changes_and_a_line_end_change_shows_the_values() -> None:
    with_newline = {"name": "Hundesteuer", "modules": {"notes": "Jährlich.\n"}}

    [change] = compare({"name": "Hundesteuer", "modules": {"notes": "Jährlich."}}, with_newline)

    assert compare(PASSPORT, dict(PASSPORT)) == []
    assert (change.diff, change.before, change.after) == (None, "Jährlich.", "Jährlich.\n")


def test_a_part_the_content_model_does_not_know_still_shows_last() -> None:
    changes = compare({"name": "A", "legacy": 1}, {"name": "B", "legacy": 2})

    assert [(c.path, c.before, c.after) for c in changes] == [("name", None, None), ("legacy", 1, 2)]


# Through the API


async def _versions_of_passport(client: httpx.AsyncClient, keys: SigningKeys) -> str:
    """A shared description at version 3: created, published, then its procedure and fee changed."""
    created = await client.post(BASE, json={"content": PASSPORT}, headers=editor(keys))
    description = str(created.json()["id"])
    await client.put(
        f"{BASE}/{description}/status", json={"status": "published"}, headers=editor(keys) | {"If-Match": '"1"'}
    )
    changed = {
        **PASSPORT,
        "modules": {**PASSPORT["modules"], "procedure": "Termin online vereinbaren."},
        "fees": [
            {"label": "Reisepass (ab 24 Jahren)", "amount_eur": "70.00"},
            {"label": "Express", "amount_eur": "32"},
        ],
    }
    edited = await client.patch(
        f"{BASE}/{description}", json={"content": changed}, headers=editor(keys) | {"If-Match": '"2"'}
    )
    assert edited.status_code == 200, edited.text
    return description


async def test_the_latest_change_of_a_shared_description_by_default(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    passport = await _versions_of_passport(client, keys)

    latest = await client.get(f"{BASE}/{passport}/diff", headers=tenant_admin(keys, "artland"))
    publishing = await client.get(f"{BASE}/{passport}/diff?from=1&to=2", headers=editor(keys))
    first = await client.get(f"{BASE}/{passport}/diff?to=1", headers=editor(keys))

    body = latest.json()
    assert latest.status_code == 200
    assert (body["from_version"]["version"], body["to_version"]["version"]) == (2, 3)
    assert (body["from_version"]["status"], body["to_version"]["status"]) == ("published", "draft")
    assert [(c["path"], c["kind"]) for c in body["changes"]] == [("modules.procedure", "changed"), ("fees", "changed")]
    assert body["changes"][0]["diff"][-2:] == ["-Termin vereinbaren.", "+Termin online vereinbaren."]
    assert len(body["changes"][1]["after"]) == 2
    assert publishing.json()["changes"] == []
    assert first.json()["from_version"] is None
    assert {c["kind"] for c in first.json()["changes"]} == {"added"}


async def test_an_unknown_version_is_named(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    passport = await _versions_of_passport(client, keys)

    unknown_to = await client.get(f"{BASE}/{passport}/diff?to=7", headers=editor(keys))
    unknown_from = await client.get(f"{BASE}/{passport}/diff?from=9&to=3", headers=editor(keys))
    zero = await client.get(f"{BASE}/{passport}/diff?from=0", headers=editor(keys))

    assert (unknown_to.status_code, unknown_to.headers["content-type"]) == (404, "application/problem+json")
    assert (unknown_to.json()["version"], unknown_to.json()["errors"][0]["field"]) == (7, "to")
    assert "version 7" in unknown_to.json()["detail"]
    assert (unknown_from.status_code, unknown_from.json()["errors"][0]["field"]) == (404, "from")
    assert (zero.status_code, zero.json()["errors"][0]["field"]) == (422, "from")


async def test_own_descriptions_and_supplements_compare_their_own_versions(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    passport = await _versions_of_passport(client, keys)
    headers = editor(keys, "artland")
    own = (await client.post(ARTLAND, json={"content": {"name": "Sperrmüll anmelden"}}, headers=headers)).json()
    await client.patch(
        f"{ARTLAND}/{own['id']}",
        json={"content": {"name": "Sperrmüll anmelden", "synonyms": ["Sperrmüllkarte"]}},
        headers=headers | {"If-Match": '"1"'},
    )
    await client.put(f"{ARTLAND}/{passport}/supplement", json={"content": {"synonyms": ["Perso"]}}, headers=headers)
    await client.put(
        f"{ARTLAND}/{passport}/supplement",
        json={"content": {"modules": {"notes": "Nur im Bürgerbüro Quakenbrück."}}},
        headers=headers | {"If-Match": '"1"'},
    )

    own_diff = await client.get(f"{ARTLAND}/{own['id']}/diff", headers=headers)
    supplement_diff = await client.get(f"{ARTLAND}/{passport}/supplement/diff", headers=tenant_admin(keys, "artland"))
    shared_through_tenant = await client.get(f"{ARTLAND}/{passport}/diff", headers=headers)

    assert [(c["path"], c["kind"], c["after"]) for c in own_diff.json()["changes"]] == [
        ("synonyms", "added", ["Sperrmüllkarte"])
    ]
    assert [(c["path"], c["kind"]) for c in supplement_diff.json()["changes"]] == [
        ("modules.notes", "added"),
        ("synonyms", "removed"),
    ]
    assert shared_through_tenant.status_code == 404


@pytest.mark.parametrize("suffix", ["/diff", "/supplement/diff"])
async def test_another_tenant_cannot_compare_a_municipalitys_versions(
    client: httpx.AsyncClient, keys: SigningKeys, suffix: str
) -> None:
    passport = await _versions_of_passport(client, keys)
    headers = editor(keys, "artland")
    own = (await client.post(ARTLAND, json={"content": {"name": "Sperrmüll anmelden"}}, headers=headers)).json()
    await client.put(f"{ARTLAND}/{passport}/supplement", json={"content": {"synonyms": ["Perso"]}}, headers=headers)
    target = own["id"] if suffix == "/diff" else passport

    through_artlands_url = await client.get(f"{ARTLAND}/{target}{suffix}", headers=editor(keys, "muenchen"))
    through_own_url = await client.get(f"{MUENCHEN}/{target}{suffix}", headers=editor(keys, "muenchen"))

    assert (through_artlands_url.status_code, through_own_url.status_code) == (404, 404)


async def test_agents_do_not_compare_working_texts(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    passport = await _versions_of_passport(client, keys)
    own = (
        await client.post(ARTLAND, json={"content": {"name": "Sperrmüll anmelden"}}, headers=editor(keys, "artland"))
    ).json()

    shared = await client.get(f"{BASE}/{passport}/diff", headers=agent(keys, "artland"))
    own_diff = await client.get(f"{ARTLAND}/{own['id']}/diff", headers=agent(keys, "artland"))
    supplement = await client.get(f"{ARTLAND}/{passport}/supplement/diff", headers=agent(keys, "artland"))

    assert (shared.status_code, own_diff.status_code, supplement.status_code) == (403, 403, 403)
