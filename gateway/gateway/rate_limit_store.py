"""Share the rate limiter's counts with the other replicas through a NATS JetStream key-value bucket.

Each replica owns one key per window, ``<window start>.<replica id>``, whose value is what it admitted in
that window per limit key (``{"client.<digest>": 12, "tenant.artland": 40}``). Every ``flush_interval`` it
puts that document if it changed: one write per replica and interval, however many callers are active.
A watch on the bucket brings every other replica's document as it changes; the limiter adds them up. The
documents hold totals, not increments, so one that arrives twice or late changes nothing, and a replica
that was cut off from NATS sends everything it counted meanwhile with its next put. The bucket forgets
keys after two windows.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import suppress

import nats
import orjson
from nats.aio.client import Client as NATS
from nats.js.kv import KV_DEL, KV_PURGE, KeyValue

from gateway.rate_limits import RateLimiter, window_start

log = logging.getLogger("gateway.rate_limits")

# A stored value that is not a count (ValueError) is as unusable as a store that does not answer.
_UNAVAILABLE = (nats.errors.Error, OSError, TimeoutError, ValueError)


def parse_counts(value: bytes | None) -> dict[str, int]:
    """A replica's document, or nothing if it is not one (deleted, or written by something else)."""
    if not value:
        return {}
    try:
        document = orjson.loads(value)
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(document, dict):
        return {}
    return {k: v for k, v in document.items() if isinstance(k, str) and isinstance(v, int) and v > 0}


class ReplicaCounts:
    """The other replicas' latest documents; what changes between two of them is added to the limiter."""

    def __init__(self, limiter: RateLimiter, replica: str) -> None:
        self.limiter = limiter
        self.replica = replica
        self._documents: dict[tuple[int, str], dict[str, int]] = {}

    def receive(self, key: str, counts: dict[str, int]) -> None:
        """Take in the document stored under ``key`` (``<window>.<replica>``); its own are ignored."""
        window_text, _, replica = key.partition(".")
        if replica == self.replica or not window_text.isdigit():
            return
        window = int(window_text)
        current = window_start(self.limiter.clock(), self.limiter.config.window)
        if window < current:
            return
        previous = self._documents.get((window, replica), {})
        self._documents[(window, replica)] = counts
        for limit_key in previous.keys() | counts.keys():
            change = counts.get(limit_key, 0) - previous.get(limit_key, 0)
            if change:
                self.limiter.add_others(window, limit_key, change)
        if any(slot[0] < current for slot in self._documents):
            self._documents = {slot: doc for slot, doc in self._documents.items() if slot[0] >= current}
            self.limiter.forget_before(current)


class SharedCounts:
    """Connects to NATS in the background and sends the limiter's counts there until stopped."""

    def __init__(
        self, limiter: RateLimiter, *, nats_url: str, name: str = "gateway", retry_seconds: float = 2.0
    ) -> None:
        self.limiter = limiter
        self.replica = uuid.uuid4().hex[:16]
        self._others = ReplicaCounts(limiter, self.replica)
        self._sent: tuple[int, dict[str, int]] | None = None
        self._watch: asyncio.Task[None] | None = None
        self._url = nats_url
        self._name = name
        self._retry_seconds = retry_seconds
        self._nats: NATS | None = None
        self._kv: KeyValue | None = None
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()
        self._local_only_logged = False

    @property
    def shared(self) -> bool:
        """Whether counts are shared with the other replicas now."""
        return self._kv is not None and self._nats is not None and self._nats.is_connected

    def start(self) -> None:
        """Connect and share in the background: requests are limited locally meanwhile."""
        self._task = asyncio.create_task(self._run(), name="gateway.rate_limits")

    async def stop(self) -> None:
        """Send what is left once, then close the connection."""
        for task in (self._task, self._watch):
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
        if self.shared:
            with suppress(*_UNAVAILABLE):
                await self.flush()
        if self._nats is not None and not self._nats.is_closed:
            await self._nats.close()

    async def flush(self) -> None:
        """Put this replica's counts of the current window, if they changed since the last put."""
        kv = self._kv
        if kv is None:
            return
        window, counts = self.limiter.own_counts()
        if self._sent == (window, counts) or not counts:
            return
        await kv.put(f"{window}.{self.replica}", orjson.dumps(counts))
        self._sent = (window, counts)

    async def _watch_others(self, kv: KeyValue) -> None:
        """Follow every replica's documents; after NATS comes back the watch starts over (totals repeat safely)."""
        while True:
            try:
                watcher = await kv.watchall()
                try:
                    async for entry in watcher:
                        if entry is None:
                            self.ready.set()
                            continue
                        deleted = entry.operation in (KV_DEL, KV_PURGE)
                        self._others.receive(entry.key, {} if deleted else parse_counts(entry.value))
                finally:
                    with suppress(*_UNAVAILABLE):
                        await watcher.stop()  # type: ignore[no-untyped-call]
            except _UNAVAILABLE as error:
                self._local_only(repr(error))
            await asyncio.sleep(self._retry_seconds)

    async def _run(self) -> None:
        await self._connect()
        interval = self.limiter.config.flush_interval
        while True:
            await asyncio.sleep(interval)
            if not self.shared:
                self._local_only("disconnected")
                continue
            try:
                await self.flush()
            except _UNAVAILABLE as error:  # never the requests' problem: they are limited locally meanwhile
                self._local_only(repr(error))
                continue
            if self._local_only_logged:
                self._local_only_logged = False
                log.info("gateway.rate_limits.shared")

    async def _connect(self) -> None:
        # nats-py keeps trying an unreachable server inside ``connect``; the loop covers its giving up.
        while self._kv is None:
            try:
                if self._nats is None or self._nats.is_closed:
                    self._nats = await nats.connect(
                        self._url,
                        name=f"{self._name}-rate-limits",
                        max_reconnect_attempts=-1,
                        reconnect_time_wait=self._retry_seconds,
                        connect_timeout=2,
                        error_cb=self._on_error,
                        reconnected_cb=self._on_reconnected,
                    )
                self._kv = await self._bucket(self._nats)
            except _UNAVAILABLE as error:  # NATS or JetStream not there yet: keep limiting locally
                self._local_only(repr(error))
                await asyncio.sleep(self._retry_seconds)
        self._watch = asyncio.create_task(self._watch_others(self._kv), name="gateway.rate_limits.watch")
        log.info("gateway.rate_limits.shared", extra={"bucket": self.limiter.config.bucket, "replica": self.replica})

    async def _bucket(self, client: NATS) -> KeyValue:
        config = self.limiter.config
        js = client.jetstream(timeout=2.0)
        try:
            return await js.create_key_value(
                bucket=config.bucket,
                history=1,
                ttl=2 * config.window,
                replicas=config.replicas,
                description="Gateway rate-limit counts: per window and replica, requests per client and tenant",
            )
        except nats.js.errors.BadRequestError:
            # Created before with other settings (another window): use it as it is; keys still expire.
            log.warning("gateway.rate_limits.bucket_differs", extra={"bucket": config.bucket})
            return await js.key_value(config.bucket)

    def _local_only(self, reason: str) -> None:
        if self._local_only_logged:
            return
        self._local_only_logged = True
        log.warning(
            "gateway.rate_limits.local_only",
            extra={"reason": reason, "consequence": "each gateway replica allows the full limit on its own"},
        )

    async def _on_error(self, error: Exception) -> None:
        self._local_only(repr(error))

    async def _on_reconnected(self) -> None:
        # The watch's consumer may not have survived the outage: follow the bucket afresh.
        if self._watch is not None and self._kv is not None:
            self._watch.cancel()
            self._watch = asyncio.create_task(self._watch_others(self._kv), name="gateway.rate_limits.watch")
