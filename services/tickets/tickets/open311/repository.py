"""All SQL of Open311: the jurisdiction, its services and its requests; every statement runs in the tenant."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from kit.db.database import TenantConnection

# ``known_tenants`` is readable across tenants while the maintenance setting is on: name the tenant.
_TENANT = """
SELECT name, time_zone, open311_jurisdiction_id, status, received_at FROM known_tenants WHERE tenant_id = $1
"""
_SERVICE_COLUMNS = "code, name, description, group_name, keywords, attributes, leika_key, changed_at"
# A request as the public reads it: no caller, no free text but the notes published.
_REQUEST = """
SELECT t.id, t.status, t.service_code, t.forwarded_at, t.updated_at, t.due_at, t.address, t.address_id,
       t.latitude, t.longitude, t.media_url, r.name AS service_name, d.name AS agency_responsible,
       note.body AS status_notes
FROM tickets t
LEFT JOIN request_types r ON r.tenant_id = t.tenant_id AND r.code = t.service_code
LEFT JOIN departments d ON d.tenant_id = t.tenant_id AND d.id = t.department_id
LEFT JOIN LATERAL (
    SELECT n.body FROM ticket_notes n
    WHERE n.tenant_id = t.tenant_id AND n.ticket_id = t.id AND n.public
    ORDER BY n.created_at DESC, n.id DESC
    LIMIT 1
) note ON true
WHERE t.source = 'open311'
"""


def _loaded(value: Any) -> Any:
    """A jsonb value, whether the driver decoded it or not."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _service(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**dict(row.items()), "attributes": _loaded(row["attributes"]) or []}


async def tenant(conn: TenantConnection) -> dict[str, Any] | None:
    """The connection's tenant as the directory knows it: name, time zone, jurisdiction and status."""
    row = await conn.fetchrow(_TENANT, conn.tenant_id)
    return dict(row.items()) if row is not None else None


async def services(conn: TenantConnection) -> list[dict[str, Any]]:
    rows = await conn.fetch(f"SELECT {_SERVICE_COLUMNS} FROM request_types ORDER BY group_name NULLS LAST, name, code")
    return [_service(row) for row in rows]


async def service(conn: TenantConnection, code: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"SELECT {_SERVICE_COLUMNS} FROM request_types WHERE code = $1", code)
    return _service(row) if row is not None else None


async def services_changed_at(conn: TenantConnection) -> datetime | None:
    """When the list of services last changed (None: the tenant offers none)."""
    row = await conn.fetchrow("SELECT max(changed_at) AS at FROM request_types")
    return row["at"] if row is not None else None


async def details(conn: TenantConnection, ticket_id: uuid.UUID) -> dict[str, Any] | None:
    """What an Open311 request was posted with (to tell a repeated request from another under the same key)."""
    row = await conn.fetchrow(
        "SELECT service_code, latitude, longitude, address, address_id, attributes, media_url FROM tickets"
        " WHERE id = $1 AND source = 'open311'",
        ticket_id,
    )
    return {**dict(row.items()), "attributes": _loaded(row["attributes"])} if row is not None else None


async def request(conn: TenantConnection, ticket_id: uuid.UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"{_REQUEST} AND t.id = $1", ticket_id)
    return dict(row.items()) if row is not None else None


@dataclass(frozen=True, slots=True)
class RequestFilter:
    """Which requests to list; ``statuses`` are the tickets' (``forwarded``…), not Open311's."""

    ids: Sequence[uuid.UUID] = ()
    service_codes: Sequence[str] = ()
    statuses: Sequence[str] = ()
    requested_from: datetime | None = None
    requested_until: datetime | None = None


async def requests(conn: TenantConnection, filters: RequestFilter, *, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` requests, the latest first."""
    clauses: list[str] = []
    args: list[Any] = []
    for clause, value in (
        ("t.id = ANY(${}::uuid[])", list(filters.ids) or None),
        ("t.service_code = ANY(${}::text[])", list(filters.service_codes) or None),
        ("t.status = ANY(${}::text[])", list(filters.statuses) or None),
        ("t.forwarded_at >= ${}", filters.requested_from),
        ("t.forwarded_at <= ${}", filters.requested_until),
    ):
        if value is not None:
            args.append(value)
            clauses.append(clause.format(len(args)))
    where = "".join(f" AND {clause}" for clause in clauses)
    rows = await conn.fetch(f"{_REQUEST}{where} ORDER BY t.forwarded_at DESC, t.id DESC LIMIT {int(limit)}", *args)
    return [dict(row.items()) for row in rows]
