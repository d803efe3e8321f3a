"""Rules of the tenant directory: which municipalities this service serves."""

from __future__ import annotations

from datetime import datetime

from kit.db.database import TenantSession
from knowledge.directory import repository
from knowledge.events.consumed import TenantStateV1


async def tenant_changed(session: TenantSession, *, tenant: TenantStateV1, at: datetime) -> None:
    """Record a municipality's state in the session's transaction, unless a later one is known (the caller commits)."""
    await repository.upsert(session, tenant=tenant, created_at=at)
