"""Rules for contracts: versions are complete, immutable and never reach back into a measured past."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from businesstime import BusinessTimeError
from kit.concurrency import check_if_match
from kit.db.database import Database, TenantSession
from kit.errors import ConflictingField, UnprocessableContent
from kit.events import record_event
from tenants.contract import repository
from tenants.contract.calendar import calendar_of, rule_of
from tenants.contract.errors import ContractVersionNotFound, NoContractInForce
from tenants.contract.schemas import ContractVersionCreate
from tenants.contract.terms import ContractTerms, ForwardingDeadline
from tenants.events.published import contract_version_added
from tenants.tenant import repository as tenants
from tenants.tenant.errors import TenantNotFound


async def in_force(database: Database, *, tenant_id: str, at: datetime) -> dict[str, Any]:
    """The terms in force at ``at``."""
    row = await repository.in_force(database, tenant_id, at)
    if row is None:
        raise NoContractInForce()
    return row


async def preview_due(
    database: Database, *, tenant_id: str, start: datetime, rule: ForwardingDeadline | None
) -> dict[str, Any]:
    """When a concern forwarded at ``start`` would be due: by ``rule``, else by the contract's rule then in force."""
    tenant = await tenants.get(database, tenant_id)
    if tenant is None:
        raise TenantNotFound()
    version = await in_force(database, tenant_id=tenant_id, at=start)
    terms = ContractTerms.model_validate(version["terms"])
    calendar = calendar_of(terms, time_zone=tenant["time_zone"], state=tenant["state"])
    chosen = rule or terms.forwarding_deadline
    try:
        due = calendar.due(start, rule_of(chosen))
    except BusinessTimeError as error:
        raise UnprocessableContent(f"No due instant on this calendar: {error}") from None
    return {
        "start": start,
        "due": due,
        "rule": chosen,
        "rule_source": "contract" if rule is None else "request",
        "contract_version": version["version"],
        "time_zone": tenant["time_zone"],
        "state": tenant["state"],
    }


async def versions(database: Database, *, tenant_id: str) -> list[dict[str, Any]]:
    return await repository.all_versions(database, tenant_id)


async def version(database: Database, *, tenant_id: str, number: int) -> dict[str, Any]:
    row = await repository.version(database, tenant_id, number)
    if row is None:
        raise ContractVersionNotFound()
    return row


async def latest_version_number(database: Database, *, tenant_id: str) -> int:
    """The number the next change's If-Match must name (0 before the first version)."""
    return await repository.latest_number(database, tenant_id)


async def add_version(
    session: TenantSession,
    *,
    tenant_id: str,
    data: ContractVersionCreate,
    if_match: str | None,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """Add the next version of the contract, based on the latest one the caller saw.

    The first version may start at any instant. Later ones start now or later, and not before the latest
    version's start: what a past period is measured against never changes. A version with the same
    start as a scheduled, not yet effective one supersedes it.
    """
    if await tenants.get_for_update(session, tenant_id) is None:
        raise TenantNotFound()
    latest = await repository.latest(session)
    if latest is not None:
        check_if_match(if_match, latest["version"])
        if data.effective_from < now:
            raise ConflictingField("effective_from", "lies in the past: a new version would rewrite a past period")
        if data.effective_from < latest["effective_from"]:
            raise ConflictingField(
                "effective_from", f"lies before the start of version {latest['version']} ({latest['effective_from']})"
            )
    values = {
        "tenant_id": tenant_id,
        "version": 1 if latest is None else latest["version"] + 1,
        "effective_from": data.effective_from,
        "terms": data.terms.model_dump(mode="json"),
        "created_by": actor,
    }
    row = await repository.add(session, values=values)
    await record_event(session, contract_version_added(row))
    return row
