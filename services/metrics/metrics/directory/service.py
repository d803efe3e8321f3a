"""Rules of the read copies: the municipalities served, their contracts, lines and grants.

Each copy keeps the latest state by the producer's own ordering; a removed line or grant stays removed.
Every function works in the caller's transaction; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from kit.db.database import TenantConnection
from metrics.directory import repository
from metrics.events.consumed import ContractVersionAddedV1, GrantStateV1, LineStateV1, TenantStateV1


async def tenant_changed(conn: TenantConnection, *, tenant: TenantStateV1, at: datetime) -> None:
    await repository.upsert_tenant(conn, tenant, created_at=at)


async def contract_version_added(conn: TenantConnection, *, contract: ContractVersionAddedV1) -> None:
    await repository.add_contract_version(conn, contract)


async def line_changed(conn: TenantConnection, *, line: LineStateV1, removed: bool) -> None:
    await repository.upsert_line(conn, line, removed=removed)


async def grant_changed(conn: TenantConnection, *, grant: GrantStateV1, removed: bool) -> None:
    await repository.upsert_grant(conn, grant, removed=removed)


def contract_in_force(versions: Sequence[tuple[int, datetime, dict[str, Any]]], at: datetime) -> dict[str, Any] | None:
    """The terms in force at ``at`` with their ``version``, from versions ordered by when they take effect."""
    chosen: dict[str, Any] | None = None
    for version, effective_from, terms in versions:
        if effective_from <= at:
            chosen = {**terms, "version": version}
    return chosen
