"""Which municipality a call is for: the tenant of the line it came in on, found across tenants.

Call events name their line (a dialled number or a queue), not their tenant. Only ``lines`` and ``grants``
(whom a host serves) honour ``app.metrics_routing``; every figure is then written and read per tenant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from kit.db.database import Database

ROUTING_SETTING = "app.metrics_routing"
ACROSS_TENANTS = text(f"SELECT set_config('{ROUTING_SETTING}', 'on', true)")
_LINES = text("SELECT address, tenant_id FROM lines WHERE NOT removed AND address = ANY(:addresses)")
_SERVED = text(
    "SELECT tenant_id FROM grants WHERE NOT removed AND grantee_tenant = :grantee"
    " AND valid_from <= :at AND (valid_until IS NULL OR valid_until > :at)"
)


@dataclass(frozen=True, slots=True)
class Routes:
    """The tenant of each known line address, and the tenants a reporting client may report calls for."""

    tenants_by_line: dict[str, str]
    served: frozenset[str] | None  # None: any tenant (an operator)


async def find_routes(
    database: Database, addresses: Iterable[str], *, reporter_tenant: str | None, at: datetime
) -> Routes:
    """Look the lines up, and whom ``reporter_tenant`` serves (itself and its grants); None reporter: everyone."""
    async with database.transaction(None) as session:
        await session.execute(ACROSS_TENANTS)
        lines = await session.execute(_LINES, {"addresses": sorted(set(addresses))})
        tenants_by_line = {row.address: row.tenant_id for row in lines}
        served: frozenset[str] | None = None
        if reporter_tenant is not None:
            granted = await session.execute(_SERVED, {"grantee": reporter_tenant, "at": at})
            served = frozenset({reporter_tenant, *(row.tenant_id for row in granted)})
    return Routes(tenants_by_line, served)


async def known_tenant_ids(database: Database) -> list[str]:
    """Every municipality this service knows of, for the host's views across tenants."""
    async with database.transaction(None) as session:
        await session.execute(ACROSS_TENANTS)
        rows = await session.execute(text("SELECT tenant_id FROM known_tenants ORDER BY tenant_id"))
        return [row.tenant_id for row in rows]
