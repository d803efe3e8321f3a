"""Recording contacts: every interaction with its outcome, and the concerns not solved at once forwarded."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from kit.testing.keys import SigningKeys

from .support import (
    PASSPORT_KEY,
    add_contract,
    add_department,
    admin_rows,
    agent,
    count,
    forwarded_call,
    host_agent,
    know_tenants,
    outbox,
    phone_call,
    served_since_2020,
)

CONTACTS = "/v1/tenants/artland/contacts"


async def test_a_call_solved_at_first_contact_is_recorded_with_its_event(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    answer = await client.post(CONTACTS, json=phone_call(), headers=agent(keys, "artland"))

    assert answer.status_code == 201, answer.text
    contact = answer.json()
    assert (contact["outcome"], contact["agent"], contact["ticket"]) == ("solved", "agent-anna", None)
    assert answer.headers["Location"] == f"{CONTACTS}/{contact['id']}"
    [(subject, event)] = await outbox(admin)
    assert subject == "tickets.artland.contact.recorded.v1"
    assert event["data"] | {"ticket_id": None} == event["data"]
    assert (event["data"]["id"], event["data"]["leika_key"]) == (contact["id"], PASSPORT_KEY)
    assert "caller" not in event["data"]


async def test_a_forwarded_call_becomes_a_ticket_due_by_the_contract_and_watched(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    passports = await add_department(admin, "artland", "Bürgerbüro")

    answer = await client.post(CONTACTS, json=forwarded_call(passports), headers=agent(keys, "artland"))

    assert answer.status_code == 201, answer.text
    ticket = answer.json()["ticket"]
    assert (ticket["status"], ticket["department_id"]) == ("forwarded", str(passports))
    assert ticket["due_at"] is not None
    [row] = await admin_rows(admin, "SELECT * FROM tickets")
    assert (row["contract_version"], row["deadline_rule"], row["reply_by"]) == (1, "business_hours:24", "callback")
    assert row["subject"] == "Rückruf zum Reisepass"
    assert row["warn_at"] < row["due_at"]
    watched = await admin_rows(admin, "SELECT kind, at FROM deadline_watch ORDER BY kind")
    assert [(w["kind"], w["at"]) for w in watched] == [("escalation", row["due_at"]), ("warning", row["warn_at"])]
    assert [subject for subject, _ in await outbox(admin)] == [
        "tickets.artland.ticket.forwarded.v1",
        "tickets.artland.contact.recorded.v1",
    ]


async def test_a_call_recorded_late_is_due_from_its_end_under_the_contract_then_in_force(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    # Until June 2024 the answer was due at the end of the next working day; then within 24 service hours.
    await served_since_2020(admin, "bersenbrueck", forwarding_deadline={"rule": "next_working_day_end"})
    await add_contract(admin, "bersenbrueck", version=2, effective_from=datetime(2024, 6, 1, tzinfo=UTC))
    department = await add_department(admin, "bersenbrueck", "Bürgerbüro")
    recorded_from = datetime.now(UTC)
    # Tuesday 12 March 2024, 17:00 in Bersenbrück; Wednesday is a working day in Lower Saxony.
    call = forwarded_call(department, started_at="2024-03-12T16:56:00+01:00", ended_at="2024-03-12T17:00:00+01:00")

    answer = await client.post("/v1/tenants/bersenbrueck/contacts", json=call, headers=agent(keys, "bersenbrueck"))

    assert answer.status_code == 201, answer.text
    wednesday_18 = datetime(2024, 3, 13, 17, 0, tzinfo=UTC)
    assert datetime.fromisoformat(answer.json()["ticket"]["due_at"]) == wednesday_18
    [row] = await admin_rows(admin, "SELECT * FROM tickets")
    assert row["forwarded_at"] == datetime(2024, 3, 12, 16, 0, tzinfo=UTC)
    assert (row["due_at"], row["contract_version"], row["deadline_rule"]) == (wednesday_18, 1, "next_working_day_end")
    # Two hours of business time before the deadline: Wednesday 16:00.
    assert row["warn_at"] == datetime(2024, 3, 13, 15, 0, tzinfo=UTC)
    watched = await admin_rows(admin, "SELECT kind, at FROM deadline_watch ORDER BY kind")
    assert [(w["kind"], w["at"]) for w in watched] == [("escalation", wednesday_18), ("warning", row["warn_at"])]
    [(_, forwarded), _] = await outbox(admin)
    assert datetime.fromisoformat(forwarded["data"]["forwarded_at"]) == row["forwarded_at"]
    assert datetime.fromisoformat(forwarded["data"]["due_at"]) == wednesday_18
    [change] = await admin_rows(admin, "SELECT at, action, after FROM ticket_changes")
    assert (change["action"], change["at"] >= recorded_from) == ("forwarded", True)
    assert datetime.fromisoformat(json.loads(change["after"])["forwarded_at"]) == row["forwarded_at"]


async def test_a_call_said_to_end_later_is_forwarded_now(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    department = await add_department(admin, "artland", "Bürgerbüro")
    before = datetime.now(UTC)
    call = forwarded_call(department, started_at=before.isoformat(), ended_at=(before + timedelta(hours=1)).isoformat())

    answer = await client.post(CONTACTS, json=call, headers=agent(keys, "artland"))

    assert answer.status_code == 201, answer.text
    [row] = await admin_rows(admin, "SELECT forwarded_at FROM tickets")
    assert before <= row["forwarded_at"] <= datetime.now(UTC)


async def test_without_a_department_the_one_responsible_for_the_leika_key_gets_it(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    await add_department(admin, "artland", "Ordnungsamt", leika_keys=("99050012104000",))
    passports = await add_department(admin, "artland", "Bürgerbüro", leika_keys=(PASSPORT_KEY,))

    answer = await client.post(CONTACTS, json=forwarded_call(), headers=agent(keys, "artland"))

    assert answer.status_code == 201, answer.text
    assert answer.json()["ticket"]["department_id"] == str(passports)


async def test_forwarding_with_nobody_responsible_names_the_field_and_writes_nothing(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    answer = await client.post(CONTACTS, json=forwarded_call(), headers=agent(keys, "artland"))

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert "forward.department_id" in answer.text
    assert await count(admin, "contacts") == await count(admin, "outbox") == 0


async def test_forwarding_to_another_tenants_department_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    munich = await add_department(admin, "muenchen", "KVR", leika_keys=(PASSPORT_KEY,))

    answer = await client.post(CONTACTS, json=forwarded_call(munich), headers=agent(keys, "artland"))

    assert answer.status_code == 422
    assert "forward.department_id" in answer.text
    assert await count(admin, "contacts") == await count(admin, "tickets") == await count(admin, "outbox") == 0


async def test_without_a_contract_in_force_nothing_is_forwarded(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    await know_tenants(admin, {"bersenbrueck": "Stadt Bersenbrück"})
    department = await add_department(admin, "bersenbrueck", "Rathaus")

    answer = await client.post(
        "/v1/tenants/bersenbrueck/contacts", json=forwarded_call(department), headers=agent(keys, "bersenbrueck")
    )

    assert answer.status_code == 409
    assert "contract" in answer.json()["detail"]
    assert await count(admin, "contacts") == 0


async def test_an_unknown_tenant_has_no_contacts(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    answer = await client.post("/v1/tenants/nowhere/contacts", json=phone_call(), headers=agent(keys, "nowhere"))

    assert answer.status_code == 404


async def test_the_same_idempotency_key_gives_the_first_answer_again_and_refuses_another_body(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    department = await add_department(admin, "artland", "Bürgerbüro")
    headers = agent(keys, "artland") | {"Idempotency-Key": "call-4711"}

    first = await client.post(CONTACTS, json=forwarded_call(department), headers=headers)
    again = await client.post(CONTACTS, json=forwarded_call(department), headers=headers)
    other = await client.post(CONTACTS, json=phone_call(), headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["ticket"]["id"] == first.json()["ticket"]["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert "Idempotency-Key" in other.text
    assert (await count(admin, "contacts"), await count(admin, "tickets")) == (1, 1)


async def test_bad_input_names_the_field(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    cases = {
        "forward": phone_call(outcome="forwarded"),
        "ended_at": phone_call(ended_at="2026-11-24T08:00:00+01:00"),
        "referred_to": phone_call(referred_to="Landkreis Osnabrück"),
        "leika_key": phone_call(leika_key="123"),
        "caller.phone": phone_call(caller={"phone": "call me"}),
        "started_at": phone_call(started_at="2026-11-24T09:00:00"),
    }
    for field, body in cases.items():
        answer = await client.post(CONTACTS, json=body, headers=agent(keys, "artland"))

        assert answer.status_code == 422, field
        assert any(error["field"].endswith(field) for error in answer.json()["errors"]), (field, answer.text)


async def test_lists_leave_out_callers_data_and_a_single_read_by_a_host_agent_is_audited(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    department = await add_department(admin, "artland", "Bürgerbüro")
    created = await client.post(CONTACTS, json=forwarded_call(department), headers=agent(keys, "artland"))
    contact_id = created.json()["id"]

    listed = await client.get(CONTACTS, headers=agent(keys, "artland"))
    own = await client.get(f"{CONTACTS}/{contact_id}", headers=agent(keys, "artland"))
    hosted = await client.get(f"{CONTACTS}/{contact_id}", headers=host_agent(keys, "artland"))

    [item] = listed.json()["items"]
    assert (item["caller"], item["has_caller_data"]) == (None, True)
    assert own.json()["caller"] == hosted.json()["caller"]
    assert hosted.json()["caller"]["phone"] == "+495431123456"
    audit = await admin_rows(admin, "SELECT actor, actor_tenant, action, contact_ids FROM personal_data_accesses")
    assert [(a["actor"], a["actor_tenant"], a["action"]) for a in audit] == [("host-agent-olga", "oldenburg", "read")]
    assert audit[0]["contact_ids"] == [uuid.UUID(contact_id)]


async def test_another_tenant_cannot_see_a_contact(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    created = await client.post(CONTACTS, json=phone_call(), headers=agent(keys, "artland"))
    contact_id = created.json()["id"]

    foreign_url = await client.get(f"{CONTACTS}/{contact_id}", headers=agent(keys, "muenchen"))
    own_url = await client.get(f"/v1/tenants/muenchen/contacts/{contact_id}", headers=agent(keys, "muenchen"))
    listed = await client.get("/v1/tenants/muenchen/contacts", headers=agent(keys, "muenchen"))

    assert (foreign_url.status_code, own_url.status_code) == (404, 404)
    assert listed.json()["items"] == []


async def test_contacts_are_listed_latest_first_page_by_page_with_filters(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    for minute in range(5):
        body = phone_call(started_at=f"2026-11-24T10:0{minute}:00+01:00", ended_at="2026-11-24T11:00:00+01:00")
        body["channel"] = "email" if minute == 4 else "phone"
        assert (await client.post(CONTACTS, json=body, headers=agent(keys, "artland"))).status_code == 201

    first = await client.get(CONTACTS, params={"limit": 2, "channel": "phone"}, headers=agent(keys, "artland"))
    second = await client.get(
        CONTACTS,
        params={"limit": 2, "channel": "phone", "cursor": first.json()["next_cursor"]},
        headers=agent(keys, "artland"),
    )

    starts = [item["started_at"] for item in first.json()["items"] + second.json()["items"]]
    assert starts == ["2026-11-24T09:03:00Z", "2026-11-24T09:02:00Z", "2026-11-24T09:01:00Z", "2026-11-24T09:00:00Z"]
    assert second.json()["next_cursor"] is None


async def test_a_back_office_member_may_read_but_not_record_contacts(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    headers = keys.headers_for("artland", "back_office")

    assert (await client.post(CONTACTS, json=phone_call(), headers=headers)).status_code == 403
    assert (await client.get(CONTACTS, headers=headers)).status_code == 200
