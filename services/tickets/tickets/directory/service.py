"""Rules of the read copies: which state of another service's record this service keeps.

Events may come out of order (a retried one arrives after later ones), so each copy keeps the latest
state by the producer's own ordering: a tenant's or department's version, a description's ``changed_at``.
Every function works in the caller's transaction; the caller commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kit.db.database import TenantSession
from tickets.directory import repository
from tickets.events.consumed import ContractVersionAddedV1, DepartmentStateV1, DescriptionStateV1, TenantStateV1

# Only a tenant's own descriptions and its supplements of shared ones offer an Open311 request type.
REQUEST_TYPE_LAYERS = frozenset({"local", "supplement"})


async def tenant_changed(session: TenantSession, *, tenant: TenantStateV1, at: datetime) -> None:
    """Record a municipality's state, unless a later version of it is known."""
    await repository.upsert_tenant(session, tenant=tenant, created_at=at)


async def contract_version_added(
    session: TenantSession, *, contract: ContractVersionAddedV1, terms: dict[str, Any]
) -> None:
    """Keep a contract version with its ``terms`` as published (all of them, not only the fields read here)."""
    await repository.add_contract_version(
        session,
        tenant_id=contract.tenant_id,
        version=contract.version,
        effective_from=contract.effective_from,
        terms=terms,
    )


async def department_changed(session: TenantSession, *, department: DepartmentStateV1, deleted: bool) -> None:
    """Record a department's state; a deleted one is kept, marked deleted, for the tickets that name it."""
    await repository.upsert_department(session, department=department, deleted=deleted)


async def description_changed(
    session: TenantSession, *, tenant_id: str, description: DescriptionStateV1, archived: bool
) -> None:
    """Keep the request type a description offers, move it to a new code, or remove it.

    A code belongs to one description of the tenant: the one changed last (on a tie, the one holding it).
    """
    request_type = description.request_type
    changed_at = description.changed_at
    if archived or request_type is None or description.layer not in REQUEST_TYPE_LAYERS:
        await repository.remove_request_type(session, description_id=description.id, up_to=changed_at)
        return
    own = await repository.request_type_changed_at(session, description_id=description.id)
    if own is not None and own > changed_at:
        return
    holder = await repository.request_type_holder(session, code=request_type.code)
    if holder is not None and holder[0] != description.id:
        holder_id, holder_changed_at = holder
        if holder_changed_at >= changed_at:
            # The code stays with the later description; this one no longer offers its earlier code either.
            await repository.remove_request_type(session, description_id=description.id, up_to=changed_at)
            return
        await repository.remove_request_type(session, description_id=holder_id, up_to=holder_changed_at)
    await repository.upsert_request_type(
        session,
        values={
            "tenant_id": tenant_id,
            "code": request_type.code,
            "description_id": description.id,
            "name": request_type.name,
            "description": request_type.description,
            "group_name": request_type.group,
            "keywords": request_type.keywords,
            "attributes": [attribute.model_dump(mode="json") for attribute in request_type.attributes],
            "leika_key": description.leika_key,
            "changed_at": changed_at,
        },
    )
