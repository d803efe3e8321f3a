"""The worker's webhook dispatcher: claims due deliveries of every tenant, sends them, records the outcome.

Claims use ``FOR UPDATE SKIP LOCKED`` and a lease (the claimed row's ``next_attempt_at`` moves past
the longest try), so replicas never send one delivery at the same time, and a replica that dies
mid-try leaves its deliveries due again once the lease ends. Only the claim (and the purge of old
log entries) crosses tenants; reading the target and recording the attempt run in the tenant's own
transaction. Sending happens outside any transaction. A commit that makes a delivery due wakes the
dispatchers through ``LISTEN/NOTIFY``; they also look every ``webhook_poll_interval``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
import orjson
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Counter

from kit.db.database import Database
from kit.http import client_session
from kit.telemetry import context_from, tracer
from kit.worker import LoopFactory, Worker
from tenants.settings import TenantsSettings
from tenants.webhook import deliveries, repository, sender
from tenants.webhook.signing import signed_headers
from tenants.webhook.targets import GuardedResolver, TargetPolicy

log = logging.getLogger("tenants.webhook.dispatcher")

ATTEMPTS = Counter("zentrale_webhook_attempts_total", "Tries to deliver a webhook, by outcome", ["outcome"])
DEAD = Counter("zentrale_webhook_deliveries_dead_total", "Webhook deliveries that exhausted their retries")

_LEASE_MARGIN = 60.0
_HOUSEKEEPING_EVERY = 600.0


class WebhookDispatcher:
    """Runs until stopped; failures of the loop itself are logged and retried."""

    name = "tenants-webhook-dispatcher"

    def __init__(self, *, database: Database, settings: TenantsSettings) -> None:
        self._database = database
        self._url = settings.database_url.get_secret_value()
        self._policy = TargetPolicy.from_settings(settings)
        self._schedule = tuple(settings.webhook_retry_schedule)
        self._timeout = settings.webhook_timeout
        self._concurrency = settings.webhook_concurrency
        self._poll_interval = settings.webhook_poll_interval
        self._retention = settings.webhook_log_retention_days * 86400.0
        self._lease = settings.webhook_timeout + _LEASE_MARGIN
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._listener: asyncpg.Connection | None = None
        self._http: aiohttp.ClientSession | None = None
        self._last_housekeeping = -_HOUSEKEEPING_EVERY
        self._tracer = tracer("tenants.webhook.dispatcher")

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()

    async def run(self) -> None:
        """Claim and send until stopped; in-flight tries are finished (or cancelled after the timeout)."""
        connector = aiohttp.TCPConnector(resolver=GuardedResolver(self._policy), use_dns_cache=False)
        async with client_session(connector=connector) as http:
            self._http = http
            try:
                await self._loop()
            finally:
                try:
                    await self._finish_inflight()
                finally:
                    for task in self._inflight:
                        task.cancel()
                    await self._unlisten()
                    self._http = None

    async def _loop(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                await self._listen()
                self._wakeup.clear()
                free = self._concurrency - len(self._inflight)
                claimed = await self.dispatch_once()
                failures = 0
                await self._housekeeping()
                if claimed < free or free <= 0:
                    await self._wait(self._poll_interval)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the dispatcher must outlive any failure
                failures += 1
                delay = min(10.0, 0.25 * 2 ** min(failures, 6))
                log.warning("tenants.webhook.dispatcher.retry", extra={"error": repr(error), "delay": delay})
                await self._unlisten()
                await self._wait(delay)

    async def dispatch_once(self) -> int:
        """Claim as many due deliveries as there is room for and start sending them; returns how many."""
        free = self._concurrency - len(self._inflight)
        if free <= 0:
            return 0
        async with self._database.transaction(None) as session:
            claims = await repository.claim_due(session, limit=free, lease_seconds=self._lease)
        for claim in claims:
            task = asyncio.create_task(self._deliver(claim), name=f"webhook-delivery-{claim.delivery_id}")
            self._inflight.add(task)
            task.add_done_callback(self._settled)
        return len(claims)

    def _settled(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._wakeup.set()

    async def _deliver(self, claim: repository.Claim) -> None:
        try:
            await self._try(claim)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - the lease ends and the delivery comes back
            log.warning(
                "tenants.webhook.delivery.error",
                extra={"tenant": claim.tenant_id, "delivery": str(claim.delivery_id), "error": repr(error)},
            )

    async def _try(self, claim: repository.Claim) -> None:
        async with self._database.transaction(claim.tenant_id) as session:
            target = await repository.claimed_target(session, claim.delivery_id, claim.token)
            if target is not None and not target.enabled:
                await repository.release_paused(session, claim.delivery_id, claim.token)
        if target is None or not target.enabled:
            return
        result = await self._send(target)
        async with self._database.transaction(claim.tenant_id) as session:
            status = await deliveries.record_attempt(
                session,
                delivery_id=claim.delivery_id,
                token=claim.token,
                result=result,
                url=target.url,
                schedule=self._schedule,
            )
        ATTEMPTS.labels("succeeded" if result.succeeded else "failed").inc()
        if status == "failed":
            DEAD.inc()
        log.info(
            "tenants.webhook.delivery.attempted",
            extra={
                "tenant": claim.tenant_id,
                "delivery": str(claim.delivery_id),
                "status": result.response_status,
                "error": result.error,
                "duration_ms": result.duration_ms,
            },
        )

    async def _send(self, target: repository.Target) -> sender.AttemptResult:
        """Sign and POST, in a span that continues the event's trace."""
        now = datetime.now(UTC)
        keys = [target.secret]
        if target.previous_secret and target.previous_secret_expires_at and target.previous_secret_expires_at > now:
            keys.append(target.previous_secret)
        headers = signed_headers(message_id=str(target.event_id), body=target.payload, keys=keys, at=now)
        traceparent = orjson.loads(target.payload).get("traceparent")
        parent = context_from({"traceparent": traceparent}) if isinstance(traceparent, str) else None
        with self._tracer.start_as_current_span(
            f"deliver {target.event_type}", context=parent, kind=SpanKind.PRODUCER
        ) as span:
            span.set_attribute("messaging.message.id", str(target.event_id))
            assert self._http is not None
            result = await sender.post(
                self._http,
                url=target.url,
                body=target.payload,
                headers=headers,
                answer_within=self._timeout,
                policy=self._policy,
            )
            if not result.succeeded:
                span.set_status(Status(StatusCode.ERROR, result.error))
        return result

    async def _housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._last_housekeeping < _HOUSEKEEPING_EVERY:
            return
        self._last_housekeeping = now
        async with self._database.transaction(None) as session:
            purged = await repository.purge_finished(session, older_than_seconds=self._retention)
        if purged:
            log.info("tenants.webhook.log.purged", extra={"deliveries": purged})

    async def _listen(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        try:
            self._listener = await asyncpg.connect(self._url)
            await self._listener.add_listener(repository.NOTIFY_CHANNEL, self._notified)
        except (OSError, asyncpg.PostgresError) as error:
            # Polling still finds every due delivery; the next round tries to listen again.
            log.info("tenants.webhook.dispatcher.unlistened", extra={"error": repr(error)})
            await self._unlisten()

    def _notified(self, *_: Any) -> None:
        self._wakeup.set()

    async def _unlisten(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            self._listener.terminate()
        self._listener = None

    async def _wait(self, seconds: float) -> None:
        with suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout=seconds)

    async def _finish_inflight(self) -> None:
        if not self._inflight:
            return
        _, pending = await asyncio.wait(set(self._inflight), timeout=self._timeout + 5)
        for task in pending:
            task.cancel()
        for task in pending:
            with suppress(asyncio.CancelledError):
                await task


def webhook_dispatcher(settings: TenantsSettings) -> LoopFactory:
    """The dispatcher as one of the worker's loops, on the worker's database pool."""

    def build(worker: Worker) -> WebhookDispatcher:
        assert worker.database is not None
        return WebhookDispatcher(database=worker.database, settings=settings)

    return build
