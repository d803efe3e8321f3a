"""Numbers and queues: each belongs to one municipality, and a call is resolved to it."""

from __future__ import annotations

import httpx
import pytest

from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys

from .registry import ARTLAND, OLDENBURG, admin, admin_rows, agent, operator, register

LINES = "/v1/tenants/artland/lines"


@pytest.fixture
async def artland(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await register(client, keys, ARTLAND, OLDENBURG)


async def _resolve(client: httpx.AsyncClient, keys: SigningKeys, kind: str, address: str) -> httpx.Response:
    params = {"kind": kind, "address": address}
    return await client.get("/v1/lines/resolve", params=params, headers=agent(keys, "oldenburg"))


@pytest.mark.usefixtures("artland")
async def test_a_dialled_number_resolves_to_its_municipality(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    added = await client.post(
        LINES,
        json={"kind": "number", "address": "0049 5431 18-00", "label": "Zentrale"},
        headers=operator(keys, "artland"),
    )
    await client.post(LINES, json={"kind": "queue", "address": "artland-115"}, headers=operator(keys, "artland"))

    by_number = await _resolve(client, keys, "number", "+4954311800")
    by_queue = await _resolve(client, keys, "queue", "artland-115")
    unknown = await _resolve(client, keys, "number", "+494412350")

    assert (added.status_code, added.json()["address"]) == (201, "+4954311800")
    assert (by_number.json()["tenant_id"], by_number.json()["line_id"]) == ("artland", added.json()["id"])
    assert by_queue.json()["tenant_id"] == "artland"
    assert unknown.status_code == 404


@pytest.mark.usefixtures("artland")
async def test_a_number_of_another_municipality_is_refused_and_nothing_written(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    await client.post(
        "/v1/tenants/oldenburg/lines",
        json={"kind": "number", "address": "+494412350"},
        headers=operator(keys, "oldenburg"),
    )

    taken = await client.post(
        LINES, json={"kind": "number", "address": "+49 441 2350"}, headers=operator(keys, "artland")
    )

    assert taken.status_code == 409
    assert taken.json()["errors"][0]["field"] == "address"
    rows = await admin_rows(tenants_db, "SELECT tenant_id FROM inbound_lines")
    assert [r["tenant_id"] for r in rows] == ["oldenburg"]
    assert (await _resolve(client, keys, "number", "+494412350")).json()["tenant_id"] == "oldenburg"


@pytest.mark.usefixtures("artland")
async def test_malformed_numbers_name_the_field(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    response = await client.post(
        LINES, json={"kind": "number", "address": "05431 180"}, headers=operator(keys, "artland")
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "address"


@pytest.mark.usefixtures("artland")
async def test_a_removed_number_resolves_no_more(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    line = (
        await client.post(LINES, json={"kind": "number", "address": "+4954311800"}, headers=operator(keys, "artland"))
    ).json()

    removed = await client.delete(f"{LINES}/{line['id']}", headers=operator(keys, "artland"))

    assert removed.status_code == 204
    assert (await _resolve(client, keys, "number", "+4954311800")).status_code == 404
    events = await admin_rows(tenants_db, "SELECT subject FROM outbox WHERE subject LIKE '%line%' ORDER BY id")
    assert [e["subject"] for e in events] == ["tenants.artland.line.added.v1", "tenants.artland.line.removed.v1"]


@pytest.mark.usefixtures("artland")
async def test_lines_are_mapped_by_operators_only(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    response = await client.post(LINES, json={"kind": "queue", "address": "q1"}, headers=admin(keys, "artland"))
    assert response.status_code == 403


@pytest.mark.usefixtures("artland")
async def test_another_tenant_neither_sees_nor_removes_artlands_line(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    line = (await client.post(LINES, json={"kind": "queue", "address": "q1"}, headers=operator(keys, "artland"))).json()
    intruder = keys.headers_for("oldenburg", "operator", "agent")

    answers = [
        await client.get(f"{LINES}/{line['id']}", headers=intruder),
        await client.delete(f"{LINES}/{line['id']}", headers=intruder),
        await client.get(LINES, headers=intruder),
        await client.delete(f"/v1/tenants/oldenburg/lines/{line['id']}", headers=intruder),
        await client.post(LINES, json={"kind": "queue", "address": "q2"}, headers=intruder),
    ]

    assert [a.status_code for a in answers] == [404] * 5
    assert (await _resolve(client, keys, "queue", "q1")).json()["tenant_id"] == "artland"
