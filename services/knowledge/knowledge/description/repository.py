"""All SQL of service descriptions: shared rows read in any tenant's transaction, a tenant's rows in its own."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select, text, update

from kit.db.database import TenantSession
from knowledge.description.models import (
    BaseDescription,
    BaseDescriptionVersion,
    TenantDescription,
    TenantDescriptionVersion,
)


@dataclass(frozen=True)
class Layer:
    """The tables of one layer: the head rows and their versions."""

    head: type[BaseDescription] | type[TenantDescription]
    versions: type[BaseDescriptionVersion] | type[TenantDescriptionVersion]


SHARED = Layer(BaseDescription, BaseDescriptionVersion)
TENANT = Layer(TenantDescription, TenantDescriptionVersion)


def _columns(layer: Layer) -> tuple[Any, ...]:
    return tuple(layer.head.__table__.columns)


async def insert_new(session: TenantSession, layer: Layer, values: Mapping[str, Any]) -> dict[str, Any]:
    """Insert a description at version 1 and keep that version."""
    row = (await session.execute(insert(layer.head).values(**values, version=1).returning(*_columns(layer)))).one()
    head = dict(row._mapping)
    await _keep_version(session, layer, head)
    return head


async def get(
    session: TenantSession, layer: Layer, description_id: uuid.UUID, *, lock: bool = False
) -> dict[str, Any] | None:
    query = select(*_columns(layer)).where(layer.head.id == description_id)
    row = (await session.execute(query.with_for_update() if lock else query)).first()
    return None if row is None else dict(row._mapping)


async def supplement_of(session: TenantSession, base_id: uuid.UUID, *, lock: bool = False) -> dict[str, Any] | None:
    """The session's tenant's supplement of a shared description."""
    query = select(*_columns(TENANT)).where(TenantDescription.base_id == base_id)
    row = (await session.execute(query.with_for_update() if lock else query)).first()
    return None if row is None else dict(row._mapping)


async def save(
    session: TenantSession, layer: Layer, description_id: uuid.UUID, values: Mapping[str, Any], *, by: str
) -> dict[str, Any]:
    """Change a description: the next version, kept with who made it."""
    statement = (
        update(layer.head)
        .where(layer.head.id == description_id)
        .values(**values, version=layer.head.version + 1, updated_at=text("now()"), updated_by=by)
        .returning(*_columns(layer))
    )
    head = dict((await session.execute(statement)).one()._mapping)
    await _keep_version(session, layer, head)
    return head


async def _keep_version(session: TenantSession, layer: Layer, head: Mapping[str, Any]) -> None:
    values: dict[str, Any] = {
        "description_id": head["id"],
        "version": head["version"],
        "content": head["content"],
        "status": head["status"],
        "changed_by": head["updated_by"],
    }
    if layer is TENANT:
        values["tenant_id"] = head["tenant_id"]
    await session.execute(insert(layer.versions).values(**values))


async def versions(session: TenantSession, layer: Layer, description_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every version of a description, newest first."""
    table = layer.versions
    query = (
        select(*table.__table__.columns).where(table.description_id == description_id).order_by(table.version.desc())
    )
    return [dict(row._mapping) for row in (await session.execute(query)).all()]


# What agents see: published shared descriptions with the tenant's published supplement, and the tenant's
# own published descriptions (archiving withdraws the published content). Newest first by creation, stable for cursors.
_VISIBLE = """
SELECT * FROM (
    SELECT b.id, 'shared' AS layer, b.leika_key, b.published_content AS content,
           s.published_content AS supplement, b.created_at, b.updated_at, b.published_version,
           s.published_version AS supplement_version
    FROM base_descriptions b
    LEFT JOIN tenant_descriptions s ON s.base_id = b.id
    WHERE b.published_content IS NOT NULL
    UNION ALL
    SELECT d.id, 'local', d.leika_key, d.published_content, NULL, d.created_at, d.updated_at, d.published_version, NULL
    FROM tenant_descriptions d
    WHERE d.base_id IS NULL AND d.published_content IS NOT NULL
) visible
"""


async def visible_one(session: TenantSession, description_id: uuid.UUID) -> dict[str, Any] | None:
    row = (await session.execute(text(_VISIBLE + " WHERE id = :id"), {"id": description_id})).first()
    return None if row is None else dict(row._mapping)


async def visible_page(
    session: TenantSession, *, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[dict[str, Any]]:
    """One page of what agents see, ``limit + 1`` rows so the caller knows whether another follows."""
    where = " WHERE (created_at, id) < (:at, :id)" if after is not None else ""
    params: dict[str, Any] = {"limit": limit + 1}
    if after is not None:
        params.update(at=after[0], id=after[1])
    query = text(_VISIBLE + where + " ORDER BY created_at DESC, id DESC LIMIT :limit")
    return [dict(row._mapping) for row in (await session.execute(query, params)).all()]


async def leika_taken(session: TenantSession, layer: Layer, key: str, *, besides: uuid.UUID | None) -> bool:
    """Whether another description of the layer (not archived) has LeiKa key ``key``."""
    query = select(layer.head.id).where(layer.head.leika_key == key, layer.head.status != "archived")
    if besides is not None:
        query = query.where(layer.head.id != besides)
    return await session.scalar(query.limit(1)) is not None


# The shared base and the tenant's own descriptions; a supplement is no description of its own.
_EXISTS = text(
    """
    SELECT EXISTS (SELECT 1 FROM base_descriptions WHERE id = :id)
        OR EXISTS (SELECT 1 FROM tenant_descriptions WHERE id = :id AND base_id IS NULL)
    """
)


async def is_visible(session: TenantSession, description_id: uuid.UUID) -> bool:
    """Whether ``description_id`` names a shared description or one of the session's tenant's own."""
    return bool(await session.scalar(_EXISTS, {"id": description_id}))


async def version(
    session: TenantSession, layer: Layer, description_id: uuid.UUID, number: int
) -> dict[str, Any] | None:
    """One kept version of a description."""
    table = layer.versions
    query = select(*table.__table__.columns).where(table.description_id == description_id, table.version == number)
    row = (await session.execute(query)).first()
    return None if row is None else dict(row._mapping)


# Candidates for review per layer: when the review date came (its first moment in the service's zone) if it
# is due by :due_by, and when published text became stale (:days after its last change) if it is by :now.
# Archived descriptions are out of use and need no review. A supplement is listed under its shared
# description's id, the id its endpoints use, with the shared name unless it overrides the name.
_REVIEW_SHARED = """
SELECT b.id, 'shared' AS layer, b.content ->> 'name' AS name, b.status, b.review_due, b.updated_at, b.updated_by,
       CASE WHEN b.review_due <= :due_by AND b.status <> 'archived'
            THEN b.review_due::timestamp AT TIME ZONE CAST(:zone AS text) END AS review_at,
       CASE WHEN b.status = 'published' AND b.updated_at + make_interval(days => :days) < :now
            THEN b.updated_at + make_interval(days => :days) END AS stale_at
FROM base_descriptions b
"""
_REVIEW_TENANT = """
SELECT COALESCE(d.base_id, d.id) AS id, CASE WHEN d.base_id IS NULL THEN 'local' ELSE 'supplement' END AS layer,
       COALESCE(d.content ->> 'name', b.content ->> 'name') AS name,
       d.status, d.review_due, d.updated_at, d.updated_by,
       CASE WHEN d.review_due <= :due_by AND d.status <> 'archived'
            THEN d.review_due::timestamp AT TIME ZONE CAST(:zone AS text) END AS review_at,
       CASE WHEN d.status = 'published' AND d.updated_at + make_interval(days => :days) < :now
            THEN d.updated_at + make_interval(days => :days) END AS stale_at
FROM tenant_descriptions d
LEFT JOIN base_descriptions b ON b.id = d.base_id
"""


async def review_page(
    session: TenantSession,
    layer: Layer,
    *,
    due_by: date,
    now: datetime,
    stale_after_days: int,
    zone: str,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """One page of the layer's descriptions due for review or stale, the longest due first (``limit + 1`` rows).

    ``due_since`` is the earlier of ``review_at`` and ``stale_at``; the page is ordered and continued by it.
    """
    candidates = _REVIEW_SHARED if layer is SHARED else _REVIEW_TENANT
    where = " WHERE (due_since, id) > (:at, :id)" if after is not None else ""
    query = text(
        "SELECT * FROM (SELECT *, LEAST(review_at, stale_at) AS due_since FROM ("
        + candidates
        + ") candidates WHERE review_at IS NOT NULL OR stale_at IS NOT NULL) due"
        + where
        + " ORDER BY due_since, id LIMIT :limit"
    )
    params: dict[str, Any] = {
        "due_by": due_by,
        "now": now,
        "days": stale_after_days,
        "zone": zone,
        "limit": limit + 1,
    }
    if after is not None:
        params.update(at=after[0], id=after[1])
    return [dict(row._mapping) for row in (await session.execute(query, params)).all()]


# Names as the session's tenant's editors know them: a shared description's under the tenant's supplement.
_NAMES = text(
    """
    SELECT b.id, 'shared' AS layer, COALESCE(s.content ->> 'name', b.content ->> 'name') AS name
    FROM base_descriptions b
    LEFT JOIN tenant_descriptions s ON s.base_id = b.id
    WHERE b.id = ANY(:ids)
    UNION ALL
    SELECT d.id, 'local', d.content ->> 'name'
    FROM tenant_descriptions d
    WHERE d.base_id IS NULL AND d.id = ANY(:ids)
    """
)


async def names(session: TenantSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """The layer and name of each description the session's tenant can see among ``ids``."""
    if not ids:
        return {}
    rows = (await session.execute(_NAMES, {"ids": ids})).all()
    return {row.id: {"layer": row.layer, "name": row.name} for row in rows}
