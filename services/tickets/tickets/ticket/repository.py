"""All SQL of tickets, their notes, history and deadline watch; every statement runs in the connection's tenant."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from kit.db.database import TenantConnection
from kit.pagination import Cursor

OPEN_STATUSES = ("forwarded", "in_progress", "waiting")
_OPEN = "('forwarded', 'in_progress', 'waiting')"
# The columns an action may set; anything else is a programming error, never SQL built from input.
_WRITABLE = frozenset(
    {
        "department_id",
        "status",
        "priority",
        "subject",
        "contract_version",
        "deadline_rule",
        "due_at",
        "warn_at",
        "paused_at",
        "paused_remaining",
        "claimed_by",
        "claimed_at",
        "answered_at",
        "answered_by",
        "answer_channel",
        "answer",
        "closed_at",
        "closed_by",
        "reopen_count",
        "merged_into",
        "warned_at",
        "escalated_at",
    }
)
# A new ticket's columns and their types, but for its tenant and contact (those of the contact it comes from).
_NEW_TICKET = (
    ("id", "uuid"),
    ("department_id", "uuid"),
    ("source", "text"),
    ("status", "text"),
    ("priority", "text"),
    ("subject", "text"),
    ("description_ids", "uuid[]"),
    ("leika_key", "text"),
    ("reply_by", "text"),
    ("forwarded_at", "timestamptz"),
    ("forwarded_by", "text"),
    ("contract_version", "integer"),
    ("deadline_rule", "text"),
    ("due_at", "timestamptz"),
    ("warn_at", "timestamptz"),
    ("service_code", "text"),
    ("latitude", "double precision"),
    ("longitude", "double precision"),
    ("address", "text"),
    ("address_id", "text"),
    ("attributes", "jsonb"),
    ("media_url", "text"),
    ("version", "integer"),
    ("updated_at", "timestamptz"),
)
NEW_TICKET_COLUMNS = tuple(column for column, _ in _NEW_TICKET)
# What a new ticket's row holds of the columns actions set but it is not inserted with: nothing has happened yet.
UNTOUCHED: dict[str, Any] = dict.fromkeys(_WRITABLE - set(NEW_TICKET_COLUMNS)) | {"reopen_count": 0}


def forwarding_ctes(*, contact: str, first: int) -> str:
    """CTEs that forward each row of the CTE ``contact`` (its tenant and id) as a ticket; SQL with parameters.

    ``ticket``: the new ticket, from the parameters ``$first``… in the order of ``NEW_TICKET_COLUMNS``; then the
    deadline watch's two rows and the first line of its history; and, if the parameters after those (a note's
    id and body) are not null, the internal note it was forwarded with, by whoever forwarded it.
    """
    values = ", ".join(f"${first + index}::{kind}" for index, (_, kind) in enumerate(_NEW_TICKET))
    note = first + len(_NEW_TICKET)
    return f"""
ticket AS (
    INSERT INTO tickets (tenant_id, contact_id, {", ".join(NEW_TICKET_COLUMNS)})
    SELECT {contact}.tenant_id, {contact}.id, {values} FROM {contact}
    RETURNING *
), watched AS (
    INSERT INTO deadline_watch (tenant_id, ticket_id, kind, at)
    SELECT ticket.tenant_id, ticket.id, w.kind, w.at
      FROM ticket, LATERAL (VALUES ('warning', ticket.warn_at), ('escalation', ticket.due_at)) AS w (kind, at)
     WHERE w.at IS NOT NULL
), noted AS (
    INSERT INTO ticket_changes (tenant_id, ticket_id, actor, action, after)
    SELECT tenant_id, id, forwarded_by, 'forwarded',
           jsonb_build_object('status', status, 'department_id', department_id, 'priority', priority,
                              'forwarded_at', forwarded_at, 'due_at', due_at, 'claimed_by', claimed_by)
      FROM ticket
), note AS (
    INSERT INTO ticket_notes (tenant_id, id, ticket_id, author, body, public)
    SELECT tenant_id, ${note}::uuid, id, forwarded_by, ${note + 1}::text, false FROM ticket
     WHERE ${note + 1}::text IS NOT NULL
)"""


def as_dict(record: Mapping[str, Any]) -> dict[str, Any]:
    return dict(record.items())


async def get(conn: TenantConnection, ticket_id: uuid.UUID, *, lock: bool = False) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"SELECT * FROM tickets WHERE id = $1{' FOR UPDATE' if lock else ''}", ticket_id)
    return as_dict(row) if row is not None else None


async def update(conn: TenantConnection, ticket_id: uuid.UUID, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Set ``changes`` and count a new version."""
    unknown = set(changes) - _WRITABLE
    assert not unknown, f"not writable: {unknown}"
    columns = list(changes)
    assignments = ", ".join(f"{column} = ${index}" for index, column in enumerate(columns, start=2))
    row = await conn.fetchrow(
        f"UPDATE tickets SET {assignments}, version = version + 1, updated_at = now() WHERE id = $1 RETURNING *",
        ticket_id,
        *(changes[column] for column in columns),
    )
    assert row is not None
    return as_dict(row)


async def record_change(
    conn: TenantConnection,
    ticket_id: uuid.UUID,
    *,
    actor: str,
    action: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> None:
    await conn.execute(
        "INSERT INTO ticket_changes (tenant_id, ticket_id, actor, action, before, after)"
        " VALUES (current_setting('app.tenant_id'), $1, $2, $3, $4::jsonb, $5::jsonb)",
        ticket_id,
        actor,
        action,
        _json(before),
        _json(after),
    )


def _json(value: Mapping[str, Any] | None) -> str | None:
    """JSON text; instants and ids as ``jsonb_build_object`` writes them (RFC 3339, canonical UUIDs)."""
    return None if value is None else orjson.dumps(value, default=str).decode()


async def changes(conn: TenantConnection, ticket_id: uuid.UUID) -> list[dict[str, Any]]:
    """The ticket's history, oldest first (the pool's codec decodes ``jsonb``; writes pass JSON text)."""
    rows = await conn.fetch(
        "SELECT id, at, actor, action, before, after FROM ticket_changes WHERE ticket_id = $1 ORDER BY id", ticket_id
    )
    return [as_dict(row) for row in rows]


async def last_change(
    conn: TenantConnection, ticket_id: uuid.UUID, actions: Sequence[str]
) -> tuple[str, datetime] | None:
    """The latest of the ticket's history rows of ``actions``: its action and when it was recorded."""
    row = await conn.fetchrow(
        "SELECT action, at FROM ticket_changes WHERE ticket_id = $1 AND action = ANY($2::text[])"
        " ORDER BY id DESC LIMIT 1",
        ticket_id,
        list(actions),
    )
    return (row["action"], row["at"]) if row is not None else None


async def watch(conn: TenantConnection, ticket_id: uuid.UUID, *, warn_at: datetime | None, due_at: datetime) -> None:
    """Have the deadline watch warn at ``warn_at`` (None: no warning) and escalate at ``due_at``."""
    await conn.execute(
        "INSERT INTO deadline_watch (tenant_id, ticket_id, kind, at)"
        " SELECT current_setting('app.tenant_id'), $1, kind, at"
        " FROM (VALUES ('warning', $2::timestamptz), ('escalation', $3::timestamptz)) AS w (kind, at)"
        " WHERE at IS NOT NULL ON CONFLICT (tenant_id, ticket_id, kind) DO UPDATE SET at = excluded.at",
        ticket_id,
        warn_at,
        due_at,
    )


async def unwatch(conn: TenantConnection, ticket_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM deadline_watch WHERE ticket_id = $1", ticket_id)


async def department_usable(conn: TenantConnection, department_id: uuid.UUID) -> bool:
    row = await conn.fetchrow("SELECT 1 FROM departments WHERE id = $1 AND NOT deleted", department_id)
    return row is not None


async def add_note(
    conn: TenantConnection, ticket_id: uuid.UUID, *, author: str, body: str, public: bool
) -> dict[str, Any]:
    row = await conn.fetchrow(
        "INSERT INTO ticket_notes (tenant_id, id, ticket_id, author, body, public)"
        " VALUES (current_setting('app.tenant_id'), $1, $2, $3, $4, $5)"
        " RETURNING id, ticket_id, author, body, public, created_at",
        uuid.uuid4(),
        ticket_id,
        author,
        body,
        public,
    )
    assert row is not None
    return as_dict(row)


async def notes(conn: TenantConnection, ticket_id: uuid.UUID, *, public_only: bool = False) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT id, ticket_id, author, body, public, created_at FROM ticket_notes"
        f" WHERE ticket_id = $1{' AND public' if public_only else ''} ORDER BY created_at, id",
        ticket_id,
    )
    return [as_dict(row) for row in rows]


async def caller_of(conn: TenantConnection, contact_id: uuid.UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT caller_name AS name, caller_phone AS phone, caller_email AS email, caller_address AS address"
        " FROM contacts WHERE id = $1",
        contact_id,
    )
    if row is None or all(value is None for value in row.values()):
        return None
    return as_dict(row)


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """The back office's filters; ``statuses`` are checked values, rendered into the SQL (see ``_where``)."""

    statuses: Sequence[str] = ()
    department_id: uuid.UUID | None = None
    unassigned: bool = False
    due_before: datetime | None = None
    overdue: bool | None = None
    priority: str | None = None
    claimed_by: str | None = None
    contact_id: uuid.UUID | None = None


class _Where:
    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.args: list[Any] = []

    def add(self, clause: str, *values: Any) -> None:
        """``clause`` with ``{}`` for each of ``values``, numbered in order."""
        numbers = [f"${len(self.args) + index}" for index in range(1, len(values) + 1)]
        self.clauses.append(clause.format(*numbers))
        self.args.extend(values)

    def sql(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "true"


def _where(filters: TicketFilter) -> _Where:
    where = _Where()
    if filters.statuses:
        # Literal values (validated): the planner can then use the partial index of open tickets.
        where.add(f"status IN ({', '.join(repr(status) for status in sorted(filters.statuses))})")
    if filters.department_id is not None:
        where.add("department_id = {}", filters.department_id)
    if filters.unassigned:
        where.add("department_id IS NULL")
    if filters.due_before is not None:
        where.add("due_at < {}", filters.due_before)
    if filters.overdue is True:
        where.add(f"status IN {_OPEN} AND due_at < now()")
    elif filters.overdue is False:
        where.add(f"NOT (status IN {_OPEN} AND due_at < now())")
    if filters.priority is not None:
        where.add("priority = {}", filters.priority)
    if filters.claimed_by is not None:
        where.add("claimed_by = {}", filters.claimed_by)
    if filters.contact_id is not None:
        where.add("contact_id = {}", filters.contact_id)
    return where


async def page(
    conn: TenantConnection, filters: TicketFilter, *, by_due: bool, after: Cursor | None, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` tickets: by due instant (soonest first), or newest forwarded first; after ``after``."""
    where = _where(filters)
    key, direction = ("due_at", ">") if by_due else ("forwarded_at", "<")
    if after is not None:
        where.add(f"({key}, id) {direction} ({{}}, {{}})", after.at, after.id)
    order = "ASC" if by_due else "DESC"
    rows = await conn.fetch(
        f"SELECT * FROM tickets WHERE {where.sql()} ORDER BY {key} {order}, id {order} LIMIT {int(limit)}",
        *where.args,
    )
    return [as_dict(row) for row in rows]


async def count(conn: TenantConnection, filters: TicketFilter) -> int:
    where = _where(filters)
    row = await conn.fetchrow(f"SELECT count(*) AS n FROM tickets WHERE {where.sql()}", *where.args)
    assert row is not None
    return int(row["n"])
