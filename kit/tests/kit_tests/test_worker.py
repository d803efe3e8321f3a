"""A worker process declares its streams, relays its outbox and reports its gauges."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from prometheus_client import REGISTRY

from kit.db.database import Database
from kit.events import Subscription
from kit.settings import Environment, ServiceSettings
from kit.testing.events import eventually
from kit.testing.infra import InfraServers, ScratchDatabase
from kit.worker import Worker, probe_app

from .sample import SERVICE, STREAM, commit_note, record_effect


@pytest.fixture
async def worker(sample_db: ScratchDatabase, servers: InfraServers, nats_client: object) -> AsyncIterator[Worker]:
    settings = ServiceSettings(
        service_name=SERVICE,
        environment=Environment.TEST,
        database_url=sample_db.runtime_url,
        nats_url=servers.nats_url,
    )
    subscription = Subscription(durable="kit-worker", stream=STREAM, subjects=(f"{SERVICE}.>",), handler=record_effect)
    running = Worker(service=SERVICE, settings=settings, subscriptions=(subscription,))
    await running.start()
    yield running
    await running.stop()


async def test_worker_relays_and_consumes_and_reports(worker: Worker, database: Database) -> None:
    await commit_note(database, "artland", "through the worker")

    async def consumed() -> bool:
        applied = REGISTRY.get_sample_value(
            "zentrale_events_consumed_total", {"consumer": "kit-worker", "outcome": "applied"}
        )
        return (applied or 0) >= 1

    await eventually(consumed)
    assert worker.nats is not None
    info = await worker.nats.jetstream().stream_info(STREAM)
    assert info.state.messages == 1
    assert {s.config.name for s in await worker.nats.jetstream().streams_info()} >= {STREAM, "DEADLETTERS"}


async def test_worker_probes_answer(worker: Worker) -> None:
    runner = web.AppRunner(probe_app(worker))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
            assert (await http.get("/healthz")).status == 200
            assert (await http.get("/readyz")).status == 200
            text = await (await http.get("/metrics")).text()
    finally:
        await runner.cleanup()
    assert "zentrale_outbox_backlog" in text
    assert "zentrale_dead_letters" in text
