"""Rules of callers' personal data: reads by the host's staff are audited, export and erasure on request always.

The host processes the callers' data on the municipality's behalf: the municipality (its admins) and the
operators may see everything kept about one caller, have it erased, and see who accessed which data.
Anonymising keeps the facts figures are made of (channel, times, agent, topics, outcome, ticket status
and times) and removes everything the caller said or was told.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from kit.db.database import TenantConnection
from kit.identity import Identity
from kit.pagination import Cursor, page
from tickets.personal import repository
from tickets.personal.errors import CallerUnidentified
from tickets.personal.repository import Anonymised
from tickets.personal.schemas import CallerLookup

_CALLER_FIELDS = ("name", "phone", "email", "address")


def _actor_tenant(identity: Identity) -> str | None:
    """The tenant the actor belongs to: its home tenant when it acts through a grant (none for operators)."""
    return identity.home_tenant_id if identity.delegated else identity.tenant_id


async def record_personal_read(
    conn: TenantConnection,
    identity: Identity,
    *,
    contact_ids: Sequence[uuid.UUID],
    ticket_id: uuid.UUID | None = None,
    request_id: str | None = None,
) -> None:
    """Audit that a principal acting for a tenant it does not belong to was shown these contacts' caller data."""
    if not identity.delegated or not contact_ids:
        return
    await repository.record_access(
        conn,
        actor=identity.subject,
        actor_tenant=identity.home_tenant_id,
        action="read",
        contact_ids=contact_ids,
        ticket_id=ticket_id,
        request_id=request_id,
    )


def _require_caller(caller: CallerLookup) -> None:
    if caller.phone is None and caller.email is None:
        raise CallerUnidentified()


async def export(
    conn: TenantConnection, identity: Identity, *, caller: CallerLookup, request_id: str | None = None
) -> dict[str, Any]:
    """Everything kept about one caller: the contacts with the caller's data, their tickets with answers and notes."""
    _require_caller(caller)
    contacts = await repository.caller_contacts(conn, phone=caller.phone, email=caller.email)
    contact_ids = [contact["id"] for contact in contacts]
    tickets = await repository.tickets_of(conn, contact_ids) if contact_ids else []
    notes = await repository.notes_of(conn, [ticket["id"] for ticket in tickets]) if tickets else []
    notes_by_ticket: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for note in notes:
        notes_by_ticket[note["ticket_id"]].append(note)
    tickets_by_contact: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for ticket in tickets:
        tickets_by_contact[ticket["contact_id"]].append({**ticket, "notes": notes_by_ticket[ticket["id"]]})
    await repository.record_access(
        conn,
        actor=identity.subject,
        actor_tenant=_actor_tenant(identity),
        action="export",
        contact_ids=contact_ids,
        ticket_id=None,
        request_id=request_id,
    )
    return {
        "exported_at": datetime.now(UTC),
        "contacts": [
            {
                **contact,
                "caller": {field: contact[f"caller_{field}"] for field in _CALLER_FIELDS},
                "tickets": tickets_by_contact[contact["id"]],
            }
            for contact in contacts
        ],
    }


async def anonymise(conn: TenantConnection, contact_ids: Sequence[uuid.UUID]) -> Anonymised:
    """Anonymise these contacts, their tickets and notes in the connection's transaction; again is harmless."""
    if not contact_ids:
        return Anonymised(contacts=0, tickets=0, notes=0)
    return await repository.anonymise(conn, contact_ids)


async def erase(
    conn: TenantConnection, identity: Identity, *, caller: CallerLookup, request_id: str | None = None
) -> Anonymised:
    """Anonymise everything kept about one caller, in the connection's transaction, and audit it."""
    _require_caller(caller)
    contact_ids = await repository.caller_contact_ids(conn, phone=caller.phone, email=caller.email)
    done = await anonymise(conn, contact_ids)
    await repository.record_access(
        conn,
        actor=identity.subject,
        actor_tenant=_actor_tenant(identity),
        action="erasure",
        contact_ids=contact_ids,
        ticket_id=None,
        request_id=request_id,
    )
    return done


async def anonymise_expired(conn: TenantConnection, *, limit: int) -> int:
    """Anonymise up to ``limit`` contacts whose data outlived the contract's retention; how many it were.

    Without a contract in force that names a retention period, nothing is touched.
    """
    days = await repository.retention_days(conn)
    if days is None or days < 1:
        return 0
    contact_ids = await repository.expired_contacts(conn, days=days, limit=limit)
    await anonymise(conn, contact_ids)
    return len(contact_ids)


async def accesses(
    conn: TenantConnection, *, action: str | None, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the audit of accesses to callers' data, newest first."""
    after = Cursor.decode(cursor) if cursor is not None else None
    rows = await repository.accesses(conn, action=action, after=after, limit=limit + 1)
    return page(rows, limit, at="at")
