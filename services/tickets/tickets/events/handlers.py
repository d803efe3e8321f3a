"""The tickets service's handler table: which events it consumes, and with what."""

from __future__ import annotations

from kit.db.database import TenantSession
from kit.events import CloudEvent, PermanentEventError, Subscription, read_data
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


def _same_tenant(event: CloudEvent, named: str) -> None:
    if named != event.tenantid:
        raise PermanentEventError(f"{event.type} {event.id}: data names {named}, envelope {event.tenantid}")


async def on_tenant_changed(session: TenantSession, event: CloudEvent) -> None:
    """Keep the read copy of a municipality: registered, changed, or moved in its lifecycle."""
    tenant = read_data(event, TenantStateV1)
    _same_tenant(event, tenant.id)
    await directory.tenant_changed(session, tenant=tenant, at=event.time)


async def on_contract_version_added(session: TenantSession, event: CloudEvent) -> None:
    """Keep a municipality's new contract version, whose terms decide forwarded concerns' deadlines."""
    contract = read_data(event, ContractVersionAddedV1)
    _same_tenant(event, contract.tenant_id)
    await directory.contract_version_added(session, contract=contract, terms=event.data["terms"])


async def on_department_changed(session: TenantSession, event: CloudEvent) -> None:
    """Keep the read copy of a department that concerns are forwarded to."""
    department = read_data(event, DepartmentStateV1)
    _same_tenant(event, department.tenant_id)
    await directory.department_changed(session, department=department, deleted=event.type == DEPARTMENT_DELETED)


async def on_description_changed(session: TenantSession, event: CloudEvent) -> None:
    """Keep the Open311 request type a published description offers, or drop it."""
    description = read_data(event, DescriptionStateV1)
    await directory.description_changed(
        session, tenant_id=event.tenantid, description=description, archived=event.type == DESCRIPTION_ARCHIVED
    )


def _subjects(event_types: tuple[str, ...]) -> tuple[str, ...]:
    """``tenants.tenant.created.v1`` → ``tenants.*.tenant.created.v1``: the event type of every tenant."""
    return tuple(".".join((service, "*", rest)) for service, rest in (t.split(".", 1) for t in event_types))


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription(
        durable="tickets-tenants",
        stream="TENANTS",
        subjects=_subjects(TENANT_EVENTS),
        handler=on_tenant_changed,
    ),
    Subscription(
        durable="tickets-contracts",
        stream="TENANTS",
        subjects=_subjects((CONTRACT_VERSION_ADDED,)),
        handler=on_contract_version_added,
    ),
    Subscription(
        durable="tickets-departments",
        stream="TENANTS",
        subjects=_subjects(DEPARTMENT_EVENTS),
        handler=on_department_changed,
    ),
    Subscription(
        durable="tickets-request-types",
        stream="KNOWLEDGE",
        subjects=_subjects(DESCRIPTION_EVENTS),
        handler=on_description_changed,
    ),
)
