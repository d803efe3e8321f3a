"""Call events straight from NATS: the telephony (or its adapter) publishes to ``telephony.call-events``.

A message holds one event or ``{"events": [...]}``, in the HTTP endpoint's format; it is ingested as an
operator's batch would be (the NATS account decides who may publish there). Messages are acknowledged only
after the ingest committed, so a crash redelivers them and their events count once (by event id). A message
that is not call events at all goes to the dead letters with the reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import suppress

import orjson
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import TypeAdapter, ValidationError

from kit.db.database import Database
from kit.events.deadletters import send_to_dead_letters
from kit.events.streams import ConsumerSpec, StreamSpec, ensure_consumer
from metrics.calls import service
from metrics.calls.schemas import MAX_BATCH, CallEvent, CallEventBatch

log = logging.getLogger("metrics.calls.feed")

STREAM = "TELEPHONY"
SUBJECT = "telephony.call-events"
DURABLE = "metrics-call-feed"
_ONE_OR_MORE: TypeAdapter[CallEventBatch | CallEvent] = TypeAdapter(CallEventBatch | CallEvent)


def telephony_stream(*, replicas: int = 1) -> StreamSpec:
    return StreamSpec(name=STREAM, subjects=("telephony.>",), replicas=replicas)


def parse(payload: bytes) -> list[CallEvent]:
    """The call events a message holds; ``ValidationError`` if it holds something else."""
    parsed = _ONE_OR_MORE.validate_python(orjson.loads(payload)) if payload.strip() else None
    if parsed is None:
        raise ValueError("an empty message")
    return parsed.events if isinstance(parsed, CallEventBatch) else [parsed]


class CallFeed:
    """The worker's loop over the telephony subject: fetch, ingest, acknowledge."""

    name = "call-feed"

    def __init__(self, *, database: Database, nats: NATS, batch: int = MAX_BATCH, fetch_timeout: float = 1.0) -> None:
        self._database = database
        self._js: JetStreamContext = nats.jetstream()
        self._batch = batch
        self._fetch_timeout = fetch_timeout
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        spec = ConsumerSpec(stream=STREAM, durable=DURABLE, subjects=(SUBJECT,), max_ack_pending=4 * self._batch)
        await ensure_consumer(self._js, spec)
        subscription = await self._js.pull_subscribe_bind(durable=DURABLE, stream=STREAM)
        try:
            while not self._stopping.is_set():
                try:
                    messages = await subscription.fetch(self._batch, timeout=self._fetch_timeout)
                except TimeoutError:
                    continue
                await self.take(messages)
        finally:
            # A subscription left open makes the connection's drain wait its whole timeout when the worker stops.
            with suppress(Exception):
                await subscription.unsubscribe()

    async def take(self, messages: Sequence[Msg]) -> int:
        """Ingest the events of ``messages`` as one batch; returns how many events were accepted."""
        events: list[CallEvent] = []
        for msg in messages:
            try:
                events.extend(parse(msg.data))
            except (ValidationError, ValueError) as error:
                await send_to_dead_letters(self._js, msg, consumer=DURABLE, error=str(error))
        accepted = 0
        for first in range(0, len(events), MAX_BATCH):
            report = await service.ingest(self._database, events[first : first + MAX_BATCH], reporter_tenant=None)
            accepted += report.accepted
            for refusal in report.refused:
                log.warning("calls.feed.refused", extra={"event_id": refusal.event_id, "reason": refusal.reason})
        for msg in messages:
            await msg.ack()
        return accepted
