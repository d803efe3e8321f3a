"""The access audit: each request a principal makes on a tenant's data, published for that tenant to read.

The gateway keeps no database, so there is no outbox: the request path only appends a small record to a
bounded buffer, and a background task publishes the records to JetStream as ``gateway.access.recorded.v1``
(event id = ``Nats-Msg-Id``, so a retried publish is stored once). While NATS is away the buffer holds the
newest ``capacity`` records; older ones are dropped, counted and logged, never blocking a request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from typing import NamedTuple

from nats.aio.client import Client as NATS
from prometheus_client import Counter

from gateway.events.published import ACCESS_RECORDED, AccessRecordedV1
from kit.events import CloudEvent
from kit.identity import Identity

log = logging.getLogger("gateway.audit")

AUDIT_DROPPED = Counter("zentrale_gateway_audit_dropped", "Access records dropped while NATS was away")


class _Access(NamedTuple):
    at: float
    tenant: str
    identity: Identity
    method: str
    path: str
    status: int
    request_id: str


def access_event(access: _Access) -> CloudEvent:
    """The ``gateway.access.recorded.v1`` event of one access."""
    data = AccessRecordedV1(
        subject=access.identity.subject,
        kind=access.identity.kind,
        home_tenant=access.identity.tenant_id,
        roles=sorted(access.identity.roles),
        method=access.method,
        path=access.path,
        status=access.status,
        request_id=access.request_id,
    )
    return CloudEvent(
        source="/zentrale/gateway",
        type=ACCESS_RECORDED,
        time=datetime.fromtimestamp(access.at, UTC),
        tenantid=access.tenant,
        data=data.model_dump(mode="json"),
    )


class AccessAudit:
    """Buffers accesses on the request path and publishes them in the background."""

    def __init__(
        self, connection: Callable[[], NATS | None], *, capacity: int = 50_000, interval: float = 0.2, batch: int = 500
    ) -> None:
        self._connection = connection
        self._pending: deque[_Access] = deque(maxlen=capacity)
        self._interval = interval
        self._batch = batch
        self._task: asyncio.Task[None] | None = None
        self._warned = False

    def __len__(self) -> int:
        return len(self._pending)

    def note(self, identity: Identity, *, tenant: str, method: str, path: str, status: int, request_id: str) -> None:
        """Remember one access to ``tenant``'s data; costs an append."""
        if len(self._pending) == self._pending.maxlen:
            AUDIT_DROPPED.inc()
            if not self._warned:
                self._warned = True
                log.warning("gateway.audit.dropping", extra={"capacity": self._pending.maxlen})
        self._pending.append(_Access(time.time(), tenant, identity, method, path, status, request_id))

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="gateway.audit")

    async def stop(self, *, patience: float = 2.0) -> None:
        """Stop the loop, then try once more, briefly, to publish what is left."""
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        with suppress(TimeoutError):
            await asyncio.wait_for(self.publish_pending(), patience)

    async def publish_pending(self) -> int:
        """Publish buffered accesses, a batch at a time; returns how many were stored. Failures stay buffered."""
        stored = 0
        client = self._connection()
        while self._pending and client is not None and client.is_connected:
            batch = [self._pending.popleft() for _ in range(min(self._batch, len(self._pending)))]
            events = [access_event(access) for access in batch]
            js = client.jetstream()
            outcomes = await asyncio.gather(
                *(js.publish(e.nats_subject, e.to_json(), headers={"Nats-Msg-Id": e.id}) for e in events),
                return_exceptions=True,
            )
            failed = [
                access for access, outcome in zip(batch, outcomes, strict=True) if isinstance(outcome, BaseException)
            ]
            stored += len(batch) - len(failed)
            if failed:
                self._pending.extendleft(reversed(failed))
                break
            self._warned = False
        return stored

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.publish_pending()
            except Exception as error:  # noqa: BLE001 - the audit must outlive any failure; records stay buffered
                log.warning("gateway.audit.publish_failed", extra={"error": repr(error)})
