"""The outbox relay: claims unsent rows, publishes them to JetStream, marks them only after the PubAck.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` in id order, never with an ``id > last`` cursor
(a transaction that commits late with a lower id would be skipped forever). Every message carries
``Nats-Msg-Id`` = the event id, so a re-publish after a crash between PubAck and mark is dropped by the
stream's duplicate window. While NATS is away the rows stay and the relay backs off.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import asyncpg
import orjson
from nats.aio.client import Client as NATS
from opentelemetry.trace import SpanKind

from kit import metrics
from kit.db.database import RELAY_SETTING
from kit.events.outbox import NOTIFY_CHANNEL
from kit.telemetry import context_from, inject_into, tracer

log = logging.getLogger("kit.events.relay")

_CLAIM = """
SELECT id, event_id, subject, payload FROM outbox
WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
"""
# ``published_at IS NULL`` (true of every claimed row) lets the marks use the partial index of unsent rows.
_MARK_SENT = "UPDATE outbox SET published_at = now() WHERE published_at IS NULL AND id = ANY($1::bigint[])"
_MARK_FAILED = (
    "UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE published_at IS NULL AND id = ANY($1::bigint[])"
)
_BACKLOG = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
_PURGE_OUTBOX = "DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1)"
_PURGE_INBOX = "DELETE FROM inbox WHERE processed_at < now() - make_interval(secs => $1)"
# The planner cannot see through the outbox policy and guesses few rows; without a sort it walks the
# partial index in id order and stops after one batch instead of sorting the whole backlog.
_RELAY_ON = f"SELECT set_config('{RELAY_SETTING}', 'on', true), set_config('enable_sort', 'off', true)"
# A parameterless simple query may hold several statements: the transaction begins in one round trip.
_BEGIN_RELAYING = f"BEGIN; {_RELAY_ON}"


class OutboxRelay:
    """Moves committed events from one service's outbox to JetStream."""

    def __init__(
        self,
        *,
        service: str,
        database_url: str,
        nats: NATS,
        batch_size: int = 256,
        linger: float = 0.0,
        poll_interval: float = 1.0,
        publish_timeout: float = 5.0,
        max_backoff: float = 10.0,
        published_retention: float = 3600.0,
        inbox_retention: float = 30 * 86400.0,
    ) -> None:
        self.service = service
        self._url = database_url
        self._nats = nats
        self._js = nats.jetstream(timeout=publish_timeout)
        self.batch_size = batch_size
        self.linger = linger
        self.poll_interval = poll_interval
        self.publish_timeout = publish_timeout
        self.max_backoff = max_backoff
        self.published_retention = published_retention
        self.inbox_retention = inbox_retention
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._conn: asyncpg.Connection | None = None
        self._listener: asyncpg.Connection | None = None
        self._last_housekeeping = 0.0
        self._tracer = tracer("kit.events.relay")

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()

    async def run(self) -> None:
        """Relay until stopped; database or NATS failures back off and retry, never end the loop."""
        failures = 0
        while not self._stopping.is_set():
            try:
                await self._connect()
                self._wakeup.clear()
                sent = await self.relay_once()
                failures = 0
                await self._housekeeping()
                if sent < self.batch_size:
                    await self._wait_for_work()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the relay must outlive any failure
                failures += 1
                delay = min(self.max_backoff, 0.25 * 2 ** min(failures, 8))
                log.warning("events.relay.retry", extra={"error": repr(error), "delay": delay})
                await self._reset_connections()
                await self._interruptible_sleep(delay)
        await self._reset_connections()

    async def relay_once(self) -> int:
        """Publish one batch of unsent rows; returns how many were acknowledged by JetStream."""
        conn = await self._connect()
        async with _relaying(conn):
            rows = await conn.fetch(_CLAIM, self.batch_size)
            if not rows:
                return 0
            outcomes = await asyncio.gather(*(self._publish(row) for row in rows), return_exceptions=True)
            sent = [row["id"] for row, outcome in zip(rows, outcomes, strict=True) if outcome is None]
            failed = [(row["id"], o) for row, o in zip(rows, outcomes, strict=True) if o is not None]
            if sent:
                await conn.execute(_MARK_SENT, sent)
            if failed:
                await conn.execute(_MARK_FAILED, [i for i, _ in failed], repr(failed[0][1])[:500])
        metrics.EVENTS_RELAYED.labels(self.service).inc(len(sent))
        if failed:
            raise ConnectionError(f"{len(failed)} of {len(rows)} events not acknowledged: {failed[0][1]!r}")
        return len(sent)

    async def _publish(self, row: asyncpg.Record) -> None:
        envelope = orjson.loads(row["payload"])
        parent = context_from({"traceparent": envelope["traceparent"]}) if envelope.get("traceparent") else None
        with self._tracer.start_as_current_span(
            f"publish {row['subject']}", context=parent, kind=SpanKind.PRODUCER
        ) as span:
            headers: dict[str, str] = {"Nats-Msg-Id": str(row["event_id"])}
            inject_into(headers)
            await self._js.publish(row["subject"], row["payload"], headers=headers, timeout=self.publish_timeout)
            span.set_attribute("messaging.message.id", str(row["event_id"]))

    async def backlog(self) -> int:
        conn = await self._connect()
        async with _relaying(conn):
            count: int = await conn.fetchval(_BACKLOG)
        return count

    async def _housekeeping(self, every: float = 30.0) -> None:
        now = time.monotonic()
        if now - self._last_housekeeping < every:
            return
        self._last_housekeeping = now
        conn = await self._connect()
        async with _relaying(conn):
            await conn.execute(_PURGE_OUTBOX, self.published_retention)
            await conn.execute(_PURGE_INBOX, self.inbox_retention)
            backlog = await conn.fetchval(_BACKLOG)
        metrics.OUTBOX_BACKLOG.labels(self.service).set(backlog)

    async def _connect(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(self._url)
        if self._listener is None or self._listener.is_closed():
            self._listener = await asyncpg.connect(self._url)
            await self._listener.add_listener(NOTIFY_CHANNEL, self._notified)
        return self._conn

    def _notified(self, *_: Any) -> None:
        self._wakeup.set()

    async def _wait_for_work(self) -> None:
        """Sleep until a commit notifies (cleared before the claim, so none is missed) or the poll is due.

        After a notification the relay lingers a moment: under load the commits of the next few milliseconds
        then share one claim, one mark and one transaction instead of taking one each.
        """
        with suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout=self.poll_interval)
            if self.linger:
                await asyncio.sleep(self.linger)

    async def _interruptible_sleep(self, seconds: float) -> None:
        self._wakeup.clear()
        with suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout=seconds)

    async def _reset_connections(self) -> None:
        for conn in (self._conn, self._listener):
            if conn is not None and not conn.is_closed():
                conn.terminate()
        self._conn = self._listener = None


@asynccontextmanager
async def _relaying(conn: asyncpg.Connection) -> AsyncIterator[None]:
    """A transaction in which the relay sees every tenant's outbox rows: committed, or rolled back on error.

    A cancelled relay drops its connection instead (the server rolls back); ``run`` opens a new one.
    """
    await conn.execute(_BEGIN_RELAYING)
    try:
        yield
    except Exception:
        with suppress(Exception):
            await conn.execute("ROLLBACK")
        raise
    except BaseException:
        conn.terminate()
        raise
    await conn.execute("COMMIT")
