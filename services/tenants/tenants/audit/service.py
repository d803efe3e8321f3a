"""Rules for the access audit: kept as the gateway reported it, read by the municipality, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kit.db.database import Database, TenantConnection
from kit.events import CloudEvent, PermanentEventError, read_data
from kit.pagination import Cursor, page
from tenants.audit import repository
from tenants.events.consumed import AccessesRecordedV1


async def record(connection: TenantConnection, event: CloudEvent) -> None:
    """Keep the accesses the gateway reported for the event's tenant, all in one statement."""
    accesses = read_data(event, AccessesRecordedV1).accesses
    own = f"/v1/tenants/{event.tenantid}"
    foreign = next((a.path for a in accesses if a.path != own and not a.path.startswith(own + "/")), None)
    if foreign is not None:
        raise PermanentEventError(f"{event.type} {event.id}: {foreign} is not a path of {event.tenantid}")
    columns = (
        [a.id for a in accesses],
        [a.at for a in accesses],
        [a.subject for a in accesses],
        [a.kind for a in accesses],
        [a.home_tenant for a in accesses],
        [" ".join(a.roles) for a in accesses],
        [a.method for a in accesses],
        [a.path for a in accesses],
        [a.status for a in accesses],
        [a.request_id for a in accesses],
    )
    await repository.record_all(connection, columns)


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
