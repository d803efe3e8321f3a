"""The quarantine: call events for lines no municipality had, kept until an operator releases them.

Release ingests every held event whose line is now known, as if it had just arrived (a repeat is still a
duplicate), and notes which municipality it went to; the rest stay held.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from kit.db.database import Database
from metrics.calls import service
from metrics.calls.schemas import CallEvent, IngestReport
from metrics.routing import ACROSS_TENANTS, find_routes

_PAGE = text(
    "SELECT id, line, event, reason, received_at, released_at, released_to FROM call_quarantine"
    " WHERE (NOT :held OR released_at IS NULL) AND id > :after ORDER BY id LIMIT :limit"
)
# Only held events whose line is known by now: those of still unknown lines never block a release.
_RELEASABLE = text(
    "SELECT q.id, q.line, q.event FROM call_quarantine q WHERE q.released_at IS NULL"
    " AND EXISTS (SELECT 1 FROM lines l WHERE NOT l.removed AND l.address = q.line) ORDER BY q.id LIMIT :limit"
)
_RELEASED = text(
    "UPDATE call_quarantine SET released_at = now(), released_to = tenant"
    " FROM unnest(CAST(:ids AS bigint[]), CAST(:tenants AS text[])) AS r (id, tenant) WHERE call_quarantine.id = r.id"
)
RELEASE_BATCH = 5000


async def page(database: Database, *, held: bool, after: int | None, limit: int) -> dict[str, Any]:
    async with database.transaction(None) as session:
        rows = (await session.execute(_PAGE, {"held": held, "after": after or 0, "limit": limit + 1})).mappings().all()
    items = [dict(row) for row in rows[:limit]]
    return {"items": items, "next_after": items[-1]["id"] if len(rows) > limit else None}


async def release(database: Database) -> IngestReport:
    """Ingest the held events whose line is known now; mark them released to their municipality."""
    async with database.transaction(None) as session:
        await session.execute(ACROSS_TENANTS)
        rows = (await session.execute(_RELEASABLE, {"limit": RELEASE_BATCH})).all()
    routes = await find_routes(database, (row.line for row in rows), reporter_tenant=None, at=datetime.now(UTC))
    ready = [row for row in rows if row.line in routes.tenants_by_line]
    report = await service.ingest(database, [_event(row.event) for row in ready], reporter_tenant=None)
    async with database.transaction(None) as session:
        await session.execute(
            _RELEASED,
            {"ids": [row.id for row in ready], "tenants": [routes.tenants_by_line[row.line] for row in ready]},
        )
    return report


def _event(stored: Any) -> CallEvent:
    return (
        CallEvent.model_validate_json(stored) if isinstance(stored, (str, bytes)) else CallEvent.model_validate(stored)
    )
