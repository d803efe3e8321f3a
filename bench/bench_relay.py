"""Relay throughput (commit → PubAck) against plain concurrent ``js.publish`` of the same events.

Baseline: N CloudEvents published with ``js.publish`` by 64 concurrent tasks, each with ``Nats-Msg-Id``.
Ours: the same N events committed into the outbox through ``record_event`` beforehand, then
``OutboxRelay.relay_once()`` called until the outbox is empty, for several batch sizes, and at the
default batch size also with the published rows a relay keeps for ``published_retention`` (an hour)
still in the table, as in steady state. Each run publishes into a fresh stream, which must hold
exactly N messages afterwards (nothing lost, nothing doubled).

    .venv/bin/python bench/bench_relay.py [--quick] [--events N] [--batch-sizes 256,512,1024]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from bench.common import (
    BenchDatabase,
    bench_servers,
    execute_as,
    median,
    print_header,
    print_table,
    tenants_database,
    verdict,
)
from kit.db.database import RELAY_SETTING, Database
from kit.events import CloudEvent, OutboxRelay, ensure_stream, new_event, record_event, service_stream
from kit.nats import connect
from kit.settings import ServiceSettings
from kit.telemetry import configure_tracing
from tenants.events.published import TENANT_CREATED

SERVICE = "tenants"
STREAM = service_stream(SERVICE)
TENANTS = ("artland", "oldenburg", "bersenbrueck", "fuerstenau")
IN_FLIGHT = 64
TARGET = 0.25
TRANSACTION_SIZE = 500
DEFAULT_BATCH = ServiceSettings.model_fields["relay_batch_size"].default
SNAPSHOT = "bench_outbox_snapshot"
# The owner is subject to the outbox's forced RLS as well; the relay's setting opens it for maintenance.
_AS_RELAY = (f"SELECT set_config('{RELAY_SETTING}', 'on', false)",)


@dataclass(frozen=True)
class Run:
    """One timed run: how many events in how many seconds."""

    label: str
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds


@dataclass(frozen=True)
class RelayConfig:
    """The relay's batch size, and how many already-published rows the outbox holds."""

    batch_size: int
    history: int = 0

    @property
    def label(self) -> str:
        retained = f", {self.history:,} published rows retained" if self.history else ""
        return f"OutboxRelay, batch {self.batch_size}{retained}"


def make_events(count: int) -> list[CloudEvent]:
    """``count`` tenant-created events of about 300 bytes, spread over a few tenants."""
    return [
        new_event(
            service=SERVICE,
            type=TENANT_CREATED,
            tenant_id=TENANTS[i % len(TENANTS)],
            subject=TENANTS[i % len(TENANTS)],
            data={"id": TENANTS[i % len(TENANTS)], "name": f"Samtgemeinde Benchmark {i:08d}"},
        )
        for i in range(count)
    ]


async def fresh_stream(js: JetStreamContext) -> None:
    """Delete and recreate the stream, so its count (and its duplicate window) starts from zero."""
    with suppress(NotFoundError):
        await js.delete_stream(STREAM.name)
    await ensure_stream(js, STREAM)


async def stream_count(js: JetStreamContext) -> int:
    """How many messages the stream holds."""
    info = await js.stream_info(STREAM.name)
    return int(info.state.messages)


async def plain_publish(nc: NATS, events: Sequence[CloudEvent]) -> Run:
    """Publish every event with ``js.publish`` from ``IN_FLIGHT`` concurrent tasks."""
    js = nc.jetstream(timeout=5.0)
    await fresh_stream(js)
    messages = [(event.nats_subject, event.to_json(), event.id) for event in events]
    pending = iter(messages)

    async def publisher() -> None:
        for subject, payload, event_id in pending:
            await js.publish(subject, payload, headers={"Nats-Msg-Id": event_id})

    started = time.perf_counter()
    await asyncio.gather(*(publisher() for _ in range(IN_FLIGHT)))
    seconds = time.perf_counter() - started
    await _expect_count(js, len(events), "plain publish")
    return Run(f"plain js.publish, {IN_FLIGHT} in flight", len(events), seconds)


async def fill_outbox(database: BenchDatabase, events: Sequence[CloudEvent]) -> float:
    """Commit ``events`` through ``record_event``, ``TRANSACTION_SIZE`` per transaction, and keep a copy of the rows."""
    db = Database(database.runtime_url, pool_size=2)
    started = time.perf_counter()
    try:
        for tenant in TENANTS:
            mine = [event for event in events if event.tenantid == tenant]
            for start in range(0, len(mine), TRANSACTION_SIZE):
                async with db.transaction(tenant) as session:
                    for event in mine[start : start + TRANSACTION_SIZE]:
                        await record_event(session, event)
    finally:
        await db.dispose()
    seconds = time.perf_counter() - started
    await execute_as(database.owner_url, *_AS_RELAY, f"CREATE TABLE {SNAPSHOT} AS SELECT * FROM outbox")
    return seconds


async def restore_outbox(database: BenchDatabase, history: int) -> None:
    """Put the committed rows back, all unpublished, behind ``history`` already-published rows (as the owner)."""
    await execute_as(
        database.owner_url,
        *_AS_RELAY,
        "TRUNCATE outbox",
        # Rows published in the last half hour, older (lower ids) than the backlog, as the relay keeps them.
        "INSERT INTO outbox (tenant_id, id, event_id, subject, payload, created_at, published_at, attempts) "
        f"OVERRIDING SYSTEM VALUE SELECT s.tenant_id, x.k - {history} - 1, gen_random_uuid(), s.subject, s.payload, "
        "now() - interval '30 minutes', now() - interval '30 minutes', 0 "
        f"FROM generate_series(1, {history}) AS x(k) JOIN "
        f"(SELECT *, row_number() OVER (ORDER BY id) - 1 AS r FROM {SNAPSHOT}) AS s "
        f"ON s.r = (x.k - 1) % (SELECT count(*) FROM {SNAPSHOT})",
        f"INSERT INTO outbox OVERRIDING SYSTEM VALUE SELECT * FROM {SNAPSHOT}",
        "VACUUM ANALYZE outbox",
    )


async def relay_outbox(database: BenchDatabase, nc: NATS, count: int, config: RelayConfig) -> Run:
    """Time ``relay_once()`` from the first claim until the outbox is empty."""
    await restore_outbox(database, config.history)
    js = nc.jetstream()
    await fresh_stream(js)
    relay = OutboxRelay(service=SERVICE, database_url=database.runtime_url, nats=nc, batch_size=config.batch_size)
    try:
        backlog = await relay.backlog()
        if backlog != count:
            raise RuntimeError(f"outbox holds {backlog} unsent events, expected {count}")
        sent = 0
        started = time.perf_counter()
        while batch := await relay.relay_once():
            sent += batch
        seconds = time.perf_counter() - started
    finally:
        # stop() then run(): the loop ends at once and closes the relay's connections.
        relay.stop()
        await relay.run()
    if sent != count:
        raise RuntimeError(f"relay acknowledged {sent} events, expected {count}")
    await _expect_count(js, count, config.label)
    return Run(config.label, sent, seconds)


async def _expect_count(js: JetStreamContext, count: int, what: str) -> None:
    found = await stream_count(js)
    if found != count:
        raise RuntimeError(f"{what}: the stream holds {found} messages, expected exactly {count}")


async def measure(
    database: BenchDatabase, nats_url: str, count: int, configs: Sequence[RelayConfig], rounds: int
) -> int:
    """Run the baseline and every relay configuration in interleaved rounds; print the table and verdict."""
    # As in a worker process: asyncpg is instrumented (spans are no-ops without an exporter).
    configure_tracing("bench-relay")
    events = make_events(count)
    results: dict[str, list[tuple[Run, float]]] = {}
    nc = await connect(nats_url, name="bench-relay")
    try:
        committed = await fill_outbox(database, events)
        await plain_publish(nc, events[: min(count, 2000)])  # warm-up: connection, server, code paths
        # Rounds interleave every configuration with a fresh baseline, so a change in the machine's
        # load hits all of them alike; each run is compared with its own round's baseline.
        for _ in range(rounds):
            baseline = await plain_publish(nc, events)
            results.setdefault(baseline.label, []).append((baseline, 1.0))
            for config in configs:
                run = await relay_outbox(database, nc, count, config)
                results.setdefault(config.label, []).append((run, run.rate / baseline.rate))
    finally:
        await nc.drain()

    print(
        f"   {count:,} events of {len(events[0].to_json())} bytes, committed through record_event in "
        f"{committed:.1f} s ({count / committed:,.0f}/s, {TRANSACTION_SIZE} per transaction, untimed below)"
    )
    print(f"   {rounds} round(s); per configuration the median msgs/s and the median ratio to its round's baseline")
    summary = {
        label: (median([run.rate for run, _ in runs]), median([ratio for _, ratio in runs]))
        for label, runs in results.items()
    }
    print_table(["run", "msgs/s", "× baseline"], [[label, rate, ratio] for label, (rate, ratio) in summary.items()])
    clean = [c for c in configs if not c.history]
    best = max(clean, key=lambda c: summary[c.label][1])
    print(f"   best batch size on a fresh outbox: {best.batch_size} = {summary[best.label][1]:.2f} × baseline")
    judged = [c for c in configs if c.batch_size == DEFAULT_BATCH]
    worst = min(judged, key=lambda c: summary[c.label][1])
    rate, ratio = summary[worst.label]
    return verdict(
        ratio >= TARGET,
        f"relay at the default relay_batch_size {DEFAULT_BATCH}, worst case ({worst.label}): "
        f"{rate:,.0f} msgs/s = {ratio:.2f} × plain js.publish (target ≥ {TARGET})",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Measure relay throughput against plain publishing and print the verdict."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer events and one round, for a smoke run")
    parser.add_argument("--events", type=int, help="events per run (default 10000, 3000 with --quick)")
    parser.add_argument("--batch-sizes", default="256,512,1024", help="relay batch sizes to try")
    parser.add_argument("--history", type=int, help="published rows retained (default 10 × events)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 2, 1 with --quick)")
    args = parser.parse_args(argv)
    count = args.events or (3000 if args.quick else 10000)
    history = args.history if args.history is not None else 10 * count
    rounds = args.rounds or (1 if args.quick else 2)
    configs = [RelayConfig(int(size)) for size in args.batch_sizes.split(",")]
    configs.append(RelayConfig(DEFAULT_BATCH, history))
    print_header(
        "Relay throughput: commit → PubAck",
        f"OutboxRelay ≥ {TARGET} × plain concurrent js.publish ({IN_FLIGHT} in flight) of the same events",
    )
    with bench_servers("relay") as servers:
        database = tenants_database(servers.admin_url)
        return asyncio.run(measure(database, servers.nats_url, count, configs, rounds))


if __name__ == "__main__":
    sys.exit(main())
