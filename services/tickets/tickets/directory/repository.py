"""All SQL of the read copies; every statement runs in the transaction's tenant.

``known_tenants`` is readable across tenants while ``app.tickets_maintenance`` is on, so its reads name
the connection's tenant themselves.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert

from kit.db.database import TenantConnection, TenantSession
from tickets.directory.models import ContractVersion, Department, KnownTenant, RequestType
from tickets.events.consumed import DepartmentStateV1, TenantStateV1


async def upsert_tenant(session: TenantSession, *, tenant: TenantStateV1, created_at: datetime) -> None:
    """Insert the tenant's read copy, or bring an older one up to date (events may come out of order)."""
    statement = insert(KnownTenant).values(
        tenant_id=tenant.id,
        name=tenant.name,
        time_zone=tenant.time_zone,
        state=tenant.state,
        open311_jurisdiction_id=tenant.open311_jurisdiction_id,
        status=tenant.status,
        version=tenant.version,
        created_at=created_at,
    )
    excluded = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[KnownTenant.tenant_id],
            set_={
                "name": excluded.name,
                "time_zone": excluded.time_zone,
                "state": excluded.state,
                "open311_jurisdiction_id": excluded.open311_jurisdiction_id,
                "status": excluded.status,
                "version": excluded.version,
                "received_at": func.now(),
            },
            where=KnownTenant.version < excluded.version,
        )
    )


async def add_contract_version(
    session: TenantSession, *, tenant_id: str, version: int, effective_from: datetime, terms: dict[str, Any]
) -> None:
    """Keep a contract version as it was published; versions never change, so a known one stays as it is."""
    statement = insert(ContractVersion).values(
        tenant_id=tenant_id, version=version, effective_from=effective_from, terms=terms
    )
    await session.execute(
        statement.on_conflict_do_nothing(index_elements=[ContractVersion.tenant_id, ContractVersion.version])
    )


async def upsert_department(session: TenantSession, *, department: DepartmentStateV1, deleted: bool) -> None:
    """Insert a department's read copy or apply a later version; a deleted one stays deleted.

    A deletion carries the department's last version, so it applies to a copy of that same version.
    """
    statement = insert(Department).values(
        tenant_id=department.tenant_id,
        id=department.id,
        name=department.name,
        email=department.email,
        phone=department.phone,
        leika_keys=department.leika_keys,
        version=department.version,
        deleted=deleted,
        updated_at=department.updated_at,
    )
    excluded = statement.excluded
    newer = (
        Department.version <= excluded.version
        if deleted
        else (Department.version < excluded.version) & Department.deleted.is_(False)
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Department.tenant_id, Department.id],
            set_={
                "name": excluded.name,
                "email": excluded.email,
                "phone": excluded.phone,
                "leika_keys": excluded.leika_keys,
                "version": excluded.version,
                "deleted": excluded.deleted,
                "updated_at": excluded.updated_at,
            },
            where=newer,
        )
    )


async def request_type_changed_at(session: TenantSession, *, description_id: uuid.UUID) -> datetime | None:
    """When the request type of ``description_id`` last changed, if it has one."""
    query = select(RequestType.changed_at).where(RequestType.description_id == description_id)
    changed_at: datetime | None = await session.scalar(query)
    return changed_at


async def request_type_holder(session: TenantSession, *, code: str) -> tuple[uuid.UUID, datetime] | None:
    """The description that offers the request type ``code``, and when it changed."""
    query = select(RequestType.description_id, RequestType.changed_at).where(RequestType.code == code)
    row = (await session.execute(query)).one_or_none()
    return None if row is None else (row.description_id, row.changed_at)


async def remove_request_type(session: TenantSession, *, description_id: uuid.UUID, up_to: datetime) -> None:
    """Remove the request type of ``description_id`` unless it changed after ``up_to``."""
    await session.execute(
        delete(RequestType).where(RequestType.description_id == description_id, RequestType.changed_at <= up_to)
    )


async def upsert_request_type(session: TenantSession, *, values: dict[str, Any]) -> None:
    """Insert or replace the request type of a description (its code may change), unless the copy is later."""
    statement = insert(RequestType).values(**values)
    excluded = statement.excluded
    columns = ("code", "name", "description", "group_name", "keywords", "attributes", "leika_key", "changed_at")
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[RequestType.tenant_id, RequestType.description_id],
            set_={column: excluded[column] for column in columns},
            where=RequestType.changed_at <= excluded.changed_at,
        )
    )


_IN_FORCE = """
SELECT c.version, c.terms::text AS terms, t.time_zone, t.state
  FROM contract_versions c
  JOIN known_tenants t ON t.tenant_id = c.tenant_id
 WHERE c.tenant_id = $1 AND c.effective_from <= $2
 ORDER BY c.effective_from DESC, c.version DESC
 LIMIT 1
"""


async def contract_in_force(conn: TenantConnection, *, at: datetime) -> asyncpg.Record | None:
    """The contract version in force at ``at`` (its number and terms as JSON text) with the tenant's zone and state."""
    return await conn.fetchrow(_IN_FORCE, conn.tenant_id, at)


# Everything a contact needs to be recorded and forwarded, in one round trip: whether the tenant is served,
# the department (the one named, if it is the tenant's; else the one responsible for the LeiKa key) and the
# contract version in force with the tenant's zone and state.
_FORWARDING = """
SELECT t.status, c.version, c.terms::text AS terms, t.time_zone, t.state,
       (SELECT d.id FROM departments d
         WHERE d.tenant_id = t.tenant_id AND NOT d.deleted
           AND CASE WHEN $3::uuid IS NULL THEN d.leika_keys @> ARRAY[$4::text] ELSE d.id = $3::uuid END
         ORDER BY d.name, d.id
         LIMIT 1) AS department_id
  FROM known_tenants t
  LEFT JOIN LATERAL (
        SELECT version, terms FROM contract_versions
         WHERE tenant_id = t.tenant_id AND effective_from <= $2
         ORDER BY effective_from DESC, version DESC
         LIMIT 1
  ) c ON true
 WHERE t.tenant_id = $1
"""


async def forwarding_facts(
    conn: TenantConnection, *, at: datetime, department_id: uuid.UUID | None, leika_key: str | None
) -> asyncpg.Record | None:
    """The tenant's status, the department meant and the contract in force at ``at``; None for an unknown tenant."""
    return await conn.fetchrow(_FORWARDING, conn.tenant_id, at, department_id, leika_key)
