"""All SQL of inbound lines. The tenant's rows are read per tenant; the directory is read by number."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert

from kit.db.database import Database, TenantSession
from tenants.line.models import InboundLine, LineDirectory

_COLUMNS = tuple(InboundLine.__table__.columns)
_ALL = select(*_COLUMNS).order_by(InboundLine.kind, InboundLine.address)
_ONE = select(*_COLUMNS).where(InboundLine.id == bindparam("id"))
_RESOLVE = select(LineDirectory.__table__).where(
    LineDirectory.kind == bindparam("kind"), LineDirectory.address == bindparam("address")
)


async def all_of(database: Database, tenant_id: str) -> list[dict[str, Any]]:
    return [dict(row) for row in await database.fetch_all(tenant_id, _ALL)]


async def get(database: Database, tenant_id: str, line_id: uuid.UUID) -> dict[str, Any] | None:
    row = await database.fetch_one(tenant_id, _ONE, {"id": line_id})
    return None if row is None else dict(row)


async def claim(session: TenantSession, *, kind: str, address: str, tenant_id: str, line_id: uuid.UUID) -> bool:
    """Enter the line in the directory; False if any municipality (this one included) has it already."""
    statement = (
        insert(LineDirectory)
        .values(kind=kind, address=address, tenant_id=tenant_id, line_id=line_id)
        .on_conflict_do_nothing()
        .returning(LineDirectory.line_id)
    )
    return (await session.execute(statement)).first() is not None


async def insert_line(session: TenantSession, *, values: Mapping[str, Any]) -> dict[str, Any]:
    statement = insert(InboundLine).values(**values).returning(*_COLUMNS)
    return dict((await session.execute(statement)).one()._mapping)


async def remove(session: TenantSession, line_id: uuid.UUID) -> dict[str, Any] | None:
    """Delete the tenant's line and its directory entry; None if the tenant has no such line."""
    statement = delete(InboundLine).where(InboundLine.id == line_id).returning(*_COLUMNS)
    row = (await session.execute(statement)).first()
    if row is None:
        return None
    line = dict(row._mapping)
    await session.execute(
        delete(LineDirectory).where(LineDirectory.line_id == line_id, LineDirectory.tenant_id == line["tenant_id"])
    )
    return line


async def resolve(database: Database, *, kind: str, address: str) -> dict[str, Any] | None:
    """The directory entry of a number or queue, whichever municipality it belongs to."""
    async with database.transaction(None) as session:
        row = (await session.execute(_RESOLVE, {"kind": kind, "address": address})).first()
    return None if row is None else dict(row._mapping)
