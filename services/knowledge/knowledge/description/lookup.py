"""Whether a description is one the session's tenant can see: for other domains that refer to descriptions."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from kit.db.database import TenantSession

# The shared base (no tenant) and the tenant's own descriptions; a supplement is no description of its own.
_VISIBLE = text(
    """
    SELECT EXISTS (SELECT 1 FROM base_descriptions WHERE id = :id)
        OR EXISTS (SELECT 1 FROM tenant_descriptions WHERE id = :id AND base_id IS NULL)
    """
)


async def is_visible(session: TenantSession, description_id: uuid.UUID) -> bool:
    """Whether ``description_id`` names a shared description or one of the session's tenant's own."""
    return bool(await session.scalar(_VISIBLE, {"id": description_id}))
