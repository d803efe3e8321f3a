"""The access audit: each request a principal makes on a tenant's data, published for that tenant to read.

The gateway keeps no database, so there is no outbox: the request path only appends a small record to a
bounded buffer, and a background task publishes the records to JetStream once a second (each event costs
the tenants service a transaction, so fewer and fuller events are cheaper for everyone), up to
``MAX_ACCESSES`` of one tenant in one ``gateway.accesses.recorded.v1`` event (event id = ``Nats-Msg-Id``,
so a retried publish is stored once; each access has its own id, fixed when its event is built). While
NATS is away the buffer holds the newest ``capacity`` records; older ones are dropped, counted and
logged, never blocking a request."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from contextlib import suppress
from typing import Any, NamedTuple

import orjson
from nats.aio.client import Client as NATS
from prometheus_client import Counter

from gateway.events.published import ACCESSES_RECORDED, MAX_ACCESSES
from kit.events import CloudEvent
from kit.identity import Identity

log = logging.getLogger("gateway.audit")

AUDIT_DROPPED = Counter("zentrale_gateway_audit_dropped", "Access records dropped while NATS was away")
SOURCE = "/zentrale/gateway"


class _Access(NamedTuple):
    at: float
    tenant: str
    identity: Identity
    method: str
    path: str
    status: int
    request_id: str


def _access_id(random_hex: str) -> str:
    """A version 4 UUID from 32 random hex digits: ``uuid.uuid4()`` costs a system call and an object each."""
    h = random_hex
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


class _Timestamps:
    """ISO 8601 times in UTC; the date and time of day are formatted once per second (accesses come in runs)."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def __call__(self, at: float) -> str:
        second = int(at)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{int((at - second) * 1_000_000):06d}+00:00"


def access_events(accesses: Iterable[_Access], *, per_event: int = MAX_ACCESSES) -> list[CloudEvent]:
    """The ``gateway.accesses.recorded.v1`` events of ``accesses``: one per tenant and ``per_event`` records."""
    by_tenant: dict[str, list[dict[str, Any]]] = {}
    accesses = list(accesses)
    # One system call for every id of the batch.
    randomness = os.urandom(16 * len(accesses)).hex()
    timestamp = _Timestamps()
    for index, access in enumerate(accesses):
        identity = access.identity
        by_tenant.setdefault(access.tenant, []).append(
            {
                "id": _access_id(randomness[32 * index : 32 * index + 32]),
                "at": timestamp(access.at),
                "subject": identity.subject,
                "kind": identity.kind,
                "home_tenant": identity.tenant_id,
                "roles": sorted(identity.roles),
                "method": access.method,
                "path": access.path,
                "status": access.status,
                "request_id": access.request_id,
            }
        )
    return [
        CloudEvent(
            source=SOURCE,
            type=ACCESSES_RECORDED,
            tenantid=tenant,
            data={"accesses": records[start : start + per_event]},
        )
        for tenant, records in by_tenant.items()
        for start in range(0, len(records), per_event)
    ]


def event_json(event: CloudEvent) -> bytes:
    """``event.to_json()`` for data of plain JSON values, serialized directly: the envelope's model would
    walk every one of up to ``MAX_ACCESSES`` records first, which was most of the audit's cost."""
    envelope = event.model_dump(mode="json", exclude_none=True, exclude={"data"})
    envelope["data"] = event.data
    return orjson.dumps(envelope)


class AccessAudit:
    """Buffers accesses on the request path and publishes them in the background."""

    def __init__(
        self, connection: Callable[[], NATS | None], *, capacity: int = 50_000, interval: float = 1.0, batch: int = 500
    ) -> None:
        self._connection = connection
        self._pending: deque[_Access] = deque(maxlen=capacity)
        self._unsent: list[CloudEvent] = []
        self._interval = interval
        self._batch = batch
        self._task: asyncio.Task[None] | None = None
        self._warned = False

    def __len__(self) -> int:
        """Accesses not yet stored in JetStream."""
        return len(self._pending) + sum(len(event.data["accesses"]) for event in self._unsent)

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
        """Publish buffered accesses; returns how many were stored. Events that failed are sent again first."""
        stored = 0
        client = self._connection()
        while (self._unsent or self._pending) and client is not None and client.is_connected:
            if not self._unsent:
                batch = [self._pending.popleft() for _ in range(min(self._batch, len(self._pending)))]
                self._unsent = access_events(batch)
            js = client.jetstream()
            outcomes = await asyncio.gather(
                *(js.publish(e.nats_subject, event_json(e), headers={"Nats-Msg-Id": e.id}) for e in self._unsent),
                return_exceptions=True,
            )
            results = list(zip(self._unsent, outcomes, strict=True))
            stored += sum(len(e.data["accesses"]) for e, outcome in results if not isinstance(outcome, BaseException))
            self._unsent = [e for e, outcome in results if isinstance(outcome, BaseException)]
            if self._unsent:
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
