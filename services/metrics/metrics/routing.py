"""Which municipality a call is for: the tenant of the line it came in on, found across tenants.

Call events name their line (a dialled number or a queue), not their tenant. Only ``lines``, ``grants``
(whom a host serves) and ``known_tenants`` honour ``app.metrics_routing``; every figure is then written and
read per tenant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from kit.db.database import Database
from metrics.directory import repository as directory
from metrics.directory.repository import ROUTING_SETTING, known_tenant_ids

__all__ = ["ROUTING_SETTING", "Routes", "find_routes", "known_tenant_ids"]


@dataclass(frozen=True, slots=True)
class Routes:
    """The tenant of each known line address, and the tenants a reporting client may report calls for."""

    tenants_by_line: dict[str, str]
    served: frozenset[str] | None  # None: any tenant (an operator)


async def find_routes(
    database: Database, addresses: Iterable[str], *, reporter_tenant: str | None, at: datetime
) -> Routes:
    """Look the lines up, and whom ``reporter_tenant`` serves (itself and its grants); None reporter: everyone."""
    tenants_by_line, granting = await directory.lines_and_grants(
        database, sorted(set(addresses)), grantee=reporter_tenant, at=at
    )
    served = None if reporter_tenant is None else frozenset({reporter_tenant, *granting})
    return Routes(tenants_by_line, served)
