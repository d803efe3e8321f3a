"""The knowledge service's handler table: which events it consumes, and with what."""

from __future__ import annotations

from kit.db.database import TenantSession
from kit.events import CloudEvent, Subscription, every_tenant, read_data, require_same_tenant
from knowledge.directory import service as directory
from knowledge.events.consumed import TENANT_EVENTS, ContactRecordedV1, TenantStateV1
from knowledge.search import service as search

# A contact ended this way was solved at first contact (the tickets service's outcome).
SOLVED_AT_FIRST_CONTACT = "solved"


async def on_tenant_changed(session: TenantSession, event: CloudEvent) -> None:
    """Keep the read copy of a municipality: registered, renamed, or moved in its lifecycle."""
    tenant = read_data(event, TenantStateV1)
    require_same_tenant(event, tenant.id)
    await directory.tenant_changed(session, tenant=tenant, at=event.time)


async def on_contact_recorded(session: TenantSession, event: CloudEvent) -> None:
    """Count what a contact was about, so that what solves concerns at first contact ranks higher."""
    contact = read_data(event, ContactRecordedV1)
    if contact.description_ids:
        await search.record_usage(
            session, contact.description_ids, solved_at_first_contact=contact.outcome == SOLVED_AT_FIRST_CONTACT
        )


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription(
        durable="knowledge-tenants",
        stream="TENANTS",
        subjects=tuple(map(every_tenant, TENANT_EVENTS)),
        handler=on_tenant_changed,
    ),
    Subscription(
        durable="knowledge-usage",
        stream="TICKETS",
        subjects=("tickets.*.contact.recorded.v1",),
        handler=on_contact_recorded,
    ),
)
