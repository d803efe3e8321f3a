"""Artland's back-office system works its forwarded concerns over its integration client's API key."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from .support import StackHandle, all_pages, assert_not_found, forward_contact, json_of

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

INTEGRATION = "demo-artland-integration"


async def forward(agent: httpx.AsyncClient, tenant: str, subject: str, *, priority: str) -> dict[str, Any]:
    """A concern forwarded to ``tenant``'s back office; its ticket as the contact shows it."""
    contact = await forward_contact(
        agent,
        tenant,
        subject,
        caller={"name": "Max Mustermann", "email": "max@example.org"},
        forward={"priority": priority, "reply_by": "email"},
    )
    return {**contact["ticket"], "contact_id": contact["id"]}


async def test_the_partners_back_office_lists_claims_notes_and_answers_over_its_api_key(stack: StackHandle) -> None:
    run = uuid.uuid4().hex[:8]
    async with stack.client("artland-agent") as artland_agent, stack.client("rheine-agent") as rheine_agent:
        mine = [
            await forward(artland_agent, "artland", f"Reisepass verloren ({run}, {n})", priority="urgent")
            for n in range(3)
        ]
        theirs = await forward(rheine_agent, "rheine", f"Reisepass verloren ({run})", priority="urgent")

    async with stack.client("artland-integration") as office:
        work = "/v1/tenants/artland/tickets"
        # The urgent work list, page by page: every concern once, soonest due first, none of Rheine's.
        listed = await all_pages(office, work, {"status": "forwarded", "priority": "urgent", "limit": 2})
        ids = [item["id"] for item in listed]
        assert len(ids) == len(set(ids))
        assert {ticket["id"] for ticket in mine} <= set(ids)
        assert theirs["id"] not in ids
        assert {(item["status"], item["priority"]) for item in listed} == {("forwarded", "urgent")}
        due = [item["due_at"] for item in listed]
        assert due == sorted(due)
        department = mine[0]["department_id"]
        assert {item["department_id"] for item in listed if item["id"] in {t["id"] for t in mine}} == {department}
        one = json_of(await office.get(work, params={"contact_id": mine[0]["contact_id"]}))["items"]
        assert [item["id"] for item in one] == [mine[0]["id"]]
        by_department = await all_pages(office, work, {"department_id": department, "status": "open", "limit": 50})
        assert {ticket["id"] for ticket in mine} <= {item["id"] for item in by_department}

        # The office takes one concern on, notes what it did, and answers the citizen.
        ticket = f"{work}/{mine[0]['id']}"
        claimed = json_of(await office.post(f"{ticket}/claim"))
        assert (claimed["status"], claimed["claimed_by"]) == ("in_progress", INTEGRATION)
        note = json_of(await office.post(f"{ticket}/notes", json={"body": f"Verlustanzeige liegt vor ({run})"}), 201)
        assert note["author"] == INTEGRATION
        answered = json_of(
            await office.post(f"{ticket}/answer", json={"channel": "email", "text": "Bitte Termin online buchen."})
        )
        assert (answered["status"], answered["answered_by"], answered["answer_channel"]) == (
            "answered",
            INTEGRATION,
            "email",
        )
        read = json_of(await office.get(ticket))
        assert (read["status"], read["answer"]) == ("answered", "Bitte Termin online buchen.")
        assert read["caller"]["email"] == "max@example.org"

        history = json_of(await office.get(f"{ticket}/history"))["items"]
        assert [change["action"] for change in history if change["actor"] == INTEGRATION] == [
            "claimed",
            "noted",
            "answered",
        ]
        assert [note["body"] for note in json_of(await office.get(f"{ticket}/notes"))["items"]] == [
            f"Verlustanzeige liegt vor ({run})"
        ]
        still_forwarded = await all_pages(office, work, {"status": "forwarded", "priority": "urgent", "limit": 50})
        assert mine[0]["id"] not in {item["id"] for item in still_forwarded}

        # The same key on Rheine's concern: as if it did not exist, by Artland's path and by Rheine's.
        for path in (f"{work}/{theirs['id']}", f"/v1/tenants/rheine/tickets/{theirs['id']}"):
            assert_not_found(await office.get(path))
            assert_not_found(await office.get(f"{path}/history"))
            assert_not_found(await office.post(f"{path}/claim"))
            assert_not_found(await office.post(f"{path}/notes", json={"body": "nicht unseres"}))
            assert_not_found(await office.post(f"{path}/answer", json={"channel": "email", "text": "nicht unseres"}))
        assert_not_found(await office.get("/v1/tenants/rheine/tickets"))

    async with stack.client("rheine-agent") as rheine_agent:
        untouched = json_of(await rheine_agent.get(f"/v1/tenants/rheine/tickets/{theirs['id']}"))
        assert (untouched["status"], untouched["claimed_by"], untouched["answered_at"]) == ("forwarded", None, None)
        assert json_of(await rheine_agent.get(f"/v1/tenants/rheine/tickets/{theirs['id']}/notes"))["items"] == []
