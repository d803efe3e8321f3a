"""Durable pull consumers whose every event takes effect once.

For each message: the envelope is parsed and its tenant checked against the subject; one transaction
scoped to that tenant inserts the event id into the inbox and runs the handler; only after the commit
is the message acked. A redelivered event finds its inbox row and is only acked. A failing handler is
retried with a growing delay (``nak(delay)``, never an immediate redelivery); after ``max_deliver``
tries, or at once for a ``PermanentEventError``, the message goes to the dead-letter stream.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass
from typing import TypeVar

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from opentelemetry.trace import Span
from pydantic import BaseModel, ValidationError

from kit import metrics
from kit.db.database import Database, TenantConnection, TenantSession
from kit.events.deadletters import send_to_dead_letters
from kit.events.envelope import CloudEvent, tenant_of_subject
from kit.events.outbox import note_in_inbox
from kit.events.streams import ConsumerSpec, ensure_consumer
from kit.telemetry import context_from, tracer

log = logging.getLogger("kit.events.consumer")

Handler = Callable[[TenantSession, CloudEvent], Awaitable[None]]
LeanHandler = Callable[[TenantConnection, CloudEvent], Awaitable[None]]
ContractT = TypeVar("ContractT", bound=BaseModel)
TransactionT = TypeVar("TransactionT", TenantSession, TenantConnection)


class PermanentEventError(Exception):
    """The event can never be handled (bad payload, broken invariant): dead-letter it at once."""


def read_data(event: CloudEvent, contract: type[ContractT]) -> ContractT:
    """The event's data as the consumer's copy of its contract; data that does not fit can never be handled."""
    try:
        return contract.model_validate(event.data)
    except ValidationError as error:
        fields = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'data'}: {e['msg']}" for e in error.errors())
        raise PermanentEventError(f"{event.type} {event.id}: {fields}") from error


def require_same_tenant(event: CloudEvent, named: str) -> None:
    """Refuse for good an event whose data names another tenant than its envelope (and subject)."""
    if named != event.tenantid:
        raise PermanentEventError(f"{event.type} {event.id}: data names {named}, envelope {event.tenantid}")


@dataclass(frozen=True)
class Subscription:
    """One row of a service's handler table: which events, handled by what, under which durable name."""

    durable: str
    stream: str
    subjects: tuple[str, ...]
    handler: Handler | None = None
    lean_handler: LeanHandler | None = None
    max_deliver: int = 5
    ack_wait: float = 30.0

    def __post_init__(self) -> None:
        """``handler`` works on an ORM session; ``lean_handler`` sends plain SQL on ``Database.lean_transaction``,
        at a third of the CPU per transaction, for high-volume events. Exactly one of them."""
        if (self.handler is None) == (self.lean_handler is None):
            raise ValueError(f"subscription {self.durable} needs exactly one of handler and lean_handler")

    def spec(self) -> ConsumerSpec:
        return ConsumerSpec(
            stream=self.stream,
            durable=self.durable,
            subjects=self.subjects,
            max_deliver=self.max_deliver,
            ack_wait=self.ack_wait,
        )


def retry_delay(deliveries: int, *, base: float = 0.5, ceiling: float = 30.0) -> float:
    """Delay before the next try after ``deliveries`` failed ones: 0.5 s, 1 s, 2 s … at most 30 s."""
    return float(min(ceiling, base * 2 ** max(0, deliveries - 1)))


# How long the look for events that arrived during ``batch_wait`` may take. The server answers at once
# when events wait, but the answer still takes a round trip: at one millisecond a loaded machine missed
# waiting events, which then came as a batch of their own. When nothing waits, it costs this long.
_TAKE_WAITING = 0.1


class EventConsumer:
    """Runs one subscription until stopped, surviving NATS and database restarts."""

    def __init__(
        self,
        subscription: Subscription,
        *,
        database: Database,
        nats: NATS,
        batch: int = 64,
        batch_wait: float = 0.0,
        fetch_timeout: float = 1.0,
        retry_base: float = 0.5,
    ) -> None:
        """``batch_wait``: after a fetch that did not fill the batch, wait this long for more events and
        take them too. Each tenant's events of a batch share one transaction, whose cost (a few round
        trips and the session) outweighs the events' own; under load a few milliseconds here save CPU.
        """
        self.subscription = subscription
        self._db = database
        self._nats = nats
        self._js: JetStreamContext = nats.jetstream()
        self._batch = batch
        self._batch_wait = batch_wait
        self._fetch_timeout = fetch_timeout
        self._retry_base = retry_base
        self._stopping = asyncio.Event()
        self._tracer = tracer("kit.events.consumer")

    @property
    def name(self) -> str:
        return self.subscription.durable

    def stop(self) -> None:
        self._stopping.set()

    async def declare(self) -> None:
        await ensure_consumer(self._js, self.subscription.spec())

    async def run(self) -> None:
        """Fetch and handle until stopped; every failure of the loop itself is logged and retried."""
        failures = 0
        while not self._stopping.is_set():
            try:
                await self.declare()
                psub = await self._js.pull_subscribe_bind(
                    durable=self.subscription.durable, stream=self.subscription.stream
                )
                failures = 0
                try:
                    await self._consume(psub)
                finally:
                    with suppress(Exception):
                        await psub.unsubscribe()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the consumer must outlive any failure
                failures += 1
                delay = min(10.0, 0.25 * 2 ** min(failures, 6))
                log.warning("events.consumer.retry", extra={"consumer": self.name, "error": repr(error)})
                await asyncio.sleep(delay)

    async def _consume(self, psub: JetStreamContext.PullSubscription) -> None:
        while not self._stopping.is_set():
            try:
                messages = await psub.fetch(self._batch, timeout=self._fetch_timeout)
            except TimeoutError:
                continue
            if self._batch_wait and len(messages) < self._batch:
                messages += await self._more(psub, self._batch - len(messages))
            await self.handle_batch(messages)

    async def _more(self, psub: JetStreamContext.PullSubscription, room: int) -> list[Msg]:
        """What arrived within ``batch_wait`` after a short fetch, so that a tenant's events share a transaction."""
        await asyncio.sleep(self._batch_wait)
        try:
            return await psub.fetch(room, timeout=_TAKE_WAITING)
        except TimeoutError:
            return []

    async def handle_batch(self, messages: Sequence[Msg]) -> None:
        """Settle one fetch: tenants side by side, each tenant's messages in order and in one transaction."""
        groups: dict[str, list[tuple[Msg, CloudEvent]]] = {}
        for msg in messages:
            event = await self._read(msg)
            if event is not None:
                groups.setdefault(event.tenantid, []).append((msg, event))
        outcomes = await asyncio.gather(
            *(self._handle_group(group) for group in groups.values()), return_exceptions=True
        )
        if failure := next((o for o in outcomes if isinstance(o, BaseException)), None):
            raise failure

    async def handle(self, msg: Msg) -> None:
        """Handle one delivered message and settle it (ack, delayed nak, or dead letter)."""
        event = await self._read(msg)
        if event is not None:
            await self._handle_one(msg, event)

    async def _read(self, msg: Msg) -> CloudEvent | None:
        """The message's event, or None once an unreadable message went to the dead letters."""
        try:
            event = CloudEvent.from_json(msg.data)
            if tenant_of_subject(msg.subject) != event.tenantid:
                raise PermanentEventError(f"tenant {event.tenantid} does not match subject {msg.subject}")
        except (ValidationError, ValueError, PermanentEventError) as error:
            await self._dead_letter(msg, f"unreadable event: {error}")
            return None
        return event

    async def _handle_group(self, group: list[tuple[Msg, CloudEvent]]) -> None:
        """One transaction for the group; if any of it fails, each message on its own, so only that one waits."""
        if len(group) > 1:
            try:
                fresh = await self._apply_together(group)
            except Exception as error:  # noqa: BLE001 - the messages are handled one by one below
                log.info("events.consumer.group_failed", extra={"consumer": self.name, "error": repr(error)})
            else:
                for msg, event in group:
                    await msg.ack()
                    metrics.EVENTS_CONSUMED.labels(self.name, "applied" if event.id in fresh else "duplicate").inc()
                return
        for msg, event in group:
            await self._handle_one(msg, event)

    async def _handle_one(self, msg: Msg, event: CloudEvent) -> None:
        deliveries = msg.metadata.num_delivered
        with self._span(msg) as span:
            try:
                fresh = await self._apply_together([(msg, event)], traced=False)
            except PermanentEventError as error:
                await self._dead_letter(msg, f"permanent: {error}")
                return
            except Exception as error:  # noqa: BLE001 - any handler failure is retried, then dead-lettered
                span.record_exception(error)
                if deliveries >= self.subscription.max_deliver:
                    await self._dead_letter(msg, f"failed {deliveries} times: {error!r}")
                else:
                    log.info("events.consumer.retry_later", extra={"consumer": self.name, "error": repr(error)})
                    metrics.EVENTS_CONSUMED.labels(self.name, "retried").inc()
                    await msg.nak(delay=retry_delay(deliveries, base=self._retry_base))
                return
        await msg.ack()
        metrics.EVENTS_CONSUMED.labels(self.name, "applied" if event.id in fresh else "duplicate").inc()

    async def _apply_together(self, group: list[tuple[Msg, CloudEvent]], *, traced: bool = True) -> set[str]:
        """One transaction: the inbox rows and the effects of the events not seen before; returns their ids."""
        tenant = group[0][1].tenantid
        handler, lean_handler = self.subscription.handler, self.subscription.lean_handler
        if lean_handler is not None:
            async with self._db.lean_transaction(tenant) as connection:
                return await self._apply(connection, group, lean_handler, traced=traced)
        assert handler is not None
        async with self._db.transaction(tenant) as session:
            return await self._apply(session, group, handler, traced=traced)

    async def _apply(
        self,
        transaction: TransactionT,
        group: list[tuple[Msg, CloudEvent]],
        handler: Callable[[TransactionT, CloudEvent], Awaitable[None]],
        *,
        traced: bool,
    ) -> set[str]:
        fresh = await note_in_inbox(transaction, self.name, [event.id for _, event in group])
        pending = set(fresh)
        for msg, event in group:
            if event.id not in pending:
                continue
            pending.discard(event.id)
            with self._span(msg) if traced else nullcontext():
                await handler(transaction, event)
        return fresh

    def _span(self, msg: Msg) -> AbstractContextManager[Span]:
        parent = context_from(dict(msg.headers or {}))
        span = self._tracer.start_as_current_span(f"process {msg.subject}", context=parent)
        return _with_consumer_name(span, self.name)

    async def _dead_letter(self, msg: Msg, reason: str) -> None:
        try:
            await send_to_dead_letters(self._js, msg, consumer=self.name, error=reason)
        except Exception as error:  # noqa: BLE001 - keep the message; it comes back after a delay
            log.warning("events.deadletter.failed", extra={"consumer": self.name, "error": repr(error)})
            await msg.nak(delay=retry_delay(msg.metadata.num_delivered, base=self._retry_base))
            return
        log.error("events.consumer.dead_letter", extra={"consumer": self.name, "reason": reason})
        metrics.EVENTS_CONSUMED.labels(self.name, "dead_letter").inc()
        await msg.term()


@contextmanager
def _with_consumer_name(span_context: AbstractContextManager[Span], consumer: str) -> Iterator[Span]:
    with span_context as span:
        span.set_attribute("messaging.consumer.group.name", consumer)
        yield span
