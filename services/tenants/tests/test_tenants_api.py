"""Registering and reading municipalities; one municipality never sees another."""

from __future__ import annotations

from collections.abc import Mapping

import asyncpg
import httpx

from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys

from .registry import ARTLAND, OLDENBURG, admin, admin_rows, agent, operator, register


async def _create(client: httpx.AsyncClient, keys: SigningKeys, body: Mapping[str, object]) -> httpx.Response:
    return await client.post("/v1/tenants", json=body, headers=keys.headers_for(None, "operator"))


async def test_operator_registers_a_tenant_that_starts_in_onboarding(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    created = await _create(client, keys, ARTLAND)
    assert created.status_code == 201
    assert created.json()["status"] == "onboarding"

    read = await client.get("/v1/tenants/artland", headers=keys.headers_for("artland", "agent"))
    assert read.status_code == 200
    assert read.json()["name"] == "Samtgemeinde Artland"


async def test_registration_is_announced_through_the_outbox(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    await _create(client, keys, ARTLAND)
    conn = await asyncpg.connect(tenants_db.admin_url)
    try:
        rows = await conn.fetch("SELECT tenant_id, subject FROM outbox")
    finally:
        await conn.close()
    assert [(r["tenant_id"], r["subject"]) for r in rows] == [("artland", "tenants.artland.tenant.created.v1")]


async def test_another_tenant_reading_artland_gets_not_found(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await _create(client, keys, ARTLAND)
    response = await client.get("/v1/tenants/artland", headers=keys.headers_for("oldenburg", "agent"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_unknown_tenant_reads_like_another_tenants(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    response = await client.get("/v1/tenants/nowhere", headers=keys.headers_for("nowhere", "agent"))
    assert response.status_code == 404


async def test_only_operators_register_tenants(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    response = await client.post("/v1/tenants", json=ARTLAND, headers=keys.headers_for("artland", "tenant_admin"))
    assert response.status_code == 403


async def test_registering_twice_conflicts_and_announces_once(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    await _create(client, keys, ARTLAND)
    again = await _create(client, keys, ARTLAND)
    assert again.status_code == 409
    conn = await asyncpg.connect(tenants_db.admin_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 1
    finally:
        await conn.close()


async def test_invalid_slug_names_the_field(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    response = await _create(client, keys, {**ARTLAND, "id": "Artland!"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["id"]


async def test_operators_list_every_tenant_and_others_may_not(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await register(client, keys, ARTLAND, OLDENBURG)

    listed = await client.get("/v1/tenants", headers=keys.headers_for(None, "operator"))
    refused = await client.get("/v1/tenants", headers=admin(keys, "artland"))

    assert [t["id"] for t in listed.json()["items"]] == ["artland", "oldenburg"]
    assert refused.status_code == 403


async def test_keys_of_another_state_are_refused_naming_the_field(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    wrong_state = await _create(client, keys, {**ARTLAND, "state": "BY"})
    wrong_ags = await _create(client, keys, {**ARTLAND, "ags": "03459030"})
    unknown_state = await _create(client, keys, {**ARTLAND, "state": "XX"})
    short_ars = await _create(client, keys, {**ARTLAND, "ars": "03459"})

    assert [r.status_code for r in (wrong_state, wrong_ags, unknown_state, short_ars)] == [422] * 4
    assert [r.json()["errors"][0]["field"] for r in (wrong_state, wrong_ags, unknown_state, short_ars)] == [
        "ars",
        "ags",
        "state",
        "ars",
    ]
    assert (await client.get("/v1/tenants/artland", headers=agent(keys, "artland"))).status_code == 404


async def test_unknown_time_zone_is_refused(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    response = await _create(client, keys, {**ARTLAND, "time_zone": "Europe/Oldenburg"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "time_zone"


async def test_an_update_needs_the_current_etag(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    await register(client, keys, ARTLAND)
    read = await client.get("/v1/tenants/artland", headers=operator(keys, "artland"))
    change = {"name": "Samtgemeinde Artland (Quakenbrück)"}

    missing = await client.patch("/v1/tenants/artland", json=change, headers=operator(keys, "artland"))
    stale = await client.patch(
        "/v1/tenants/artland", json=change, headers={**operator(keys, "artland"), "If-Match": '"7"'}
    )
    done = await client.patch(
        "/v1/tenants/artland", json=change, headers={**operator(keys, "artland"), "If-Match": read.headers["ETag"]}
    )

    assert (missing.status_code, stale.status_code, done.status_code) == (428, 412, 200), missing.text
    assert done.json()["name"] == change["name"]
    assert done.headers["ETag"] == '"2"'
    events = await admin_rows(tenants_db, "SELECT subject FROM outbox ORDER BY id")
    assert [e["subject"] for e in events] == ["tenants.artland.tenant.created.v1", "tenants.artland.tenant.updated.v1"]


async def test_status_moves_only_along_the_lifecycle(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await register(client, keys, ARTLAND)

    async def move(status: str) -> httpx.Response:
        return await client.post(
            "/v1/tenants/artland/status", json={"status": status}, headers=operator(keys, "artland")
        )

    skipped = await move("suspended")
    steps = [await move(status) for status in ("trial", "active", "suspended", "active", "terminated")]
    revived = await move("active")

    assert skipped.status_code == 409
    assert skipped.json()["errors"][0]["field"] == "status"
    assert [s.status_code for s in steps] == [200] * 5
    assert steps[-1].json()["status"] == "terminated"
    assert revived.status_code == 409


async def test_a_jurisdiction_id_names_one_tenant(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await register(client, keys, {**OLDENBURG, "open311_jurisdiction_id": "oldenburg.de"})

    taken = await _create(client, keys, {**ARTLAND, "open311_jurisdiction_id": "oldenburg.de"})

    assert taken.status_code == 409
    assert taken.json()["errors"][0]["field"] == "open311_jurisdiction_id"
    assert (await client.get("/v1/tenants/artland", headers=agent(keys, "artland"))).status_code == 404


async def test_another_tenants_admin_cannot_change_or_move_artland(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    await register(client, keys, ARTLAND, OLDENBURG)
    intruder = {**keys.headers_for("oldenburg", "operator", "tenant_admin"), "If-Match": "*"}

    patched = await client.patch("/v1/tenants/artland", json={"name": "x"}, headers=intruder)
    moved = await client.post("/v1/tenants/artland/status", json={"status": "trial"}, headers=intruder)

    assert (patched.status_code, moved.status_code) == (404, 404)
    unchanged = await client.get("/v1/tenants/artland", headers=agent(keys, "artland"))
    assert (unchanged.json()["name"], unchanged.json()["status"]) == (ARTLAND["name"], "onboarding")


async def test_tenant_admins_read_but_do_not_change_their_record(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await register(client, keys, ARTLAND)
    patched = await client.patch(
        "/v1/tenants/artland", json={"name": "x"}, headers={**admin(keys, "artland"), "If-Match": "*"}
    )
    assert patched.status_code == 403
