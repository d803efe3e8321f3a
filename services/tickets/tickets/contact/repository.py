"""All SQL of contacts; every statement runs in the connection's tenant."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kit.db.database import TenantConnection
from kit.events import CloudEvent
from kit.events.outbox import OUTBOX_COLUMNS, event_arrays
from kit.pagination import Cursor
from tickets.ticket import repository as tickets

_INSERTED = (
    "id",
    "channel",
    "started_at",
    "ended_at",
    "agent",
    "description_ids",
    "leika_key",
    "summary",
    "outcome",
    "referred_to",
    "caller_name",
    "caller_phone",
    "caller_email",
    "caller_address",
    "idempotency_key",
    "request_hash",
)
_CONTACT = f"""
contact AS (
    INSERT INTO contacts (tenant_id, {", ".join(_INSERTED)})
    VALUES (current_setting('app.tenant_id'), {", ".join(f"${i}" for i in range(1, len(_INSERTED) + 1))})
    ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
    RETURNING *
)"""
_EVENTS = len(_INSERTED) + 1


def _outbox(first: int) -> str:
    """A CTE writing the events ``$first`` (ids), ``$first+1`` (NATS subjects), ``$first+2`` (payloads), as
    ``kit.events.outbox.event_arrays`` gives them, to the outbox if the contact was inserted."""
    return f"""
events AS (
    INSERT INTO outbox ({OUTBOX_COLUMNS})
    SELECT contact.tenant_id, e.event_id, e.subject, e.payload
      FROM contact,
           unnest(${first}::uuid[], ${first + 1}::text[], ${first + 2}::bytea[]) AS e (event_id, subject, payload)
)"""


# A contact, its events and nothing else: one statement, the inserted contact back in the reads' shape.
_RECORD = f"""
WITH {_CONTACT}, {_outbox(_EVENTS)}
SELECT contact.*, NULL::uuid AS ticket_id, NULL::text AS ticket_status, NULL::uuid AS ticket_department_id,
       NULL::timestamptz AS ticket_due_at
  FROM contact
"""
# A contact forwarded as a ticket (with its deadline watch, history and note) and their events: one statement.
_RECORD_FORWARDED = f"""
WITH {_CONTACT}, {_outbox(_EVENTS)}, {tickets.forwarding_ctes(contact="contact", first=_EVENTS + 3)}
SELECT contact.*, ticket.id AS ticket_id, ticket.status AS ticket_status,
       ticket.department_id AS ticket_department_id, ticket.due_at AS ticket_due_at
  FROM contact LEFT JOIN ticket ON true
"""


# A contact with the ticket it became, if any (one at most).
_WITH_TICKET = """
SELECT c.*, t.id AS ticket_id, t.status AS ticket_status, t.department_id AS ticket_department_id,
       t.due_at AS ticket_due_at
FROM contacts c
LEFT JOIN LATERAL (
    SELECT id, status, department_id, due_at FROM tickets WHERE contact_id = c.id ORDER BY forwarded_at LIMIT 1
) t ON true
"""


async def insert(
    conn: TenantConnection,
    values: Mapping[str, Any],
    *,
    events: Sequence[CloudEvent],
    ticket: Mapping[str, Any] | None = None,
    note: tuple[uuid.UUID, str] | None = None,
) -> dict[str, Any] | None:
    """Insert a contact, ``ticket`` (a ``NEW_TICKET_COLUMNS`` row) with ``note`` if given, and ``events``, in one
    statement; the contact with its ticket's summary, or None (and nothing written) if its idempotency key is taken.
    """
    args: list[Any] = [values.get(column) for column in _INSERTED]
    args += event_arrays(conn.tenant_id, events)
    if ticket is None:
        assert note is None, "a note goes with a ticket"
        row = await conn.fetchrow(_RECORD, *args)
    else:
        args += [ticket.get(column) for column in tickets.NEW_TICKET_COLUMNS]
        args += note if note is not None else (None, None)
        row = await conn.fetchrow(_RECORD_FORWARDED, *args)
    return dict(row.items()) if row is not None else None


async def get(conn: TenantConnection, contact_id: uuid.UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"{_WITH_TICKET} WHERE c.id = $1", contact_id)
    return dict(row.items()) if row is not None else None


async def by_idempotency_key(conn: TenantConnection, key: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"{_WITH_TICKET} WHERE c.idempotency_key = $1", key)
    return dict(row.items()) if row is not None else None


@dataclass(frozen=True, slots=True)
class ContactFilter:
    channel: str | None = None
    outcome: str | None = None
    agent: str | None = None
    started_from: datetime | None = None
    started_before: datetime | None = None


async def page(
    conn: TenantConnection, filters: ContactFilter, *, after: Cursor | None, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` contacts, the latest first, after ``after``."""
    clauses: list[str] = []
    args: list[Any] = []
    for clause, value in (
        ("c.channel = ${}", filters.channel),
        ("c.outcome = ${}", filters.outcome),
        ("c.agent = ${}", filters.agent),
        ("c.started_at >= ${}", filters.started_from),
        ("c.started_at < ${}", filters.started_before),
    ):
        if value is not None:
            args.append(value)
            clauses.append(clause.format(len(args)))
    if after is not None:
        args.extend((after.at, after.id))
        clauses.append(f"(c.started_at, c.id) < (${len(args) - 1}, ${len(args)})")
    where = " AND ".join(clauses) if clauses else "true"
    rows = await conn.fetch(
        f"{_WITH_TICKET} WHERE {where} ORDER BY c.started_at DESC, c.id DESC LIMIT {int(limit)}", *args
    )
    return [dict(row.items()) for row in rows]
