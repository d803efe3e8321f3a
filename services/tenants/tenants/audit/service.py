"""Rules for the access audit: kept as the gateway reported it, read by the municipality, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kit.db.database import Database, TenantConnection
from kit.events import CloudEvent, PermanentEventError, read_data
from kit.pagination import Cursor, page
from tenants.audit import repository
from tenants.events.consumed import AccessRecordedV1


async def record(connection: TenantConnection, event: CloudEvent) -> None:
    """Keep one access the gateway reported for the event's tenant."""
    access = read_data(event, AccessRecordedV1)
    if not access.path.startswith(f"/v1/tenants/{event.tenantid}"):
        raise PermanentEventError(f"{event.type} {event.id}: {access.path} is not a path of {event.tenantid}")
    values = (
        event.id,
        event.time,
        access.subject,
        access.kind,
        access.home_tenant,
        access.roles,
        access.method,
        access.path,
        access.status,
        access.request_id,
    )
    await repository.record(connection, values)


async def list_page(
    database: Database,
    *,
    tenant_id: str,
    since: datetime | None,
    until: datetime | None,
    subject: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    after = Cursor.decode(cursor) if cursor else None
    rows = await repository.newest_first(
        database, tenant_id, until=until, since=since, subject=subject, after=after, limit=limit + 1
    )
    return page(rows, limit, at="occurred_at")
