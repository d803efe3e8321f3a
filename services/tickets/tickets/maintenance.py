"""The worker's loops read across tenants only through the tables whose policy honours this setting.

``known_tenants`` (which tenants exist) and ``deadline_watch`` (which instants are due) hold nothing a
tenant keeps private; everything else a loop does runs in one tenant's transaction (docs/adr/0010).
"""

from __future__ import annotations

from sqlalchemy import text

from kit.db.database import TenantSession

MAINTENANCE_SETTING = "app.tickets_maintenance"
_ACROSS_TENANTS = text(f"SELECT set_config('{MAINTENANCE_SETTING}', 'on', true)")


async def read_across_tenants(session: TenantSession) -> None:
    """Let the session's transaction read those two tables of every tenant; the setting ends with it."""
    await session.execute(_ACROSS_TENANTS)
