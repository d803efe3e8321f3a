"""Rules for tenants: consistent official keys, a jurisdiction id no other tenant holds, the lifecycle."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kit.concurrency import check_if_match
from kit.db.database import Database, TenantSession
from kit.errors import ConflictingField, InvalidField
from kit.events import record_event
from tenants.events.published import TENANT_CREATED, TENANT_STATUS_CHANGED, TENANT_UPDATED, tenant_event
from tenants.tenant import repository
from tenants.tenant.codes import key_problems
from tenants.tenant.errors import TenantExists, TenantNotFound
from tenants.tenant.schemas import StatusChange, TenantCreate, TenantUpdate

# Onboarding may end in a trial or go live at once; a terminated partner stays terminated.
TRANSITIONS: dict[str, frozenset[str]] = {
    "onboarding": frozenset({"trial", "active", "terminated"}),
    "trial": frozenset({"active", "terminated"}),
    "active": frozenset({"suspended", "terminated"}),
    "suspended": frozenset({"active", "terminated"}),
    "terminated": frozenset(),
}


async def get(database: Database, *, tenant_id: str) -> dict[str, Any]:
    row = await repository.get(database, tenant_id)
    if row is None:
        raise TenantNotFound()
    return row


async def list_all(session: TenantSession) -> list[dict[str, Any]]:
    return await repository.list_all(session)


def _check_keys(values: Mapping[str, Any]) -> None:
    if values.get("ars") and values.get("ags") and values.get("state"):
        for field, reason in key_problems(ars=values["ars"], ags=values["ags"], state=values["state"]):
            raise InvalidField(field, reason)


async def _claim_jurisdiction(session: TenantSession, *, jurisdiction_id: str, tenant_id: str) -> None:
    if not await repository.claim_jurisdiction(session, jurisdiction_id=jurisdiction_id, tenant_id=tenant_id):
        raise ConflictingField("open311_jurisdiction_id", f"{jurisdiction_id} names another tenant already")


async def create(session: TenantSession, *, data: TenantCreate) -> dict[str, Any]:
    values = data.model_dump(exclude={"id"})
    values["open311_jurisdiction_id"] = data.open311_jurisdiction_id or data.id
    _check_keys(values)
    row = await repository.insert_new(session, values={"tenant_id": data.id, **values})
    if row is None:
        raise TenantExists(data.id)
    await _claim_jurisdiction(session, jurisdiction_id=row["open311_jurisdiction_id"], tenant_id=data.id)
    await record_event(session, tenant_event(TENANT_CREATED, row))
    return row


async def _locked(session: TenantSession, tenant_id: str) -> dict[str, Any]:
    current = await repository.get_for_update(session, tenant_id)
    if current is None:
        raise TenantNotFound()
    return current


async def update(session: TenantSession, *, tenant_id: str, data: TenantUpdate, if_match: str | None) -> dict[str, Any]:
    """Change the record if the caller saw its current version."""
    current = await _locked(session, tenant_id)
    check_if_match(if_match, current["version"])
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None and v != current[k]}
    if not changes:
        return current
    _check_keys({**current, **changes})
    if "open311_jurisdiction_id" in changes:
        await _claim_jurisdiction(session, jurisdiction_id=changes["open311_jurisdiction_id"], tenant_id=tenant_id)
        await repository.release_jurisdiction(
            session, jurisdiction_id=current["open311_jurisdiction_id"], tenant_id=tenant_id
        )
    row = await repository.update_fields(session, tenant_id, changes)
    await record_event(session, tenant_event(TENANT_UPDATED, row))
    return row


async def change_status(session: TenantSession, *, tenant_id: str, change: StatusChange) -> dict[str, Any]:
    """Move the tenant in its lifecycle; only the allowed transitions, a repeat of the current status is a no-op."""
    current = await _locked(session, tenant_id)
    if change.status == current["status"]:
        return current
    if change.status not in TRANSITIONS[current["status"]]:
        allowed = ", ".join(sorted(TRANSITIONS[current["status"]])) or "none"
        raise ConflictingField("status", f"{current['status']} cannot become {change.status} (allowed: {allowed})")
    row = await repository.update_fields(session, tenant_id, {"status": change.status})
    event = tenant_event(TENANT_STATUS_CHANGED, row, previous_status=current["status"], reason=change.reason)
    await record_event(session, event)
    return row
