"""Which descriptions need an editor's look: the review date has come, or published text was left unchanged too long.

A description is *due* when its ``review_due`` is on or before the day asked about (today by default) and
*stale* when it is published and was last changed longer ago than the days allowed. Each is due since an
instant (the first moment of its review day in the service center's zone, or the moment it became stale),
and the list shows the longest due first, with the reason that came first.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from kit.db.database import TenantSession
from kit.pagination import Cursor, page
from knowledge.description import repository
from knowledge.description.repository import Layer
from knowledge.description.workflow import Status

# Review dates are calendar days of the service center's staff.
ZONE = ZoneInfo("Europe/Berlin")
DEFAULT_STALE_AFTER_DAYS = 365
Reason = Literal["review_due", "stale"]


class ReviewItem(BaseModel):
    """A description to review; a supplement has its shared description's id (the one its endpoints take)."""

    id: uuid.UUID
    layer: Literal["shared", "local", "supplement"]
    name: str | None
    status: Status
    review_due: date | None
    updated_at: datetime
    updated_by: str
    reason: Reason
    due_since: datetime = Field(description="Since when it is due: the list is ordered by this, earliest first")


class ReviewList(BaseModel):
    items: list[ReviewItem]
    next_cursor: str | None


def today(now: datetime) -> date:
    """The calendar day ``now`` falls on for the service center."""
    return now.astimezone(ZONE).date()


def reason(*, review_at: datetime | None, stale_at: datetime | None) -> Reason:
    """Why a description is listed: whichever came first of its review date and its becoming stale."""
    if review_at is None or (stale_at is not None and stale_at < review_at):
        return "stale"
    return "review_due"


def _item(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "reason": reason(review_at=row["review_at"], stale_at=row["stale_at"])}


async def due_for_review(
    session: TenantSession,
    *,
    layer: Layer,
    now: datetime,
    due_by: date | None,
    stale_after_days: int,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the layer's descriptions that are due by ``due_by`` (today if None) or stale at ``now``.

    In the tenant layer that is the session's tenant's own descriptions and its supplements.
    """
    after = Cursor.decode(cursor) if cursor is not None else None
    rows = await repository.review_page(
        session,
        layer,
        due_by=today(now) if due_by is None else due_by,
        now=now,
        stale_after_days=stale_after_days,
        zone=ZONE.key,
        after=(after.at, after.id) if after else None,
        limit=limit,
    )
    shown, next_cursor = page(rows, limit, at="due_since")
    return [_item(row) for row in shown], next_cursor
