"""The worker's retention sweep: anonymises callers' data once the tenant's contract no longer allows keeping it.

Only the list of tenants is read across tenants; each batch of a tenant's contacts is anonymised in a short
transaction of that tenant, so a failing tenant holds up no other and replicas skip each other's rows.
"""

from __future__ import annotations

import logging

from kit.db.database import Database
from kit.worker import PeriodicLoop, Worker
from tickets.personal import repository, service
from tickets.settings import TicketsSettings, get_settings

log = logging.getLogger("tickets.personal.sweep")

BATCH_SIZE = 500


class RetentionSweep(PeriodicLoop):
    """Runs a sweep at once and then every ``every`` seconds until stopped."""

    name = "tickets-retention-sweep"

    def __init__(self, *, database: Database, every: float, batch_size: int = BATCH_SIZE) -> None:
        super().__init__(every=every)
        self._database = database
        self._batch_size = batch_size

    async def run_once(self) -> int:
        """Sweep every known tenant once; the number of contacts anonymised."""
        async with self._database.transaction(None) as session:
            tenant_ids = await repository.known_tenant_ids(session)
        total = 0
        for tenant_id in tenant_ids:
            if self.stopping():
                break
            try:
                total += await self._sweep(tenant_id)
            except Exception as error:  # noqa: BLE001 - one tenant's failure must not keep the others' data
                log.error("tickets.personal.retention.failed", extra={"tenant": tenant_id, "error": repr(error)})
        return total

    async def _sweep(self, tenant_id: str) -> int:
        swept = 0
        while not self.stopping():
            async with self._database.lean_transaction(tenant_id) as conn:
                done = await service.anonymise_expired(conn, limit=self._batch_size)
            swept += done
            if done < self._batch_size:
                break
        if swept:
            log.info("tickets.personal.retention.anonymised", extra={"tenant": tenant_id, "contacts": swept})
        return swept


def retention_sweep(worker: Worker) -> RetentionSweep:
    """The retention sweep as one of the worker's loops, on the worker's database pool."""
    assert worker.database is not None
    settings = worker.settings if isinstance(worker.settings, TicketsSettings) else get_settings()
    return RetentionSweep(database=worker.database, every=settings.retention_sweep_seconds)
