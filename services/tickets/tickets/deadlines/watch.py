"""The worker's deadline watch: finds due warnings and escalations of every tenant and acts on each.

Only finding them crosses tenants (the watch rows' keys, under the maintenance setting). Each row is then
handled in a transaction of its ticket's tenant that first deletes it, so of several workers exactly one
acts on it. A row that fails stays due and is tried again in the next round; the others go on.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from prometheus_client import Counter

from kit.db.database import Database
from kit.worker import PeriodicLoop, Worker
from tickets.deadlines import repository, service
from tickets.deadlines.repository import DueWatch
from tickets.settings import TicketsSettings, get_settings

log = logging.getLogger("tickets.deadlines.watch")

FIRED = Counter("zentrale_ticket_deadline_events_total", "Warnings and escalations of tickets, by event", ["event"])
FAILED = Counter("zentrale_ticket_deadline_failures_total", "Due watch rows that failed and stay due")

# recorded: an event went to the outbox; nothing: the row was another worker's, or the ticket is not open.
Outcome = Literal["recorded", "nothing", "failed"]
BATCH_SIZE = 100


class DeadlineWatch(PeriodicLoop):
    """Runs until stopped: a round at once, then one every ``every`` seconds."""

    name = "tickets-deadline-watch"

    def __init__(self, *, database: Database, every: float, batch_size: int = BATCH_SIZE) -> None:
        super().__init__(every=every)
        self._database = database
        self._batch_size = batch_size

    async def run_once(self) -> int:
        """Handle every due watch row, batch after batch while they come full; how many events were recorded."""
        failed: set[DueWatch] = set()
        recorded = 0
        while not self.stopping():
            batch = await self.due(skip=failed)
            for row in batch:
                if self.stopping():
                    break
                outcome = await self._handle(row)
                if outcome == "failed":
                    failed.add(row)
                elif outcome == "recorded":
                    recorded += 1
            if len(batch) < self._batch_size:
                break
        return recorded

    async def due(self, *, skip: set[DueWatch]) -> list[DueWatch]:
        """The next batch of due watch rows of any tenant, except ``skip`` (those that failed this round)."""
        async with self._database.transaction(None) as session:
            return await repository.due(session, limit=self._batch_size, skip=skip)

    async def _handle(self, row: DueWatch) -> Outcome:
        """Act on ``row`` in its tenant's transaction; a row that failed stays due."""
        try:
            async with self._database.lean_transaction(row.tenant_id) as conn:
                event_type = await service.fire(conn, ticket_id=row.ticket_id, kind=row.kind)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - one tenant's failure must not hold up the others
            FAILED.inc()
            log.error(
                "tickets.deadlines.watch.failed",
                extra={"tenant": row.tenant_id, "ticket": str(row.ticket_id), "kind": row.kind, "error": repr(error)},
            )
            return "failed"
        if event_type is None:
            return "nothing"
        FIRED.labels(event_type).inc()
        log.info(
            "tickets.deadlines.watch.fired",
            extra={"tenant": row.tenant_id, "ticket": str(row.ticket_id), "event": event_type},
        )
        return "recorded"


def deadline_watch(worker: Worker) -> DeadlineWatch:
    """The deadline watch as one of the worker's loops, on the worker's database pool."""
    assert worker.database is not None
    settings = worker.settings if isinstance(worker.settings, TicketsSettings) else get_settings()
    return DeadlineWatch(database=worker.database, every=settings.deadline_watch_seconds)
