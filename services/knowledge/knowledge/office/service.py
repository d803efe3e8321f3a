"""Rules for offices: unique names per tenant, versioned edits, responsibilities only for visible descriptions."""

from __future__ import annotations

import uuid
from typing import Any

from kit.concurrency import check_if_match
from kit.db.database import Database, TenantSession
from knowledge.description import repository as descriptions
from knowledge.description.errors import DescriptionNotFound
from knowledge.office import repository
from knowledge.office.errors import OfficeNameTaken, OfficeNotFound, ResponsibilityNotFound
from knowledge.office.schemas import OfficeCreate, OfficeUpdate

# Fields that cannot be cleared: ``null`` in an update leaves them as they are.
_REQUIRED = ("name", "opening_hours", "contacts")


async def list_all(database: Database, *, tenant_id: str) -> list[dict[str, Any]]:
    return await repository.all_of(database, tenant_id)


async def get(database: Database, *, tenant_id: str, office_id: uuid.UUID) -> dict[str, Any]:
    row = await repository.get(database, tenant_id, office_id)
    if row is None:
        raise OfficeNotFound()
    return row


async def create(session: TenantSession, *, tenant_id: str, data: OfficeCreate) -> dict[str, Any]:
    values = {"tenant_id": tenant_id, "id": uuid.uuid4(), **data.model_dump(mode="json")}
    row = await repository.insert_new(session, values=values)
    if row is None:
        raise OfficeNameTaken(data.name)
    return row


async def _locked(session: TenantSession, office_id: uuid.UUID) -> dict[str, Any]:
    current = await repository.get_for_update(session, office_id)
    if current is None:
        raise OfficeNotFound()
    return current


async def update(
    session: TenantSession, *, office_id: uuid.UUID, data: OfficeUpdate, if_match: str | None
) -> dict[str, Any]:
    current = await _locked(session, office_id)
    check_if_match(if_match, current["version"])
    changes = data.model_dump(mode="json", exclude_unset=True)
    for field in _REQUIRED:
        if changes.get(field) is None:
            changes.pop(field, None)
    if not changes:
        return current
    updated = await repository.update_fields(session, office_id, changes)
    if updated is None:
        raise OfficeNameTaken(changes["name"])
    return updated


async def delete(session: TenantSession, *, office_id: uuid.UUID, if_match: str | None) -> None:
    """Remove the office; its responsibilities go with it."""
    current = await _locked(session, office_id)
    if if_match is not None:
        check_if_match(if_match, current["version"])
    await repository.remove(session, office_id)


async def descriptions_of(database: Database, *, tenant_id: str, office_id: uuid.UUID) -> list[uuid.UUID]:
    ids = await repository.description_ids(database, tenant_id, office_id)
    if ids is None:
        raise OfficeNotFound()
    return ids


async def assign(session: TenantSession, *, tenant_id: str, office_id: uuid.UUID, description_id: uuid.UUID) -> None:
    """Make the office responsible for a description the tenant can see; assigning again changes nothing."""
    if not await repository.exists_locked(session, office_id):
        raise OfficeNotFound()
    if not await descriptions.is_visible(session, description_id):
        raise DescriptionNotFound()
    await repository.assign(session, tenant_id=tenant_id, office_id=office_id, description_id=description_id)


async def unassign(session: TenantSession, *, office_id: uuid.UUID, description_id: uuid.UUID) -> None:
    if not await repository.unassign(session, office_id=office_id, description_id=description_id):
        raise ResponsibilityNotFound()


async def responsible_offices(session: TenantSession, *, description_id: uuid.UUID) -> list[dict[str, Any]]:
    """The offices that handle the description for the session's tenant, by name."""
    return await repository.offices_for(session, description_id)
