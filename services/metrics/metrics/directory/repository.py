"""All SQL of the read copies; every statement runs in the transaction's tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from kit.db.database import TenantConnection
from metrics.events.consumed import ContractVersionAddedV1, GrantStateV1, LineStateV1, TenantStateV1

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


async def time_zone(conn: TenantConnection) -> str | None:
    """The connection's tenant's time zone, if the tenant is known."""
    row = await conn.fetchrow("SELECT time_zone FROM known_tenants")
    return str(row["time_zone"]) if row is not None else None


async def contract_versions(conn: TenantConnection) -> list[tuple[int, datetime, dict[str, Any]]]:
    """The tenant's contract versions, the earliest first: (version, effective from, terms)."""
    rows = await conn.fetch("SELECT version, effective_from, terms FROM contract_versions ORDER BY effective_from")
    return [(row["version"], row["effective_from"], _terms(row["terms"])) for row in rows]


def _terms(value: Any) -> dict[str, Any]:
    return dict(orjson.loads(value)) if isinstance(value, (str, bytes)) else dict(value)
