"""The quarantine: call events for lines no municipality had, kept until an operator releases them.

Release ingests every held event whose line is now known, as if it had just arrived (a repeat is still a
duplicate), and notes which municipality it went to; the rest stay held.
"""

from __future__ import annotations

from typing import Any

from kit.db.database import Database
from metrics.calls import repository, service
from metrics.calls.schemas import CallEvent, IngestReport

RELEASE_BATCH = 5000


async def page(database: Database, *, held: bool, after: int | None, limit: int) -> dict[str, Any]:
    items = await repository.held_page(database, held=held, after=after or 0, limit=limit + 1)
    return {"items": items[:limit], "next_after": items[limit - 1]["id"] if len(items) > limit else None}


async def release(database: Database) -> IngestReport:
    """Ingest the held events whose line is known now; mark them released to their municipality."""
    ready = await repository.releasable(database, limit=RELEASE_BATCH)
    report = await service.ingest(database, [_event(stored) for _, stored, _ in ready], reporter_tenant=None)
    await repository.mark_released(database, [(id_, tenant) for id_, _, tenant in ready])
    return report


def _event(stored: Any) -> CallEvent:
    return (
        CallEvent.model_validate_json(stored) if isinstance(stored, (str, bytes)) else CallEvent.model_validate(stored)
    )
