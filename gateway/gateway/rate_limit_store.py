"""Share the rate limiter's counts with the other replicas through a NATS JetStream key-value bucket.

Every ``flush_interval`` each counter this replica added to is sent as a compare-and-set on its key
(``client.<digest>.<window start>``, ``tenant.<tenant>.<window start>``), which also brings back what the
other replicas sent; counters of the current window it did not add to are read back. The bucket keeps
one value per key and forgets keys after two windows. While NATS is away the limiter keeps counting on
its own (each replica then allows the full limit) and the increments are sent once it is back, if their
window is still open.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

import nats
from nats.aio.client import Client as NATS
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from gateway.rate_limits import Counter, RateLimiter

log = logging.getLogger("gateway.rate_limits")

_CAS_ATTEMPTS = 8
# A stored value that is not a count (ValueError) is as unusable as a store that does not answer.
_UNAVAILABLE = (nats.errors.Error, OSError, TimeoutError, ValueError)


async def send(kv: KeyValue, counter: Counter) -> None:
    """Add the counter's local increments to its shared count (compare-and-set) and read the sum back."""
    delta = counter.local
    if delta == 0:
        return
    counter.local = 0
    counter.sending = delta
    try:
        for _ in range(_CAS_ATTEMPTS):
            value = str(counter.shared + delta).encode()
            try:
                if counter.revision == 0:
                    revision = await kv.create(counter.key, value)
                else:
                    revision = await kv.update(counter.key, value, last=counter.revision)
            except KeyWrongLastSequenceError:
                await _read(kv, counter)
                continue
            counter.shared = int(value)
            counter.revision = revision
            delta = 0
            return
    finally:
        # Whatever did not reach the store is counted locally and sent next time.
        counter.local += delta
        counter.sending = 0


async def _read(kv: KeyValue, counter: Counter) -> None:
    try:
        entry = await kv.get(counter.key)
    except KeyNotFoundError:
        counter.shared, counter.revision = 0, 0
        return
    revision = entry.revision or 0
    if revision >= counter.revision:
        counter.shared = int(entry.value or b"0")
        counter.revision = revision


class SharedCounts:
    """Connects to NATS in the background and sends the limiter's counts there until stopped."""

    def __init__(
        self, limiter: RateLimiter, *, nats_url: str, name: str = "gateway", retry_seconds: float = 2.0
    ) -> None:
        self.limiter = limiter
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
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        if self.shared:
            with suppress(*_UNAVAILABLE):
                await self.flush()
        if self._nats is not None and not self._nats.is_closed:
            await self._nats.close()

    async def flush(self) -> None:
        """Send every counter with local increments and read the others back, concurrently."""
        kv = self._kv
        if kv is None:
            return
        # Counters this replica only reads still change through the others: a burst here must see that.
        work = [send(kv, counter) if counter.local else _read(kv, counter) for counter in self.limiter.counters()]
        if work:
            await asyncio.gather(*work)

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
                    )
                self._kv = await self._bucket(self._nats)
            except _UNAVAILABLE as error:  # NATS or JetStream not there yet: keep limiting locally
                self._local_only(repr(error))
                await asyncio.sleep(self._retry_seconds)
        self.ready.set()
        log.info("gateway.rate_limits.shared", extra={"bucket": self.limiter.config.bucket})

    async def _bucket(self, client: NATS) -> KeyValue:
        config = self.limiter.config
        js = client.jetstream(timeout=2.0)
        try:
            return await js.create_key_value(
                bucket=config.bucket,
                history=1,
                ttl=2 * config.window,
                replicas=config.replicas,
                description="Gateway rate-limit counts per client and tenant and window",
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
