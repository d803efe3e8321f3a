"""Rules of a ticket's deadline: warn before it is due, escalate once it is overdue, and count the overdue.

Each due watch row is handled in its ticket's tenant, in a transaction the caller owns: the row goes, an
open ticket gets its mark and history row, and the event rides in the same transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

from kit.db.database import TenantConnection
from kit.events import record_event
from tickets.deadlines import repository
from tickets.deadlines.repository import WatchKind
from tickets.events import published as events
from tickets.ticket.repository import OPEN_STATUSES, record_change

SYSTEM = "system"
_EVENT: dict[WatchKind, str] = {"warning": events.TICKET_DUE_SOON, "escalation": events.TICKET_OVERDUE}
_ACTION: dict[WatchKind, str] = {"warning": "warned", "escalation": "escalated"}


async def fire(conn: TenantConnection, *, ticket_id: uuid.UUID, kind: WatchKind) -> str | None:
    """Act on a due watch row of the connection's tenant; the type of the event recorded, if any.

    None if another worker took the row first, or if the ticket is no longer open (its row goes all the same).
    """
    ticket = await repository.lock_ticket(conn, ticket_id)
    if ticket is None or not await repository.take(conn, ticket_id, kind):
        return None
    if ticket["status"] not in OPEN_STATUSES:
        return None
    marked = await repository.mark(conn, ticket_id, kind)
    column = repository.marked_column(kind)
    await record_change(
        conn,
        ticket_id,
        actor=SYSTEM,
        action=_ACTION[kind],
        before={column: ticket[column]},
        after={column: marked[column]},
    )
    event_type = _EVENT[kind]
    await record_event(conn, events.ticket_event(event_type, conn.tenant_id, marked))
    return event_type


async def overdue_overview(conn: TenantConnection) -> list[dict[str, Any]]:
    """The open overdue tickets of the connection's tenant per department, the longest overdue first."""
    return await repository.overdue_by_department(conn)
