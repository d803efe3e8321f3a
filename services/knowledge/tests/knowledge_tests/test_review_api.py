"""The review list: descriptions whose review date has come, and published texts left unchanged too long."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys
from knowledge.description.review import reason, today

from .support import admin_rows, agent, editor, operator, tenant_admin

BASE = "/v1/knowledge/base/descriptions"
BASE_REVIEW = "/v1/knowledge/base/review"
ARTLAND = "/v1/tenants/artland/knowledge/descriptions"
ARTLAND_REVIEW = "/v1/tenants/artland/knowledge/review"
MUENCHEN_REVIEW = "/v1/tenants/muenchen/knowledge/review"


def _days(offset: int) -> str:
    return (today(datetime.now(UTC)) + timedelta(days=offset)).isoformat()


async def _created(
    client: httpx.AsyncClient, path: str, name: str, headers: dict[str, str], *, review_due: str | None = None
) -> str:
    body: dict[str, Any] = {"content": {"name": name}, "review_due": review_due}
    created = await client.post(path, json=body, headers=headers)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def _published(client: httpx.AsyncClient, path: str, description: str, headers: dict[str, str]) -> None:
    moved = await client.put(
        f"{path}/{description}/status", json={"status": "published"}, headers=headers | {"If-Match": '"1"'}
    )
    assert moved.status_code == 200, moved.text


async def _last_changed(scratch: ScratchDatabase, table: str, description: str, days_ago: int) -> None:
    await admin_rows(
        scratch,
        f"UPDATE {table} SET updated_at = now() - make_interval(days => $2) WHERE id = $1",
        uuid.UUID(description),
        days_ago,
    )


def _listed(response: httpx.Response) -> list[tuple[str, str, str]]:
    assert response.status_code == 200, response.text
    return [(item["name"], item["layer"], item["reason"]) for item in response.json()["items"]]


def test_the_reason_is_whichever_came_first() -> None:
    earlier, later = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)

    assert reason(review_at=earlier, stale_at=later) == "review_due"
    assert reason(review_at=later, stale_at=earlier) == "stale"
    assert reason(review_at=None, stale_at=earlier) == "stale"
    assert reason(review_at=earlier, stale_at=None) == "review_due"


def test_today_is_the_service_centers_day() -> None:
    assert today(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == date(2027, 1, 1)


async def test_a_municipality_reviews_its_own_descriptions_and_supplements_longest_due_first(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    headers = editor(keys, "artland")
    await _created(client, ARTLAND, "Hundesteuer", headers, review_due=_days(-3))
    await _created(client, ARTLAND, "Sperrmüll", headers, review_due=_days(10))
    await _created(client, ARTLAND, "Fischereischein", headers)
    old = await _created(client, ARTLAND, "Osterfeuer anmelden", headers)
    await _published(client, ARTLAND, old, headers)
    await _last_changed(scratch, "tenant_descriptions", old, 400)
    recent = await _created(client, ARTLAND, "Straßenfest", headers)
    await _published(client, ARTLAND, recent, headers)
    months_ago = await _created(client, ARTLAND, "Maibaum aufstellen", headers)
    await _published(client, ARTLAND, months_ago, headers)
    await _last_changed(scratch, "tenant_descriptions", months_ago, 100)
    passport = await _created(client, BASE, "Reisepass beantragen", editor(keys), review_due=_days(-100))
    await client.put(
        f"{ARTLAND}/{passport}/supplement",
        json={"content": {"synonyms": ["Pass"]}, "review_due": _days(-20)},
        headers=headers,
    )

    by_default = await client.get(ARTLAND_REVIEW, headers=headers)
    ahead = await client.get(ARTLAND_REVIEW, params={"due_by": _days(30)}, headers=tenant_admin(keys, "artland"))
    stricter = await client.get(ARTLAND_REVIEW, params={"stale_after_days": 30}, headers=operator(keys, "artland"))

    assert _listed(by_default) == [
        ("Osterfeuer anmelden", "local", "stale"),
        ("Reisepass beantragen", "supplement", "review_due"),
        ("Hundesteuer", "local", "review_due"),
    ]
    supplement = by_default.json()["items"][1]
    assert (supplement["id"], supplement["review_due"], supplement["status"]) == (passport, _days(-20), "draft")
    assert _listed(ahead)[-1] == ("Sperrmüll", "local", "review_due")
    assert [name for name, _, _ in _listed(stricter)] == [
        "Osterfeuer anmelden",
        "Maibaum aufstellen",
        "Reisepass beantragen",
        "Hundesteuer",
    ]


async def test_the_list_goes_on_after_its_cursor(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    headers = editor(keys, "artland")
    for offset, name in [(-1, "C"), (-3, "A"), (-2, "B")]:
        await _created(client, ARTLAND, name, headers, review_due=_days(offset))

    first = await client.get(ARTLAND_REVIEW, params={"limit": 2}, headers=headers)
    rest = await client.get(ARTLAND_REVIEW, params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=headers)

    assert [name for name, _, _ in _listed(first)] == ["A", "B"]
    assert ([name for name, _, _ in _listed(rest)], rest.json()["next_cursor"]) == (["C"], None)


async def test_the_shared_base_has_a_review_list_of_its_own(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    await _created(client, BASE, "Reisepass beantragen", editor(keys), review_due=_days(-10))
    archived = await _created(client, BASE, "Kinderreisepass", editor(keys), review_due=_days(-5))
    await client.put(
        f"{BASE}/{archived}/status", json={"status": "archived"}, headers=editor(keys) | {"If-Match": '"1"'}
    )
    old = await _created(client, BASE, "Personalausweis", editor(keys))
    await _published(client, BASE, old, editor(keys))
    await _last_changed(scratch, "base_descriptions", old, 370)
    await _created(client, ARTLAND, "Hundesteuer", editor(keys, "artland"), review_due=_days(-1))

    by_host = await client.get(BASE_REVIEW, headers=editor(keys))
    by_partner_admin = await client.get(BASE_REVIEW, headers=tenant_admin(keys, "artland"))
    by_agent = await client.get(BASE_REVIEW, headers=agent(keys, "oldenburg"))

    assert _listed(by_host) == [
        ("Reisepass beantragen", "shared", "review_due"),
        ("Personalausweis", "shared", "stale"),
    ]
    assert _listed(by_partner_admin) == _listed(by_host)
    assert by_agent.status_code == 403


async def test_another_tenant_neither_sees_nor_reaches_a_municipalitys_review_list(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    await _created(client, ARTLAND, "Hundesteuer", editor(keys, "artland"), review_due=_days(-1))

    own_list = await client.get(MUENCHEN_REVIEW, headers=editor(keys, "muenchen"))
    through_artlands_url = await client.get(ARTLAND_REVIEW, headers=editor(keys, "muenchen"))

    assert own_list.json()["items"] == []
    assert through_artlands_url.status_code == 404


async def test_agents_have_no_review_list(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    response = await client.get(ARTLAND_REVIEW, headers=agent(keys, "artland"))

    assert (response.status_code, response.headers["content-type"]) == (403, "application/problem+json")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"due_by": "next week"}, "due_by"),
        ({"stale_after_days": 0}, "stale_after_days"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
async def test_bad_review_parameters_are_named(
    client: httpx.AsyncClient, keys: SigningKeys, params: dict[str, Any], field: str
) -> None:
    response = await client.get(ARTLAND_REVIEW, params=params, headers=editor(keys, "artland"))

    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, field)
