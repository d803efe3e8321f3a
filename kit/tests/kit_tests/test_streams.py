"""Streams and consumers are declared idempotently at start, and drift is found."""

from __future__ import annotations

import pytest
from nats.aio.client import Client as NATS
from nats.js.api import RetentionPolicy, StorageType, StreamConfig

from kit.events import ConsumerSpec, StreamSpec, ensure_consumer, ensure_stream
from kit.events.streams import DeclarationDrift


async def test_declaring_twice_finds_no_drift(nats_client: NATS) -> None:
    js = nats_client.jetstream()
    spec = StreamSpec(name="ORDERS", subjects=("orders.>",))
    assert await ensure_stream(js, spec) == {}
    assert await ensure_stream(js, spec) == {}
    consumer = ConsumerSpec(stream="ORDERS", durable="orders-reader", subjects=("orders.*.order.placed.v1",))
    assert await ensure_consumer(js, consumer) == {}
    assert await ensure_consumer(js, consumer) == {}


async def test_business_streams_keep_everything_on_file_with_a_duplicate_window(nats_client: NATS) -> None:
    js = nats_client.jetstream()
    await ensure_stream(js, StreamSpec(name="ORDERS", subjects=("orders.>",)))
    config = (await js.stream_info("ORDERS")).config
    assert config.storage == StorageType.FILE
    assert config.retention == RetentionPolicy.LIMITS
    assert config.duplicate_window == pytest.approx(7200)
    assert not config.max_age


async def test_changed_duplicate_window_is_reported_and_applied(nats_client: NATS) -> None:
    js = nats_client.jetstream()
    await ensure_stream(js, StreamSpec(name="ORDERS", subjects=("orders.>",)))
    found = await ensure_stream(js, StreamSpec(name="ORDERS", subjects=("orders.>",), duplicate_window=600))
    assert set(found) == {"duplicate_window"}
    assert (await js.stream_info("ORDERS")).config.duplicate_window == pytest.approx(600)


async def test_stream_with_other_storage_is_refused(nats_client: NATS) -> None:
    js = nats_client.jetstream()
    await js.add_stream(StreamConfig(name="ORDERS", subjects=["orders.>"], storage=StorageType.MEMORY))
    with pytest.raises(DeclarationDrift, match="storage"):
        await ensure_stream(js, StreamSpec(name="ORDERS", subjects=("orders.>",)))


async def test_consumer_drift_is_reported_and_applied(nats_client: NATS) -> None:
    js = nats_client.jetstream()
    await ensure_stream(js, StreamSpec(name="ORDERS", subjects=("orders.>",)))
    await ensure_consumer(js, ConsumerSpec(stream="ORDERS", durable="reader", subjects=("orders.>",), max_deliver=5))
    found = await ensure_consumer(
        js, ConsumerSpec(stream="ORDERS", durable="reader", subjects=("orders.>",), max_deliver=8)
    )
    assert set(found) == {"max_deliver"}
    assert (await js.consumer_info("ORDERS", "reader")).config.max_deliver == 10
