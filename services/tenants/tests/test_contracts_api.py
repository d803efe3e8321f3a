"""Cooperation contracts: complete, effective-dated versions that never rewrite a measured past."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys

from .contracts import TERMS, version
from .registry import ARTLAND, OLDENBURG, admin, admin_rows, agent, operator, register

VERSIONS = "/v1/tenants/artland/contract/versions"


@pytest.fixture
async def artland(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await register(client, keys, ARTLAND, OLDENBURG)


async def _add(
    client: httpx.AsyncClient, keys: SigningKeys, body: dict[str, Any], *, if_match: str | None = None
) -> httpx.Response:
    headers = operator(keys, "artland") | ({"If-Match": if_match} if if_match else {})
    return await client.post(VERSIONS, json=body, headers=headers)


async def _in_force(client: httpx.AsyncClient, keys: SigningKeys, at: str) -> httpx.Response:
    return await client.get("/v1/tenants/artland/contract", params={"at": at}, headers=agent(keys, "artland"))


@pytest.mark.usefixtures("artland")
async def test_terms_in_force_follow_the_versions(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    first = await _add(client, keys, version("2026-01-01T00:00:00+01:00"))
    later = version("2030-01-01T00:00:00+01:00", personal_data_retention_days=30)
    second = await _add(client, keys, later, if_match=first.headers["ETag"])

    assert (first.status_code, second.status_code) == (201, 201)
    before = await _in_force(client, keys, "2026-03-01T10:00:00Z")
    after = await _in_force(client, keys, "2030-01-01T00:00:00+01:00")
    ahead_of_all = await _in_force(client, keys, "2025-12-31T22:59:59Z")
    assert (before.json()["version"], before.json()["effective_until"]) == (1, "2029-12-31T23:00:00Z")
    assert before.json()["terms"]["price"] == TERMS["price"]
    assert before.json()["terms"]["reachability"]["monday"] == TERMS["reachability"]["monday"]
    assert after.json()["version"] == 2
    assert after.json()["terms"]["personal_data_retention_days"] == 30
    assert ahead_of_all.status_code == 404
    assert after.headers["ETag"] == '"2"'


@pytest.mark.usefixtures("artland")
async def test_a_new_version_never_rewrites_the_past(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    first = await _add(client, keys, version("2026-01-01T00:00:00+01:00"))
    backdated = await _add(client, keys, version("2026-02-01T00:00:00+01:00"), if_match=first.headers["ETag"])
    scheduled = await _add(client, keys, version("2031-01-01T00:00:00+01:00"), if_match='"1"')
    earlier = await _add(client, keys, version("2030-06-01T00:00:00+01:00"), if_match='"2"')

    assert backdated.status_code == 409
    assert backdated.json()["errors"][0]["field"] == "effective_from"
    assert scheduled.status_code == 201
    assert earlier.status_code == 409
    rows = await admin_rows(tenants_db, "SELECT version FROM contract_versions ORDER BY version")
    assert [r["version"] for r in rows] == [1, 2]


@pytest.mark.usefixtures("artland")
async def test_a_scheduled_version_is_replaced_by_one_with_the_same_start(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    await _add(client, keys, version("2026-01-01T00:00:00+01:00"))
    await _add(client, keys, version("2031-01-01T00:00:00+01:00", channels=["phone"]), if_match='"1"')
    await _add(client, keys, version("2031-01-01T00:00:00+01:00", channels=["chat"]), if_match='"2"')

    in_force = await _in_force(client, keys, "2031-06-01T00:00:00Z")
    listed = await client.get(VERSIONS, headers=admin(keys, "artland"))

    assert (in_force.json()["version"], in_force.json()["terms"]["channels"]) == (3, ["chat"])
    assert [(v["version"], v["effective_until"]) for v in listed.json()["items"]] == [
        (1, "2030-12-31T23:00:00Z"),
        (2, "2030-12-31T23:00:00Z"),
        (3, None),
    ]


@pytest.mark.usefixtures("artland")
async def test_changes_need_the_latest_etag(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await _add(client, keys, version("2026-01-01T00:00:00+01:00"))
    missing = await _add(client, keys, version("2031-01-01T00:00:00+01:00"))
    stale = await _add(client, keys, version("2031-01-01T00:00:00+01:00"), if_match='"0"')
    assert (missing.status_code, stale.status_code) == (428, 412)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"reachability": {"monday": [{"start": "08:00", "end": "12:00"}, {"start": "11:00", "end": "18:00"}]}},
            "terms.reachability.monday",
        ),
        ({"reachability": {"tuesday": [{"start": "18:00", "end": "08:00"}]}}, "terms.reachability.tuesday"),
        ({"reachability": {"friday": [{"start": "08:00", "end": "25:00"}]}}, "terms.reachability.friday.0.end"),
        ({"reachability": {}}, "terms.reachability"),
        ({"price": {"model": "per_call", "cents_per_call": -5}}, "terms.price.per_call.cents_per_call"),
        ({"price": {"model": "barter"}}, "terms.price"),
        ({"service_level": {**TERMS["service_level"], "variant": 6}}, "terms.service_level.variant"),
        (
            {"service_level": {**TERMS["service_level"], "short_abandon_seconds": 30}},
            "terms.service_level",
        ),
        ({"closure_days": [{"first": "2026-12-31", "last": "2026-12-24"}]}, "terms.closure_days.0"),
        (
            {"forwarding_deadline": {"rule": "business_hours", "hours": 0}},
            "terms.forwarding_deadline.business_hours.hours",
        ),
        ({"channels": ["phone", "phone"]}, "terms.channels"),
    ],
)
@pytest.mark.usefixtures("artland")
async def test_bad_terms_name_the_field_and_write_nothing(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase, changes: dict[str, Any], field: str
) -> None:
    response = await _add(client, keys, version("2026-01-01T00:00:00+01:00", **changes))

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert await admin_rows(tenants_db, "SELECT 1 FROM contract_versions") == []


@pytest.mark.usefixtures("artland")
async def test_the_added_version_is_announced_with_all_its_terms(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    await _add(client, keys, version("2026-01-01T00:00:00+01:00"))
    rows = await admin_rows(
        tenants_db, "SELECT subject, payload FROM outbox WHERE subject LIKE '%contract%' ORDER BY id"
    )
    assert [r["subject"] for r in rows] == ["tenants.artland.contract.version_added.v1"]
    assert b'"cents_per_minute":115' in rows[0]["payload"]
    assert b'"reachability"' in rows[0]["payload"]


@pytest.mark.usefixtures("artland")
async def test_only_operators_add_versions_and_tenants_read_their_own(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    by_admin = await client.post(VERSIONS, json=version("2026-01-01T00:00:00+01:00"), headers=admin(keys, "artland"))
    await _add(client, keys, version("2026-01-01T00:00:00+01:00"))
    own = await client.get("/v1/tenants/artland/contract", headers=admin(keys, "artland"))

    assert by_admin.status_code == 403
    assert own.status_code == 200


@pytest.mark.usefixtures("artland")
async def test_another_tenant_neither_reads_nor_adds_artlands_contract(
    client: httpx.AsyncClient, keys: SigningKeys, tenants_db: ScratchDatabase
) -> None:
    await _add(client, keys, version("2026-01-01T00:00:00+01:00"))
    intruder = keys.headers_for("oldenburg", "operator", "tenant_admin", "agent") | {"If-Match": '"1"'}

    answers = [
        await client.get("/v1/tenants/artland/contract", headers=intruder),
        await client.get(VERSIONS, headers=intruder),
        await client.get(VERSIONS + "/1", headers=intruder),
        await client.post(VERSIONS, json=version("2031-01-01T00:00:00+01:00"), headers=intruder),
    ]

    assert [a.status_code for a in answers] == [404] * 4
    assert len(await admin_rows(tenants_db, "SELECT 1 FROM contract_versions")) == 1
