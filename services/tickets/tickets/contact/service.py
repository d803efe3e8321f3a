"""Rules of recording a contact: what it was about, how it ended, and, if not solved at once, its ticket."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kit.db.database import TenantConnection
from kit.events import CloudEvent
from kit.identity import Identity
from kit.pagination import Cursor, page
from tickets.contact import repository
from tickets.contact.errors import ContactNotFound, IdempotencyKeyReused, TenantNotServed
from tickets.contact.repository import ContactFilter
from tickets.contact.schemas import ContactCreate, Forwarding
from tickets.directory.terms import ForwardingContext, forwarding_context
from tickets.events import published
from tickets.ticket import service as ticket_service
from tickets.ticket.errors import NoContractInForce, NoResponsibleDepartment, UnknownDepartment

CALLER_FIELDS = ("caller_name", "caller_phone", "caller_email", "caller_address")


def request_hash(data: ContactCreate) -> str:
    """What a repeated Idempotency-Key must repeat: the body as sent (defaults filled later do not count)."""
    return hashlib.sha256(data.model_dump_json(exclude_unset=True).encode()).hexdigest()


async def record(
    conn: TenantConnection,
    identity: Identity,
    *,
    data: ContactCreate,
    idempotency_key: str | None,
    ticket_extras: Mapping[str, Any] | None = None,
    unassigned_ok: bool = False,
) -> tuple[dict[str, Any], bool]:
    """Record a contact, forwarding it as a ticket if it was not solved at once; and whether it is a replay.

    The ticket is forwarded when the contact ended (when the caller was told; now, if that lies ahead), and due
    under the contract in force then: a contact recorded late keeps the deadline the caller was promised. An
    Open311 request ends when it is posted. ``ticket_extras`` are further columns of the ticket (an Open311
    request's source and what it was posted with); with ``unassigned_ok`` a ticket no department is responsible
    for is forwarded unassigned.
    """
    digest = request_hash(data)
    if idempotency_key is not None and (replayed := await _replay(conn, idempotency_key, digest)):
        return replayed, True
    now = datetime.now(UTC)
    forwarded_at = min(data.ended_at, now).astimezone(UTC) if data.ended_at is not None else now
    forward = data.forward
    context = await forwarding_context(
        conn, forwarded_at, department_id=forward.department_id if forward else None, leika_key=data.leika_key
    )
    if not context.served:
        raise TenantNotServed()
    if forward is not None:
        _check_forwarding(context, forward, leika_key=data.leika_key, unassigned_ok=unassigned_ok)
    caller = data.caller
    values = {
        **data.model_dump(include={"channel", "description_ids", "leika_key"}),
        "started_at": data.started_at.astimezone(UTC),
        "ended_at": data.ended_at.astimezone(UTC) if data.ended_at is not None else None,
        "summary": data.summary,
        "outcome": data.outcome,
        "referred_to": data.referred_to,
        "id": uuid.uuid4(),
        "agent": data.agent or identity.subject,
        "caller_name": caller.name if caller else None,
        "caller_phone": caller.phone if caller else None,
        "caller_email": caller.email if caller else None,
        "caller_address": caller.address if caller else None,
        "idempotency_key": idempotency_key,
        "request_hash": digest,
    }
    events: list[CloudEvent] = []
    ticket = None
    note = None
    if forward is not None:
        assert context.terms is not None
        ticket, forwarded = ticket_service.forwarded(
            identity,
            conn.tenant_id,
            {
                "contact_id": values["id"],
                "department_id": context.department_id,
                "source": "contact",
                "priority": forward.priority,
                "subject": forward.subject or _subject(data.summary),
                "description_ids": data.description_ids,
                "leika_key": data.leika_key,
                "reply_by": forward.reply_by or ("callback" if data.outcome == "callback" else None),
                **(ticket_extras or {}),
            },
            terms=context.terms,
            forwarded_at=forwarded_at,
            now=now,
        )
        events.append(forwarded)
        if forward.note is not None:
            note = (uuid.uuid4(), forward.note)
    events.append(published.contact_recorded(conn.tenant_id, {**values, "ticket_id": ticket["id"] if ticket else None}))
    contact = await repository.insert(conn, values, events=events, ticket=ticket, note=note)
    if contact is None:
        assert idempotency_key is not None
        replayed = await _replay(conn, idempotency_key, digest)
        assert replayed is not None
        return replayed, True
    return contact, False


def _check_forwarding(
    context: ForwardingContext, forward: Forwarding, *, leika_key: str | None, unassigned_ok: bool
) -> None:
    """Refuse a forwarding without a department to take it (unless it may stay unassigned) or a deadline."""
    field = "forward.department_id"
    if context.department_id is None:
        if forward.department_id is not None:
            raise UnknownDepartment(field)
        if not unassigned_ok:
            raise NoResponsibleDepartment(field, leika_key)
    if context.terms is None:
        raise NoContractInForce()


def _subject(summary: str | None) -> str:
    assert summary is not None
    line = summary.strip().splitlines()[0] if summary.strip() else summary
    return line if len(line) <= 200 else line[:199] + "…"


async def _replay(conn: TenantConnection, idempotency_key: str, digest: str) -> dict[str, Any] | None:
    existing = await repository.by_idempotency_key(conn, idempotency_key)
    if existing is None:
        return None
    if existing["request_hash"] != digest:
        raise IdempotencyKeyReused()
    return existing


async def get(conn: TenantConnection, *, contact_id: uuid.UUID) -> dict[str, Any]:
    contact = await repository.get(conn, contact_id)
    if contact is None:
        raise ContactNotFound()
    return contact


async def list_page(
    conn: TenantConnection, filters: ContactFilter, *, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of contacts, the latest first, and the cursor of the next."""
    after = Cursor.decode(cursor) if cursor is not None else None
    return page(await repository.page(conn, filters, after=after, limit=limit + 1), limit, at="started_at")


def has_caller_data(contact: Mapping[str, Any]) -> bool:
    return any(contact.get(field) is not None for field in CALLER_FIELDS)
