"""All SQL of grants; every query runs for one tenant, except the gateway's directory of all grants."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert

from kit.db.database import Database, TenantSession
from tenants.grant.models import Grant

_COLUMNS = tuple(Grant.__table__.columns)
_ALL = select(*_COLUMNS).order_by(Grant.created_at, Grant.id)
_ONE = select(*_COLUMNS).where(Grant.id == bindparam("id"))
_OPEN_DIRECTORY = text("SELECT set_config('app.grant_directory', 'on', true)")
_NOT_ENDED = or_(Grant.valid_until.is_(None), Grant.valid_until > func.now())


async def all_of(database: Database, tenant_id: str) -> list[dict[str, Any]]:
    return [dict(row) for row in await database.fetch_all(tenant_id, _ALL)]


async def get(database: Database, tenant_id: str, grant_id: uuid.UUID) -> dict[str, Any] | None:
    row = await database.fetch_one(tenant_id, _ONE, {"id": grant_id})
    return None if row is None else dict(row)


async def insert_new(session: TenantSession, *, values: Mapping[str, Any]) -> dict[str, Any] | None:
    """Insert the grant; None if the grantee holds one here already."""
    statement = insert(Grant).values(**values).on_conflict_do_nothing().returning(*_COLUMNS)
    row = (await session.execute(statement)).first()
    return None if row is None else dict(row._mapping)


async def remove(session: TenantSession, grant_id: uuid.UUID) -> dict[str, Any] | None:
    """Delete the grant and return its last state; None if there is none."""
    row = (await session.execute(delete(Grant).where(Grant.id == grant_id).returning(*_COLUMNS))).first()
    return None if row is None else dict(row._mapping)


async def directory(session: TenantSession) -> list[dict[str, Any]]:
    """Every tenant's grants that have not ended, for the gateway: asked for explicitly in this transaction."""
    await session.execute(_OPEN_DIRECTORY)
    rows = (await session.execute(select(*_COLUMNS).where(_NOT_ENDED).order_by(Grant.tenant_id, Grant.id))).all()
    return [dict(row._mapping) for row in rows]
