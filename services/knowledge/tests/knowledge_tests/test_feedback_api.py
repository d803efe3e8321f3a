"""Agents' feedback on descriptions: given per municipality, listed for its editors, resolved with a note."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys

from .support import admin_rows, agent, editor, operator, tenant_admin

BASE = "/v1/knowledge/base/descriptions"
ARTLAND = "/v1/tenants/artland/knowledge/descriptions"
MUENCHEN = "/v1/tenants/muenchen/knowledge/descriptions"
ARTLAND_QUALITY = "/v1/tenants/artland/knowledge/quality"


async def _published(client: httpx.AsyncClient, path: str, name: str, headers: dict[str, str]) -> str:
    created = await client.post(path, json={"content": {"name": name}}, headers=headers)
    assert created.status_code == 201, created.text
    description = str(created.json()["id"])
    moved = await client.put(
        f"{path}/{description}/status", json={"status": "published"}, headers=headers | {"If-Match": '"1"'}
    )
    assert moved.status_code == 200, moved.text
    return description


async def _given(
    client: httpx.AsyncClient, path: str, description: str, headers: dict[str, str], kind: str, comment: str | None
) -> dict[str, Any]:
    response = await client.post(
        f"{path}/{description}/feedback", json={"kind": kind, "comment": comment}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_agents_report_problems_and_editors_see_the_worst_first(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    passport = await _published(client, BASE, "Reisepass beantragen", editor(keys))
    dog_tax = await _published(client, ARTLAND, "Hundesteuer", editor(keys, "artland"))
    by_agent = agent(keys, "artland")
    first = await _given(client, ARTLAND, passport, by_agent, "outdated", "Gebühr ist jetzt 80 Euro.")
    await _given(client, ARTLAND, passport, by_agent, "wrong", None)
    await _given(client, ARTLAND, passport, by_agent, "helpful", "Hat geholfen.")
    await _given(client, ARTLAND, dog_tax, by_agent, "unclear", "Wer ist befreit?")
    await _given(client, MUENCHEN, passport, agent(keys, "muenchen"), "wrong", "In München anders.")

    quality = await client.get(ARTLAND_QUALITY, headers=editor(keys, "artland"))
    listed = await client.get(f"{ARTLAND}/{passport}/feedback", headers=tenant_admin(keys, "artland"))

    assert (first["kind"], first["given_by"], first["resolved_at"]) == ("outdated", "test-user", None)
    assert quality.status_code == 200, quality.text
    items = quality.json()["items"]
    assert [(i["name"], i["layer"], i["open_problems"]) for i in items] == [
        ("Reisepass beantragen", "shared", 2),
        ("Hundesteuer", "local", 1),
    ]
    assert items[0]["open"] == {"outdated": 1, "wrong": 1, "unclear": 0}
    assert (items[0]["helpful"], items[0]["last_comment"]) == (1, "Hat geholfen.")
    assert [item["kind"] for item in listed.json()["items"]] == ["helpful", "wrong", "outdated"]


async def test_a_resolved_report_leaves_the_open_count(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    passport = await _published(client, BASE, "Reisepass beantragen", editor(keys))
    report = await _given(client, ARTLAND, passport, agent(keys, "artland"), "outdated", "Gebühr ist jetzt 80 Euro.")
    path = f"/v1/tenants/artland/knowledge/feedback/{report['id']}/resolution"

    resolved = await client.put(path, json={"note": "Gebühr angepasst."}, headers=editor(keys, "artland"))
    again = await client.put(path, json={"note": "Gebühr und Express angepasst."}, headers=operator(keys, "artland"))
    quality = await client.get(ARTLAND_QUALITY, headers=editor(keys, "artland"))
    rows = await admin_rows(scratch, "SELECT resolved_by, resolution_note FROM description_feedback")

    assert (resolved.status_code, resolved.json()["resolved_by"]) == (200, "editor-meyer")
    assert (again.status_code, again.json()["resolution_note"]) == (200, "Gebühr und Express angepasst.")
    [item] = quality.json()["items"]
    assert (item["open_problems"], item["last_comment"]) == (0, None)
    assert [(r["resolved_by"], r["resolution_note"]) for r in rows] == [("test-user", "Gebühr und Express angepasst.")]


async def test_feedback_on_a_description_the_municipality_cannot_see_is_refused(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    dog_tax = await _published(client, ARTLAND, "Hundesteuer", editor(keys, "artland"))
    body = {"kind": "wrong"}

    through_own_url = await client.post(f"{MUENCHEN}/{dog_tax}/feedback", json=body, headers=agent(keys, "muenchen"))
    through_artlands_url = await client.post(
        f"{ARTLAND}/{dog_tax}/feedback", json=body, headers=agent(keys, "muenchen")
    )
    unknown = await client.post(f"{ARTLAND}/{uuid.uuid4()}/feedback", json=body, headers=agent(keys, "artland"))

    assert (through_own_url.status_code, through_artlands_url.status_code, unknown.status_code) == (404, 404, 404)
    assert await admin_rows(scratch, "SELECT id FROM description_feedback") == []


async def test_another_tenant_cannot_read_or_resolve_a_municipalitys_feedback(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    passport = await _published(client, BASE, "Reisepass beantragen", editor(keys))
    dog_tax = await _published(client, ARTLAND, "Hundesteuer", editor(keys, "artland"))
    on_shared = await _given(client, ARTLAND, passport, agent(keys, "artland"), "wrong", "Falsche Gebühr.")
    await _given(client, ARTLAND, dog_tax, agent(keys, "artland"), "unclear", None)
    muenchens = editor(keys, "muenchen")
    resolution = {"note": "erledigt"}

    shared_listed_own_url = await client.get(f"{MUENCHEN}/{passport}/feedback", headers=muenchens)
    own_listed_own_url = await client.get(f"{MUENCHEN}/{dog_tax}/feedback", headers=muenchens)
    listed_artlands_url = await client.get(f"{ARTLAND}/{passport}/feedback", headers=muenchens)
    quality_own_url = await client.get("/v1/tenants/muenchen/knowledge/quality", headers=muenchens)
    quality_artlands_url = await client.get(ARTLAND_QUALITY, headers=muenchens)
    resolved_own_url = await client.put(
        f"/v1/tenants/muenchen/knowledge/feedback/{on_shared['id']}/resolution", json=resolution, headers=muenchens
    )
    resolved_artlands_url = await client.put(
        f"/v1/tenants/artland/knowledge/feedback/{on_shared['id']}/resolution", json=resolution, headers=muenchens
    )
    rows = await admin_rows(scratch, "SELECT resolved_at FROM description_feedback")

    assert (shared_listed_own_url.status_code, shared_listed_own_url.json()["items"]) == (200, [])
    assert (own_listed_own_url.status_code, listed_artlands_url.status_code) == (404, 404)
    assert (quality_own_url.json()["items"], quality_artlands_url.status_code) == ([], 404)
    assert (resolved_own_url.status_code, resolved_artlands_url.status_code) == (404, 404)
    assert [row["resolved_at"] for row in rows] == [None, None]


async def test_agents_give_feedback_but_do_not_review_it(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    passport = await _published(client, BASE, "Reisepass beantragen", editor(keys))
    report = await _given(client, ARTLAND, passport, agent(keys, "artland"), "outdated", None)
    by_agent = agent(keys, "artland")

    listed = await client.get(f"{ARTLAND}/{passport}/feedback", headers=by_agent)
    quality = await client.get(ARTLAND_QUALITY, headers=by_agent)
    resolved = await client.put(
        f"/v1/tenants/artland/knowledge/feedback/{report['id']}/resolution", json={"note": "ok"}, headers=by_agent
    )
    by_client = await client.post(
        f"{ARTLAND}/{passport}/feedback",
        json={"kind": "helpful"},
        headers=keys.headers_for("artland", "integration_client"),
    )

    assert (listed.status_code, quality.status_code, resolved.status_code) == (403, 403, 403)
    assert by_client.status_code == 403


async def test_the_feedback_list_goes_on_after_its_cursor(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    passport = await _published(client, BASE, "Reisepass beantragen", editor(keys))
    for comment in ("eins", "zwei", "drei"):
        await _given(client, ARTLAND, passport, agent(keys, "artland"), "unclear", comment)
    path = f"{ARTLAND}/{passport}/feedback"

    first = await client.get(path, params={"limit": 2}, headers=editor(keys, "artland"))
    rest = await client.get(
        path, params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=editor(keys, "artland")
    )

    assert [item["comment"] for item in first.json()["items"]] == ["drei", "zwei"]
    assert ([item["comment"] for item in rest.json()["items"]], rest.json()["next_cursor"]) == (["eins"], None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "nonsense"}, "kind"),
        ({"kind": "wrong", "comment": "x" * 2001}, "comment"),
        ({"kind": "wrong", "comment": ""}, "comment"),
        ({"kind": "wrong", "rating": 5}, "rating"),
    ],
)
async def test_bad_feedback_is_named(
    client: httpx.AsyncClient, keys: SigningKeys, body: dict[str, Any], field: str
) -> None:
    passport = await _published(client, BASE, "Reisepass beantragen", editor(keys))

    response = await client.post(f"{ARTLAND}/{passport}/feedback", json=body, headers=agent(keys, "artland"))

    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, field)


async def test_a_resolution_needs_a_note(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    passport = await _published(client, BASE, "Reisepass beantragen", editor(keys))
    report = await _given(client, ARTLAND, passport, agent(keys, "artland"), "wrong", None)
    path = f"/v1/tenants/artland/knowledge/feedback/{report['id']}/resolution"

    without = await client.put(path, json={}, headers=editor(keys, "artland"))
    unknown = await client.put(
        f"/v1/tenants/artland/knowledge/feedback/{uuid.uuid4()}/resolution",
        json={"note": "erledigt"},
        headers=editor(keys, "artland"),
    )

    assert (without.status_code, without.json()["errors"][0]["field"]) == (422, "note")
    assert (unknown.status_code, unknown.headers["content-type"]) == (404, "application/problem+json")
