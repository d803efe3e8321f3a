"""The back office's work on forwarded concerns: claim, wait, answer, close, reopen, merge, notes and history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from kit.testing.keys import SigningKeys

from .support import add_department, admin_rows, agent, back_office, count, forwarded_call, host_agent, outbox

TICKETS = "/v1/tenants/artland/tickets"


async def _forwarded(client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection, **changes: Any) -> str:
    department = await add_department(admin, "artland", "Bürgerbüro")
    answer = await client.post(
        "/v1/tenants/artland/contacts", json=forwarded_call(department, **changes), headers=agent(keys, "artland")
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["ticket"]["id"])


async def _events(admin: asyncpg.Connection) -> list[str]:
    return [subject.split(".", 2)[2] for subject, _ in await outbox(admin)]


async def test_a_concern_is_claimed_answered_and_closed_with_events_and_history(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    ticket = await _forwarded(client, keys, admin)
    staff = back_office(keys, "artland")

    claimed = await client.post(f"{TICKETS}/{ticket}/claim", headers=staff)
    answered = await client.post(
        f"{TICKETS}/{ticket}/answer", json={"channel": "callback", "text": "Expresspass erklärt"}, headers=staff
    )
    closed = await client.post(f"{TICKETS}/{ticket}/close", headers=staff)
    history = await client.get(f"{TICKETS}/{ticket}/history", headers=staff)

    assert (claimed.json()["status"], claimed.json()["claimed_by"]) == ("in_progress", "bo-bernd")
    assert (answered.json()["status"], answered.json()["answer_channel"]) == ("answered", "callback")
    assert closed.json()["status"] == "closed"
    assert closed.headers["ETag"] == '"4"'
    assert await _events(admin) == [
        "ticket.forwarded.v1",
        "contact.recorded.v1",
        "ticket.claimed.v1",
        "ticket.answered.v1",
        "ticket.closed.v1",
    ]
    changes = history.json()["items"]
    assert [change["action"] for change in changes] == ["forwarded", "claimed", "answered", "closed"]
    assert changes[1]["before"] == {"status": "forwarded", "claimed_by": None, "claimed_at": None}
    assert changes[1]["after"]["status"] == "in_progress"
    assert {change["actor"] for change in changes[1:]} == {"bo-bernd"}
    assert await count(admin, "deadline_watch") == 0


async def test_answering_a_closed_ticket_is_a_conflict_and_changes_nothing(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    ticket = await _forwarded(client, keys, admin)
    staff = back_office(keys, "artland")
    await client.post(f"{TICKETS}/{ticket}/close", json={"reason": "Hat sich erledigt"}, headers=staff)

    answer = await client.post(f"{TICKETS}/{ticket}/answer", json={"channel": "email"}, headers=staff)

    assert answer.status_code == 409
    assert answer.headers["content-type"] == "application/problem+json"
    [row] = await admin_rows(admin, "SELECT status, answered_at FROM tickets")
    assert (row["status"], row["answered_at"]) == ("closed", None)


async def test_someone_elses_claim_is_a_conflict(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    ticket = await _forwarded(client, keys, admin)
    await client.post(f"{TICKETS}/{ticket}/claim", headers=back_office(keys, "artland"))

    again = await client.post(f"{TICKETS}/{ticket}/claim", headers=back_office(keys, "artland"))
    other = await client.post(f"{TICKETS}/{ticket}/claim", headers=back_office(keys, "artland", "bo-clara"))

    assert again.status_code == 200
    assert other.status_code == 409


async def test_waiting_for_the_citizen_stops_the_watch_and_resuming_gives_a_later_deadline(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    ticket = await _forwarded(client, keys, admin)
    staff = back_office(keys, "artland")
    [before] = await admin_rows(admin, "SELECT due_at FROM tickets")

    waiting = await client.post(f"{TICKETS}/{ticket}/wait", json={"reason": "Geburtsurkunde fehlt"}, headers=staff)
    watched_while_waiting = await count(admin, "deadline_watch")
    # Two days pass while waiting.
    await admin.execute("UPDATE tickets SET paused_at = paused_at - interval '2 days'")
    resumed = await client.post(f"{TICKETS}/{ticket}/resume", headers=staff)

    assert waiting.json()["status"] == "waiting"
    assert watched_while_waiting == 0
    assert resumed.json()["status"] == "forwarded"
    assert datetime.fromisoformat(resumed.json()["due_at"]) >= before["due_at"]
    assert await count(admin, "deadline_watch") == 2
    notes = await client.get(f"{TICKETS}/{ticket}/notes", headers=staff)
    assert [note["body"] for note in notes.json()["items"]] == ["Geburtsurkunde fehlt"]


async def test_a_reopened_concern_gets_a_new_deadline(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    ticket = await _forwarded(client, keys, admin)
    staff = back_office(keys, "artland")
    await client.post(f"{TICKETS}/{ticket}/answer", json={"channel": "letter"}, headers=staff)

    reopened = await client.post(f"{TICKETS}/{ticket}/reopen", json={"reason": "Brief kam nicht an"}, headers=staff)

    assert reopened.status_code == 200, reopened.text
    assert (reopened.json()["status"], reopened.json()["reopen_count"]) == ("in_progress", 1)
    assert await count(admin, "deadline_watch") == 2
    assert (await _events(admin))[-1] == "ticket.reopened.v1"


async def test_a_duplicate_is_merged_into_the_ticket_that_stays(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    first = await _forwarded(client, keys, admin)
    duplicate = await _forwarded(client, keys, admin)
    staff = back_office(keys, "artland")

    merged = await client.post(f"{TICKETS}/{duplicate}/merge", json={"into": first}, headers=staff)
    into_itself = await client.post(f"{TICKETS}/{first}/merge", json={"into": first}, headers=staff)
    reopened = await client.post(f"{TICKETS}/{duplicate}/reopen", headers=staff)

    assert (merged.json()["status"], merged.json()["merged_into"]) == ("closed", first)
    assert into_itself.status_code == 409
    assert reopened.status_code == 409
    notes = (await client.get(f"{TICKETS}/{first}/notes", headers=staff)).json()["items"]
    assert duplicate in notes[0]["body"]


async def test_edits_need_the_current_etag(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    ticket = await _forwarded(client, keys, admin)
    staff = back_office(keys, "artland")
    read = await client.get(f"{TICKETS}/{ticket}", headers=staff)

    without = await client.patch(f"{TICKETS}/{ticket}", json={"priority": "high"}, headers=staff)
    current = await client.patch(
        f"{TICKETS}/{ticket}", json={"priority": "high"}, headers=staff | {"If-Match": read.headers["ETag"]}
    )
    stale = await client.patch(
        f"{TICKETS}/{ticket}", json={"priority": "urgent"}, headers=staff | {"If-Match": read.headers["ETag"]}
    )

    assert (without.status_code, current.status_code, stale.status_code) == (428, 200, 412)
    assert current.json()["priority"] == "high"
    assert current.headers["ETag"] == '"2"'


async def test_handing_on_to_another_tenants_department_is_refused(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    ticket = await _forwarded(client, keys, admin)
    munich = await add_department(admin, "muenchen", "KVR")

    answer = await client.patch(
        f"{TICKETS}/{ticket}",
        json={"department_id": str(munich)},
        headers=back_office(keys, "artland") | {"If-Match": '"1"'},
    )

    assert answer.status_code == 422
    assert "department_id" in answer.text


async def test_a_single_read_shows_the_caller_and_audits_host_staff(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    ticket = await _forwarded(client, keys, admin)

    own = await client.get(f"{TICKETS}/{ticket}", headers=back_office(keys, "artland"))
    hosted = await client.get(f"{TICKETS}/{ticket}", headers=host_agent(keys, "artland"))
    listed = await client.get(TICKETS, headers=host_agent(keys, "artland"))

    assert own.json()["caller"]["name"] == hosted.json()["caller"]["name"] == "Erika Mustermann"
    assert listed.json()["items"][0]["caller"] is None
    audit = await admin_rows(admin, "SELECT actor, action, ticket_id::text FROM personal_data_accesses")
    assert [(a["actor"], a["action"], a["ticket_id"]) for a in audit] == [("host-agent-olga", "read", ticket)]


@pytest.mark.parametrize(
    ("method", "action"),
    [
        ("GET", ""),
        ("PATCH", ""),
        ("POST", "/claim"),
        ("POST", "/wait"),
        ("POST", "/resume"),
        ("POST", "/answer"),
        ("POST", "/close"),
        ("POST", "/reopen"),
        ("POST", "/merge"),
        ("POST", "/notes"),
        ("GET", "/notes"),
        ("GET", "/history"),
    ],
)
async def test_another_tenant_can_neither_read_nor_change_a_ticket(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection, method: str, action: str
) -> None:
    ticket = await _forwarded(client, keys, admin)
    just_now = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    bodies = {
        "/claim": {"claimed_at": just_now},
        "/answer": {"channel": "email", "answered_at": just_now},
        "/merge": {"into": ticket},
        "/notes": {"body": "x"},
        "": {},
    }
    body = bodies.get(action) if method != "GET" else None
    headers = back_office(keys, "muenchen") | {"If-Match": "*"}

    foreign = await client.request(method, f"{TICKETS}/{ticket}{action}", json=body, headers=headers)
    own_url = await client.request(method, f"/v1/tenants/muenchen/tickets/{ticket}{action}", json=body, headers=headers)

    assert (foreign.status_code, own_url.status_code) == (404, 404)
    [row] = await admin_rows(admin, "SELECT status, version FROM tickets")
    assert (row["status"], row["version"]) == ("forwarded", 1)
    assert await count(admin, "ticket_notes") == 0


async def test_a_departments_open_tickets_are_listed_soonest_due_first_with_a_total(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    passports = await add_department(admin, "artland", "Bürgerbüro")
    waste = await add_department(admin, "artland", "Abfallwirtschaft")
    contacts = "/v1/tenants/artland/contacts"
    ids = []
    for department in (passports, passports, waste, passports):
        created = await client.post(contacts, json=forwarded_call(department), headers=agent(keys, "artland"))
        ids.append(created.json()["ticket"]["id"])
    staff = back_office(keys, "artland")
    await client.post(f"{TICKETS}/{ids[1]}/answer", json={"channel": "email"}, headers=staff)
    # The last one was due yesterday: it is overdue.
    await admin.execute("UPDATE tickets SET due_at = now() - interval '1 day' WHERE id = $1::uuid", ids[3])

    first = await client.get(
        TICKETS,
        params={"department_id": str(passports), "status": "open", "limit": 1, "include_total": "true"},
        headers=staff,
    )
    second = await client.get(
        TICKETS,
        params={"department_id": str(passports), "status": "open", "limit": 1, "cursor": first.json()["next_cursor"]},
        headers=staff,
    )
    overdue = await client.get(TICKETS, params={"overdue": "true"}, headers=staff)
    due_soon = await client.get(
        TICKETS, params={"due_before": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}, headers=staff
    )

    assert first.json()["total"] == 2
    assert [first.json()["items"][0]["id"], second.json()["items"][0]["id"]] == [ids[3], ids[0]]
    assert second.json()["next_cursor"] is None
    assert [(t["id"], t["overdue"]) for t in overdue.json()["items"]] == [(ids[3], True)]
    assert [t["id"] for t in due_soon.json()["items"]] == [ids[3]]


async def test_notes_are_internal_unless_made_public(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    ticket = await _forwarded(client, keys, admin)
    staff = back_office(keys, "artland")

    internal = await client.post(f"{TICKETS}/{ticket}/notes", json={"body": "Rückruf versucht"}, headers=staff)
    public = await client.post(
        f"{TICKETS}/{ticket}/notes", json={"body": "Wir melden uns bis Freitag.", "public": True}, headers=staff
    )
    empty = await client.post(f"{TICKETS}/{ticket}/notes", json={"body": ""}, headers=staff)

    assert (internal.status_code, public.status_code, empty.status_code) == (201, 201, 422)
    assert (internal.json()["public"], public.json()["public"]) == (False, True)
    history = await client.get(f"{TICKETS}/{ticket}/history", headers=staff)
    assert [change["action"] for change in history.json()["items"]][-2:] == ["noted", "noted"]
