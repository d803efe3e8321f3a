"""Drop cached API keys when the tenants service says a client or a tenant changed.

A plain core NATS subscription: JetStream delivers the stream's messages to core subscribers too, and
the gateway needs only what happens from now on, not a durable history. Whenever events may have been
missed (no connection yet, a disconnect, a reconnect, a dropped message) the whole cache is cleared, so
the bound on a revoked key is the event's latency while NATS is up and the positive TTL otherwise.
Other listeners (the grants) share the connection and are told in the same moments to load everything again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from typing import ClassVar, Protocol

import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import SlowConsumerError
from pydantic import BaseModel, ConfigDict, ValidationError

from gateway.client_keys import KeyCache

log = logging.getLogger("gateway.key_events")

CLIENT_EVENTS = "tenants.*.client.>"
TENANT_STATUS_CHANGED = "tenants.*.tenant.status_changed.v1"


class _ClientStateV1(BaseModel):
    """The fields of ``tenants.client.*.v1`` the gateway reads."""

    model_config = ConfigDict(extra="ignore")

    id: str


class _TenantStateV1(BaseModel):
    """The fields of ``tenants.tenant.status_changed.v1`` the gateway reads."""

    model_config = ConfigDict(extra="ignore")

    id: str


class _EventV1(BaseModel):
    model_config = ConfigDict(extra="ignore")

    data: dict[str, object]


def apply(cache: KeyCache, subject: str, payload: bytes) -> None:
    """Drop what the event on ``subject`` makes stale; an event it cannot read drops the subject's tenant."""
    parts = subject.split(".")
    tenant = parts[1]
    try:
        data = _EventV1.model_validate_json(payload).data
        if parts[2] == "client":
            cache.drop_client(_ClientStateV1.model_validate(data).id)
        else:
            cache.drop_tenant(_TenantStateV1.model_validate(data).id)
    except ValidationError:
        log.warning("gateway.key_events.unreadable", extra={"subject": subject})
        cache.drop_tenant(tenant)


class EventListener(Protocol):
    """Something kept current by events on the gateway's NATS connection."""

    subjects: ClassVar[tuple[str, ...]]

    def apply(self, subject: str, payload: bytes) -> None:
        """Apply one event."""
        ...

    def missed(self) -> None:
        """Events may have been missed: catch up from the source."""
        ...


class KeyEvents:
    """Keeps a NATS subscription to the tenants service's key events, retrying in the background."""

    def __init__(
        self,
        cache: KeyCache,
        *,
        nats_url: str,
        name: str = "gateway",
        retry_seconds: float = 2.0,
        listeners: Sequence[EventListener] = (),
    ) -> None:
        self.cache = cache
        self._listeners = tuple(listeners)
        self._url = nats_url
        self._name = name
        self._retry_seconds = retry_seconds
        self._nats: NATS | None = None
        self._task: asyncio.Task[None] | None = None
        self.subscribed = asyncio.Event()
        self._warned = False

    @property
    def client(self) -> NATS | None:
        """The connection, once made (the access audit publishes on it too)."""
        return self._nats

    @property
    def connected(self) -> bool:
        """Whether events arrive now."""
        return self._nats is not None and self._nats.is_connected and self.subscribed.is_set()

    def start(self) -> None:
        """Connect and subscribe in the background: the gateway serves meanwhile."""
        self._task = asyncio.create_task(self._run(), name="gateway.key_events")

    async def stop(self) -> None:
        """Stop trying and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        if self._nats is not None and not self._nats.is_closed:
            await self._nats.close()

    async def _run(self) -> None:
        # nats-py keeps trying an unreachable server inside ``connect``; the loop covers its giving up.
        while True:
            try:
                client = await nats.connect(
                    self._url,
                    name=self._name,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=self._retry_seconds,
                    connect_timeout=2,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                )
            except (nats.errors.NoServersError, OSError, TimeoutError):
                await asyncio.sleep(self._retry_seconds)
                continue
            self._nats = client
            await client.subscribe(CLIENT_EVENTS, cb=self._on_message)
            await client.subscribe(TENANT_STATUS_CHANGED, cb=self._on_message)
            for listener in self._listeners:
                for subject in listener.subjects:
                    await client.subscribe(subject, cb=_delivering_to(listener))
            await client.flush()
            # Keys verified before the subscription existed may have been revoked unseen.
            self._missed()
            self.subscribed.set()
            self._warned = False
            log.info("gateway.key_events.subscribed")
            return

    async def _on_message(self, msg: Msg) -> None:
        apply(self.cache, msg.subject, msg.data)

    async def _on_error(self, error: Exception) -> None:
        if isinstance(error, SlowConsumerError):
            self._missed()
        if self._warned and not self.connected:
            log.debug("gateway.key_events.error", extra={"error": repr(error)})
            return
        self._warned = not self.connected
        log.warning(
            "gateway.key_events.error",
            extra={"error": repr(error), "consequence": "revoked keys work until the key cache entry expires"},
        )

    async def _on_disconnected(self) -> None:
        self.cache.clear()
        log.warning("gateway.key_events.disconnected")

    async def _on_reconnected(self) -> None:
        self._missed()
        self._warned = False
        log.info("gateway.key_events.reconnected")

    def _missed(self) -> None:
        self.cache.clear()
        for listener in self._listeners:
            listener.missed()


def _delivering_to(listener: EventListener) -> Callable[[Msg], Awaitable[None]]:
    async def deliver(msg: Msg) -> None:
        listener.apply(msg.subject, msg.data)

    return deliver
