"""A municipality never sees another's contacts, tickets, figures or knowledge: not listed, not found, not changed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from .support import BERLIN, StackHandle, all_pages, assert_not_found, forward_contact, json_of

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


@dataclass
class Municipality:
    """One municipality's people (agent, admin, back office) and the objects it owns."""

    tenant: str
    agent: httpx.AsyncClient
    admin: httpx.AsyncClient
    back_office: httpx.AsyncClient
    contact: dict[str, Any]
    ticket: dict[str, Any]
    etag: str
    department: str
    line: str
    local_descriptions: set[str]
    # A word only this municipality's own knowledge holds (its supplement, offices, own descriptions).
    own_word: str

    @property
    def path(self) -> str:
        return f"/v1/tenants/{self.tenant}"


async def record(agent: httpx.AsyncClient, tenant: str, run: str) -> dict[str, Any]:
    return await forward_contact(
        agent,
        tenant,
        f"Meldebescheinigung für den Arbeitgeber ({run})",
        outcome="callback",
        caller={"name": f"Anrufer {tenant}", "phone": "+49 541 501-0"},
        forward={"subject": f"Rückruf Meldebescheinigung ({run})", "priority": "low"},
    )


@asynccontextmanager
async def municipality(
    tenant: str, own_word: str, run: str, clients: tuple[httpx.AsyncClient, ...]
) -> AsyncIterator[Municipality]:
    """The municipality with a forwarded concern of its own, and what it owns besides."""
    async with AsyncExitStack() as exits:
        agent, admin, back_office = [await exits.enter_async_context(client) for client in clients]
        contact = await record(agent, tenant, run)
        ticket = await back_office.get(f"/v1/tenants/{tenant}/tickets/{contact['ticket']['id']}")
        departments = json_of(await admin.get(f"/v1/tenants/{tenant}/departments"))["items"]
        lines = json_of(await admin.get(f"/v1/tenants/{tenant}/lines"))["items"]
        descriptions = await all_pages(agent, f"/v1/tenants/{tenant}/knowledge/descriptions", {"limit": 200})
        yield Municipality(
            tenant=tenant,
            agent=agent,
            admin=admin,
            back_office=back_office,
            contact=contact,
            ticket=json_of(ticket),
            etag=ticket.headers["ETag"],
            department=departments[0]["id"],
            line=lines[0]["id"],
            local_descriptions={item["id"] for item in descriptions if item["layer"] == "local"},
            own_word=own_word,
        )


async def ids(client: httpx.AsyncClient, path: str, params: dict[str, Any] | None = None) -> set[str]:
    return {str(item["id"]) for item in await all_pages(client, path, params)}


async def assert_sees_nothing_of(viewer: Municipality, owner: Municipality, *, today: date) -> None:
    """Nothing of ``owner`` in any of ``viewer``'s lists, and ``owner``'s objects are not found by either path."""
    since = {"started_from": (datetime.now(UTC) - timedelta(hours=1)).isoformat(), "limit": 200}
    assert owner.contact["id"] not in await ids(viewer.agent, f"{viewer.path}/contacts", since)
    assert owner.ticket["id"] not in await ids(viewer.back_office, f"{viewer.path}/tickets", {"limit": 200})
    overdue = json_of(await viewer.back_office.get(f"{viewer.path}/tickets/overdue"))["items"]
    assert owner.department not in {str(item["department_id"]) for item in overdue}
    assert owner.department not in await ids(viewer.admin, f"{viewer.path}/departments")
    assert owner.line not in await ids(viewer.admin, f"{viewer.path}/lines")
    shared_and_own = await ids(viewer.agent, f"{viewer.path}/knowledge/descriptions", {"limit": 200})
    assert not owner.local_descriptions & shared_and_own
    found = json_of(await viewer.agent.get(f"{viewer.path}/knowledge/search", params={"q": owner.own_word}))
    assert (found["items"], found["ignored"]) == ([], [owner.own_word.lower()]), found
    audited = await all_pages(viewer.admin, f"{viewer.path}/audit", {"since": since["started_from"], "limit": 200})
    assert all(item["path"].startswith(f"{viewer.path}/") for item in audited)

    for path in (viewer.path, owner.path):
        for client in (viewer.agent, viewer.admin, viewer.back_office):
            assert_not_found(await client.get(f"{path}/contacts/{owner.contact['id']}"))
            assert_not_found(await client.get(f"{path}/tickets/{owner.ticket['id']}"))
        ticket = f"{path}/tickets/{owner.ticket['id']}"
        office = viewer.back_office
        assert_not_found(await office.patch(ticket, json={"priority": "urgent"}, headers={"If-Match": owner.etag}))
        for action in ("claim", "wait", "close", "reopen"):
            assert_not_found(await office.post(f"{ticket}/{action}"))
        assert_not_found(await office.post(f"{ticket}/answer", json={"channel": "letter", "text": "fremd"}))
        assert_not_found(await office.post(f"{ticket}/notes", json={"body": "fremd"}))
        assert_not_found(await office.get(f"{ticket}/history"))
        for description in owner.local_descriptions:
            assert_not_found(await viewer.agent.get(f"{path}/knowledge/descriptions/{description}"))
        period = {"from": today.isoformat(), "to": (today + timedelta(days=1)).isoformat()}
        if path == owner.path:
            assert_not_found(await viewer.admin.get(f"{path}/figures/kpis", params=period))
            assert_not_found(await viewer.admin.get(f"{path}/audit"))
            assert_not_found(await viewer.admin.get(f"{path}/webhooks"))
            assert_not_found(await viewer.admin.get(f"{path}/departments/{owner.department}"))
            passport = json_of(await owner.agent.get(f"{path}/knowledge/search", params={"q": "Personalausweis"}))
            supplement = f"{path}/knowledge/descriptions/{passport['items'][0]['id']}/supplement"
            assert_not_found(await viewer.admin.get(supplement))


async def test_a_municipality_never_sees_or_touches_anothers_data(stack: StackHandle) -> None:
    run = uuid.uuid4().hex[:8]
    today = datetime.now(BERLIN).date()
    artland_clients = (
        stack.client("artland-agent"),
        stack.client("artland-admin"),
        stack.client("artland-back-office"),
    )
    rheine_clients = (
        stack.client("rheine-agent"),
        stack.client(token=await stack.token("rheine", "tenant_admin")),
        stack.client(token=await stack.token("rheine", "back_office")),
    )
    async with (
        municipality("artland", "Quakenbrück", run, artland_clients) as artland,
        municipality("rheine", "Klosterstraße", run, rheine_clients) as rheine,
    ):
        assert artland.local_descriptions, "the demo gives Artland descriptions of its own"
        for own in (artland, rheine):
            found = json_of(await own.agent.get(f"{own.path}/knowledge/search", params={"q": own.own_word}))
            assert found["items"], f"{own.tenant}'s knowledge holds {own.own_word!r}"
        await assert_sees_nothing_of(artland, rheine, today=today)
        await assert_sees_nothing_of(rheine, artland, today=today)

        # What the other tried changed nothing: each still finds its concern as it left it.
        for own in (artland, rheine):
            ticket = await own.back_office.get(f"{own.path}/tickets/{own.ticket['id']}")
            assert json_of(ticket)["status"] == "forwarded"
            assert json_of(ticket)["priority"] == "low"
            assert ticket.headers["ETag"] == own.etag
            assert json_of(await own.back_office.get(f"{own.path}/tickets/{own.ticket['id']}/notes"))["items"] == []
