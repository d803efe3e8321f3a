"""All SQL of the read copies; every statement runs in the transaction's tenant, but for the reads across
tenants at the end, which only ``lines``, ``grants`` and ``known_tenants`` allow (``metrics.routing``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import text

from kit.db.database import Database, TenantConnection, TenantSession
from metrics.events.consumed import ContractVersionAddedV1, GrantStateV1, LineStateV1, TenantStateV1

DEFAULT_TIME_ZONE = "Europe/Berlin"
_UPSERT_TENANT = """
INSERT INTO known_tenants (tenant_id, name, time_zone, status, version, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (tenant_id) DO UPDATE
   SET name = excluded.name, time_zone = excluded.time_zone, status = excluded.status, version = excluded.version,
       received_at = now()
 WHERE known_tenants.version < excluded.version
"""
_ADD_CONTRACT = """
INSERT INTO contract_versions (tenant_id, version, effective_from, terms) VALUES ($1, $2, $3, $4::jsonb)
ON CONFLICT (tenant_id, version) DO NOTHING
"""
_UPSERT_LINE = """
INSERT INTO lines (tenant_id, id, kind, address, removed) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tenant_id, id) DO UPDATE SET removed = lines.removed OR excluded.removed
"""
_UPSERT_GRANT = """
INSERT INTO grants (tenant_id, id, grantee_tenant, valid_from, valid_until, removed) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (tenant_id, id) DO UPDATE SET removed = grants.removed OR excluded.removed
"""


async def upsert_tenant(conn: TenantConnection, tenant: TenantStateV1, *, created_at: datetime) -> None:
    """Keep the tenant's latest state by its version (events may come out of order)."""
    await conn.execute(
        _UPSERT_TENANT, tenant.id, tenant.name, tenant.time_zone, tenant.status, tenant.version, created_at
    )


async def add_contract_version(conn: TenantConnection, contract: ContractVersionAddedV1) -> None:
    """Keep a contract version as published; versions never change, so a known one stays."""
    terms = orjson.dumps(contract.terms).decode()
    await conn.execute(_ADD_CONTRACT, contract.tenant_id, contract.version, contract.effective_from, terms)


async def upsert_line(conn: TenantConnection, line: LineStateV1, *, removed: bool) -> None:
    """Keep a line; once removed it stays removed, whatever arrives after."""
    await conn.execute(_UPSERT_LINE, line.tenant_id, line.id, line.kind, line.address, removed)


async def upsert_grant(conn: TenantConnection, grant: GrantStateV1, *, removed: bool) -> None:
    """Keep a grant; once removed it stays removed."""
    await conn.execute(
        _UPSERT_GRANT, grant.tenant_id, grant.id, grant.grantee_tenant, grant.valid_from, grant.valid_until, removed
    )


async def time_zone(conn: TenantConnection) -> str:
    """The connection's tenant's time zone; Europe/Berlin while the tenant is not known yet."""
    row = await conn.fetchrow("SELECT time_zone FROM known_tenants")
    return str(row["time_zone"]) if row is not None else DEFAULT_TIME_ZONE


async def contract_versions(conn: TenantConnection) -> list[tuple[int, datetime, dict[str, Any]]]:
    """The tenant's contract versions, the earliest first: (version, effective from, terms)."""
    rows = await conn.fetch("SELECT version, effective_from, terms FROM contract_versions ORDER BY effective_from")
    return [(row["version"], row["effective_from"], _terms(row["terms"])) for row in rows]


def _terms(value: Any) -> dict[str, Any]:
    return dict(orjson.loads(value)) if isinstance(value, (str, bytes)) else dict(value)


ROUTING_SETTING = "app.metrics_routing"
_ACROSS_TENANTS = text(f"SELECT set_config('{ROUTING_SETTING}', 'on', true)")
_LINES = text("SELECT address, tenant_id FROM lines WHERE NOT removed AND address = ANY(:addresses)")
_SERVED = text(
    "SELECT tenant_id FROM grants WHERE NOT removed AND grantee_tenant = :grantee"
    " AND valid_from <= :at AND (valid_until IS NULL OR valid_until > :at)"
)
_KNOWN_TENANTS = text("SELECT tenant_id FROM known_tenants ORDER BY tenant_id")


async def read_across_tenants(session: TenantSession) -> None:
    """Let the session's transaction read ``lines``, ``grants`` and ``known_tenants`` of every tenant."""
    await session.execute(_ACROSS_TENANTS)


async def lines_and_grants(
    database: Database, addresses: list[str], *, grantee: str | None, at: datetime
) -> tuple[dict[str, str], list[str]]:
    """Across tenants: the tenant of each known line address, and the tenants that grant ``grantee`` at ``at``."""
    async with database.transaction(None) as session:
        await read_across_tenants(session)
        lines = await session.execute(_LINES, {"addresses": addresses})
        tenants_by_line = {row.address: row.tenant_id for row in lines}
        granting: list[str] = []
        if grantee is not None:
            granting = [row.tenant_id for row in await session.execute(_SERVED, {"grantee": grantee, "at": at})]
    return tenants_by_line, granting


async def known_tenant_ids(database: Database) -> list[str]:
    """Across tenants: every municipality this service knows of."""
    async with database.transaction(None) as session:
        await read_across_tenants(session)
        return [row.tenant_id for row in await session.execute(_KNOWN_TENANTS)]
