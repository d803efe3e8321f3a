"""The tickets service's handler table: which events it consumes, and with what."""

from __future__ import annotations

from kit.db.database import TenantSession
from kit.events import CloudEvent, Subscription, every_tenant, read_data, require_same_tenant
from tickets.directory import service as directory
from tickets.events.consumed import (
    CONTRACT_VERSION_ADDED,
    DEPARTMENT_DELETED,
    DEPARTMENT_EVENTS,
    DESCRIPTION_ARCHIVED,
    DESCRIPTION_EVENTS,
    TENANT_EVENTS,
    ContractVersionAddedV1,
    DepartmentStateV1,
    DescriptionStateV1,
    TenantStateV1,
)


async def on_tenant_changed(session: TenantSession, event: CloudEvent) -> None:
    """Keep the read copy of a municipality: registered, changed, or moved in its lifecycle."""
    tenant = read_data(event, TenantStateV1)
    require_same_tenant(event, tenant.id)
    await directory.tenant_changed(session, tenant=tenant, at=event.time)


async def on_contract_version_added(session: TenantSession, event: CloudEvent) -> None:
    """Keep a municipality's new contract version, whose terms decide forwarded concerns' deadlines."""
    contract = read_data(event, ContractVersionAddedV1)
    require_same_tenant(event, contract.tenant_id)
    await directory.contract_version_added(session, contract=contract, terms=event.data["terms"])


async def on_department_changed(session: TenantSession, event: CloudEvent) -> None:
    """Keep the read copy of a department that concerns are forwarded to."""
    department = read_data(event, DepartmentStateV1)
    require_same_tenant(event, department.tenant_id)
    await directory.department_changed(session, department=department, deleted=event.type == DEPARTMENT_DELETED)


async def on_description_changed(session: TenantSession, event: CloudEvent) -> None:
    """Keep the Open311 request type a published description offers, or drop it."""
    description = read_data(event, DescriptionStateV1)
    await directory.description_changed(
        session, tenant_id=event.tenantid, description=description, archived=event.type == DESCRIPTION_ARCHIVED
    )


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription(
        durable="tickets-tenants",
        stream="TENANTS",
        subjects=tuple(map(every_tenant, TENANT_EVENTS)),
        handler=on_tenant_changed,
    ),
    Subscription(
        durable="tickets-contracts",
        stream="TENANTS",
        subjects=(every_tenant(CONTRACT_VERSION_ADDED),),
        handler=on_contract_version_added,
    ),
    Subscription(
        durable="tickets-departments",
        stream="TENANTS",
        subjects=tuple(map(every_tenant, DEPARTMENT_EVENTS)),
        handler=on_department_changed,
    ),
    Subscription(
        durable="tickets-request-types",
        stream="KNOWLEDGE",
        subjects=tuple(map(every_tenant, DESCRIPTION_EVENTS)),
        handler=on_description_changed,
    ),
)
