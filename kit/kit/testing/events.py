"""Helpers for tests of producers and consumers against a real NATS."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from typing import Protocol

from nats.aio.client import Client as NATS

from kit.db.database import Database
from kit.events import CloudEvent, EventConsumer, Subscription


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = 20.0) -> None:
    """Wait until ``check`` holds, failing the test after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {within} s")
        await asyncio.sleep(0.05)


async def publish_copy(nats: NATS, event: CloudEvent) -> None:
    """Publish ``event`` as the relay would, but under a message id of its own: the stream keeps every copy."""
    await nats.jetstream().publish(event.nats_subject, event.to_json(), headers={"Nats-Msg-Id": uuid.uuid4().hex})


async def consumer_settled(nats: NATS, consumer: EventConsumer, stream_sequence: int) -> bool:
    """Whether ``consumer`` has settled (acked or terminated) every message up to ``stream_sequence``."""
    info = await nats.jetstream().consumer_info(consumer.subscription.stream, consumer.name)
    return info.ack_floor is not None and (info.ack_floor.stream_seq or 0) >= stream_sequence


class Runnable(Protocol):
    """What runs in the background until stopped: a relay, a consumer, a worker's loop."""

    async def run(self) -> None: ...

    def stop(self) -> None: ...


@asynccontextmanager
async def running(*parts: Runnable) -> AsyncIterator[None]:
    """Run relays, consumers or loops in the background for the block, and stop them after it."""
    tasks = [asyncio.create_task(part.run()) for part in parts]
    try:
        yield
    finally:
        for part in parts:
            part.stop()
        for task in tasks:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task


@asynccontextmanager
async def running_subscription(
    subscription: Subscription, *, database: Database, nats: NATS
) -> AsyncIterator[EventConsumer]:
    """A service's real subscription under a durable name of its own, consuming for the block."""
    unique = dataclasses.replace(subscription, durable=f"{subscription.durable}-{uuid.uuid4().hex[:8]}")
    consumer = EventConsumer(unique, database=database, nats=nats, fetch_timeout=0.2, retry_base=0.05)
    await consumer.declare()
    async with running(consumer):
        yield consumer
