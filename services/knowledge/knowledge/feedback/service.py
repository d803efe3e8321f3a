"""Rules of feedback: only on descriptions the tenant can see, listed for editors, resolved with a note."""

from __future__ import annotations

import uuid
from typing import Any

from kit.db.database import TenantSession
from kit.identity import Identity
from kit.pagination import Cursor, page
from knowledge.description import repository as descriptions
from knowledge.description.errors import DescriptionNotFound
from knowledge.feedback import repository
from knowledge.feedback.errors import FeedbackNotFound
from knowledge.feedback.schemas import FeedbackCreate, FeedbackResolution

_PROBLEMS = ("outdated", "wrong", "unclear")


async def _check_visible(session: TenantSession, description_id: uuid.UUID) -> None:
    if not await descriptions.is_visible(session, description_id):
        raise DescriptionNotFound()


async def give(
    session: TenantSession, identity: Identity, *, tenant_id: str, description_id: uuid.UUID, data: FeedbackCreate
) -> dict[str, Any]:
    """Keep an agent's feedback on a shared or the tenant's own description."""
    await _check_visible(session, description_id)
    values = {
        "tenant_id": tenant_id,
        "id": uuid.uuid4(),
        "description_id": description_id,
        "kind": data.kind,
        "comment": data.comment,
        "given_by": identity.subject,
    }
    return await repository.insert_new(session, values)


async def list_for(
    session: TenantSession, *, description_id: uuid.UUID, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the tenant's feedback on a description, newest first."""
    await _check_visible(session, description_id)
    after = Cursor.decode(cursor) if cursor is not None else None
    rows = await repository.page_for(
        session, description_id, after=(after.at, after.id) if after else None, limit=limit
    )
    return page(rows, limit, at="given_at")


async def resolve(
    session: TenantSession, identity: Identity, *, feedback_id: uuid.UUID, data: FeedbackResolution
) -> dict[str, Any]:
    """Resolve the feedback with a note, or replace the note of a resolved one."""
    row = await repository.resolve(session, feedback_id, by=identity.subject, note=data.note)
    if row is None:
        raise FeedbackNotFound()
    return row


async def quality(session: TenantSession, *, limit: int) -> list[dict[str, Any]]:
    """The descriptions with the tenant's feedback, most open problem reports first, named as editors know them."""
    rows = await repository.quality(session, limit=limit)
    known = await descriptions.names(session, [row["description_id"] for row in rows])
    items = []
    for row in rows:
        described = known.get(row["description_id"], {"layer": None, "name": None})
        items.append({**row, **described, "open": {kind: row[kind] for kind in _PROBLEMS}})
    return items
