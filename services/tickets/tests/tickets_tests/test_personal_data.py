"""A municipality's callers' data: export and erasure on request, the audit of who saw them, nothing across tenants."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from kit.db.database import Database
from kit.identity import Identity
from kit.testing.keys import SigningKeys
from tickets.personal.service import record_personal_read

from .support import PASSPORT_KEY, add_contact, add_note, add_ticket, admin_rows, insert

ARTLAND = "/v1/tenants/artland/contacts/personal-data"
ERIKA_PHONE = "+4954311800"
ERIKA_EMAIL = "Erika.Mustermann@Example.org"
NOW = datetime.now(UTC)


async def _contact(
    admin: asyncpg.Connection,
    tenant_id: str,
    *,
    phone: str | None = None,
    email: str | None = None,
    name: str | None = "Erika Mustermann",
    started_at: datetime = NOW - timedelta(days=3),
) -> uuid.UUID:
    return await add_contact(
        admin,
        tenant_id,
        started_at=started_at,
        ended_at=started_at + timedelta(minutes=4),
        agent="agent-kruse",
        description_ids=[uuid.UUID(int=7)],
        leika_key=PASSPORT_KEY,
        summary="Fragt nach ihrem Reisepass, Hauptstraße 5",
        caller_name=name,
        caller_phone=phone,
        caller_email=email,
        caller_address="Hauptstraße 5, 49610 Quakenbrück",
    )


async def _ticket(admin: asyncpg.Connection, tenant_id: str, contact_id: uuid.UUID) -> uuid.UUID:
    forwarded_at = NOW - timedelta(days=3)
    ticket_id = await add_ticket(
        admin,
        tenant_id,
        contact_id=contact_id,
        forwarded_at=forwarded_at,
        status="answered",
        subject="Reisepass von Frau Mustermann",
        leika_key=PASSPORT_KEY,
        answered_at=forwarded_at + timedelta(days=1),
        answered_by="office-brandt",
        answer_channel="callback",
        answer="Pass liegt zur Abholung bereit",
        address="Hauptstraße 5",
        latitude=52.68,
        longitude=7.95,
    )
    await add_note(admin, tenant_id, ticket_id, author="office-brandt", body="Frau Mustermann ruft ab 14 Uhr zurück")
    await insert(
        admin,
        "ticket_changes",
        tenant_id=tenant_id,
        ticket_id=ticket_id,
        actor="office-brandt",
        action="updated",
        before=json.dumps({"subject": "Pass Mustermann", "priority": "normal"}),
        after=json.dumps({"subject": "Reisepass von Frau Mustermann", "priority": "high"}),
    )
    return ticket_id


async def callers(admin: asyncpg.Connection) -> dict[str, Any]:
    """Erika in artland (by phone on one contact, by e-mail on another, with a ticket), Max in artland, and a
    Münchner with Erika's phone number."""
    by_phone = await _contact(admin, "artland", phone=ERIKA_PHONE, started_at=NOW - timedelta(days=5))
    by_email = await _contact(admin, "artland", email=ERIKA_EMAIL, name=None)
    ticket = await _ticket(admin, "artland", by_email)
    max_contact = await _contact(admin, "artland", phone="+495410000", name="Max Meier")
    max_ticket = await _ticket(admin, "artland", max_contact)
    muenchen = await _contact(admin, "muenchen", phone=ERIKA_PHONE, name="Erika aus München")
    return {
        "by_phone": by_phone,
        "by_email": by_email,
        "ticket": ticket,
        "max": max_contact,
        "max_ticket": max_ticket,
        "muenchen": muenchen,
    }


async def snapshot(admin: asyncpg.Connection) -> list[list[dict[str, Any]]]:
    """Every row of the tables personal data live in, as the superuser sees them."""
    return [
        await admin_rows(admin, f"SELECT * FROM {table} ORDER BY tenant_id, id")
        for table in ("contacts", "tickets", "ticket_notes", "ticket_changes", "personal_data_accesses")
    ]


async def test_export_gives_one_callers_contacts_tickets_and_notes_and_is_audited(
    client: httpx.AsyncClient, admin: asyncpg.Connection, keys: SigningKeys
) -> None:
    known = await callers(admin)
    host_admin = keys.headers_for("artland", "tenant_admin", subject="dsb-oldenburg", home="oldenburg")

    answer = await client.post(
        f"{ARTLAND}/export",
        json={"phone": "+49 5431 18-00", "email": "erika.mustermann@EXAMPLE.org"},
        headers=host_admin | {"X-Request-Id": "req-export-1"},
    )
    by_phone_only = await client.post(
        f"{ARTLAND}/export", json={"phone": ERIKA_PHONE}, headers=keys.headers_for("artland", "tenant_admin")
    )

    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    contacts = answer.json()["contacts"]
    assert [contact["id"] for contact in contacts] == [str(known["by_email"]), str(known["by_phone"])]
    assert contacts[0]["caller"] == {
        "name": None,
        "phone": None,
        "email": ERIKA_EMAIL,
        "address": "Hauptstraße 5, 49610 Quakenbrück",
    }
    assert contacts[1]["caller"]["name"] == "Erika Mustermann"
    assert contacts[0]["summary"] == "Fragt nach ihrem Reisepass, Hauptstraße 5"
    assert (contacts[0]["channel"], contacts[0]["agent"], contacts[0]["outcome"]) == (
        "phone",
        "agent-kruse",
        "forwarded",
    )
    [ticket] = contacts[0]["tickets"]
    assert ticket["id"] == str(known["ticket"])
    assert (ticket["subject"], ticket["answer"], ticket["address"]) == (
        "Reisepass von Frau Mustermann",
        "Pass liegt zur Abholung bereit",
        "Hauptstraße 5",
    )
    assert [note["body"] for note in ticket["notes"]] == ["Frau Mustermann ruft ab 14 Uhr zurück"]
    assert contacts[1]["tickets"] == []
    assert [contact["id"] for contact in by_phone_only.json()["contacts"]] == [str(known["by_phone"])]
    audit = await admin_rows(
        admin, "SELECT tenant_id, actor, actor_tenant, action, contact_ids, request_id FROM personal_data_accesses"
    )
    assert sorted(audit, key=lambda row: row["actor"]) == [
        {
            "tenant_id": "artland",
            "actor": "dsb-oldenburg",
            "actor_tenant": "oldenburg",
            "action": "export",
            "contact_ids": [known["by_email"], known["by_phone"]],
            "request_id": "req-export-1",
        },
        {
            "tenant_id": "artland",
            "actor": "test-user",
            "actor_tenant": "artland",
            "action": "export",
            "contact_ids": [known["by_phone"]],
            "request_id": None,
        },
    ]


async def test_an_export_that_finds_nobody_is_empty_and_audited_too(
    client: httpx.AsyncClient, admin: asyncpg.Connection, keys: SigningKeys
) -> None:
    await callers(admin)

    answer = await client.post(
        f"{ARTLAND}/export", json={"email": "nobody@example.org"}, headers=keys.headers_for("artland", "operator")
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["contacts"] == []
    audit = await admin_rows(admin, "SELECT actor_tenant, action, contact_ids FROM personal_data_accesses")
    assert audit == [{"actor_tenant": "artland", "action": "export", "contact_ids": []}]


async def test_erasure_anonymises_the_caller_keeps_the_facts_and_a_second_erasure_changes_nothing(
    client: httpx.AsyncClient, admin: asyncpg.Connection, keys: SigningKeys
) -> None:
    known = await callers(admin)
    tenant_admin = keys.headers_for("artland", "tenant_admin", subject="dsb-artland")
    body = {"phone": "+49 (5431) 1800", "email": ERIKA_EMAIL.upper()}
    facts = "SELECT id, channel, started_at, ended_at, agent, description_ids, leika_key, outcome FROM contacts"
    ticket_facts = "SELECT id, status, forwarded_at, answered_at, answered_by, answer_channel, closed_at FROM tickets"
    facts_before = await admin_rows(admin, f"{facts} ORDER BY id")
    ticket_facts_before = await admin_rows(admin, f"{ticket_facts} ORDER BY id")

    first = await client.post(f"{ARTLAND}/erasure", json=body, headers=tenant_admin)
    after_first = await snapshot(admin)
    second = await client.post(f"{ARTLAND}/erasure", json=body, headers=tenant_admin)

    assert first.status_code == 200, first.text
    assert first.json() == {"contacts": 2, "tickets": 1, "notes": 1}
    assert second.json() == {"contacts": 0, "tickets": 0, "notes": 0}
    erased = await admin_rows(
        admin,
        "SELECT caller_name, caller_phone, caller_email, caller_address, summary, anonymised_at IS NOT NULL AS done"
        " FROM contacts WHERE id = ANY($1::uuid[])",
        [known["by_phone"], known["by_email"]],
    )
    assert (
        erased
        == [
            {
                "caller_name": None,
                "caller_phone": None,
                "caller_email": None,
                "caller_address": None,
                "summary": None,
                "done": True,
            }
        ]
        * 2
    )
    [ticket] = await admin_rows(
        admin,
        "SELECT subject, answer, address, latitude, longitude, version FROM tickets WHERE id = $1",
        known["ticket"],
    )
    assert ticket == {
        "subject": "Anonymisiert",
        "answer": None,
        "address": None,
        "latitude": None,
        "longitude": None,
        "version": 2,
    }
    assert await admin_rows(admin, "SELECT body FROM ticket_notes WHERE ticket_id = $1", known["ticket"]) == [
        {"body": "Anonymisiert"}
    ]
    [change] = await admin_rows(admin, "SELECT before, after FROM ticket_changes WHERE ticket_id = $1", known["ticket"])
    assert (json.loads(change["before"]), json.loads(change["after"])) == (
        {"subject": None, "priority": "normal"},
        {"subject": None, "priority": "high"},
    )
    assert await admin_rows(admin, f"{facts} ORDER BY id") == facts_before
    assert await admin_rows(admin, f"{ticket_facts} ORDER BY id") == ticket_facts_before
    [max_contact] = await admin_rows(admin, "SELECT caller_name, summary FROM contacts WHERE id = $1", known["max"])
    assert max_contact == {"caller_name": "Max Meier", "summary": "Fragt nach ihrem Reisepass, Hauptstraße 5"}
    [max_ticket] = await admin_rows(admin, "SELECT subject FROM tickets WHERE id = $1", known["max_ticket"])
    assert max_ticket == {"subject": "Reisepass von Frau Mustermann"}
    [muenchen] = await admin_rows(admin, "SELECT caller_phone FROM contacts WHERE id = $1", known["muenchen"])
    assert muenchen == {"caller_phone": ERIKA_PHONE}
    [contacts, tickets, notes, changes, _] = await snapshot(admin)
    assert [contacts, tickets, notes, changes] == after_first[:4]
    audit = await admin_rows(admin, "SELECT actor, action, contact_ids FROM personal_data_accesses ORDER BY at")
    assert audit == [
        {"actor": "dsb-artland", "action": "erasure", "contact_ids": sorted([known["by_phone"], known["by_email"]])},
        {"actor": "dsb-artland", "action": "erasure", "contact_ids": []},
    ]


async def test_another_tenants_admin_gets_404_and_sees_and_changes_nothing(
    client: httpx.AsyncClient, admin: asyncpg.Connection, keys: SigningKeys
) -> None:
    await callers(admin)
    before = await snapshot(admin)
    muenchen_admin = keys.headers_for("muenchen", "tenant_admin")

    answers = [
        await client.post(f"{ARTLAND}/export", json={"phone": ERIKA_PHONE}, headers=muenchen_admin),
        await client.post(f"{ARTLAND}/erasure", json={"phone": ERIKA_PHONE}, headers=muenchen_admin),
        await client.get(f"{ARTLAND}/accesses", headers=muenchen_admin),
    ]

    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert all(ERIKA_PHONE not in answer.text for answer in answers)
    assert await snapshot(admin) == before


async def test_agents_and_back_office_get_403(
    client: httpx.AsyncClient, admin: asyncpg.Connection, keys: SigningKeys
) -> None:
    await callers(admin)
    before = await snapshot(admin)

    answers = [
        await client.post(
            f"{ARTLAND}/export", json={"phone": ERIKA_PHONE}, headers=keys.headers_for("artland", "agent")
        ),
        await client.post(
            f"{ARTLAND}/erasure", json={"phone": ERIKA_PHONE}, headers=keys.headers_for("artland", "back_office")
        ),
        await client.get(f"{ARTLAND}/accesses", headers=keys.headers_for("artland", "agent", home="oldenburg")),
    ]

    assert [answer.status_code for answer in answers] == [403, 403, 403]
    assert await snapshot(admin) == before


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, ["phone", "email"]),
        ({"phone": None, "email": None}, ["phone", "email"]),
        ({"email": "erika-at-example.org"}, ["email"]),
        ({"phone": "call me"}, ["phone"]),
        ({"phone": ERIKA_PHONE, "name": "Erika"}, ["name"]),
    ],
)
@pytest.mark.parametrize("action", ["export", "erasure"])
async def test_a_request_that_names_no_caller_or_a_malformed_one_is_422_naming_the_field(
    client: httpx.AsyncClient, keys: SigningKeys, body: dict[str, Any], fields: list[str], action: str
) -> None:
    answer = await client.post(f"{ARTLAND}/{action}", json=body, headers=keys.headers_for("artland", "tenant_admin"))

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert [error["field"] for error in answer.json()["errors"]] == fields


async def test_the_audit_lists_newest_first_by_pages_and_by_action(
    client: httpx.AsyncClient, admin: asyncpg.Connection, keys: SigningKeys
) -> None:
    known = await callers(admin)
    tenant_admin = keys.headers_for("artland", "tenant_admin")
    operator = keys.headers_for("artland", "operator", subject="ops-lange")
    await client.post(f"{ARTLAND}/export", json={"phone": ERIKA_PHONE}, headers=operator)
    await client.post(f"{ARTLAND}/erasure", json={"phone": "+495410000"}, headers=tenant_admin)
    await client.post(f"{ARTLAND}/export", json={"email": ERIKA_EMAIL}, headers=tenant_admin)

    first = await client.get(f"{ARTLAND}/accesses", params={"limit": 2}, headers=tenant_admin)
    rest = await client.get(
        f"{ARTLAND}/accesses", params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=tenant_admin
    )
    exports = await client.get(f"{ARTLAND}/accesses", params={"action": "export"}, headers=operator)
    bad_action = await client.get(f"{ARTLAND}/accesses", params={"action": "delete"}, headers=tenant_admin)
    bad_cursor = await client.get(f"{ARTLAND}/accesses", params={"cursor": "nonsense"}, headers=tenant_admin)

    assert first.status_code == 200, first.text
    assert [(item["action"], item["contact_ids"]) for item in first.json()["items"]] == [
        ("export", [str(known["by_email"])]),
        ("erasure", [str(known["max"])]),
    ]
    assert [(item["action"], item["actor"]) for item in rest.json()["items"]] == [("export", "ops-lange")]
    assert rest.json()["next_cursor"] is None
    assert [item["contact_ids"] for item in exports.json()["items"]] == [
        [str(known["by_email"])],
        [str(known["by_phone"])],
    ]
    assert (bad_action.status_code, bad_cursor.status_code) == (422, 422)
    assert [error["field"] for error in bad_action.json()["errors"]] == ["action"]


async def test_personal_read_is_recorded_only_for_principals_acting_for_another_tenant(
    database: Database, admin: asyncpg.Connection
) -> None:
    known = await callers(admin)
    host_agent = Identity(
        subject="agent-kruse",
        tenant_id="artland",
        roles=frozenset({"agent"}),
        delegated=True,
        home_tenant_id="oldenburg",
    )
    operator = Identity(subject="ops-lange", tenant_id="artland", roles=frozenset({"operator"}), delegated=True)
    own_agent = Identity(subject="agent-artland", tenant_id="artland", roles=frozenset({"agent"}))

    async with database.lean_transaction("artland") as conn:
        await record_personal_read(
            conn, host_agent, contact_ids=[known["by_email"]], ticket_id=known["ticket"], request_id="req-7"
        )
        await record_personal_read(conn, operator, contact_ids=[known["by_phone"]])
        await record_personal_read(conn, own_agent, contact_ids=[known["by_phone"]], request_id="req-8")
        await record_personal_read(conn, host_agent, contact_ids=[])

    audit = await admin_rows(
        admin,
        "SELECT tenant_id, actor, actor_tenant, action, contact_ids, ticket_id, request_id, at IS NOT NULL AS dated"
        " FROM personal_data_accesses ORDER BY actor",
    )
    assert audit == [
        {
            "tenant_id": "artland",
            "actor": "agent-kruse",
            "actor_tenant": "oldenburg",
            "action": "read",
            "contact_ids": [known["by_email"]],
            "ticket_id": known["ticket"],
            "request_id": "req-7",
            "dated": True,
        },
        {
            "tenant_id": "artland",
            "actor": "ops-lange",
            "actor_tenant": None,
            "action": "read",
            "contact_ids": [known["by_phone"]],
            "ticket_id": None,
            "request_id": None,
            "dated": True,
        },
    ]
