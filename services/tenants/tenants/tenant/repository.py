"""All SQL of tenants; every query runs for one tenant."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert

from kit.db.database import Database, TenantSession
from tenants.tenant.models import Tenant

_COLUMNS = (
    Tenant.tenant_id.label("id"),
    Tenant.name,
    Tenant.status,
    Tenant.version,
    Tenant.created_at,
    Tenant.updated_at,
)
_BY_ID = select(*_COLUMNS).where(Tenant.tenant_id == bindparam("tenant_id"))


async def get(database: Database, tenant_id: str) -> Mapping[str, Any] | None:
    """Read a tenant in one round trip (the lean path)."""
    return await database.fetch_one(tenant_id, _BY_ID, {"tenant_id": tenant_id})


async def insert_new(session: TenantSession, *, tenant_id: str, name: str) -> Mapping[str, Any] | None:
    """Insert the tenant; None if it exists already."""
    statement = (
        insert(Tenant)
        .values(tenant_id=tenant_id, name=name, status="onboarding")
        .on_conflict_do_nothing()
        .returning(*_COLUMNS)
    )
    row = (await session.execute(statement)).first()
    return None if row is None else dict(row._mapping)
