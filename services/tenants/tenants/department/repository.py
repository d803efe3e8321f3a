"""All SQL of departments; every query runs for one tenant."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from kit.db.database import Database, TenantSession
from tenants.department.models import Department

_COLUMNS = tuple(Department.__table__.columns)
_ALL = select(*_COLUMNS).order_by(Department.name)
_ONE = select(*_COLUMNS).where(Department.id == bindparam("id"))


async def all_of(database: Database, tenant_id: str) -> list[dict[str, Any]]:
    return [dict(row) for row in await database.fetch_all(tenant_id, _ALL)]


async def get(database: Database, tenant_id: str, department_id: uuid.UUID) -> dict[str, Any] | None:
    row = await database.fetch_one(tenant_id, _ONE, {"id": department_id})
    return None if row is None else dict(row)


async def get_for_update(session: TenantSession, department_id: uuid.UUID) -> dict[str, Any] | None:
    row = (await session.execute(_ONE.with_for_update(), {"id": department_id})).first()
    return None if row is None else dict(row._mapping)


async def insert_new(session: TenantSession, *, values: Mapping[str, Any]) -> dict[str, Any] | None:
    """Insert the department; None if the tenant has one of that name."""
    statement = insert(Department).values(**values).on_conflict_do_nothing().returning(*_COLUMNS)
    row = (await session.execute(statement)).first()
    return None if row is None else dict(row._mapping)


async def name_taken(session: TenantSession, name: str, *, besides: uuid.UUID) -> bool:
    found = await session.scalar(select(Department.id).where(Department.name == name, Department.id != besides))
    return found is not None


async def update_fields(session: TenantSession, department_id: uuid.UUID, values: Mapping[str, Any]) -> dict[str, Any]:
    statement = (
        update(Department)
        .where(Department.id == department_id)
        .values(**values, version=Department.version + 1, updated_at=func.now())
        .returning(*_COLUMNS)
    )
    return dict((await session.execute(statement)).one()._mapping)


async def remove(session: TenantSession, department_id: uuid.UUID) -> None:
    await session.execute(delete(Department).where(Department.id == department_id))
