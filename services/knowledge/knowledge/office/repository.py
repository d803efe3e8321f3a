"""All SQL of offices and their responsibilities; every query runs for one tenant."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from kit.db.database import Database, TenantSession
from knowledge.office.models import Office, Responsibility

# Another office of the tenant has the name (see the descriptions migration).
_NAME_CONSTRAINT = "uq_offices_name"
_COLUMNS = tuple(Office.__table__.columns)
_ALL = select(*_COLUMNS).order_by(Office.name)
_ONE = select(*_COLUMNS).where(Office.id == bindparam("id"))
# One row per assignment, or one row without a description: an office that handles none yet.
_DESCRIPTIONS = (
    select(Office.id, Responsibility.description_id)
    .outerjoin(
        Responsibility, and_(Responsibility.tenant_id == Office.tenant_id, Responsibility.office_id == Office.id)
    )
    .where(Office.id == bindparam("id"))
    .order_by(Responsibility.created_at, Responsibility.description_id)
)
_RESPONSIBLE = (
    select(*_COLUMNS)
    .join(Responsibility, and_(Responsibility.tenant_id == Office.tenant_id, Responsibility.office_id == Office.id))
    .where(Responsibility.description_id == bindparam("description_id"))
    .order_by(Office.name)
)


async def all_of(database: Database, tenant_id: str) -> list[dict[str, Any]]:
    return [dict(row) for row in await database.fetch_all(tenant_id, _ALL)]


async def get(database: Database, tenant_id: str, office_id: uuid.UUID) -> dict[str, Any] | None:
    row = await database.fetch_one(tenant_id, _ONE, {"id": office_id})
    return None if row is None else dict(row)


async def get_for_update(session: TenantSession, office_id: uuid.UUID) -> dict[str, Any] | None:
    row = (await session.execute(_ONE.with_for_update(), {"id": office_id})).first()
    return None if row is None else dict(row._mapping)


async def exists_locked(session: TenantSession, office_id: uuid.UUID) -> bool:
    """Whether the office exists, kept from being deleted until the transaction ends."""
    found = await session.scalar(select(Office.id).where(Office.id == office_id).with_for_update(key_share=True))
    return found is not None


async def insert_new(session: TenantSession, *, values: Mapping[str, Any]) -> dict[str, Any] | None:
    """Insert the office; None if the tenant has one of that name."""
    statement = insert(Office).values(**values).on_conflict_do_nothing().returning(*_COLUMNS)
    row = (await session.execute(statement)).first()
    return None if row is None else dict(row._mapping)


async def update_fields(
    session: TenantSession, office_id: uuid.UUID, values: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Write ``values`` and count the version up; None if another office of the tenant has the new name.

    The unique constraint decides, so that two offices renamed to the same name at once cannot both win.
    """
    statement = (
        update(Office)
        .where(Office.id == office_id)
        .values(**values, version=Office.version + 1, updated_at=func.now())
        .returning(*_COLUMNS)
    )
    try:
        return dict((await session.execute(statement)).one()._mapping)
    except IntegrityError as error:
        if _NAME_CONSTRAINT not in str(error.orig):
            raise
        return None


async def remove(session: TenantSession, office_id: uuid.UUID) -> None:
    await session.execute(delete(Office).where(Office.id == office_id))


async def description_ids(database: Database, tenant_id: str, office_id: uuid.UUID) -> list[uuid.UUID] | None:
    """The descriptions the office handles; None if there is no such office."""
    rows = await database.fetch_all(tenant_id, _DESCRIPTIONS, {"id": office_id})
    if not rows:
        return None
    return [row["description_id"] for row in rows if row["description_id"] is not None]


async def assign(session: TenantSession, *, tenant_id: str, office_id: uuid.UUID, description_id: uuid.UUID) -> None:
    """Make the office responsible for the description; nothing changes if it is already."""
    statement = insert(Responsibility).values(tenant_id=tenant_id, office_id=office_id, description_id=description_id)
    await session.execute(statement.on_conflict_do_nothing())


async def unassign(session: TenantSession, *, office_id: uuid.UUID, description_id: uuid.UUID) -> bool:
    """Drop the assignment; False if there was none."""
    statement = (
        delete(Responsibility)
        .where(Responsibility.office_id == office_id, Responsibility.description_id == description_id)
        .returning(Responsibility.office_id)
    )
    return (await session.execute(statement)).first() is not None


async def offices_for(session: TenantSession, description_id: uuid.UUID) -> list[dict[str, Any]]:
    """The offices responsible for the description, by name."""
    result = await session.execute(_RESPONSIBLE, {"description_id": description_id})
    return [dict(row._mapping) for row in result]
