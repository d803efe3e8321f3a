"""The worker's breach watch: every municipality's ended days checked against its contract, round after round.

Only the list of municipalities is read across tenants (``known_tenants``, as the routing reads it); each one is
then checked in a transaction of its own, which notes its breaches and writes their events to the outbox
together. A municipality that fails is tried again in the next round; the others go on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from prometheus_client import Counter

from kit.db.database import Database
from kit.worker import PeriodicLoop, Worker
from metrics.compliance import service
from metrics.routing import known_tenant_ids
from metrics.settings import MetricsSettings, get_settings

log = logging.getLogger("metrics.compliance.watch")

ANNOUNCED = Counter("zentrale_metrics_breaches_total", "Breaches of contract targets announced")
FAILED = Counter("zentrale_metrics_breach_check_failures_total", "Municipalities whose breach check failed")


def _now() -> datetime:
    return datetime.now(UTC)


class BreachWatch(PeriodicLoop):
    """Runs until stopped: a round at once, then one every ``every`` seconds."""

    name = "metrics-breach-watch"

    def __init__(
        self, *, database: Database, every: float, lookback_days: int, clock: Callable[[], datetime] = _now
    ) -> None:
        super().__init__(every=every)
        self._database = database
        self._lookback_days = lookback_days
        self._clock = clock

    async def run_once(self) -> int:
        """Check every known municipality's ended days; how many breaches were announced."""
        now = self._clock()
        announced = 0
        for tenant_id in await known_tenant_ids(self._database):
            if self.stopping():
                break
            announced += await self._check(tenant_id, now)
        return announced

    async def _check(self, tenant_id: str, now: datetime) -> int:
        try:
            async with self._database.lean_transaction(tenant_id) as conn:
                announced = await service.record_breaches(conn, now=now, lookback_days=self._lookback_days)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - one municipality's failure must not hold up the others
            FAILED.inc()
            log.error("metrics.compliance.watch.failed", extra={"tenant": tenant_id, "error": repr(error)})
            return 0
        if announced:
            ANNOUNCED.inc(announced)
            log.info("metrics.compliance.breached", extra={"tenant": tenant_id, "breaches": announced})
        return announced


def breach_watch(worker: Worker) -> BreachWatch:
    """The breach watch as one of the worker's loops, on the worker's database pool."""
    assert worker.database is not None
    settings = worker.settings if isinstance(worker.settings, MetricsSettings) else get_settings()
    return BreachWatch(
        database=worker.database, every=settings.breach_check_seconds, lookback_days=settings.breach_lookback_days
    )
