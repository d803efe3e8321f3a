"""All SQL of contract versions; every query runs for one tenant."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select

from kit.db.database import Database, TenantSession
from tenants.contract.models import ContractVersion


def _columns() -> tuple[Any, ...]:
    later = ContractVersion.__table__.alias("later")
    # The next version to take over: the earliest later start; at equal starts the higher version wins.
    until = (
        select(func.min(later.c.effective_from))
        .where(
            later.c.tenant_id == ContractVersion.tenant_id,
            later.c.version > ContractVersion.version,
        )
        .scalar_subquery()
    )
    return (
        ContractVersion.tenant_id,
        ContractVersion.version,
        ContractVersion.effective_from,
        until.label("effective_until"),
        ContractVersion.terms,
        ContractVersion.created_at,
        ContractVersion.created_by,
    )


_COLUMNS = _columns()
_ALL = select(*_COLUMNS).order_by(ContractVersion.version)
_ONE = select(*_COLUMNS).where(ContractVersion.version == bindparam("version"))
_IN_FORCE = (
    select(*_COLUMNS)
    .where(ContractVersion.effective_from <= bindparam("at"))
    .order_by(ContractVersion.effective_from.desc(), ContractVersion.version.desc())
    .limit(1)
)
_LATEST = select(*_COLUMNS).order_by(ContractVersion.version.desc()).limit(1)


async def all_versions(database: Database, tenant_id: str) -> list[dict[str, Any]]:
    return [dict(row) for row in await database.fetch_all(tenant_id, _ALL)]


async def version(database: Database, tenant_id: str, number: int) -> dict[str, Any] | None:
    row = await database.fetch_one(tenant_id, _ONE, {"version": number})
    return None if row is None else dict(row)


async def in_force(database: Database, tenant_id: str, at: datetime) -> dict[str, Any] | None:
    """The version in force at ``at``: the latest start not after it; at equal starts the higher version."""
    row = await database.fetch_one(tenant_id, _IN_FORCE, {"at": at})
    return None if row is None else dict(row)


async def latest_number(database: Database, tenant_id: str) -> int:
    row = await database.fetch_one(tenant_id, _LATEST)
    return 0 if row is None else int(row["version"])


async def latest(session: TenantSession) -> dict[str, Any] | None:
    row = (await session.execute(_LATEST)).first()
    return None if row is None else dict(row._mapping)


async def add(session: TenantSession, *, values: Mapping[str, Any]) -> dict[str, Any]:
    await session.execute(insert(ContractVersion).values(**values))
    row = (await session.execute(_ONE, {"version": values["version"]})).one()
    return dict(row._mapping)
