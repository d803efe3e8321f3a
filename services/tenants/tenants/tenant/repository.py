"""All SQL of tenants; every query runs for one tenant."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from kit.db.database import AnyRow, Database, TenantSession
from tenants.tenant.models import Tenant

_COLUMNS = (
    Tenant.tenant_id.label("id"),
    Tenant.name,
    Tenant.status,
    Tenant.version,
    Tenant.created_at,
    Tenant.updated_at,
)


async def get(database: Database, tenant_id: str) -> AnyRow | None:
    """Read a tenant in one round trip (the lean path)."""
    return await database.fetch_one(tenant_id, select(*_COLUMNS).where(Tenant.tenant_id == tenant_id))


async def insert_new(session: TenantSession, *, tenant_id: str, name: str) -> AnyRow | None:
    """Insert the tenant; None if it exists already."""
    statement = (
        insert(Tenant)
        .values(tenant_id=tenant_id, name=name, status="onboarding")
        .on_conflict_do_nothing()
        .returning(*_COLUMNS)
    )
    row: AnyRow | None = (await session.execute(statement)).first()
    return row
