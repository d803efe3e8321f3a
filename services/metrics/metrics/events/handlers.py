"""The metrics service's handler table: which events it consumes, and with what."""

from __future__ import annotations

from kit.db.database import TenantSession
from kit.events import CloudEvent, PermanentEventError, Subscription, read_data
from metrics.directory import service as directory
from metrics.events.consumed import TenantCreatedV1


async def on_tenant_created(session: TenantSession, event: CloudEvent) -> None:
    """Keep the read copy of a municipality the tenants service registered."""
    tenant = read_data(event, TenantCreatedV1)
    if tenant.id != event.tenantid:
        raise PermanentEventError(f"{event.type} {event.id}: data names {tenant.id}, envelope {event.tenantid}")
    await directory.tenant_created(session, tenant=tenant, created_at=event.time)


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription(
        durable="metrics-tenant-directory",
        stream="TENANTS",
        subjects=("tenants.*.tenant.created.v1",),
        handler=on_tenant_created,
    ),
)
