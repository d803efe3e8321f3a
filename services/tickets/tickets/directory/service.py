"""Rules of the tenant directory: which municipalities this service serves."""

from __future__ import annotations

from datetime import datetime

from kit.db.database import TenantSession
from tickets.directory import repository
from tickets.events.consumed import TenantCreatedV1


async def tenant_created(session: TenantSession, *, tenant: TenantCreatedV1, created_at: datetime) -> None:
    """Record a newly registered municipality in the session's transaction (the caller commits)."""
    await repository.upsert(session, tenant_id=tenant.id, name=tenant.name, created_at=created_at)
