"""The metrics service's handler table: which events it consumes, and with what."""

from __future__ import annotations

from kit.db.database import TenantConnection
from kit.events import CloudEvent, Subscription, every_tenant, read_data, require_same_tenant
from metrics.contacts import service as contacts
from metrics.directory import service as directory
from metrics.events.consumed import (
    CONCERN_EVENTS,
    CONTACT_RECORDED,
    CONTRACT_VERSION_ADDED,
    GRANT_ADDED,
    GRANT_REMOVED,
    LINE_ADDED,
    LINE_REMOVED,
    TENANT_EVENTS,
    TICKET_REOPENED,
    ContactRecordedV1,
    ContractVersionAddedV1,
    GrantStateV1,
    LineStateV1,
    TenantStateV1,
    TicketStateV1,
)


async def on_tenant_changed(conn: TenantConnection, event: CloudEvent) -> None:
    """Keep the read copy of a municipality: registered, changed, or moved in its lifecycle."""
    tenant = read_data(event, TenantStateV1)
    require_same_tenant(event, tenant.id)
    await directory.tenant_changed(conn, tenant=tenant, at=event.time)


async def on_contract_version_added(conn: TenantConnection, event: CloudEvent) -> None:
    """Keep a contract version: its terms judge the figures of the time it is in force."""
    contract = read_data(event, ContractVersionAddedV1)
    require_same_tenant(event, contract.tenant_id)
    await directory.contract_version_added(conn, contract=contract)


async def on_line_changed(conn: TenantConnection, event: CloudEvent) -> None:
    """Keep the lines whose calls count for the municipality."""
    line = read_data(event, LineStateV1)
    require_same_tenant(event, line.tenant_id)
    await directory.line_changed(conn, line=line, removed=event.type == LINE_REMOVED)


async def on_grant_changed(conn: TenantConnection, event: CloudEvent) -> None:
    """Keep who serves the municipality: the host's telephony reports the calls of the partners it serves."""
    grant = read_data(event, GrantStateV1)
    require_same_tenant(event, grant.tenant_id)
    await directory.grant_changed(conn, grant=grant, removed=event.type == GRANT_REMOVED)


async def on_contact_recorded(conn: TenantConnection, event: CloudEvent) -> None:
    """Count a contact by its outcome: what first-contact resolution is figured from."""
    # The tickets service's data name no tenant: the envelope's, checked against the subject, is the one.
    contact = read_data(event, ContactRecordedV1)
    await contacts.contact_recorded(conn, contact=contact)


async def on_concern_changed(conn: TenantConnection, event: CloudEvent) -> None:
    """Keep a forwarded concern's deadline, answer and status: what deadline compliance is figured from."""
    ticket = read_data(event, TicketStateV1)
    await contacts.concern_changed(conn, ticket=ticket, reopened=event.type == TICKET_REOPENED)


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription(
        durable="metrics-tenants",
        stream="TENANTS",
        subjects=tuple(map(every_tenant, TENANT_EVENTS)),
        lean_handler=on_tenant_changed,
    ),
    Subscription(
        durable="metrics-contracts",
        stream="TENANTS",
        subjects=(every_tenant(CONTRACT_VERSION_ADDED),),
        lean_handler=on_contract_version_added,
    ),
    Subscription(
        durable="metrics-lines",
        stream="TENANTS",
        subjects=(every_tenant(LINE_ADDED), every_tenant(LINE_REMOVED)),
        lean_handler=on_line_changed,
    ),
    Subscription(
        durable="metrics-grants",
        stream="TENANTS",
        subjects=(every_tenant(GRANT_ADDED), every_tenant(GRANT_REMOVED)),
        lean_handler=on_grant_changed,
    ),
    Subscription(
        durable="metrics-contacts",
        stream="TICKETS",
        subjects=(every_tenant(CONTACT_RECORDED),),
        lean_handler=on_contact_recorded,
    ),
    Subscription(
        durable="metrics-concerns",
        stream="TICKETS",
        subjects=tuple(map(every_tenant, CONCERN_EVENTS)),
        lean_handler=on_concern_changed,
    ),
)
