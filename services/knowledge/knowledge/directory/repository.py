"""All SQL of the tenant directory; every statement runs in the session's tenant."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import any_, func, select
from sqlalchemy.dialects.postgresql import array, insert

from kit.db.database import Database, TenantSession
from knowledge.directory.models import KnownTenant
from knowledge.events.consumed import TenantStateV1

# Knowledge is prepared while a municipality is onboarded and used while it is in trial or active;
# a suspended or terminated one is not served.
SERVED_STATUSES = ("onboarding", "trial", "active")


async def upsert(session: TenantSession, *, tenant: TenantStateV1, created_at: datetime) -> None:
    """Insert the tenant's read copy, or bring an older one up to date (events may come out of order)."""
    statement = insert(KnownTenant).values(
        tenant_id=tenant.id, name=tenant.name, status=tenant.status, version=tenant.version, created_at=created_at
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[KnownTenant.tenant_id],
            set_={
                "name": statement.excluded.name,
                "status": statement.excluded.status,
                "version": statement.excluded.version,
                "received_at": func.now(),
            },
            where=KnownTenant.version < statement.excluded.version,
        )
    )


_SERVED = select(KnownTenant.tenant_id).where(KnownTenant.status == any_(array(SERVED_STATUSES)))


async def is_known(database: Database, tenant_id: str) -> bool:
    """Whether ``tenant_id`` is registered and served (its own row is the only one it can see)."""
    return await database.fetch_one(tenant_id, _SERVED) is not None
