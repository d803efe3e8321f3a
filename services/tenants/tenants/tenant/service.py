"""Rules for tenants."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kit.db.database import Database, TenantSession
from kit.events import record_event
from tenants.events.published import tenant_created
from tenants.tenant import repository
from tenants.tenant.errors import TenantExists, TenantNotFound
from tenants.tenant.schemas import TenantCreate


async def get(database: Database, *, tenant_id: str) -> Mapping[str, Any]:
    row = await repository.get(database, tenant_id)
    if row is None:
        raise TenantNotFound()
    return row


async def create(session: TenantSession, *, data: TenantCreate) -> Mapping[str, Any]:
    row = await repository.insert_new(session, tenant_id=data.id, name=data.name)
    if row is None:
        raise TenantExists(data.id)
    await record_event(session, tenant_created(tenant_id=data.id, name=data.name))
    return row
