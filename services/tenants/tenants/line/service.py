"""Rules for inbound lines: each number or queue belongs to exactly one municipality."""

from __future__ import annotations

import uuid
from typing import Any

from kit.db.database import Database, TenantSession
from kit.events import record_event
from tenants.events.published import LINE_ADDED, LINE_REMOVED, line_event
from tenants.line import repository
from tenants.line.errors import LineNotFound, LineTaken
from tenants.line.schemas import LineCreate, LineKind, normalized_address


async def list_all(database: Database, *, tenant_id: str) -> list[dict[str, Any]]:
    return await repository.all_of(database, tenant_id)


async def get(database: Database, *, tenant_id: str, line_id: uuid.UUID) -> dict[str, Any]:
    row = await repository.get(database, tenant_id, line_id)
    if row is None:
        raise LineNotFound()
    return row


async def add(session: TenantSession, *, tenant_id: str, data: LineCreate) -> dict[str, Any]:
    """Map the line to the tenant; 409 if any municipality has it already."""
    line_id = uuid.uuid4()
    if not await repository.claim(session, kind=data.kind, address=data.address, tenant_id=tenant_id, line_id=line_id):
        raise LineTaken(data.address)
    values = {"tenant_id": tenant_id, "id": line_id, **data.model_dump()}
    row = await repository.insert_line(session, values=values)
    await record_event(session, line_event(LINE_ADDED, row))
    return row


async def remove(session: TenantSession, *, line_id: uuid.UUID) -> None:
    row = await repository.remove(session, line_id)
    if row is None:
        raise LineNotFound()
    await record_event(session, line_event(LINE_REMOVED, row))


async def resolve(database: Database, *, kind: LineKind, address: str) -> dict[str, Any]:
    """The municipality a call on this number or queue is for."""
    try:
        canonical = normalized_address(kind, address)
    except ValueError:
        raise LineNotFound() from None
    row = await repository.resolve(database, kind=kind, address=canonical)
    if row is None:
        raise LineNotFound()
    return row
