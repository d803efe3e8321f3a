"""All SQL of contacts; every statement runs in the connection's tenant."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kit.db.database import TenantConnection
from kit.pagination import Cursor

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
_INSERT = (
    f"INSERT INTO contacts (tenant_id, {', '.join(_INSERTED)}) "
    f"VALUES (current_setting('app.tenant_id'), {', '.join(f'${i}' for i in range(1, len(_INSERTED) + 1))}) "
    "ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING *"
)
# A contact with the ticket it became, if any (one at most).
_WITH_TICKET = """
SELECT c.*, t.id AS ticket_id, t.status AS ticket_status, t.department_id AS ticket_department_id,
       t.due_at AS ticket_due_at
FROM contacts c
LEFT JOIN LATERAL (
    SELECT id, status, department_id, due_at FROM tickets WHERE contact_id = c.id ORDER BY forwarded_at LIMIT 1
) t ON true
"""


async def insert(conn: TenantConnection, values: Mapping[str, Any]) -> dict[str, Any] | None:
    """Insert a contact; None if its idempotency key is taken."""
    row = await conn.fetchrow(_INSERT, *(values.get(column) for column in _INSERTED))
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
