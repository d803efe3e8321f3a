"""Event lag from commit to consumer effect at a steady rate, against raw JetStream publish → receive.

Ours: the producer (this process) commits one event per transaction, open loop at 500 events/s: the
tenant set and the outbox row ``record_event`` writes, in plain asyncpg so that the load generator
leaves the CPU to what it measures (``--orm-producer``: through ``Database.transaction`` and
``record_event``, three times the producer's CPU). A worker process (this script with ``--role worker``)
runs the kit's ``Worker``: the outbox relay and an ``EventConsumer`` whose ``lean_handler`` inserts one
row in the event's transaction (``--orm-handler``: a handler on the ORM session). A deferred trigger notes
the database's clock as each producer transaction commits, and PostgreSQL's commit timestamps
(``track_commit_timestamp``) tell when each effect row committed; lag = effect commit − event commit,
joined by event id, and split at the time JetStream stored the event. The CPU each part used is printed
too: on 2 cores the producer, the worker and PostgreSQL compete for the same CPU.

Baseline: the same rate of ``js.publish`` from this process to a durable pull consumer in a second
process (``--role raw``) that fetches one message at a time, no database: the transport's floor.

    .venv/bin/python bench/bench_event_lag.py [--quick] [--rate 500] [--seconds 10] [--orm-producer] [--orm-handler]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import uvloop
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import Column, MetaData, Table, Text, Uuid, bindparam, insert

from bench.common import (
    PYTHON,
    BenchDatabase,
    BenchServers,
    bench_servers,
    cpu_seconds,
    execute_as,
    percentile,
    print_header,
    print_table,
    quiet_logging,
    stop_process,
    tenants_database,
    verdict,
)
from kit.db.database import TENANT_SETTING, Database, TenantConnection, TenantSession
from kit.db.rls import rls_statements
from kit.events import CloudEvent, StreamSpec, Subscription, ensure_stream, new_event, record_event
from kit.nats import connect
from kit.runtime import run
from kit.settings import Environment
from kit.telemetry import configure_tracing
from kit.worker import Worker
from tenants.events.published import TENANT_CREATED
from tenants.settings import SERVICE, TenantsSettings

TARGET_P99_MS = 50.0
PRODUCER_CONNECTIONS = 10
SET_TENANT_SQL = f"SELECT set_config('{TENANT_SETTING}', $1, true)"
WRITE_EVENT_SQL = "INSERT INTO outbox (tenant_id, event_id, subject, payload) VALUES ($1, $2, $3, $4)"
WRITE_EFFECT_SQL = "INSERT INTO bench_effects (tenant_id, event_id) VALUES ($1, $2)"
TENANTS = ("artland", "oldenburg", "bersenbrueck", "fuerstenau")
WARMUP_SECONDS = 1.0
DRAIN_SECONDS = 30.0
RAW_STREAM = StreamSpec(name="BENCHRAW", subjects=("benchraw.>",))
RAW_DURABLE = "bench-raw"

effects = Table(
    "bench_effects",
    MetaData(),
    Column("tenant_id", Text, primary_key=True),
    Column("event_id", Uuid, primary_key=True),
)
EFFECTS_SQL = [
    "CREATE TABLE bench_effects (tenant_id text NOT NULL, event_id uuid NOT NULL, "
    "CONSTRAINT pk_bench_effects PRIMARY KEY (tenant_id, event_id))",
    *rls_statements("bench_effects"),
    # The database's clock at each commit, noted by deferred triggers (they run while the transaction
    # commits), so neither process's event loop delays a timestamp.
    "CREATE TABLE bench_commit_times (kind text NOT NULL, event_id uuid NOT NULL, at double precision NOT NULL, "
    "PRIMARY KEY (kind, event_id))",
    """
    CREATE FUNCTION bench_note_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO bench_commit_times VALUES (TG_ARGV[0], NEW.event_id, extract(epoch FROM clock_timestamp()));
        RETURN NULL;
    END $$
    """,
    "CREATE CONSTRAINT TRIGGER bench_outbox_committed AFTER INSERT ON outbox DEFERRABLE INITIALLY DEFERRED "
    "FOR EACH ROW EXECUTE FUNCTION bench_note_commit('commit')",
]
# The consumer's commits are read from PostgreSQL's own commit timestamps of the effect rows (no trigger in the
# measured path); the producer's outbox rows are updated by the relay, so their commit is noted by a trigger.
EFFECT_TIMES_SQL = (
    "SELECT event_id::text, extract(epoch FROM pg_xact_commit_timestamp(xmin))::float8 FROM bench_effects"
)


@dataclass(frozen=True)
class Lags:
    """Latencies in milliseconds of the measured (post-warm-up) events, and how many never arrived."""

    label: str
    values: list[float]
    missing: int

    def row(self) -> list[object]:
        """Label, counts, p50, p95, p99 and max, for the table."""
        v = self.values
        return [self.label, len(v), self.missing, *(percentile(v, q) for q in (50, 95, 99)), max(v)]


def make_event(index: int) -> CloudEvent:
    """The ``index``-th tenant-created event, the tenants taking turns."""
    tenant = TENANTS[index % len(TENANTS)]
    return new_event(
        service=SERVICE, type=TENANT_CREATED, tenant_id=tenant, subject=tenant, data={"id": tenant, "n": index}
    )


async def open_loop(rate: float, count: int, send: Any) -> None:
    """Call ``send(i)`` for i in 0..count at ``rate`` per second on a fixed schedule, never waiting for one."""
    started = time.perf_counter()
    tasks: list[asyncio.Task[None]] = []
    for index in range(count):
        delay = started + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(index)))
    await asyncio.gather(*tasks)


# --- the producer side -------------------------------------------------------------------------


async def produce_commits(runtime_url: str, rate: float, count: int) -> dict[str, int]:
    """Commit one event per transaction at ``rate`` through the kit's ORM session; return event id → index."""
    database = Database(runtime_url, pool_size=PRODUCER_CONNECTIONS)
    committed: dict[str, int] = {}

    async def send(index: int) -> None:
        cloud_event = make_event(index)
        async with database.transaction(cloud_event.tenantid) as session:
            await record_event(session, cloud_event)
        committed[cloud_event.id] = index

    try:
        await open_loop(rate, count, send)
    finally:
        await database.dispose()
    return committed


async def produce_plain_commits(runtime_url: str, rate: float, count: int) -> dict[str, int]:
    """Commit one event per transaction at ``rate`` with plain asyncpg; return event id → index.

    Each transaction sets the tenant and writes the outbox row ``record_event`` writes, with a third of
    the CPU the ORM session takes: on a small machine the load generator would otherwise starve the
    relay and the consumer it measures.
    """
    idle: asyncio.Queue[asyncpg.Connection] = asyncio.Queue()
    for _ in range(PRODUCER_CONNECTIONS):
        idle.put_nowait(await asyncpg.connect(runtime_url))
    committed: dict[str, int] = {}

    async def send(index: int) -> None:
        cloud_event = make_event(index)
        values = (cloud_event.tenantid, cloud_event.id, cloud_event.nats_subject, cloud_event.to_json())
        conn = await idle.get()
        try:
            async with conn.transaction():
                await conn.execute(SET_TENANT_SQL, cloud_event.tenantid)
                await conn.execute(WRITE_EVENT_SQL, *values)
        finally:
            idle.put_nowait(conn)
        committed[cloud_event.id] = index

    try:
        await open_loop(rate, count, send)
    finally:
        while not idle.empty():
            await idle.get_nowait().close()
    return committed


async def commit_times(owner_url: str, kind: str) -> dict[str, float]:
    """Event id → the database's clock when the event's transaction (of ``kind``) committed."""
    conn = await asyncpg.connect(owner_url)
    try:
        if kind == "effect":
            rows = []
            for tenant in TENANTS:  # the effect table is a tenant table like any other
                async with conn.transaction():
                    await conn.execute(SET_TENANT_SQL, tenant)
                    rows += await conn.fetch(EFFECT_TIMES_SQL)
        else:
            rows = await conn.fetch("SELECT event_id::text, at FROM bench_commit_times WHERE kind = $1", kind)
    finally:
        await conn.close()
    return {row[0]: row[1] for row in rows}


async def produce_raw(nats_url: str, rate: float, count: int) -> dict[str, tuple[int, float]]:
    """Publish one event at a time with ``js.publish`` at ``rate``; return event id → (index, wall time before)."""
    nc = await connect(nats_url, name="bench-lag-producer")
    js = nc.jetstream()
    sent: dict[str, tuple[int, float]] = {}

    async def send(index: int) -> None:
        event = make_event(index)
        sent[event.id] = (index, time.time())
        await js.publish(f"benchraw.{event.tenantid}", event.to_json(), headers={"Nats-Msg-Id": event.id})

    try:
        await open_loop(rate, count, send)
    finally:
        await nc.drain()
    return sent


async def stored_times(nats_url: str, stream: str) -> dict[str, float]:
    """Event id → wall time JetStream stored it, read back from the stream after the run."""
    nc = await connect(nats_url, name="bench-lag-reader")
    stored: dict[str, float] = {}
    try:
        js = nc.jetstream()
        total = (await js.stream_info(stream)).state.messages
        psub = await js.pull_subscribe(">", stream=stream)
        while len(stored) < total:
            for msg in await psub.fetch(min(1000, total - len(stored)), timeout=5.0):
                stored[(msg.headers or {}).get("Nats-Msg-Id", "")] = msg.metadata.timestamp.timestamp()
                await msg.ack()
        await psub.unsubscribe()
    finally:
        await nc.drain()
    return stored


def lags(label: str, started: dict[str, tuple[int, float]], arrived: dict[str, float], skip: int) -> Lags:
    """Arrival − start per event id, leaving out the first ``skip`` (warm-up) events by index."""
    values = [(arrived[i] - t) * 1000 for i, (n, t) in started.items() if n >= skip and i in arrived]
    missing = sum(1 for i, (n, _) in started.items() if n >= skip and i not in arrived)
    return Lags(label, values, missing)


# --- the consumer side (child processes) -------------------------------------------------------


class Recorder:
    """Arrival wall times by event id (the worker uses them only to know when all arrived), written at the end."""

    def __init__(self, out: Path, expect: int) -> None:
        self.out = out
        self.expect = expect
        self.times: dict[str, float] = {}
        self.done = asyncio.Event()

    def note(self, event_id: str) -> None:
        """Note one arrival now."""
        self.times[event_id] = time.time()
        if len(self.times) >= self.expect:
            self.done.set()

    def ready(self) -> None:
        """Tell the producer (which polls for this file) that receiving has begun."""
        self.out.with_suffix(".ready").touch()

    def write(self) -> None:
        """Write the arrivals for the producer to read."""
        self.out.write_text(json.dumps(self.times))


async def wait_until_done(recorder: Recorder, deadline: float) -> None:
    """Wait until every expected arrival is noted, SIGTERM comes, or ``deadline`` seconds pass."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    waits = [asyncio.ensure_future(recorder.done.wait()), asyncio.ensure_future(stop.wait())]
    await asyncio.wait(waits, timeout=deadline, return_when=asyncio.FIRST_COMPLETED)
    for waiting in waits:
        waiting.cancel()


async def run_worker(args: argparse.Namespace) -> None:
    """Run the kit's Worker (relay + one consumer) until every expected effect is recorded."""
    configure_tracing("bench-lag-worker")
    recorder = Recorder(Path(args.out), args.expect)
    note_effect = insert(effects).values(tenant_id=bindparam("tenant_id"), event_id=bindparam("event_id"))

    # Both note the arrival only to know when to stop (the stop lets the last transaction commit); the
    # effect's commit time is noted by the database's trigger.
    async def handle(session: TenantSession, cloud_event: CloudEvent) -> None:
        await session.execute(note_effect, {"tenant_id": cloud_event.tenantid, "event_id": cloud_event.id})
        recorder.note(cloud_event.id)

    async def handle_lean(connection: TenantConnection, cloud_event: CloudEvent) -> None:
        await connection.execute(WRITE_EFFECT_SQL, cloud_event.tenantid, uuid.UUID(cloud_event.id))
        recorder.note(cloud_event.id)

    settings = TenantsSettings(
        environment=Environment.DEVELOPMENT, database_url=args.database_url, nats_url=args.nats_url
    )
    subscription = Subscription(
        durable="bench-lag",
        stream=SERVICE.upper(),
        subjects=("tenants.*.tenant.created.v1",),
        handler=handle if args.handler == "orm" else None,
        lean_handler=handle_lean if args.handler == "lean" else None,
    )
    worker = Worker(service=SERVICE, settings=settings, subscriptions=[subscription])
    await worker.start()
    for consumer in worker.consumers:
        await consumer.declare()
    recorder.ready()
    try:
        await wait_until_done(recorder, args.deadline)
    finally:
        await worker.stop()
        recorder.write()


async def run_raw(args: argparse.Namespace) -> None:
    """Receive from a durable pull consumer one message at a time, ack, and note the arrival time."""
    recorder = Recorder(Path(args.out), args.expect)
    nc = await connect(args.nats_url, name="bench-lag-raw")
    js = nc.jetstream()
    await ensure_stream(js, RAW_STREAM)
    config = ConsumerConfig(
        durable_name=RAW_DURABLE, ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL, ack_wait=30
    )
    await js.add_consumer(RAW_STREAM.name, config)
    psub = await js.pull_subscribe_bind(durable=RAW_DURABLE, stream=RAW_STREAM.name)

    async def receive() -> None:
        while True:
            with suppress(TimeoutError):
                for msg in await psub.fetch(1, timeout=1.0):
                    event_id = (msg.headers or {}).get("Nats-Msg-Id", "")
                    recorder.note(event_id)
                    await msg.ack()

    receiving = asyncio.create_task(receive())
    recorder.ready()
    try:
        await wait_until_done(recorder, args.deadline)
    finally:
        receiving.cancel()
        with suppress(asyncio.CancelledError):
            await receiving
        await nc.drain()
        recorder.write()


# --- orchestration -----------------------------------------------------------------------------


def start_child(
    role: str, workdir: Path, expect: int, deadline: float, **urls: str
) -> tuple[subprocess.Popen[bytes], Path]:
    """Start this script in ``role`` and wait until it is ready to receive."""
    out = workdir / f"{role}.json"
    ready = out.with_suffix(".ready")
    options = [f"--{name.replace('_', '-')}={value}" for name, value in urls.items()]
    log = open(workdir / f"{role}.log", "wb")  # noqa: SIM115 - the child writes it until it ends
    child = subprocess.Popen(
        [
            PYTHON,
            str(Path(__file__).resolve()),
            "--role",
            role,
            f"--out={out}",
            f"--expect={expect}",
            f"--deadline={deadline}",
            *options,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    limit = time.monotonic() + 60
    while not ready.exists():
        if child.poll() is not None or time.monotonic() > limit:
            stop_process(child)
            raise RuntimeError(f"the {role} process did not start; see {workdir / f'{role}.log'}")
        time.sleep(0.05)
    return child, out


def finish_child(child: subprocess.Popen[bytes], out: Path, timeout: float) -> dict[str, float]:
    """Wait for the child to record everything (or ``timeout``); return its arrival times by event id."""
    try:
        child.wait(timeout)
    except subprocess.TimeoutExpired:
        stop_process(child)
    arrived: dict[str, float] = json.loads(out.read_text()) if out.exists() else {}
    return arrived


@dataclass(frozen=True)
class CpuUse:
    """CPU each part used while the producer committed, the rate it achieved, and the worker's catch-up time."""

    wall: float
    seconds: dict[str, float]
    committed_rate: float
    drain: float

    def lines(self) -> list[str]:
        """Two lines for the report."""
        parts = ", ".join(f"{name} {100 * used / self.wall:.0f} %" for name, used in self.seconds.items())
        total = sum(self.seconds.values()) / self.wall
        return [
            f"committed {self.committed_rate:,.0f} events/s; the last effect committed {self.drain:.2f} s after "
            "the last event",
            f"CPU while committing ({self.wall:.1f} s): {parts}; together {total:.2f} of {os.cpu_count()} cores",
        ]


def measure_worker(
    servers: BenchServers,
    database: BenchDatabase,
    rate: float,
    count: int,
    skip: int,
    *,
    orm_producer: bool,
    handler: str,
) -> tuple[list[Lags], CpuUse]:
    """Commit at ``rate`` while a worker process relays and consumes; lags overall, and split at the stream."""
    nats_url = servers.nats_url
    child, out = start_child(
        "worker",
        servers.workdir,
        count,
        count / rate + 60,
        nats_url=nats_url,
        database_url=database.runtime_url,
        handler=handler,
    )

    def usage() -> dict[str, float]:
        return {
            "producer": time.process_time(),
            "worker": cpu_seconds(child.pid),
            "postgres": cpu_seconds(servers.postgres_pid, with_children=True),
            "nats": cpu_seconds(servers.nats_pid),
        }

    try:
        before, started = usage(), time.perf_counter()
        # uvloop, as under uvicorn: the producer stands in for the services' API processes.
        produce = produce_commits if orm_producer else produce_plain_commits
        indexes = uvloop.run(produce(database.runtime_url, rate, count))
        after, produced = usage(), time.perf_counter()
        finish_child(child, out, DRAIN_SECONDS)
    finally:
        stop_process(child)
    commit_at = asyncio.run(commit_times(database.owner_url, "commit"))
    effected = asyncio.run(commit_times(database.owner_url, "effect"))
    committed = {i: (n, commit_at[i]) for i, n in indexes.items() if i in commit_at}
    drain = max(effected.values(), default=0.0) - max(commit_at.values(), default=0.0)
    span = max(commit_at.values(), default=0.0) - min(commit_at.values(), default=0.0)
    achieved = (len(commit_at) - 1) / span if span > 0 else 0.0
    cpu = CpuUse(produced - started, {name: after[name] - before[name] for name in before}, achieved, drain)
    stored = asyncio.run(stored_times(nats_url, SERVICE.upper()))
    by_store = {i: (committed[i][0], t) for i, t in stored.items() if i in committed}
    return [
        lags("commit → relay → consumer effect", committed, effected, skip),
        lags("  of which commit → stored in JetStream", committed, stored, skip),
        lags("  of which stored → consumer effect", by_store, effected, skip),
    ], cpu


def measure(
    servers: BenchServers, database: BenchDatabase, rate: float, seconds: float, *, orm_producer: bool, handler: str
) -> int:
    """Measure the raw baseline, then the kit's path; print the table and the verdict."""
    count = int(rate * (seconds + WARMUP_SECONDS))
    skip = int(rate * WARMUP_SECONDS)

    child, out = start_child("raw", servers.workdir, count, count / rate + 60, nats_url=servers.nats_url)
    try:
        sent = uvloop.run(produce_raw(servers.nats_url, rate, count))
        raw = lags("raw js.publish → pull fetch(1)", sent, finish_child(child, out, DRAIN_SECONDS), skip)
    finally:
        stop_process(child)
    ours, cpu = measure_worker(servers, database, rate, count, skip, orm_producer=orm_producer, handler=handler)

    print(f"   {rate:,.0f} events/s for {seconds:.0f} s after {WARMUP_SECONDS:.0f} s of warm-up; latencies in ms")
    if orm_producer:
        print("   producer: Database.transaction + record_event (the kit's ORM session), one event per commit")
    else:
        print("   producer: plain asyncpg, one event per commit, the outbox row record_event writes (--orm-producer:")
        print("   through the kit's ORM session, which takes three times the producer's CPU)")
    if handler == "lean":
        print("   consumer: a lean_handler inserting the effect row on Database.lean_transaction (--orm-handler: a")
        print("   handler on the ORM session, three times the CPU per transaction)")
    else:
        print("   consumer: a handler on the kit's ORM session inserting the effect row")
    rows = [lag.row() for lag in (raw, *ours) if lag.values]
    print_table(["path", "events", "missing", "p50", "p95", "p99", "max"], rows)
    for line in cpu.lines():
        print(f"   {line}")
    if not ours[0].values or not raw.values:
        return verdict(False, "no events arrived; see the child logs")
    p99, base99 = percentile(ours[0].values, 99), percentile(raw.values, 99)
    print(f"   p99 ratio ours / raw: {p99 / base99:.1f}")
    kept_rate = cpu.committed_rate >= 0.95 * rate
    if not kept_rate:
        print(f"   the producer did not keep {rate:,.0f} commits/s on this machine: the figure is for a lower rate")
    return verdict(
        p99 <= TARGET_P99_MS and ours[0].missing == 0 and kept_rate,
        f"commit → effect p99 {p99:.1f} ms at {cpu.committed_rate:,.0f} committed events/s "
        f"(target ≤ {TARGET_P99_MS:.0f} ms at {rate:,.0f}/s), raw JetStream p99 {base99:.1f} ms, "
        f"{ours[0].missing} missing",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Measure commit → effect lag against raw JetStream latency and print the verdict."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5 s instead of 10 s")
    parser.add_argument("--rate", type=float, default=500.0, help="events per second")
    parser.add_argument("--seconds", type=float, help="measured seconds (default 10, 5 with --quick)")
    parser.add_argument("--orm-producer", action="store_true", help="commit through Database.transaction")
    parser.add_argument("--orm-handler", action="store_true", help="consume with a handler on the ORM session")
    parser.add_argument("--handler", choices=["lean", "orm"], default="lean", help=argparse.SUPPRESS)
    parser.add_argument("--role", choices=["main", "worker", "raw"], default="main", help=argparse.SUPPRESS)
    for hidden in ("--out", "--nats-url", "--database-url"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    parser.add_argument("--expect", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--deadline", type=float, default=60.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.role != "main":
        quiet_logging()
        # uvloop, as the kit runs its workers (``kit.runtime.run``); the raw receiver gets the same.
        run(run_raw(args) if args.role == "raw" else run_worker(args))
        return 0
    seconds = args.seconds or (5.0 if args.quick else 10.0)
    print_header(
        "Event lag: commit → consumer effect",
        f"p99 ≤ {TARGET_P99_MS:.0f} ms at {args.rate:,.0f} events/s (relay and consumer in a worker process)",
    )
    with bench_servers("lag", postgres_settings={"track_commit_timestamp": "on"}) as servers:
        database = tenants_database(servers.admin_url)
        asyncio.run(execute_as(database.owner_url, *EFFECTS_SQL))
        handler = "orm" if args.orm_handler else "lean"
        return measure(servers, database, args.rate, seconds, orm_producer=args.orm_producer, handler=handler)


if __name__ == "__main__":
    sys.exit(main())
