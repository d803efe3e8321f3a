"""The tickets service's handler table: which events it consumes, and with what."""

from __future__ import annotations

from pydantic import ValidationError

from kit.db.database import TenantSession
from kit.events import CloudEvent, PermanentEventError, Subscription
from tickets.directory import service as directory
from tickets.events.consumed import TenantCreatedV1


def _unreadable(event: CloudEvent, error: ValidationError) -> PermanentEventError:
    # One line: the reason travels on as a NATS header of the dead letter.
    fields = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'data'}: {e['msg']}" for e in error.errors())
    return PermanentEventError(f"{event.type} {event.id}: {fields}")


async def on_tenant_created(session: TenantSession, event: CloudEvent) -> None:
    """Keep the read copy of a municipality the tenants service registered."""
    try:
        tenant = TenantCreatedV1.model_validate(event.data)
    except ValidationError as error:
        raise _unreadable(event, error) from error
    if tenant.id != event.tenantid:
        raise PermanentEventError(f"{event.type} {event.id}: data names {tenant.id}, envelope {event.tenantid}")
    await directory.tenant_created(session, tenant=tenant, created_at=event.time)


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription(
        durable="tickets-tenant-directory",
        stream="TENANTS",
        subjects=("tenants.*.tenant.created.v1",),
        handler=on_tenant_created,
    ),
)
