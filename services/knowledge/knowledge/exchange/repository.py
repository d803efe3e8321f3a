"""All SQL of imports and exports: bulk statements on a tenant's own descriptions, offices and responsibilities.

The tables are declared here as plain SQL tables with the columns this module touches (``external_id``
included), so that every write is one ``executemany`` rather than a round trip per row.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Integer, Text, Uuid, bindparam, column, delete, func, insert, null, select, table, text, update
from sqlalchemy.dialects.postgresql import JSONB

from kit.db.database import TenantSession

descriptions = table(
    "tenant_descriptions",
    column("tenant_id", Text),
    column("id", Uuid),
    column("base_id", Uuid),
    column("external_id", Text),
    column("leika_key", Text),
    column("content", JSONB),
    column("status", Text),
    column("version", Integer),
    column("published_content", JSONB(none_as_null=True)),
    column("published_version", Integer),
    column("updated_at"),
    column("updated_by", Text),
)
versions = table(
    "tenant_description_versions",
    column("tenant_id", Text),
    column("description_id", Uuid),
    column("version", Integer),
    column("content", JSONB),
    column("status", Text),
    column("changed_by", Text),
)
offices = table(
    "offices",
    column("tenant_id", Text),
    column("id", Uuid),
    column("external_id", Text),
    column("name", Text),
    column("address", JSONB(none_as_null=True)),
    column("opening_hours", JSONB),
    column("opening_hours_note", Text),
    column("phone", Text),
    column("email", Text),
    column("contacts", JSONB),
    column("version", Integer),
    column("created_at"),
    column("updated_at"),
)
responsibilities = table(
    "responsibilities", column("tenant_id", Text), column("office_id", Uuid), column("description_id", Uuid)
)

# The fields an import owns: contacts stay as the municipality's editors keep them.
OFFICE_FIELDS = ("name", "address", "opening_hours", "opening_hours_note", "phone", "email")

_d, _o, _r = descriptions.c, offices.c, responsibilities.c
_IMPORTED_DESCRIPTIONS = (
    select(_d.id, _d.external_id, _d.leika_key, _d.content, _d.status, _d.published_content, _d.version)
    .where(_d.external_id.is_not(None))
    .with_for_update()
)
# LeiKa keys in use by descriptions the import does not keep (the key is unique among live ones).
_KEYS_KEPT_BY_HAND = select(_d.leika_key).where(
    _d.external_id.is_(None), _d.base_id.is_(None), _d.leika_key.is_not(None), _d.status != "archived"
)
_IMPORTED_OFFICES = (
    select(_o.id, _o.external_id, _o.version, *(_o[name] for name in OFFICE_FIELDS))
    .where(_o.external_id.is_not(None))
    .with_for_update()
)
_NAMES_KEPT_BY_HAND = select(_o.name).where(_o.external_id.is_(None))
_PAIRS = select(_r.office_id, _r.description_id)
# One import per tenant at a time: two would both create what neither has seen yet.
_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended('knowledge.import:' || :tenant, 0))")


async def lock_imports(session: TenantSession, tenant_id: str) -> None:
    """Wait until no other import of the tenant runs; the lock ends with the transaction."""
    await session.execute(_LOCK, {"tenant": tenant_id})


async def imported_descriptions(session: TenantSession) -> list[dict[str, Any]]:
    """The tenant's descriptions an import wrote, locked until the transaction ends."""
    return [dict(row._mapping) for row in await session.execute(_IMPORTED_DESCRIPTIONS)]


async def keys_kept_by_hand(session: TenantSession) -> set[str]:
    return set((await session.scalars(_KEYS_KEPT_BY_HAND)).all())


async def imported_offices(session: TenantSession) -> list[dict[str, Any]]:
    """The tenant's offices an import wrote, locked until the transaction ends."""
    return [dict(row._mapping) for row in await session.execute(_IMPORTED_OFFICES)]


async def names_kept_by_hand(session: TenantSession) -> set[str]:
    return set((await session.scalars(_NAMES_KEPT_BY_HAND)).all())


async def responsibility_pairs(session: TenantSession) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """Every (office, description) responsibility of the tenant."""
    return {(row.office_id, row.description_id) for row in await session.execute(_PAIRS)}


async def insert_descriptions(session: TenantSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert published descriptions at version 1 (``tenant_id``, ``id``, ``external_id``, ``leika_key``, …)."""
    if rows:
        await session.execute(insert(descriptions), list(rows))


_UPDATE_DESCRIPTION = (
    update(descriptions)
    .where(_d.id == bindparam("b_id"))
    .values(
        leika_key=bindparam("leika_key"),
        content=bindparam("content"),
        status=bindparam("status"),
        version=bindparam("version"),
        published_content=bindparam("published_content"),
        published_version=bindparam("published_version"),
        updated_at=func.now(),
        updated_by=bindparam("updated_by"),
    )
)


async def update_descriptions(session: TenantSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Set each row's fields on the description ``b_id``."""
    if rows:
        await session.execute(_UPDATE_DESCRIPTION, list(rows))


_ARCHIVE_DESCRIPTION = (
    update(descriptions)
    .where(_d.id == bindparam("b_id"))
    .values(
        status="archived",
        version=bindparam("version"),
        published_content=null(),
        published_version=null(),
        updated_at=func.now(),
        updated_by=bindparam("updated_by"),
    )
)


async def archive_descriptions(session: TenantSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Withdraw each description ``b_id`` from agents, at the row's ``version``."""
    if rows:
        await session.execute(_ARCHIVE_DESCRIPTION, list(rows))


async def insert_versions(session: TenantSession, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        await session.execute(insert(versions), list(rows))


async def insert_offices(session: TenantSession, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        await session.execute(insert(offices), list(rows))


_UPDATE_OFFICE = (
    update(offices)
    .where(_o.id == bindparam("b_id"))
    .values({**{name: bindparam(name) for name in OFFICE_FIELDS}, "version": _o.version + 1, "updated_at": func.now()})
)


async def update_offices(session: TenantSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Set the import's fields on each office ``b_id`` and count its version up."""
    if rows:
        await session.execute(_UPDATE_OFFICE, list(rows))


async def delete_offices(session: TenantSession, ids: Sequence[uuid.UUID]) -> None:
    """Remove the offices; their responsibilities go with them."""
    if ids:
        await session.execute(delete(offices).where(_o.id.in_(ids)))


async def insert_pairs(session: TenantSession, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        await session.execute(insert(responsibilities), list(rows))


_DELETE_PAIR = delete(responsibilities).where(
    _r.office_id == bindparam("b_office_id"), _r.description_id == bindparam("b_description_id")
)


async def delete_pairs(session: TenantSession, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> None:
    if pairs:
        params = [{"b_office_id": office, "b_description_id": description} for office, description in pairs]
        await session.execute(_DELETE_PAIR, params)


# Export

_EXTERNAL_IDS = select(_d.id, _d.external_id).where(_d.external_id.is_not(None), _d.base_id.is_(None))
_ALL_OFFICES = select(offices).order_by(_o.name)


async def description_external_ids(session: TenantSession) -> dict[uuid.UUID, str]:
    return {row.id: row.external_id for row in await session.execute(_EXTERNAL_IDS)}


async def all_offices(session: TenantSession) -> list[dict[str, Any]]:
    """The tenant's offices by name, with their external ids."""
    return [dict(row._mapping) for row in await session.execute(_ALL_OFFICES)]
