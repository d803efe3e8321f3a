"""The metrics service's two figures: call events ingested per second, and a month of one tenant's KPIs by day.

Data: a metrics database migrated as deployed; 20 known tenants (Europe/Berlin), each with a line and a
contract in force (75 % within 30 s, variant 2), and gemeinde-00 as the host that the others granted (its
telephony reports all their calls). Then 10,000,000 calls over the last two years, 500,000 per tenant on
weekdays 7–18, 8 % abandoned, copied in as the superuser and rolled up per tenant and quarter hour by the
service's own rollup statement, as the runtime role.

KPIs: ``GET /v1/tenants/{t}/figures/kpis?from=…&to=…&granularity=day`` for a random tenant and calendar month
of the two years, one request at a time after a warm-up, at the service's HTTP API
(``python -m kit.serve metrics.app:create_app``, a tenant admin's gateway-signed token). Baseline: the same
sums per local day by one hand-written query, prepared once, on a plain asyncpg connection as the superuser.

Ingest: batches of 1,000 events (whole calls of the day so far: offered, answered, ended, or offered and
abandoned; every tenant's lines mixed) posted by 4 concurrent clients for the same time to
``POST /v1/telephony/call-events`` through ``python -m gateway`` with the host telephony's API key
(integration_client, ``calls:write``); every event must be accepted. Baseline: the same batches written
by hand from this process on a plain asyncpg pool as the runtime role: per batch and tenant one
transaction that sets the tenant and inserts the events and their calls (no routing, no merge, no rollup).

Targets: ingest ≥ 10,000 events per second; the month of KPIs p95 ≤ 50 ms at the service. The ratios to the
baselines are reported, not judged.

    .venv/bin/python bench/bench_metrics.py [--quick] [--calls N] [--seconds S] [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import random
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import asyncpg
import orjson
import uvloop

from bench.bench_knowledge_search import database_url, start_gateway
from bench.bench_tenant_read import start_server
from bench.common import (
    BENCH_PASSWORD,
    BenchDatabase,
    BenchServers,
    bench_servers,
    cpu_seconds,
    percentile,
    print_header,
    print_table,
    quiet_logging,
    stop_process,
    verdict,
)
from kit.db.database import TENANT_SETTING, Database
from kit.db.provision import ServiceDatabase, provision
from kit.identity import Identity, InternalTokenSigner, generate_signing_key, jwks, private_key_pem
from kit.local.postgres import free_port
from kit.migrations import upgrade
from metrics.calls import repository
from metrics.calls.service import judged_by
from metrics.directory.repository import contract_versions
from metrics.migrate import MIGRATIONS

TENANT_COUNT = 20
CALLS = 10_000_000
QUICK_CALLS = 400_000
HOST = "gemeinde-00"
KEY_ID = "bench-metrics"
BATCH = 1000
CLIENTS = 4
INGEST_TARGET = 10_000
KPI_TARGET_MS = 50.0
ZONE = ZoneInfo("Europe/Berlin")
SEED = 7
TERMS = {
    "service_level": {"target_percent": 75.0, "threshold_seconds": 30, "variant": 2, "short_abandon_seconds": 0},
    "price": {"model": "per_minute", "cents_per_minute": 115, "annual_base_fee_cents": 0},
}
CALL_COLUMNS = (
    "tenant_id", "call_id", "line", "interval_start", "offered_at", "answered_at", "agent", "abandoned_at",
    "ended_at", "wait_seconds", "talk_seconds", "hold_seconds", "after_call_work_seconds",
)  # fmt: skip
_KPI_BASELINE = """
SELECT date_trunc('day', interval_start AT TIME ZONE 'Europe/Berlin') AS day, sum(offered), sum(answered),
       sum(answered_within_threshold), sum(abandoned), sum(abandoned_within_threshold), sum(short_abandons),
       sum(wait_seconds), sum(handled), sum(talk_seconds), sum(hold_seconds), sum(after_call_work_seconds),
       max(max_wait_seconds)
  FROM call_intervals WHERE tenant_id = $1 AND interval_start >= $2 AND interval_start < $3
 GROUP BY 1 ORDER BY 1
"""
_BASE_EVENTS = """
INSERT INTO call_events (tenant_id, event_id, call_id, type, at, line, agent, talk_seconds, hold_seconds,
                         after_call_work_seconds)
SELECT current_setting('app.tenant_id'), * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[],
       $5::text[], $6::text[], $7::int[], $8::int[], $9::int[])
"""
_BASE_CALLS = """
INSERT INTO calls (tenant_id, call_id, line, interval_start, offered_at)
SELECT current_setting('app.tenant_id'), * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[])
ON CONFLICT DO NOTHING
"""


def tenant_ids() -> list[str]:
    return [f"gemeinde-{n:02d}" for n in range(TENANT_COUNT)]


def line_of(tenant: str) -> str:
    return f"+49441900{tenant[-2:]}"


def metrics_database(admin_url: str) -> tuple[BenchDatabase, str]:
    """Provision and migrate the metrics database as deployed; its superuser URL."""
    spec = ServiceDatabase.for_service("metrics", password=BENCH_PASSWORD)
    asyncio.run(provision(admin_url, spec))
    upgrade(MIGRATIONS, spec.owner_url(admin_url), runtime_role=spec.runtime)
    database = BenchDatabase(spec=spec, runtime_url=spec.runtime_url(admin_url), owner_url=spec.owner_url(admin_url))
    return database, database_url(admin_url, spec.database)


async def add_directory(superuser_url: str) -> None:
    """The tenants, their lines and contracts, and the host's grants, as the tenants events would bring them."""
    conn = await asyncpg.connect(superuser_url)
    try:
        tenants = tenant_ids()
        long_ago = datetime.now(UTC) - timedelta(days=3 * 365)
        await conn.executemany(
            "INSERT INTO known_tenants (tenant_id, name, created_at, version) VALUES ($1, $2, now(), 1)",
            [(t, f"Gemeinde {t[-2:]}") for t in tenants],
        )
        await conn.executemany(
            "INSERT INTO lines (tenant_id, id, kind, address) VALUES ($1, $2, 'number', $3)",
            [(t, uuid.uuid4(), line_of(t)) for t in tenants],
        )
        await conn.executemany(
            "INSERT INTO contract_versions (tenant_id, version, effective_from, terms) VALUES ($1, 1, $2, $3::jsonb)",
            [(t, long_ago, json.dumps(TERMS)) for t in tenants],
        )
        await conn.executemany(
            "INSERT INTO grants (tenant_id, id, grantee_tenant, valid_from) VALUES ($1, $2, $3, $4)",
            [(t, uuid.uuid4(), HOST, long_ago) for t in tenants if t != HOST],
        )
    finally:
        await conn.close()


def _offer_times(rng: random.Random, count: int, now: datetime) -> list[datetime]:
    """``count`` instants on weekdays 7–18 local time over the two years before ``now``."""
    times: list[datetime] = []
    while len(times) < count:
        day = (now - timedelta(days=rng.randrange(730))).astimezone(ZONE).date()
        if day.weekday() >= 5:
            continue
        local = datetime(day.year, day.month, day.day, 7, tzinfo=ZONE) + timedelta(seconds=rng.uniform(0, 11 * 3600))
        if local < now:
            times.append(local.astimezone(UTC))
    return times


def part(number: int, per_tenant: int, now: datetime) -> bytes:
    """The ``number``-th tenant's calls as CSV; the same for the same arguments in whichever process."""
    rng = random.Random(f"{SEED}:{number}")
    tenant = tenant_ids()[number]
    out = io.StringIO()
    rows = csv.writer(out)
    for index, offered in enumerate(_offer_times(rng, per_tenant, now)):
        abandoned = rng.random() < 0.08
        wait = rng.uniform(0, 90) if abandoned else rng.expovariate(1 / 15)
        left = offered + timedelta(seconds=wait)
        talk, hold, wrap = int(rng.gauss(180, 60)) if not abandoned else 0, rng.choice((0, 0, 0, 30)), rng.randrange(90)
        talk = max(talk, 20)
        interval = offered - timedelta(
            minutes=offered.minute % 15, seconds=offered.second, microseconds=offered.microsecond
        )
        ended = None if abandoned else left + timedelta(seconds=talk + hold)
        rows.writerow(
            (tenant, f"{tenant}-{index}", line_of(tenant), interval.isoformat(), offered.isoformat(),
             None if abandoned else left.isoformat(), None if abandoned else f"agent-{rng.randrange(35):02d}",
             left.isoformat() if abandoned else None, ended.isoformat() if ended else None, wait,
             None if abandoned else talk, None if abandoned else hold, None if abandoned else wrap)
        )  # fmt: skip
    return out.getvalue().encode()


async def copy_calls(superuser_url: str, parts: Sequence[Future[bytes]]) -> None:
    conn = await asyncpg.connect(superuser_url)
    try:
        for made in parts:
            data = await asyncio.wrap_future(made)
            await conn.copy_to_table("calls", source=io.BytesIO(data), columns=CALL_COLUMNS, format="csv")
        await conn.execute("VACUUM ANALYZE calls")
    finally:
        await conn.close()


async def roll_up_all(runtime_url: str) -> None:
    """Each tenant's intervals counted by the service's own rollup, as the runtime role."""
    database = Database(runtime_url, pool_size=2)
    try:
        for tenant in tenant_ids():
            async with database.lean_transaction(tenant) as conn:
                rows = await conn.fetch("SELECT DISTINCT interval_start FROM calls ORDER BY 1")
                versions = await contract_versions(conn)
                await repository.roll_up(conn, [judged_by(row["interval_start"], versions) for row in rows])
    finally:
        await database.dispose()


def seed(superuser_url: str, runtime_url: str, total: int) -> None:
    started = time.perf_counter()
    per_tenant = total // TENANT_COUNT
    now = datetime.now(UTC)
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=get_context("fork")) as pool:
        parts = [pool.submit(part, number, per_tenant, now) for number in range(TENANT_COUNT)]
        asyncio.run(copy_calls(superuser_url, parts))
    copied = time.perf_counter()
    asyncio.run(roll_up_all(runtime_url))
    print(
        f"   data: {TENANT_COUNT} tenants, {per_tenant * TENANT_COUNT:,} calls over two years, copied in "
        f"{copied - started:.0f} s, rolled up per quarter hour in {time.perf_counter() - copied:.0f} s"
    )


def months() -> list[date]:
    today = datetime.now(ZONE).date().replace(day=1)
    return [(today - timedelta(days=31 * n)).replace(day=1) for n in range(1, 24)]


def next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


async def run_kpis(service: str, token_of: dict[str, str], superuser_url: str, count: int) -> dict[str, list[float]]:
    """Latencies in ms of the service's KPI endpoint and of the hand-written query, alternating."""
    rng = random.Random(SEED)
    ms: dict[str, list[float]] = defaultdict(list)
    conn = await asyncpg.connect(superuser_url)
    statement = await conn.prepare(_KPI_BASELINE)
    try:
        async with aiohttp.ClientSession() as client:
            for n in range(count + 50):
                tenant, month = rng.choice(tenant_ids()), rng.choice(months())
                end = next_month(month)
                params = {"from": month.isoformat(), "to": end.isoformat(), "granularity": "day"}
                headers = {"Authorization": f"Bearer {token_of[tenant]}"}
                started = time.perf_counter()
                async with client.get(
                    f"{service}/v1/tenants/{tenant}/figures/kpis", params=params, headers=headers
                ) as r:
                    body = await r.read()
                    assert r.status == 200, body[:300]
                took = (time.perf_counter() - started) * 1000
                first = datetime(month.year, month.month, 1, tzinfo=ZONE).astimezone(UTC)
                last = datetime(end.year, end.month, 1, tzinfo=ZONE).astimezone(UTC)
                started = time.perf_counter()
                await statement.fetch(tenant, first, last)
                base = (time.perf_counter() - started) * 1000
                if n >= 50:
                    ms["service"].append(took)
                    ms["baseline"].append(base)
    finally:
        await conn.close()
    return ms


def _event(call: str, line: str, kind: str, at: datetime, **extra: Any) -> dict[str, Any]:
    return {"event_id": f"{call}-{kind}", "call_id": call, "type": kind, "at": at.isoformat(), "line": line} | extra


def make_batches(run: str, count: int) -> list[list[dict[str, Any]]]:
    """``count`` batches of about ``BATCH`` events: whole calls of the last hours, every tenant's line mixed."""
    rng = random.Random(f"{SEED}:{run}")
    now = datetime.now(UTC)
    batches: list[list[dict[str, Any]]] = []
    for b in range(count):
        events: list[dict[str, Any]] = []
        while len(events) < BATCH:
            tenant = rng.choice(tenant_ids())
            call = f"{run}-{b}-{len(events)}"
            line = line_of(tenant)
            offered = now - timedelta(seconds=rng.uniform(600, 6 * 3600))
            wait = rng.expovariate(1 / 15)

            events.append(_event(call, line, "offered", offered))
            if rng.random() < 0.08:
                events.append(_event(call, line, "abandoned", offered + timedelta(seconds=wait)))
                continue
            answered = offered + timedelta(seconds=wait)
            events.append(_event(call, line, "answered", answered, agent="agent-07"))
            ended = answered + timedelta(seconds=200)
            wrap_up = {"talk_seconds": 180, "hold_seconds": 20, "after_call_work_seconds": 40}
            events.append(_event(call, line, "ended", ended, **wrap_up))
        batches.append(events)
    return batches


@dataclass(frozen=True)
class Ingest:
    label: str
    events: int
    seconds: float
    failures: int
    cpu_ms: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.events / self.seconds


async def ingest_http(url: str, headers: dict[str, str], batches: list[list[dict[str, Any]]], seconds: float) -> Ingest:
    bodies = [orjson.dumps({"events": batch}) for batch in batches]
    sent = failures = 0
    queue = iter(bodies)
    started = time.perf_counter()
    deadline = started + seconds

    async def client_loop(session: aiohttp.ClientSession) -> None:
        nonlocal sent, failures
        for body in queue:
            if time.perf_counter() > deadline:
                return
            async with session.post(url, data=body, headers={**headers, "Content-Type": "application/json"}) as r:
                report = await r.json()
                if r.status != 200 or report["accepted"] != report["received"]:
                    failures += 1
                sent += report.get("accepted", 0) if r.status == 200 else 0

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(client_loop(session) for _ in range(CLIENTS)))
    return Ingest("metrics service", sent, time.perf_counter() - started, failures)


async def ingest_baseline(runtime_url: str, batches: list[list[dict[str, Any]]], seconds: float) -> Ingest:
    pool = await asyncpg.create_pool(runtime_url, min_size=CLIENTS, max_size=CLIENTS)
    tenant_of = {line_of(t): t for t in tenant_ids()}
    sent = 0
    queue = iter(batches)
    started = time.perf_counter()
    deadline = started + seconds

    async def client_loop() -> None:
        nonlocal sent
        for batch in queue:
            if time.perf_counter() > deadline:
                return
            parsed = orjson.loads(orjson.dumps({"events": batch}))["events"]
            by_tenant: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for e in parsed:
                by_tenant[tenant_of[e["line"]]].append(e)
            async with pool.acquire() as conn:
                for tenant, events in by_tenant.items():
                    async with conn.transaction():
                        await conn.execute(f"SELECT set_config('{TENANT_SETTING}', $1, true)", tenant)
                        at = [datetime.fromisoformat(e["at"]) for e in events]
                        await conn.execute(
                            _BASE_EVENTS, [e["event_id"] for e in events], [e["call_id"] for e in events],
                            [e["type"] for e in events], at, [e["line"] for e in events],
                            [e.get("agent") for e in events], [e.get("talk_seconds") for e in events],
                            [e.get("hold_seconds") for e in events], [e.get("after_call_work_seconds") for e in events],
                        )  # fmt: skip
                        offers = [(e, a) for e, a in zip(events, at, strict=True) if e["type"] == "offered"]
                        await conn.execute(
                            _BASE_CALLS, [e["call_id"] for e, _ in offers], [e["line"] for e, _ in offers],
                            [a.replace(minute=a.minute - a.minute % 15, second=0, microsecond=0) for _, a in offers],
                            [a for _, a in offers],
                        )  # fmt: skip
            sent += len(parsed)

    try:
        await asyncio.gather(*(client_loop() for _ in range(CLIENTS)))
    finally:
        await pool.close()
    return Ingest("baseline", sent, time.perf_counter() - started, 0)


def measure(database: BenchDatabase, superuser_url: str, servers: BenchServers, args: argparse.Namespace) -> int:
    workdir = servers.workdir
    key = generate_signing_key()
    (workdir / "signing.pem").write_bytes(private_key_pem(key))
    signer = InternalTokenSigner(key, kid=KEY_ID, ttl_seconds=3600)
    tokens = {
        t: signer.sign(Identity(subject=f"admin-{t}", tenant_id=t, roles=frozenset({"tenant_admin"})))
        for t in tenant_ids()
    }
    telephony_key = "bench-host-telephony-Qm4Rt8Lp2X"
    host_telephony = {"subject": "host-telephony", "tenant": HOST, "roles": ["integration_client"], "kind": "client"}
    grants = {telephony_key: host_telephony | {"scopes": ["calls:write", "figures:read"]}}
    (workdir / "api-keys.json").write_text(json.dumps(grants))
    env = {
        "ZENTRALE_ENV": "development",
        "LOG_LEVEL": "WARNING",
        "NATS_URL": servers.nats_url,
        "ZENTRALE_INTERNAL_PUBLIC_KEYS": json.dumps(jwks({KEY_ID: key.public_key()})),
    }
    probe = (
        f"/v1/tenants/{HOST}/figures/kpis?from=2026-01-01&to=2026-01-02",
        {"Authorization": f"Bearer {tokens[HOST]}"},
    )
    service_env = {**env, "METRICS_DATABASE_URL": database.runtime_url}
    processes = []
    try:
        service = start_server(
            "metrics service", "metrics.app:create_app", service_env, workdir, probe, as_deployed=True
        )
        processes.append(service.process)
        nowhere = f"http://127.0.0.1:{free_port()}"
        gateway_env = {
            **env, "GATEWAY_PORT": str(free_port()), "GATEWAY_SIGNING_KEY": str(workdir / "signing.pem"),
            "GATEWAY_SIGNING_KEY_ID": KEY_ID, "GATEWAY_API_KEYS": str(workdir / "api-keys.json"),
            "GATEWAY_METRICS_URL": service.url, "GATEWAY_TENANTS_URL": nowhere, "GATEWAY_KNOWLEDGE_URL": nowhere,
            "GATEWAY_TICKETS_URL": nowhere, "GATEWAY_RATE_LIMIT_CLIENT": "1000000000",
            "GATEWAY_RATE_LIMIT_TENANT": "1000000000",
        }  # fmt: skip
        gateway = start_gateway(workdir, gateway_env, (probe[0], {"X-API-Key": telephony_key}))
        processes.append(gateway.process)
        print(f"   {args.requests:,} months of KPIs by day after a warm-up, a random tenant and month each time")
        ms = uvloop.run(run_kpis(service.url, tokens, superuser_url, args.requests))
        rows = [[label, percentile(v, 50), percentile(v, 95), percentile(v, 99), len(v)] for label, v in ms.items()]
        print_table(["path", "p50 ms", "p95 ms", "p99 ms", "requests"], rows)
        kpi_p95, base_p95 = percentile(ms["service"], 95), percentile(ms["baseline"], 95)
        print(f"   service p95 / baseline p95 = {kpi_p95 / base_p95:.2f}")

        print_header(
            "Ingesting call events through the gateway",
            f"≥ {INGEST_TARGET:,} events per second, every event accepted; the ratio to the writes by hand reported",
        )
        runs: list[Ingest] = []
        url = f"{gateway.url}/v1/telephony/call-events"
        operator = signer.sign(Identity(subject="op-olaf", tenant_id=None, roles=frozenset({"operator"})))
        operator_headers = {"Authorization": f"Bearer {operator}"}
        headers = {"X-API-Key": telephony_key}
        uvloop.run(ingest_http(url, headers, make_batches("warm", 20), 3.0))
        pids = {"app": service.process.pid, "gateway": gateway.process.pid, "bench": os.getpid()}

        def measured(label: str, load: Callable[[], Coroutine[Any, Any, Ingest]]) -> Ingest:
            """``load`` run, with the CPU each part used per 1,000 events it took."""
            before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            before["postgres"] = cpu_seconds(servers.postgres_pid, with_children=True)
            done = uvloop.run(load())
            after = {name: cpu_seconds(pid) for name, pid in pids.items()}
            after["postgres"] = cpu_seconds(servers.postgres_pid, with_children=True)
            per_1000 = {name: (after[name] - before[name]) * 1e6 / max(done.events, 1) for name in after}
            return replace(done, label=label, cpu_ms=per_1000)

        direct_url = service.url + "/v1/telephony/call-events"
        for round_ in range(args.rounds):
            through, direct, by_hand = (make_batches(f"{kind}{round_}", 400) for kind in ("run", "direct", "base"))
            runs.append(measured("metrics service", partial(ingest_http, url, headers, through, args.seconds)))
            runs.append(
                measured("at the service", partial(ingest_http, direct_url, operator_headers, direct, args.seconds))
            )
            runs.append(measured("baseline", partial(ingest_baseline, database.runtime_url, by_hand, args.seconds)))
    finally:
        for process in reversed(processes):
            stop_process(process)
    parts = ("app", "gateway", "postgres", "bench")
    print_table(
        ["run", "events", "seconds", "events/s", "failed batches", *(f"CPU ms: {p}" for p in parts)],
        [[r.label, r.events, r.seconds, r.rate, r.failures, *(r.cpu_ms.get(p, 0.0) for p in parts)] for r in runs],
    )
    print("   CPU: ms per 1,000 events taken, of the metrics API, the gateway, PostgreSQL with its backends and this")
    print("   process (the load's clients; for the baseline also its writes)")
    ours_rates = [r.rate for r in runs if r.label == "metrics service"]
    base_rates = [r.rate for r in runs if r.label == "baseline"]
    rate, base_rate = sorted(ours_rates)[len(ours_rates) // 2], sorted(base_rates)[len(base_rates) // 2]
    failures = sum(r.failures for r in runs)
    print(f"   metrics service {rate:,.0f} events/s = {rate / base_rate:.2f} × the writes by hand {base_rate:,.0f}/s")
    passed = rate >= INGEST_TARGET and failures == 0 and kpi_p95 <= KPI_TARGET_MS
    return verdict(
        passed,
        f"ingest {rate:,.0f} events/s through the gateway (target ≥ {INGEST_TARGET:,}) = {rate / base_rate:.2f} × "
        f"the writes by hand, {failures} failed batches; a month of KPIs by day p95 {kpi_p95:.1f} ms at the service "
        f"(target ≤ {KPI_TARGET_MS:.0f}) = {kpi_p95 / base_p95:.1f} × the hand-written query's {base_p95:.1f} ms",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CALLS:,} calls, shorter runs")
    parser.add_argument("--calls", type=int, help=f"calls in all (default {CALLS:,})")
    parser.add_argument("--seconds", type=float, help="seconds per ingest run (default 15, 5 with --quick)")
    parser.add_argument("--rounds", type=int, help="ingest runs per path (default 2, 1 with --quick)")
    parser.add_argument("--requests", type=int, help="measured KPI requests (default 500; 200 quick)")
    args = parser.parse_args(argv)
    total = args.calls or (QUICK_CALLS if args.quick else CALLS)
    args.seconds = args.seconds or (5.0 if args.quick else 15.0)
    args.rounds = args.rounds or (1 if args.quick else 2)
    args.requests = args.requests or (200 if args.quick else 500)
    quiet_logging()
    print_header(
        f"A month of one tenant's KPIs by day, {total:,} calls over {TENANT_COUNT} tenants",
        f"p95 ≤ {KPI_TARGET_MS:.0f} ms at the service's HTTP API; the ratio to one hand-written query reported",
    )
    with bench_servers("metrics", postgres_settings={"shared_buffers": "512MB", "max_wal_size": "4GB"}) as servers:
        database, superuser_url = metrics_database(servers.admin_url)
        asyncio.run(add_directory(superuser_url))
        seed(superuser_url, database.runtime_url, total)
        return measure(database, superuser_url, servers, args)


if __name__ == "__main__":
    sys.exit(main())
