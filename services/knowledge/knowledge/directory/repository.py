"""All SQL of the tenant directory; every statement runs in the session's tenant."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from kit.db.database import Database, TenantSession
from knowledge.directory.models import KnownTenant


async def upsert(session: TenantSession, *, tenant_id: str, name: str, created_at: datetime) -> None:
    """Insert the tenant's read copy, or bring an existing one up to date."""
    statement = insert(KnownTenant).values(tenant_id=tenant_id, name=name, created_at=created_at)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[KnownTenant.tenant_id],
            set_={
                "name": statement.excluded.name,
                "created_at": statement.excluded.created_at,
                "received_at": func.now(),
            },
        )
    )


_KNOWN = select(KnownTenant.tenant_id)


async def is_known(database: Database, tenant_id: str) -> bool:
    """Whether the tenants service has registered ``tenant_id`` (its own row is the only one it can see)."""
    return await database.fetch_one(tenant_id, _KNOWN) is not None
