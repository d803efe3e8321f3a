"""The overdue overview: a municipality's open tickets past their due instant, counted per department."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from kit.app import create_service_app
from kit.testing.checks import service_client
from kit.testing.infra import InfraServers, ScratchDatabase
from kit.testing.keys import SigningKeys
from tickets.deadlines.endpoints import router
from tickets.settings import get_settings

ARTLAND = "/v1/tenants/artland/tickets/overdue"
NOW = datetime.now(UTC)


def _app() -> FastAPI:
    return create_service_app(get_settings(), title="Zentrale tickets", description="Tickets", routers=[router])


@pytest.fixture
async def client(
    scratch: ScratchDatabase, servers: InfraServers, keys: SigningKeys, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    async with service_client(
        _app, get_settings, prefix="TICKETS", database=scratch, servers=servers, keys=keys, monkeypatch=monkeypatch
    ) as http:
        yield http


class _Admin:
    """Writes a tenant's fixture rows as the superuser."""

    def __init__(self, conn: asyncpg.Connection, tenant_id: str) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def department(self, name: str) -> uuid.UUID:
        department_id = uuid.uuid4()
        await self._conn.execute(
            "INSERT INTO departments (tenant_id, id, name, version, updated_at) VALUES ($1, $2, $3, 1, now())",
            self._tenant_id,
            department_id,
            name,
        )
        return department_id

    async def ticket(
        self, department_id: uuid.UUID | None, *, due: timedelta | None, status: str = "forwarded"
    ) -> None:
        """A ticket due ``due`` from now (None: without a deadline)."""
        contact_id = uuid.uuid4()
        forwarded_at = NOW - timedelta(days=10)
        await self._conn.execute(
            "INSERT INTO contacts (tenant_id, id, channel, started_at, ended_at, agent, outcome)"
            " VALUES ($1, $2, 'phone', $3, $3, 'agent-1', 'forwarded')",
            self._tenant_id,
            contact_id,
            forwarded_at,
        )
        await self._conn.execute(
            "INSERT INTO tickets (tenant_id, id, contact_id, department_id, status, subject, forwarded_at,"
            " forwarded_by, due_at) VALUES ($1, $2, $3, $4, $5, 'Anliegen', $6, 'agent-1', $7)",
            self._tenant_id,
            uuid.uuid4(),
            contact_id,
            department_id,
            status,
            forwarded_at,
            None if due is None else NOW + due,
        )


@pytest.fixture
async def admin(scratch: ScratchDatabase) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(scratch.admin_url)
    yield conn
    await conn.close()


async def test_open_overdue_tickets_are_counted_per_department_the_longest_overdue_first(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    artland, muenchen = _Admin(admin, "artland"), _Admin(admin, "muenchen")
    building = await artland.department("Bauamt")
    order = await artland.department("Ordnungsamt")
    await artland.ticket(building, due=-timedelta(days=2))
    await artland.ticket(building, due=-timedelta(hours=1), status="in_progress")
    await artland.ticket(building, due=timedelta(days=1))
    await artland.ticket(building, due=-timedelta(days=5), status="answered")
    await artland.ticket(building, due=-timedelta(days=6), status="closed")
    await artland.ticket(order, due=-timedelta(days=3), status="waiting")
    await artland.ticket(None, due=-timedelta(minutes=10))
    await artland.ticket(None, due=None)
    await muenchen.ticket(await muenchen.department("Kreisverwaltungsreferat"), due=-timedelta(days=9))

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
    await _Admin(admin, "artland").ticket(None, due=-timedelta(days=1))

    foreign = await client.get(ARTLAND, headers=keys.headers_for("muenchen", "back_office"))
    editor = await client.get(ARTLAND, headers=keys.headers_for("artland", "knowledge_editor"))
    anonymous = await client.get(ARTLAND)

    assert (foreign.status_code, editor.status_code, anonymous.status_code) == (404, 403, 401)
    assert foreign.headers["content-type"] == "application/problem+json"
