"""All SQL of feedback; every query runs for one tenant, whose row-level security keeps out the others'."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text, tuple_, update

from kit.db.database import TenantSession
from knowledge.feedback.models import DescriptionFeedback

_COLUMNS = tuple(DescriptionFeedback.__table__.columns)


async def insert_new(session: TenantSession, values: Mapping[str, Any]) -> dict[str, Any]:
    statement = insert(DescriptionFeedback).values(**values).returning(*_COLUMNS)
    return dict((await session.execute(statement)).one()._mapping)


async def page_for(
    session: TenantSession, description_id: uuid.UUID, *, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[dict[str, Any]]:
    """One page of the feedback on a description, newest first, ``limit + 1`` rows."""
    query = select(*_COLUMNS).where(DescriptionFeedback.description_id == description_id)
    if after is not None:
        query = query.where(tuple_(DescriptionFeedback.given_at, DescriptionFeedback.id) < tuple_(*after))
    query = query.order_by(DescriptionFeedback.given_at.desc(), DescriptionFeedback.id.desc()).limit(limit + 1)
    return [dict(row._mapping) for row in (await session.execute(query)).all()]


async def resolve(session: TenantSession, feedback_id: uuid.UUID, *, by: str, note: str) -> dict[str, Any] | None:
    """Mark the feedback resolved now by ``by``; None if there is no such feedback."""
    statement = (
        update(DescriptionFeedback)
        .where(DescriptionFeedback.id == feedback_id)
        .values(resolved_at=func.now(), resolved_by=by, resolution_note=note)
        .returning(*_COLUMNS)
    )
    row = (await session.execute(statement)).first()
    return None if row is None else dict(row._mapping)


# Per description: unresolved problem reports by kind, every helpful, the newest unresolved comment.
_QUALITY = text(
    """
    SELECT description_id,
           count(*) FILTER (WHERE kind <> 'helpful' AND resolved_at IS NULL) AS open_problems,
           count(*) FILTER (WHERE kind = 'outdated' AND resolved_at IS NULL) AS outdated,
           count(*) FILTER (WHERE kind = 'wrong' AND resolved_at IS NULL) AS wrong,
           count(*) FILTER (WHERE kind = 'unclear' AND resolved_at IS NULL) AS unclear,
           count(*) FILTER (WHERE kind = 'helpful') AS helpful,
           (array_agg(comment ORDER BY given_at DESC, id DESC)
               FILTER (WHERE comment IS NOT NULL AND resolved_at IS NULL))[1] AS last_comment,
           max(given_at) AS last_given_at
    FROM description_feedback
    GROUP BY description_id
    ORDER BY open_problems DESC, last_given_at DESC, description_id
    LIMIT :limit
    """
)


async def quality(session: TenantSession, *, limit: int) -> list[dict[str, Any]]:
    """The descriptions with feedback, most unresolved problem reports first, then the most recent."""
    return [dict(row._mapping) for row in (await session.execute(_QUALITY, {"limit": limit})).all()]
