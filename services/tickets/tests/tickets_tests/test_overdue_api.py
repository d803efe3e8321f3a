"""The overdue overview: a municipality's open tickets past their due instant, counted per department."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from kit.testing.keys import SigningKeys

from .support import add_department, add_ticket

ARTLAND = "/v1/tenants/artland/tickets/overdue"
NOW = datetime.now(UTC)


async def _ticket(
    admin: asyncpg.Connection,
    tenant_id: str,
    department_id: uuid.UUID | None,
    *,
    due: timedelta | None,
    status: str = "forwarded",
) -> None:
    """A ticket forwarded ten days ago, due ``due`` from now (None: without a deadline)."""
    forwarded_at = NOW - timedelta(days=10)
    await add_ticket(
        admin,
        tenant_id,
        forwarded_at=forwarded_at,
        department_id=department_id,
        status=status,
        due_at=None if due is None else NOW + due,
    )


async def test_open_overdue_tickets_are_counted_per_department_the_longest_overdue_first(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    building = await add_department(admin, "artland", "Bauamt")
    order = await add_department(admin, "artland", "Ordnungsamt")
    await _ticket(admin, "artland", building, due=-timedelta(days=2))
    await _ticket(admin, "artland", building, due=-timedelta(hours=1), status="in_progress")
    await _ticket(admin, "artland", building, due=timedelta(days=1))
    await _ticket(admin, "artland", building, due=-timedelta(days=5), status="answered")
    await _ticket(admin, "artland", building, due=-timedelta(days=6), status="closed")
    await _ticket(admin, "artland", order, due=-timedelta(days=3), status="waiting")
    await _ticket(admin, "artland", None, due=-timedelta(minutes=10))
    await _ticket(admin, "artland", None, due=None)
    munich = await add_department(admin, "muenchen", "Kreisverwaltungsreferat")
    await _ticket(admin, "muenchen", munich, due=-timedelta(days=9))

    response = await client.get(ARTLAND, headers=keys.headers_for("artland", "back_office"))

    assert response.status_code == 200, response.text
    body = response.json()
    assert [(item["department_id"], item["department_name"], item["count"]) for item in body["items"]] == [
        (str(order), "Ordnungsamt", 1),
        (str(building), "Bauamt", 2),
        (None, None, 1),
    ]
    oldest = [datetime.fromisoformat(item["oldest_due_at"]) for item in body["items"]]
    assert [round((NOW - at) / timedelta(minutes=1)) for at in oldest] == [3 * 24 * 60, 2 * 24 * 60, 10]
    assert body["total"] == 4


async def test_nothing_overdue_is_an_empty_overview(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    response = await client.get(ARTLAND, headers=keys.headers_for("artland", "agent"))

    assert response.status_code == 200, response.text
    assert response.json() == {"items": [], "total": 0}


async def test_another_municipality_does_not_see_the_overview_and_others_need_a_staff_role(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    await _ticket(admin, "artland", None, due=-timedelta(days=1))

    foreign = await client.get(ARTLAND, headers=keys.headers_for("muenchen", "back_office"))
    editor = await client.get(ARTLAND, headers=keys.headers_for("artland", "knowledge_editor"))
    anonymous = await client.get(ARTLAND)

    assert (foreign.status_code, editor.status_code, anonymous.status_code) == (404, 403, 401)
    assert foreign.headers["content-type"] == "application/problem+json"
