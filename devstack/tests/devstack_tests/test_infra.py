"""Our NATS server restarts on the same port with the same store: streams, messages and clients carry on."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from nats.js.api import StorageType, StreamConfig

from devstack.config import StackConfig
from devstack.errors import StartupFailed
from devstack.infra import Infrastructure
from kit.local.postgres import free_port

STREAM = StreamConfig(name="RESTART_TEST", subjects=["restart.>"], storage=StorageType.FILE)


@pytest.fixture
def infra(tmp_path: Path) -> Iterator[Infrastructure]:
    env = {"ZENTRALE_NATS_PORT": str(free_port()), "ZENTRALE_NATS_MONITOR_PORT": str(free_port())}
    started = Infrastructure(StackConfig.from_env(env, home=tmp_path))
    started.start_nats()
    started.wait_nats()
    yield started
    started.stop()


async def test_a_restarted_nats_keeps_its_streams_and_its_clients_reconnect(infra: Infrastructure) -> None:
    assert infra.nats is not None
    assert infra.nats.process is not None
    url, first = infra.nats_url, infra.nats.process
    client = await nats.connect(url, max_reconnect_attempts=-1, reconnect_time_wait=0.1)
    try:
        js = client.jetstream()
        await js.add_stream(STREAM)
        await js.publish("restart.before", b"1")

        await asyncio.to_thread(infra.restart_nats, down_for=0.3)

        assert infra.nats_url == url
        assert first.poll() is not None
        assert infra.nats.process is not first
        assert infra.nats.process.poll() is None
        # The same client, reconnected on its own, publishes into the stream that survived.
        await asyncio.wait_for(js.publish("restart.after", b"2"), timeout=10)
        info = await js.stream_info(STREAM.name or "")
        assert info.state.messages == 2
    finally:
        await client.close()


def test_an_external_nats_is_not_restarted(tmp_path: Path) -> None:
    infra = Infrastructure(StackConfig.from_env({"NATS_URL": "nats://nats.example:4222"}, home=tmp_path))
    infra.start_nats()
    with pytest.raises(StartupFailed, match="not ours to restart"):
        infra.restart_nats()
