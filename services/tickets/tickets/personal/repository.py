"""All SQL of callers' personal data; every statement runs in the connection's tenant, except the tenant list."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from kit.db.database import TenantConnection, TenantSession
from kit.pagination import Cursor
from tickets.maintenance import read_across_tenants

# What an anonymised ticket's subject and note bodies say instead (both are NOT NULL).
ANONYMISED = "Anonymisiert"
# Keys of a ticket's history (``ticket_changes.before/after``) that may hold a caller's data; their values go.
PERSONAL_KEYS = (
    "subject",
    "answer",
    "address",
    "latitude",
    "longitude",
    "body",
    "note",
    "summary",
    "description",
    "caller",
    "caller_name",
    "caller_phone",
    "caller_email",
    "caller_address",
    "name",
    "first_name",
    "last_name",
    "phone",
    "email",
)
OPEN = "('forwarded', 'in_progress', 'waiting')"


@dataclass(frozen=True, slots=True)
class Anonymised:
    """How many rows lost personal data (rows already anonymised are not counted again)."""

    contacts: int
    tickets: int
    notes: int


_RECORD_ACCESS = (
    "INSERT INTO personal_data_accesses"
    " (tenant_id, id, actor, actor_tenant, action, contact_ids, ticket_id, request_id)"
    " VALUES ($1, $2, $3, $4, $5, $6::uuid[], $7, $8)"
)


async def record_access(
    conn: TenantConnection,
    *,
    actor: str,
    actor_tenant: str | None,
    action: str,
    contact_ids: Sequence[uuid.UUID],
    ticket_id: uuid.UUID | None,
    request_id: str | None,
) -> None:
    await conn.execute(
        _RECORD_ACCESS,
        conn.tenant_id,
        uuid.uuid4(),
        actor,
        actor_tenant,
        action,
        list(contact_ids),
        ticket_id,
        request_id,
    )


_CALLER_CONTACTS = """
SELECT id, channel, started_at, ended_at, agent, description_ids, leika_key, summary, outcome, referred_to,
       caller_name, caller_phone, caller_email, caller_address, created_at
FROM contacts
WHERE caller_phone = $1 OR lower(caller_email) = lower($2)
ORDER BY started_at DESC, id DESC
"""
_TICKETS_OF = """
SELECT id, contact_id, source, status, priority, subject, department_id, description_ids, leika_key, reply_by,
       service_code, address, address_id, latitude, longitude, attributes, media_url, forwarded_at, forwarded_by,
       due_at, answered_at, answered_by, answer_channel, answer, closed_at
FROM tickets
WHERE contact_id = ANY($1::uuid[])
ORDER BY forwarded_at, id
"""
_NOTES_OF = """
SELECT id, ticket_id, author, body, public, created_at
FROM ticket_notes
WHERE ticket_id = ANY($1::uuid[])
ORDER BY created_at, id
"""


async def caller_contacts(conn: TenantConnection, *, phone: str | None, email: str | None) -> list[dict[str, Any]]:
    """The contacts whose caller has this phone number or e-mail address (the latter in any case), newest first."""
    return [dict(row.items()) for row in await conn.fetch(_CALLER_CONTACTS, phone, email)]


async def caller_contact_ids(conn: TenantConnection, *, phone: str | None, email: str | None) -> list[uuid.UUID]:
    """The ids of the caller's contacts, locked until the transaction ends."""
    rows = await conn.fetch(
        "SELECT id FROM contacts WHERE caller_phone = $1 OR lower(caller_email) = lower($2) ORDER BY id FOR UPDATE",
        phone,
        email,
    )
    return [row["id"] for row in rows]


async def tickets_of(conn: TenantConnection, contact_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    return [dict(row.items()) for row in await conn.fetch(_TICKETS_OF, list(contact_ids))]


async def notes_of(conn: TenantConnection, ticket_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    return [dict(row.items()) for row in await conn.fetch(_NOTES_OF, list(ticket_ids))]


def _scrubbed(column: str) -> str:
    """``column`` with every personal key's value set to JSON null: the history still says what changed."""
    return (
        "(SELECT coalesce(jsonb_object_agg(key, CASE WHEN key = ANY($3::text[]) THEN 'null'::jsonb ELSE value END),"
        f" '{{}}'::jsonb) FROM jsonb_each({column}))"
    )


def _holds(column: str) -> str:
    """``column`` is an object with a personal key whose value is not yet null."""
    return (
        f"(jsonb_typeof({column}) = 'object' AND EXISTS (SELECT 1 FROM jsonb_each({column})"
        " WHERE key = ANY($3::text[]) AND value <> 'null'::jsonb))"
    )


# One statement: the contacts, their tickets, the tickets' notes and history. Only rows that still hold
# something change (and count), so running it again changes nothing. A changed ticket counts a new version,
# so an edit based on an earlier read fails its If-Match instead of writing the old text back.
_ANONYMISE = f"""
WITH own_tickets AS (
    SELECT id FROM tickets WHERE contact_id = ANY($1::uuid[])
), contacts_done AS (
    UPDATE contacts
    SET caller_name = NULL, caller_phone = NULL, caller_email = NULL, caller_address = NULL, summary = NULL,
        anonymised_at = now()
    WHERE id = ANY($1::uuid[])
      AND (anonymised_at IS NULL OR caller_name IS NOT NULL OR caller_phone IS NOT NULL
           OR caller_email IS NOT NULL OR caller_address IS NOT NULL OR summary IS NOT NULL)
    RETURNING id
), tickets_done AS (
    UPDATE tickets
    SET subject = $2, answer = NULL, address = NULL, address_id = NULL, latitude = NULL, longitude = NULL,
        attributes = NULL, media_url = NULL, version = version + 1, updated_at = now()
    WHERE contact_id = ANY($1::uuid[])
      AND (subject <> $2 OR answer IS NOT NULL OR address IS NOT NULL OR address_id IS NOT NULL
           OR latitude IS NOT NULL OR longitude IS NOT NULL OR attributes IS NOT NULL OR media_url IS NOT NULL)
    RETURNING id
), notes_done AS (
    UPDATE ticket_notes SET body = $2
    WHERE ticket_id IN (SELECT id FROM own_tickets) AND body <> $2
    RETURNING id
), history_done AS (
    UPDATE ticket_changes
    SET before = CASE WHEN jsonb_typeof(before) = 'object' THEN {_scrubbed("before")} ELSE before END,
        after = CASE WHEN jsonb_typeof(after) = 'object' THEN {_scrubbed("after")} ELSE after END
    WHERE ticket_id IN (SELECT id FROM own_tickets)
      AND ({_holds("before")} OR {_holds("after")})
    RETURNING id
)
SELECT (SELECT count(*) FROM contacts_done) AS contacts,
       (SELECT count(*) FROM tickets_done) AS tickets,
       (SELECT count(*) FROM notes_done) AS notes,
       (SELECT count(*) FROM history_done) AS history
"""


async def anonymise(conn: TenantConnection, contact_ids: Sequence[uuid.UUID]) -> Anonymised:
    """Remove the callers' data from these contacts and everything that hangs on them; keep the facts."""
    row = await conn.fetchrow(_ANONYMISE, list(contact_ids), ANONYMISED, list(PERSONAL_KEYS))
    assert row is not None
    return Anonymised(contacts=row["contacts"], tickets=row["tickets"], notes=row["notes"])


# The contract version in force; a value that is not a number counts as none.
_RETENTION_DAYS = """
SELECT CASE WHEN jsonb_typeof(terms -> 'personal_data_retention_days') = 'number'
            THEN least(floor((terms ->> 'personal_data_retention_days')::numeric), 1000000)::integer END AS days
FROM contract_versions
WHERE effective_from <= now()
ORDER BY effective_from DESC, version DESC
LIMIT 1
"""
# Contacts whose data outlived the period: counted from the contact's end, or from the latest answer or
# closing of its tickets; a contact with an open ticket keeps its data. Locked rows are left for the next round.
_EXPIRED = f"""
SELECT c.id
FROM contacts c
WHERE c.anonymised_at IS NULL
  AND c.ended_at < now() - make_interval(days => $1)
  AND NOT EXISTS (
      SELECT 1 FROM tickets t
      WHERE t.tenant_id = c.tenant_id AND t.contact_id = c.id
        AND (t.status IN {OPEN} OR greatest(t.closed_at, t.answered_at) >= now() - make_interval(days => $1))
  )
ORDER BY c.ended_at, c.id
LIMIT $2
FOR UPDATE OF c SKIP LOCKED
"""


async def retention_days(conn: TenantConnection) -> int | None:
    """How long the contract in force keeps callers' data, in days; None without a contract or such a term."""
    row = await conn.fetchrow(_RETENTION_DAYS)
    days: int | None = None if row is None else row["days"]
    return days


async def expired_contacts(conn: TenantConnection, *, days: int, limit: int) -> list[uuid.UUID]:
    """Up to ``limit`` contacts past retention, the oldest first, locked until the transaction ends."""
    return [row["id"] for row in await conn.fetch(_EXPIRED, days, limit)]


_ACCESS_COLUMNS = "id, at, actor, actor_tenant, action, contact_ids, ticket_id, request_id"


async def accesses(
    conn: TenantConnection, *, action: str | None, after: Cursor | None, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` audit entries, newest first, after ``after``."""
    where: list[str] = []
    args: list[object] = []
    if action is not None:
        args.append(action)
        where.append(f"action = ${len(args)}")
    if after is not None:
        args.extend((after.at, after.id))
        where.append(f"(at, id) < (${len(args) - 1}, ${len(args)})")
    args.append(limit)
    sql = (
        f"SELECT {_ACCESS_COLUMNS} FROM personal_data_accesses"
        f"{' WHERE ' + ' AND '.join(where) if where else ''}"
        f" ORDER BY at DESC, id DESC LIMIT ${len(args)}"
    )
    return [dict(row.items()) for row in await conn.fetch(sql, *args)]


async def known_tenant_ids(session: TenantSession) -> list[str]:
    """Every tenant this service serves: read across tenants, as the worker's maintenance may."""
    await read_across_tenants(session)
    rows = await session.execute(text("SELECT tenant_id FROM known_tenants ORDER BY tenant_id"))
    return [str(tenant_id) for tenant_id in rows.scalars()]
