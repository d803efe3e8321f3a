"""Rules for departments: unique names per tenant, versioned edits, every change announced."""

from __future__ import annotations

import uuid
from typing import Any

from kit.concurrency import check_if_match
from kit.db.database import Database, TenantSession
from kit.events import record_event
from tenants.department import repository
from tenants.department.errors import DepartmentNameTaken, DepartmentNotFound
from tenants.department.schemas import DepartmentCreate, DepartmentUpdate
from tenants.events.published import DEPARTMENT_CREATED, DEPARTMENT_DELETED, DEPARTMENT_UPDATED, department_event


async def list_all(database: Database, *, tenant_id: str) -> list[dict[str, Any]]:
    return await repository.all_of(database, tenant_id)


async def get(database: Database, *, tenant_id: str, department_id: uuid.UUID) -> dict[str, Any]:
    row = await repository.get(database, tenant_id, department_id)
    if row is None:
        raise DepartmentNotFound()
    return row


async def create(session: TenantSession, *, tenant_id: str, data: DepartmentCreate) -> dict[str, Any]:
    values = {"tenant_id": tenant_id, "id": uuid.uuid4(), **data.model_dump(mode="json")}
    row = await repository.insert_new(session, values=values)
    if row is None:
        raise DepartmentNameTaken(data.name)
    await record_event(session, department_event(DEPARTMENT_CREATED, row))
    return row


async def _locked(session: TenantSession, department_id: uuid.UUID) -> dict[str, Any]:
    current = await repository.get_for_update(session, department_id)
    if current is None:
        raise DepartmentNotFound()
    return current


async def update(
    session: TenantSession, *, department_id: uuid.UUID, data: DepartmentUpdate, if_match: str | None
) -> dict[str, Any]:
    current = await _locked(session, department_id)
    check_if_match(if_match, current["version"])
    changes = data.model_dump(mode="json", exclude_unset=True)
    if changes.get("name") is None:
        changes.pop("name", None)
    if changes.get("leika_keys") is None:
        changes.pop("leika_keys", None)
    if "name" in changes and await repository.name_taken(session, changes["name"], besides=department_id):
        raise DepartmentNameTaken(changes["name"])
    if not changes:
        return current
    row = await repository.update_fields(session, department_id, changes)
    await record_event(session, department_event(DEPARTMENT_UPDATED, row))
    return row


async def delete(session: TenantSession, *, department_id: uuid.UUID, if_match: str | None) -> None:
    current = await _locked(session, department_id)
    if if_match is not None:
        check_if_match(if_match, current["version"])
    await repository.remove(session, department_id)
    await record_event(session, department_event(DEPARTMENT_DELETED, current))
