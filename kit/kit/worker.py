"""A service's worker process: outbox relay, consumers and the service's own loops, supervised, with probes.

Each worker serves ``/healthz``, ``/readyz`` and ``/metrics`` on its own small port (no API), and
stops cleanly on SIGTERM/SIGINT: consumers stop fetching, NATS is drained, the relay finishes its batch.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import web
from nats.aio.client import Client as NATS

from kit import metrics
from kit.db.database import Database
from kit.events.consumer import EventConsumer, Subscription
from kit.events.deadletters import count_dead_letters
from kit.events.relay import OutboxRelay
from kit.events.streams import StreamSpec, dead_letter_stream, ensure_stream, service_stream
from kit.logging import configure_logging
from kit.nats import connect
from kit.runtime import run, tune_garbage_collection
from kit.settings import ServiceSettings
from kit.telemetry import configure_tracing

log = logging.getLogger("kit.worker")


class BackgroundLoop(Protocol):
    """A service's own long-running loop beside the relay and the consumers (e.g. a dispatcher).

    ``run`` works until ``stop`` is called and then returns; the worker runs it again if it raises.
    """

    @property
    def name(self) -> str: ...

    async def run(self) -> None: ...

    def stop(self) -> None: ...


class PeriodicLoop:
    """A loop that does a round at once and then one every ``every`` seconds, until stopped.

    Subclasses implement ``run_once``; a round that fails escapes to ``supervise``, which runs the loop
    again after a growing delay.
    """

    name = "periodic"

    def __init__(self, *, every: float) -> None:
        self.every = every
        self._stopping = asyncio.Event()

    def stopping(self) -> bool:
        """Whether ``stop`` was called (a method: a round checks it again after each await)."""
        return self._stopping.is_set()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            await self.run_once()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.every)

    async def run_once(self) -> int:
        """Do one round; how much was done (for logs and tests)."""
        raise NotImplementedError


LoopFactory = Callable[["Worker"], BackgroundLoop]
"""Builds a loop once the worker has its database and NATS connection."""


async def supervise(loop: BackgroundLoop, *, max_delay: float = 30.0) -> None:
    """Run ``loop`` until it returns; after a failure, log it and run it again after a growing delay."""
    failures = 0
    while True:
        try:
            await loop.run()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - a background loop must outlive any failure
            failures += 1
            delay = min(max_delay, 0.5 * 2 ** min(failures, 8))
            log.error("worker.loop.failed", extra={"loop": loop.name, "error": repr(error), "delay": delay})
            await asyncio.sleep(delay)
        else:
            return


@dataclass
class Worker:
    """Everything one worker process runs; ``start`` and ``stop`` are usable from tests as well."""

    service: str
    settings: ServiceSettings
    subscriptions: Sequence[Subscription] = ()
    extra_streams: Sequence[StreamSpec] = ()
    loops: Sequence[LoopFactory] = ()
    nats: NATS | None = None
    database: Database | None = None
    relay: OutboxRelay | None = None
    consumers: list[EventConsumer] = field(default_factory=list)
    background: list[BackgroundLoop] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        url = self.settings.database_url.get_secret_value()
        self.nats = await connect(self.settings.nats_url, name=f"{self.service}-worker")
        js = self.nats.jetstream()
        replicas = self.settings.stream_replicas
        for spec in (service_stream(self.service, replicas=replicas), dead_letter_stream(replicas=replicas)):
            await ensure_stream(js, spec)
        consumed = {sub.stream.lower() for sub in self.subscriptions} - {self.service}
        for producer in sorted(consumed):
            await ensure_stream(js, service_stream(producer, replicas=replicas))
        for spec in self.extra_streams:
            await ensure_stream(js, spec)
        self.database = Database(url, pool_size=self.settings.db_pool_size)
        self.relay = OutboxRelay(
            service=self.service,
            database_url=url,
            nats=self.nats,
            batch_size=self.settings.relay_batch_size,
            linger=self.settings.relay_linger,
        )
        self.consumers = [
            EventConsumer(s, database=self.database, nats=self.nats, batch_wait=self.settings.event_batch_wait)
            for s in self.subscriptions
        ]
        self._tasks = [asyncio.create_task(self.relay.run(), name=f"{self.service}-relay")]
        self._tasks += [asyncio.create_task(c.run(), name=c.name) for c in self.consumers]
        self.background = [make(self) for make in self.loops]
        self._tasks += [asyncio.create_task(supervise(loop), name=loop.name) for loop in self.background]
        self._tasks.append(asyncio.create_task(self._observe(), name="observe"))

    async def stop(self) -> None:
        if self.relay is not None:
            self.relay.stop()
        for consumer in self.consumers:
            consumer.stop()
        for loop in self.background:
            loop.stop()
        for task in self._tasks:
            if task.get_name() == "observe":
                task.cancel()
        _, pending = await asyncio.wait(self._tasks, timeout=5) if self._tasks else (set(), set())
        for task in pending:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        if self.nats is not None and not self.nats.is_closed:
            with suppress(Exception):
                await self.nats.drain()
        if self.database is not None:
            await self.database.dispose()

    @property
    def ready(self) -> bool:
        return self.nats is not None and self.nats.is_connected

    async def _observe(self, every: float = 15.0) -> None:
        """Refresh the gauges operators watch: consumer lag and dead letters."""
        while True:
            await asyncio.sleep(every)
            if self.nats is None or not self.nats.is_connected:
                continue
            js = self.nats.jetstream()
            with suppress(Exception):
                metrics.DEAD_LETTERS.labels(self.service).set(await count_dead_letters(js))
                for sub in self.subscriptions:
                    info = await js.consumer_info(sub.stream, sub.durable)
                    metrics.CONSUMER_LAG.labels(sub.durable).set(info.num_pending or 0)


def probe_app(worker: Worker) -> web.Application:
    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        if worker.ready:
            return web.json_response({"status": "ready"})
        return web.json_response(
            {"type": "about:blank", "title": "Service Unavailable", "status": 503, "detail": "NATS not connected"},
            status=503,
            content_type="application/problem+json",
        )

    async def prometheus(_: web.Request) -> web.Response:
        body, _content_type = metrics.exposition()
        return web.Response(body=body, content_type="text/plain", charset="utf-8")

    app = web.Application()
    app.add_routes([web.get("/healthz", healthz), web.get("/readyz", readyz), web.get("/metrics", prometheus)])
    return app


async def serve(worker: Worker, *, port: int) -> None:
    """Run ``worker`` until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runner = web.AppRunner(probe_app(worker), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1" if worker.settings.is_development else "0.0.0.0", port).start()  # noqa: S104
    await worker.start()
    tune_garbage_collection()
    log.info("worker.started", extra={"service": worker.service, "port": port})
    await stop.wait()
    log.info("worker.stopping", extra={"service": worker.service})
    await worker.stop()
    await runner.cleanup()


def run_worker(
    service: str,
    settings: ServiceSettings,
    *,
    port: int,
    subscriptions: Sequence[Subscription] = (),
    loops: Sequence[LoopFactory] = (),
    extra_streams: Sequence[StreamSpec] = (),
) -> None:
    """The entry point of ``python -m <service>.worker``; ``extra_streams`` are streams it reads beside events."""
    configure_logging(f"{service}-worker", level=settings.log_level, json=settings.log_json)
    configure_tracing(f"{service}-worker")
    worker = Worker(
        service=service, settings=settings, subscriptions=subscriptions, extra_streams=extra_streams, loops=loops
    )
    run(serve(worker, port=port))
