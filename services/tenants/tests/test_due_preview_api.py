"""The due-date preview: the contract's rule on the municipality's own calendar."""

from __future__ import annotations

import httpx
import pytest

from kit.testing.keys import SigningKeys

from .contracts import version
from .registry import ARTLAND, MUENCHEN, OLDENBURG, agent, operator, register


@pytest.fixture
async def contracted(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await register(client, keys, ARTLAND, MUENCHEN, OLDENBURG)
    for tenant in ("artland", "muenchen"):
        response = await client.post(
            f"/v1/tenants/{tenant}/contract/versions",
            json=version("2025-01-01T00:00:00+01:00"),
            headers=operator(keys, tenant),
        )
        assert response.status_code == 201, response.text


async def _due(client: httpx.AsyncClient, keys: SigningKeys, tenant: str, **params: str) -> httpx.Response:
    return await client.get(f"/v1/tenants/{tenant}/calendar/due", params=params, headers=agent(keys, tenant))


@pytest.mark.usefixtures("contracted")
async def test_forwarded_concern_due_after_24_service_hours_across_easter(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    # Thu 2 Apr 2026 10:00 CEST: 7 h that day, Good Friday and Easter Monday closed, 9 h on Tue, 8 h on Wed.
    preview = await _due(client, keys, "artland", start="2026-04-02T10:00:00+02:00")

    assert preview.status_code == 200
    body = preview.json()
    assert (body["due"], body["rule_source"], body["contract_version"]) == ("2026-04-08T15:00:00Z", "contract", 1)
    assert body["rule"] == {"rule": "business_hours", "hours": 24}


@pytest.mark.usefixtures("contracted")
async def test_next_working_day_follows_each_states_holidays(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    rule = {"rule": "next_working_day_end"}
    reformation_ni = await _due(client, keys, "artland", start="2025-10-30T10:00:00+01:00", **rule)
    reformation_by = await _due(client, keys, "muenchen", start="2025-10-30T10:00:00+01:00", **rule)
    epiphany_ni = await _due(client, keys, "artland", start="2026-01-05T10:00:00+01:00", **rule)
    epiphany_by = await _due(client, keys, "muenchen", start="2026-01-05T10:00:00+01:00", **rule)

    assert reformation_ni.json()["due"] == "2025-11-03T17:00:00Z"
    assert reformation_by.json()["due"] == "2025-10-31T17:00:00Z"
    assert epiphany_ni.json()["due"] == "2026-01-06T17:00:00Z"
    assert epiphany_by.json()["due"] == "2026-01-07T17:00:00Z"
    assert reformation_ni.json()["rule_source"] == "request"


@pytest.mark.usefixtures("contracted")
async def test_closure_days_of_the_contract_count_as_closed(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    preview = await _due(client, keys, "artland", start="2026-12-23T17:00:00+01:00", rule="business_hours", hours="2")
    # One hour left on 23 Dec, closed 24 Dec – 1 Jan, then 08:00–09:00 on Mon 4 Jan 2027.
    assert preview.json()["due"] == "2027-01-04T08:00:00Z"


@pytest.mark.usefixtures("contracted")
async def test_a_preview_needs_a_contract_and_a_complete_rule(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    before_contract = await _due(client, keys, "artland", start="2024-06-03T10:00:00+02:00")
    without_hours = await _due(client, keys, "artland", start="2026-06-03T10:00:00+02:00", rule="business_hours")
    naive = await _due(client, keys, "artland", start="2026-06-03T10:00:00")

    assert before_contract.status_code == 404
    assert (without_hours.status_code, without_hours.json()["errors"][0]["field"]) == (422, "hours")
    assert (naive.status_code, naive.json()["errors"][0]["field"]) == (422, "start")


@pytest.mark.usefixtures("contracted")
async def test_another_tenant_cannot_preview_on_artlands_calendar(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    response = await client.get(
        "/v1/tenants/artland/calendar/due",
        params={"start": "2026-06-03T10:00:00+02:00"},
        headers=agent(keys, "oldenburg"),
    )
    assert response.status_code == 404
