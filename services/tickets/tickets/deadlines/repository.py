"""All SQL of the deadline watch and the overdue overview.

Only ``due`` reads across tenants (under the maintenance setting, and only the watch rows' keys); every
other statement runs in the connection's tenant.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import text

from kit.db.database import TenantConnection, TenantSession
from tickets.maintenance import read_across_tenants

WatchKind = Literal["warning", "escalation"]

_OPEN = "('forwarded', 'in_progress', 'waiting')"
# At the same instant the warning goes first: a concern is announced as due before it is escalated.
_DUE = text(
    """
    SELECT w.tenant_id, w.ticket_id, w.kind
    FROM deadline_watch w
    WHERE w.at <= now()
      AND NOT EXISTS (
          SELECT 1
          FROM unnest(CAST(:tenant_ids AS text[]), CAST(:ticket_ids AS uuid[]), CAST(:kinds AS text[]))
              AS skipped (tenant_id, ticket_id, kind)
          WHERE (skipped.tenant_id, skipped.ticket_id, skipped.kind) = (w.tenant_id, w.ticket_id, w.kind)
      )
    ORDER BY w.at, w.kind DESC
    LIMIT :limit
    """
)
# The column each kind of watch sets; never built from input.
_MARKED: dict[WatchKind, str] = {"warning": "warned_at", "escalation": "escalated_at"}
_OVERDUE_BY_DEPARTMENT = f"""
SELECT t.department_id, d.name AS department_name, count(*) AS count, min(t.due_at) AS oldest_due_at
FROM tickets t
LEFT JOIN departments d ON d.tenant_id = t.tenant_id AND d.id = t.department_id
WHERE t.status IN {_OPEN} AND t.due_at < now()
GROUP BY t.department_id, d.name
ORDER BY oldest_due_at, d.name NULLS LAST, t.department_id NULLS LAST
"""


@dataclass(frozen=True, slots=True)
class DueWatch:
    """A watch row that is due: which tenant's ticket, and whether to warn or to escalate."""

    tenant_id: str
    ticket_id: uuid.UUID
    kind: WatchKind


async def due(session: TenantSession, *, limit: int, skip: Collection[DueWatch] = ()) -> list[DueWatch]:
    """Up to ``limit`` due watch rows of any tenant, the earliest first, except those in ``skip``."""
    await read_across_tenants(session)
    result = await session.execute(
        _DUE,
        {
            "tenant_ids": [row.tenant_id for row in skip],
            "ticket_ids": [row.ticket_id for row in skip],
            "kinds": [row.kind for row in skip],
            "limit": limit,
        },
    )
    return [DueWatch(tenant_id=tenant_id, ticket_id=ticket_id, kind=kind) for tenant_id, ticket_id, kind in result]


async def lock_ticket(conn: TenantConnection, ticket_id: uuid.UUID) -> dict[str, Any] | None:
    """The ticket's status and deadline marks, locked against concurrent changes until the transaction ends.

    Taken before the watch row, in the order the ticket's own changes take them.
    """
    row = await conn.fetchrow(
        "SELECT status, warned_at, escalated_at FROM tickets WHERE id = $1 FOR NO KEY UPDATE", ticket_id
    )
    return dict(row.items()) if row is not None else None


async def take(conn: TenantConnection, ticket_id: uuid.UUID, kind: WatchKind) -> bool:
    """Delete the watch row if it is still there and due; whether it was (else another worker had it)."""
    row = await conn.fetchrow(
        "DELETE FROM deadline_watch WHERE ticket_id = $1 AND kind = $2 AND at <= now() RETURNING at", ticket_id, kind
    )
    return row is not None


def marked_column(kind: WatchKind) -> str:
    return _MARKED[kind]


async def mark(conn: TenantConnection, ticket_id: uuid.UUID, kind: WatchKind) -> dict[str, Any]:
    """Note the warning or escalation on the ticket; not an edit, so its version (the ETag) stays."""
    row = await conn.fetchrow(f"UPDATE tickets SET {_MARKED[kind]} = now() WHERE id = $1 RETURNING *", ticket_id)
    assert row is not None
    return dict(row.items())


async def overdue_by_department(conn: TenantConnection) -> list[dict[str, Any]]:
    """Per department, the open tickets past their due instant and the oldest of those instants."""
    return [dict(row.items()) for row in await conn.fetch(_OVERDUE_BY_DEPARTMENT)]
