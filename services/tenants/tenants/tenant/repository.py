"""All SQL of tenants; every query runs for one tenant, except the operators' directory listing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, delete, select, text, update
from sqlalchemy.dialects.postgresql import insert

from kit.db.database import Database, TenantSession
from tenants.tenant.models import JurisdictionDirectory, Tenant

_COLUMNS = (
    Tenant.tenant_id.label("id"),
    Tenant.name,
    Tenant.ars,
    Tenant.ags,
    Tenant.state,
    Tenant.time_zone,
    Tenant.open311_jurisdiction_id,
    Tenant.status,
    Tenant.version,
    Tenant.created_at,
    Tenant.updated_at,
)
BY_ID = select(*_COLUMNS).where(Tenant.tenant_id == bindparam("tenant_id"))
_OPEN_DIRECTORY = text("SELECT set_config('app.tenant_directory', 'on', true)")


def _normalized(values: dict[str, Any]) -> dict[str, Any]:
    """Tenants registered before jurisdiction ids existed answer Open311 under their own id."""
    values["open311_jurisdiction_id"] = values["open311_jurisdiction_id"] or values["id"]
    return values


def _row(row: Any) -> dict[str, Any]:
    return _normalized(dict(row._mapping))


async def get(database: Database, tenant_id: str) -> dict[str, Any] | None:
    """Read a tenant in one round trip (the lean path)."""
    row = await database.fetch_one(tenant_id, BY_ID, {"tenant_id": tenant_id})
    return None if row is None else _normalized(dict(row))


async def exists(session: TenantSession) -> bool:
    """Whether the session's tenant is registered (any other tenant's row is invisible to it)."""
    found = await session.scalar(select(Tenant.tenant_id).where(Tenant.tenant_id == session.tenant_id))
    return found is not None


async def get_for_update(session: TenantSession, tenant_id: str) -> dict[str, Any] | None:
    """Read the tenant and lock it until the transaction ends."""
    row = (await session.execute(BY_ID.with_for_update(), {"tenant_id": tenant_id})).first()
    return None if row is None else _row(row)


async def insert_new(session: TenantSession, *, values: Mapping[str, Any]) -> dict[str, Any] | None:
    """Insert the tenant; None if it exists already."""
    statement = insert(Tenant).values(**values, status="onboarding").on_conflict_do_nothing().returning(*_COLUMNS)
    row = (await session.execute(statement)).first()
    return None if row is None else _row(row)


async def update_fields(session: TenantSession, tenant_id: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Write ``values`` and count the version up; the row is locked by ``get_for_update``."""
    statement = (
        update(Tenant)
        .where(Tenant.tenant_id == tenant_id)
        .values(**values, version=Tenant.version + 1)
        .returning(*_COLUMNS)
    )
    return _row((await session.execute(statement)).one())


async def list_all(session: TenantSession) -> list[dict[str, Any]]:
    """Every tenant, for operators: the one read across tenants, asked for explicitly in this transaction."""
    await session.execute(_OPEN_DIRECTORY)
    rows = (await session.execute(select(*_COLUMNS).order_by(Tenant.tenant_id))).all()
    return [_row(row) for row in rows]


async def claim_jurisdiction(session: TenantSession, *, jurisdiction_id: str, tenant_id: str) -> bool:
    """Note that ``jurisdiction_id`` names ``tenant_id``; False if another tenant holds it."""
    statement = (
        insert(JurisdictionDirectory)
        .values(jurisdiction_id=jurisdiction_id, tenant_id=tenant_id)
        .on_conflict_do_nothing()
        .returning(JurisdictionDirectory.tenant_id)
    )
    if (await session.execute(statement)).first() is not None:
        return True
    holder = await session.scalar(
        select(JurisdictionDirectory.tenant_id).where(JurisdictionDirectory.jurisdiction_id == jurisdiction_id)
    )
    return holder == tenant_id


async def release_jurisdiction(session: TenantSession, *, jurisdiction_id: str, tenant_id: str) -> None:
    await session.execute(
        delete(JurisdictionDirectory).where(
            JurisdictionDirectory.jurisdiction_id == jurisdiction_id, JurisdictionDirectory.tenant_id == tenant_id
        )
    )
