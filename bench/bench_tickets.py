"""The tickets service's two figures: a department's open tickets listed, and forwarded contacts recorded.

Data: a tickets database migrated as deployed; 20 known tenants (active, Lower Saxony), each with a contract
in force (Mon–Fri 8–18, a reply within 24 business hours) and 10 departments, inserted as the superuser as
the tenants events would bring them. Then 1,000,000 tickets, 50,000 per tenant over its departments, each
with its contact, copied in as the superuser (plain indexes made again afterwards, foreign-key triggers off
during the copy: the rows are consistent by construction), vacuumed and analysed: 15 % open (forwarded, in
progress, waiting) and due over the coming four weeks, the rest answered or closed over the last two years,
callers' data anonymised past the contract's 90 days of retention.

Listing, on the seeded data: ``GET /v1/tenants/{t}/tickets?department_id=…&status=open&limit=50`` (soonest
due first) for a random tenant and department, one request at a time after a warm-up, on three paths in
turn, the order rotating:

- http: ``python -m kit.serve tickets.app:create_app`` with a gateway-signed token of the back office;
- gateway: the same through ``python -m gateway`` with the tenant's API key (back_office, ``tickets:read``);
- baseline: the same page by one hand-written query, prepared once, on a plain asyncpg connection as the
  superuser (no row-level security).

Recording, then, on top of the seeded data: ``POST /v1/tenants/{t}/contacts`` through the gateway, a phone
call forwarded to a department with the caller's data, a random tenant per request with its API key
(integration_client, ``contacts:write``), from ``wrk`` (one thread, 32 keep-alive connections); any answer
but 201 is a failure. ``python -m tickets.worker`` runs throughout: its relay publishes the outbox to NATS
while the load runs. Baseline: behind a gateway of its own, a minimal FastAPI endpoint
(``create_baseline_app``) doing the same writes by hand on a plain asyncpg pool as the same runtime role, in
one transaction that sets the tenant: the contact, the ticket, its two deadline watch rows, its history row
and its two events in the outbox. Each is warmed up, then loaded for the same time in alternation (ours,
baseline, ours …); after each run the unsent outbox rows are counted and the relay's time to send them all
taken. At the end every outbox row must be in the ``TICKETS`` stream.

Targets: recording ≥ 300 per second through the gateway, none failed, the outbox drained within 60 s after
each run; listing p95 ≤ 30 ms at the service's HTTP API. The ratios to the baselines, the latencies through
the gateway, the CPU each process used per request and the CPU the machine's other processes took are
reported, not judged.

    .venv/bin/python bench/bench_tickets.py [--quick] [--tickets N] [--seconds S] [--rounds R] [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import asyncpg
import nats
import uvloop

from bench.baseline_tickets_app import DEADLINE_RULE, POOL_SIZE
from bench.bench_knowledge_search import database_url, start_gateway
from bench.bench_tenant_read import Server, start_server
from bench.common import (
    BENCH_PASSWORD,
    PYTHON,
    ROOT,
    BenchDatabase,
    BenchServers,
    bench_servers,
    cpu_seconds,
    median,
    percentile,
    print_header,
    print_table,
    stop_process,
    verdict,
    wait_for_http,
)
from kit.db.provision import ServiceDatabase, provision
from kit.identity import Identity, InternalTokenSigner, generate_signing_key, jwks, private_key_pem
from kit.local.postgres import free_port
from kit.migrations import upgrade
from tickets.migrate import MIGRATIONS as TICKETS_MIGRATIONS

RECORD_TARGET = 300.0
LIST_P95_TARGET_MS = 30.0
DRAIN_LIMIT_SECONDS = 60.0
TENANT_COUNT = 20
DEPARTMENTS = 10
TICKETS = 1_000_000
QUICK_TICKETS = 100_000
OPEN_SHARE = 0.15
RETENTION_DAYS = 90
PAGE = 50
CONNECTIONS = 32
WORKER_POOL_SIZE = 4
KEY_ID = "bench"
SEED = 20261124
POSTGRES_SETTINGS = {"shared_buffers": "512MB", "max_wal_size": "4GB"}
OPEN = ("forwarded", "in_progress", "waiting")
OFFICE_HOURS = [{"start": "08:00", "end": "18:00"}]
TERMS: dict[str, Any] = {
    "term": {"start": "2026-01-01", "notice_period_months": 6},
    "channels": ["phone", "email"],
    "scope": "all_first_contact",
    "service_level": {"target_percent": 75, "threshold_seconds": 30, "variant": 2},
    "forwarding_deadline": {"rule": "business_hours", "hours": 24},
    "reachability": dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday"), OFFICE_HOURS),
    "closure_days": [{"first": "2026-12-24", "last": "2027-01-01"}],
    "price": {"model": "per_minute", "cents_per_minute": 115},
    "personal_data_retention_days": RETENTION_DAYS,
}
DEPARTMENT_NAMES = (
    "Bürgerbüro", "Ordnungsamt", "Standesamt", "Bauamt", "Sozialamt",
    "Jugendamt", "Steueramt", "Straßenverkehr", "Umweltamt", "Friedhofsverwaltung",
)  # fmt: skip
LEIKA_KEYS = tuple(f"99{n:012d}" for n in range(5001000, 5001030))
SUBJECTS = (
    "Rückruf zum Reisepass", "Termin für die Ummeldung", "Frage zur Hundesteuer", "Sperrmüll nicht abgeholt",
    "Baugenehmigung: Stand des Antrags", "Wohngeld: fehlende Unterlagen", "Beschwerde über Lärm",
)  # fmt: skip
SUMMARY = "Bürgerin fragt nach dem Stand ihres Antrags und bittet um Rückruf durch die Fachabteilung."
ANSWER = "Die Bürgerin wurde zurückgerufen; die Unterlagen liegen vollständig vor, der Bescheid folgt per Post."
NAMES = ("Erika Mustermann", "Mehmet Yilmaz", "Sophie Schulz", "Jonas Becker", "Marie Krüger", "Paul Wolf")

CONTACT_COLUMNS = (
    "tenant_id", "id", "channel", "started_at", "ended_at", "agent", "leika_key", "summary", "outcome",
    "caller_name", "caller_phone", "caller_email", "anonymised_at", "created_at",
)  # fmt: skip
TICKET_COLUMNS = (
    "tenant_id", "id", "contact_id", "department_id", "status", "priority", "subject", "leika_key", "reply_by",
    "forwarded_at", "forwarded_by", "contract_version", "deadline_rule", "due_at", "warn_at", "paused_at",
    "paused_remaining", "claimed_by", "claimed_at", "answered_at", "answered_by", "answer_channel", "answer",
    "closed_at", "closed_by", "version", "updated_at",
)  # fmt: skip
# Plain indexes (``ix_``) are made again after the copy; those behind constraints stay.
_PLAIN_INDEXES = (
    "SELECT indexname, indexdef FROM pg_indexes"
    " WHERE schemaname = 'public' AND tablename IN ('tickets', 'contacts') AND indexname LIKE 'ix\\_%'"
)
BASELINE_LIST = f"""
SELECT * FROM tickets
WHERE tenant_id = $1 AND department_id = $2 AND status IN {OPEN!r}
ORDER BY due_at, id
LIMIT {PAGE}
"""


def tenant_ids() -> list[str]:
    return [f"gemeinde-{n:02d}" for n in range(TENANT_COUNT)]


def department_ids(tenant: str) -> list[uuid.UUID]:
    return [uuid.uuid5(uuid.NAMESPACE_URL, f"https://bench.zentrale.invalid/{tenant}/{n}") for n in range(DEPARTMENTS)]


def tickets_database(admin_url: str) -> tuple[BenchDatabase, str]:
    """Provision the tickets database with owner and runtime roles and migrate it as the owner; its superuser URL."""
    spec = ServiceDatabase.for_service("tickets", password=BENCH_PASSWORD)
    asyncio.run(provision(admin_url, spec))
    upgrade(TICKETS_MIGRATIONS, spec.owner_url(admin_url), runtime_role=spec.runtime)
    database = BenchDatabase(spec=spec, runtime_url=spec.runtime_url(admin_url), owner_url=spec.owner_url(admin_url))
    return database, database_url(admin_url, spec.database)


async def add_directory(superuser_url: str) -> None:
    """The tenants, their contracts and departments, as the tenants events would have brought them."""
    conn = await asyncpg.connect(superuser_url)
    try:
        tenants = tenant_ids()
        await conn.executemany(
            "INSERT INTO known_tenants (tenant_id, name, created_at, state, status, version)"
            " VALUES ($1, $2, now(), 'NI', 'active', 1)",
            [(t, f"Gemeinde {t[-2:]}") for t in tenants],
        )
        await conn.executemany(
            "INSERT INTO contract_versions (tenant_id, version, effective_from, terms) VALUES ($1, 1, $2, $3::jsonb)",
            [(t, datetime.now(UTC) - timedelta(days=365), json.dumps(TERMS)) for t in tenants],
        )
        await conn.executemany(
            "INSERT INTO departments (tenant_id, id, name, leika_keys, version, updated_at)"
            " VALUES ($1, $2, $3, $4, 1, now())",
            [
                (t, department, DEPARTMENT_NAMES[n], list(LEIKA_KEYS[n * 3 : n * 3 + 3]))
                for t in tenants
                for n, department in enumerate(department_ids(t))
            ],
        )
    finally:
        await conn.close()


def part(number: int, per_tenant: int, now: float) -> tuple[bytes, bytes, int]:
    """The ``number``-th tenant's contacts and tickets as CSV, and how many of the tickets are open.

    The same for the same arguments, in whichever process it is made.
    """
    rng = random.Random(f"{SEED}:{number}")
    tenant = tenant_ids()[number]
    departments = department_ids(tenant)
    contacts, tickets = io.StringIO(), io.StringIO()
    contact_rows, ticket_rows = csv.writer(contacts), csv.writer(tickets)
    day = 86400.0
    opened = 0

    def at(seconds: float | None) -> str | None:
        return None if seconds is None else datetime.fromtimestamp(seconds, UTC).isoformat()

    for _ in range(per_tenant):
        contact_id, ticket_id = uuid.UUID(int=rng.getrandbits(128)), uuid.UUID(int=rng.getrandbits(128))
        is_open = rng.random() < OPEN_SHARE
        opened += is_open
        status = rng.choices(OPEN, weights=(6, 3, 1))[0] if is_open else rng.choice(("answered", "closed", "closed"))
        forwarded = now - (rng.uniform(0, 10 * day) if is_open else rng.uniform(10 * day, 730 * day))
        due = now + rng.uniform(3600, 28 * day) if is_open else forwarded + rng.uniform(day, 5 * day)
        claimed = min(forwarded + rng.uniform(600, 2 * day), now - 60) if status != "forwarded" else None
        paused = rng.uniform(claimed, now) if claimed and status == "waiting" else None
        answered = forwarded + rng.uniform(3600, 6 * day) if status in ("answered", "closed") else None
        closed = answered + rng.uniform(600, 7 * day) if answered and status == "closed" else None
        last = closed or answered or paused or claimed or forwarded
        # What the retention sweep would have done: nothing is left for it to anonymise.
        anonymised = None if is_open or last > now - RETENTION_DAYS * day else last + RETENTION_DAYS * day
        name = rng.choice(NAMES)
        caller = [None] * 3 if anonymised else [name, f"+49441{rng.randrange(10**6)}", "buerger@example.org"]
        agent, clerk = f"agent-{rng.randrange(40):02d}", f"bo-{rng.randrange(25):02d}"
        leika_key = rng.choice(LEIKA_KEYS)
        outcome = "callback" if rng.random() < 0.2 else "forwarded"
        reply_by = "callback" if outcome == "callback" else rng.choice(("callback", "email", "letter"))
        channel = rng.choices(("phone", "email", "chat", "walk_in"), weights=(14, 4, 1, 1))[0]
        contact_rows.writerow(
            (tenant, contact_id, channel, at(forwarded - rng.uniform(120, 900)), at(forwarded), agent, leika_key,
             SUMMARY, outcome, *caller, at(anonymised), at(forwarded))
        )  # fmt: skip
        priority = rng.choices(("low", "normal", "high", "urgent"), weights=(2, 14, 3, 1))[0]
        changes = 1 + sum(instant is not None for instant in (claimed, paused, answered, closed))
        ticket_rows.writerow(
            (tenant, ticket_id, contact_id, rng.choice(departments), status, priority, rng.choice(SUBJECTS),
             leika_key, reply_by, at(forwarded), agent, 1, DEADLINE_RULE, at(due), at(due - 7200), at(paused),
             "5 hours" if paused else None, clerk if claimed else None, at(claimed), at(answered),
             clerk if answered else None, reply_by if answered else None, ANSWER if answered else None,
             at(closed), clerk if closed else None, changes, at(last))
        )  # fmt: skip
    return contacts.getvalue().encode(), tickets.getvalue().encode(), opened


async def copy_parts(superuser_url: str, parts: Sequence[Future[tuple[bytes, bytes, int]]]) -> int:
    """Copy each part in as soon as it is made, as the superuser; then vacuum and analyse. The open tickets."""
    conn = await asyncpg.connect(superuser_url)
    opened = 0
    try:
        # The rows are consistent by construction: no foreign-key check per row.
        await conn.execute("SET session_replication_role = replica")
        async with conn.transaction():
            indexes = await conn.fetch(_PLAIN_INDEXES)
            for index in indexes:
                await conn.execute(f'DROP INDEX "{index["indexname"]}"')
            for made in parts:
                contacts, tickets, count = await asyncio.wrap_future(made)
                await conn.copy_to_table("contacts", source=io.BytesIO(contacts), columns=CONTACT_COLUMNS, format="csv")
                await conn.copy_to_table("tickets", source=io.BytesIO(tickets), columns=TICKET_COLUMNS, format="csv")
                opened += count
            await conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for index in indexes:
                await conn.execute(index["indexdef"])
        await conn.execute("RESET session_replication_role")
        await conn.execute("VACUUM ANALYZE contacts, tickets")
    finally:
        await conn.close()
    return opened


def seed(superuser_url: str, total: int) -> None:
    """Make the tenants' parts on every core while they are copied in; print what was seeded, and how fast."""
    started = time.perf_counter()
    per_tenant = total // TENANT_COUNT
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=get_context("fork")) as pool:
        parts = [pool.submit(part, number, per_tenant, time.time()) for number in range(TENANT_COUNT)]
        opened = asyncio.run(copy_parts(superuser_url, parts))
    tickets = per_tenant * TENANT_COUNT
    print(
        f"   data: {TENANT_COUNT} tenants × {DEPARTMENTS} departments, {tickets:,} tickets with their contacts, "
        f"{opened:,} open ({opened / tickets:.1%}, ~{opened // (TENANT_COUNT * DEPARTMENTS):,} per department); "
        f"seeded in {time.perf_counter() - started:.0f} s"
    )


@dataclass(frozen=True)
class Credentials:
    """Per tenant: a back-office token for the service, and API keys for the gateway."""

    tokens: dict[str, str]
    back_office_keys: dict[str, str]
    recorder_keys: dict[str, str]


def credentials(workdir: Path, signer: InternalTokenSigner) -> Credentials:
    """Sign the back office's tokens; write the gateway's API key grants to ``api-keys.json``."""
    tenants = tenant_ids()
    tokens = {
        t: signer.sign(Identity(subject=f"bo-{t}", tenant_id=t, roles=frozenset({"back_office"}))) for t in tenants
    }
    back_office = {t: f"bench-back-office-{t}-Vd3Kq8Zr2W" for t in tenants}
    recorders = {t: f"bench-telephony-{t}-Np5Ys7Hc4J" for t in tenants}

    def grant(subject: str, tenant: str, role: str, scope: str) -> dict[str, Any]:
        return {"subject": subject, "tenant": tenant, "roles": [role], "scopes": [scope], "kind": "client"}

    grants = {back_office[t]: grant(f"bo-{t}", t, "back_office", "tickets:read") for t in tenants}
    grants |= {recorders[t]: grant(f"telephony-{t}", t, "integration_client", "contacts:write") for t in tenants}
    (workdir / "api-keys.json").write_text(json.dumps(grants))
    return Credentials(tokens, back_office, recorders)


def list_path(tenant: str, department: uuid.UUID) -> str:
    return f"/v1/tenants/{tenant}/tickets?department_id={department}&status=open&limit={PAGE}"


def gateway_env(env: dict[str, str], workdir: Path, upstream: str) -> dict[str, str]:
    """A gateway in front of ``upstream`` as the tickets service, the other services nowhere."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    return {
        **env,
        "GATEWAY_PORT": str(free_port()),
        "GATEWAY_SIGNING_KEY": str(workdir / "signing.pem"),
        "GATEWAY_SIGNING_KEY_ID": KEY_ID,
        "GATEWAY_API_KEYS": str(workdir / "api-keys.json"),
        "GATEWAY_TICKETS_URL": upstream,
        # No other service runs: the static keys need none, and loading partners' grants may fail.
        "GATEWAY_TENANTS_URL": nowhere,
        "GATEWAY_KNOWLEDGE_URL": nowhere,
        "GATEWAY_METRICS_URL": nowhere,
        "GATEWAY_RATE_LIMIT_CLIENT": "1000000000",
        "GATEWAY_RATE_LIMIT_TENANT": "1000000000",
    }


def start_worker(workdir: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start ``python -m tickets.worker`` (relay, consumers, deadline watch, retention sweep); wait until ready."""
    port = free_port()
    log = open(workdir / "worker.log", "wb")  # noqa: SIM115 - the worker writes it until it ends
    env = {**os.environ, **env, "TICKETS_WORKER_PORT": str(port), "TICKETS_DB_POOL_SIZE": str(WORKER_POOL_SIZE)}
    process = subprocess.Popen(
        [PYTHON, "-m", "tickets.worker"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/readyz", process)
    except (RuntimeError, TimeoutError) as error:
        stop_process(process)
        tail = (workdir / "worker.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"the tickets worker did not get ready: {error}\n{tail}") from None
    except BaseException:
        stop_process(process)
        raise
    return process


Page = Callable[[str, uuid.UUID], Awaitable[list[str]]]


@dataclass(frozen=True)
class Listing:
    """Latencies in ms per path, pages on which the paths disagreed, and the tickets per page."""

    ms: dict[str, list[float]]
    mismatches: int
    rows: list[int]


async def run_listing(superuser_url: str, service: Server, gateway: Server, creds: Credentials, count: int) -> Listing:
    """A warm-up, then ``count`` random (tenant, department) pages on each path, one request at a time."""
    conn = await asyncpg.connect(superuser_url)
    statement = await conn.prepare(BASELINE_LIST)
    clients = [aiohttp.ClientSession(service.url), aiohttp.ClientSession(gateway.url)]

    async def baseline(tenant: str, department: uuid.UUID) -> list[str]:
        return [str(row["id"]) for row in await statement.fetch(tenant, department)]

    def over_http(client: aiohttp.ClientSession, headers: Callable[[str], dict[str, str]]) -> Page:
        async def page(tenant: str, department: uuid.UUID) -> list[str]:
            path = list_path(tenant, department)
            async with client.get(path, headers=headers(tenant)) as answer:
                if answer.status != 200:
                    raise RuntimeError(f"GET {path}: {answer.status} {await answer.text()}")
                body = await answer.json()
            return [item["id"] for item in body["items"]]

        return page

    paths: dict[str, Page] = {
        "http": over_http(clients[0], lambda t: {"Authorization": f"Bearer {creds.tokens[t]}"}),
        "gateway": over_http(clients[1], lambda t: {"X-API-Key": creds.back_office_keys[t]}),
        "baseline": baseline,
    }
    ms: dict[str, list[float]] = {label: [] for label in paths}
    rng = random.Random(11)
    warm_up = max(100, count // 10)
    mismatches, rows = 0, []
    try:
        for number in range(warm_up + count):
            tenant = rng.choice(tenant_ids())
            department = rng.choice(department_ids(tenant))
            labels = list(paths)
            found: dict[str, list[str]] = {}
            for label in labels[number % 3 :] + labels[: number % 3]:
                started = time.perf_counter()
                found[label] = await paths[label](tenant, department)
                if number >= warm_up:
                    ms[label].append((time.perf_counter() - started) * 1000)
            mismatches += not found["http"] == found["gateway"] == found["baseline"]
            rows.append(len(found["http"]))
    finally:
        for client in clients:
            await client.close()
        await conn.close()
    return Listing(ms, mismatches, rows)


LIST_LABELS = {
    "http": "http: tickets service GET …/tickets?department_id&status=open",
    "gateway": "gateway: the same through python -m gateway",
    "baseline": "baseline: one hand-written query, superuser, no RLS",
}


def report_listing(listing: Listing) -> tuple[bool, str]:
    """Print the latency table; whether the target is met, and the verdict's part."""
    print_table(
        ["path", "p50 ms", "p95 ms", "p99 ms", "requests"],
        [[LIST_LABELS[label], *(percentile(ms, q) for q in (50, 95, 99)), len(ms)] for label, ms in listing.ms.items()],
    )
    p95 = {label: percentile(ms, 95) for label, ms in listing.ms.items()}
    ratio = p95["http"] / p95["baseline"]
    print(
        f"   http p95 / baseline p95 = {ratio:.2f}; gateway p95 / baseline p95 = {p95['gateway'] / p95['baseline']:.2f}"
        f"; gateway p95 − http p95 = {p95['gateway'] - p95['http']:.2f} ms"
    )
    print(
        f"   tickets per page {min(listing.rows)}–{max(listing.rows)}; "
        f"pages the three paths answered differently: {listing.mismatches}"
    )
    passed = p95["http"] <= LIST_P95_TARGET_MS and listing.mismatches == 0 and min(listing.rows) > 0
    return passed, (
        f"open-ticket list p95 {p95['http']:.1f} ms at the service (target ≤ {LIST_P95_TARGET_MS:.0f}) = {ratio:.1f} × "
        f"the hand-written query's {p95['baseline']:.1f} ms; {p95['gateway']:.1f} ms through the gateway"
    )


# (path, headers, body)
Post = tuple[str, dict[str, str], str]


def recording_plan(creds: Credentials, count: int = 2000) -> list[Post]:
    """``count`` phone calls forwarded with the caller's data, each for a random tenant and department of it."""
    rng = random.Random(13)
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    plan: list[Post] = []
    for _ in range(count):
        tenant = rng.choice(tenant_ids())
        call = {
            "channel": "phone",
            "started_at": started.isoformat(),
            "ended_at": (started + timedelta(minutes=4)).isoformat(),
            "agent": "agent-anna",
            "leika_key": LEIKA_KEYS[0],
            "summary": "Reisepass eilt, Rückfrage zum Expresspass",
            "outcome": "forwarded",
            "caller": {"name": "Erika Mustermann", "phone": "+49 5431 123-456", "email": "erika@example.org"},
            "forward": {
                "department_id": str(rng.choice(department_ids(tenant))),
                "subject": "Rückruf zum Reisepass",
                "reply_by": "callback",
            },
        }
        headers = {"X-API-Key": creds.recorder_keys[tenant], "Content-Type": "application/json"}
        plan.append((f"/v1/tenants/{tenant}/contacts", headers, json.dumps(call, ensure_ascii=False)))
    return plan


@dataclass(frozen=True)
class Load:
    """One wrk run: answered requests, its length, failures (any answer but 201, socket errors), latencies."""

    requests: int
    seconds: float
    failures: int
    p50_ms: float
    p99_ms: float
    first_failure: str
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


# Each thread counts its failures and keeps the first one's status and body; ``done`` sums the threads.
_WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  failures, first_failure, next_one = 0, "", 0
  requests = {
%s
  }
end
function request()
  next_one = next_one %% #requests + 1
  return requests[next_one]
end
function response(status, headers, body)
  if status ~= 201 then
    failures = failures + 1
    if first_failure == "" then first_failure = status .. " " .. body end
  end
end
function done(summary, latency, requests)
  local failed, first = 0, ""
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("failures")
    if first == "" then first = thread:get("first_failure") end
  end
  local e = summary.errors
  io.write(string.format("bench-result %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    failed + e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
  io.write("bench-first-failure " .. first .. "\\n")
end
"""
_WRK_RESULT = re.compile(r"bench-result (\d+) (\d+) (\d+) (\d+) (\d+)")


def wrk_script(path: Path, plan: Sequence[Post]) -> Path:
    """The wrk Lua script that cycles through ``plan``."""

    def table(headers: dict[str, str]) -> str:
        return "{" + ", ".join(f'["{name}"] = "{value}"' for name, value in headers.items()) + "}"

    entries = ",\n".join(f'    wrk.format("POST", "{p}", {table(h)}, [==[{body}]==])' for p, h, body in plan)
    path.write_text(_WRK_SCRIPT % entries, encoding="utf-8")
    return path


def run_wrk(url: str, seconds: float, script: Path) -> Load:
    """Load ``url`` with wrk (one thread, ``CONNECTIONS`` connections) for ``seconds``; and wrk's CPU time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds:.0f}s", "--timeout", "10s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = _WRK_RESULT.search(out)
    if result is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    requests, micros, failures, p50, p99 = (int(n) for n in result.groups())
    first = out.split("bench-first-failure ", 1)[-1].strip() if failures else ""
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Load(requests, micros / 1e6, failures, p50 / 1000, p99 / 1000, first, cpu)


def machine_busy_seconds() -> float:
    """CPU time all processes of the machine have used so far (``/proc/stat``), summed over the cores."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    # user, nice, system, idle, iowait, irq, softirq, steal: everything but idle and iowait.
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def cpu_used(pids: dict[str, int], servers: BenchServers) -> dict[str, float]:
    """CPU seconds used so far by each process named, NATS, PostgreSQL with its backends, and the whole machine."""
    used = {name: cpu_seconds(pid) for name, pid in pids.items()}
    used["nats"] = cpu_seconds(servers.nats_pid)
    used["postgres"] = cpu_seconds(servers.postgres_pid, with_children=True)
    return used | {"machine": machine_busy_seconds()}


@dataclass(frozen=True)
class Run:
    """One load run through one gateway, the outbox after it, CPU per request; the other processes' CPU in cores."""

    label: str
    load: Load
    backlog: int
    drain_seconds: float
    cpu_ms: dict[str, float]
    others_cores: float


async def drain(superuser_url: str) -> tuple[int, float]:
    """Unsent outbox rows now, and the seconds until the relay has sent them all (``inf`` past the limit)."""
    conn = await asyncpg.connect(superuser_url)
    unsent = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
    try:
        started = time.perf_counter()
        backlog = left = int(await conn.fetchval(unsent))
        while left:
            if time.perf_counter() - started > DRAIN_LIMIT_SECONDS:
                return backlog, float("inf")
            await asyncio.sleep(0.05)
            left = int(await conn.fetchval(unsent))
        return backlog, time.perf_counter() - started
    finally:
        await conn.close()


async def stream_check(superuser_url: str, nats_url: str) -> tuple[int, int]:
    """Outbox rows in all, and messages in the ``TICKETS`` stream."""
    conn = await asyncpg.connect(superuser_url)
    try:
        rows = int(await conn.fetchval("SELECT count(*) FROM outbox"))
    finally:
        await conn.close()
    client = await nats.connect(nats_url)
    try:
        info = await client.jetstream().stream_info("TICKETS")
    finally:
        await client.close()
    return rows, int(info.state.messages)


def measure_recording(
    superuser_url: str,
    targets: dict[str, tuple[Server, Server]],
    worker: subprocess.Popen[bytes],
    servers: BenchServers,
    script: Path,
    args: argparse.Namespace,
) -> list[Run]:
    """Warm each (gateway, app) up, then load them in alternation; after each run, wait for the outbox to drain."""
    for gateway, _ in targets.values():
        run_wrk(gateway.url, 3.0, script)
        asyncio.run(drain(superuser_url))
    runs: list[Run] = []
    for _ in range(args.rounds):
        for label, (gateway, app) in targets.items():
            pids = {"app": app.process.pid, "gateway": gateway.process.pid, "worker": worker.pid}
            before = cpu_used(pids, servers)
            load = run_wrk(gateway.url, args.seconds, script)
            spent = {name: seconds - before[name] for name, seconds in cpu_used(pids, servers).items()}
            spent["wrk"] = load.cpu_seconds
            backlog, drained = asyncio.run(drain(superuser_url))
            others = (2 * spent["machine"] - sum(spent.values())) / load.seconds
            cpu_ms = {name: seconds * 1000 / max(load.requests, 1) for name, seconds in spent.items()}
            runs.append(Run(label, load, backlog, drained, cpu_ms, others))
    return runs


def report_recording(runs: Sequence[Run], stream: tuple[int, int]) -> tuple[bool, str]:
    """Print the runs, the ratio and the outbox; whether the targets are met, and the verdict's part."""
    parts = ("app", "gateway", "worker", "nats", "postgres", "wrk")
    rows: list[list[object]] = []
    for number, run in enumerate(runs):
        load = run.load
        rows.append([f"{run.label} {number // 2 + 1}", load.rate, load.p50_ms, load.p99_ms, load.failures])
        rows[-1] += [run.backlog, run.drain_seconds, *(run.cpu_ms[name] for name in parts), run.others_cores]
    headers = ["run", "req/s", "p50 ms", "p99 ms", "failed", "unsent after", "drained in s", "CPU: app"]
    print_table([*headers, *parts[1:], "others"], rows)
    ours = [run for run in runs if run.label == "tickets service"]
    base = [run for run in runs if run.label == "baseline"]
    rate, base_rate = median([run.load.rate for run in ours]), median([run.load.rate for run in base])
    ratio = median([a.load.rate / b.load.rate for a, b in zip(ours, base, strict=True)])
    events, messages = stream
    print(
        f"   tickets service {rate:,.0f}/s = {ratio:.2f} × baseline {base_rate:,.0f}/s (median of the rounds' ratios)"
    )
    print("   unsent after: outbox rows not yet published when the run ended; drained in: until none was left")
    print("   CPU: ms per answered request of the app (the tickets service or the baseline endpoint), its gateway,")
    print("   the worker, nats-server, PostgreSQL with its backends (the relay's too) and wrk; others: the cores the")
    print("   rest of the machine (other users) took during the run")
    print(f"   outbox rows in all: {events:,}; messages in the TICKETS stream: {messages:,}")
    for run in runs:
        if run.load.first_failure:
            print(f"   {run.label}: first failure: {run.load.first_failure[:600]}")
    failures = sum(run.load.failures for run in runs)
    drained = max(run.drain_seconds for run in runs)
    passed = rate >= RECORD_TARGET and failures == 0 and drained <= DRAIN_LIMIT_SECONDS and events == messages
    return passed, (
        f"recording {rate:,.0f}/s through the gateway (target ≥ {RECORD_TARGET:.0f}) = {ratio:.2f} × the baseline's "
        f"{base_rate:,.0f}/s, {failures} failed, the outbox drained ≤ {drained:.1f} s after each run"
    )


def measure(database: BenchDatabase, superuser_url: str, servers: BenchServers, args: argparse.Namespace) -> int:
    """Start the processes; list, then record; print the tables and the verdict."""
    workdir = servers.workdir
    key = generate_signing_key()
    (workdir / "signing.pem").write_bytes(private_key_pem(key))
    creds = credentials(workdir, InternalTokenSigner(key, kid=KEY_ID, ttl_seconds=3600))
    env = {
        "ZENTRALE_ENV": "development",
        "LOG_LEVEL": "WARNING",
        "NATS_URL": servers.nats_url,
        "ZENTRALE_INTERNAL_PUBLIC_KEYS": json.dumps(jwks({KEY_ID: key.public_key()})),
    }
    tenant = tenant_ids()[0]
    probe = list_path(tenant, department_ids(tenant)[0])
    key_probe = (probe, {"X-API-Key": creds.back_office_keys[tenant]})
    service_env = {**env, "TICKETS_DATABASE_URL": database.runtime_url, "TICKETS_DB_POOL_SIZE": str(POOL_SIZE)}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        auth = {"Authorization": f"Bearer {creds.tokens[tenant]}"}
        service = start_server(
            "tickets service", "tickets.app:create_app", service_env, workdir, (probe, auth), as_deployed=True
        )
        processes.append(service.process)
        gateway = start_gateway(workdir, gateway_env(env, workdir, service.url), key_probe)
        processes.append(gateway.process)
        print(f"   {args.requests:,} pages on each path after a warm-up, a random tenant and department each time")
        listing = uvloop.run(run_listing(superuser_url, service, gateway, creds, args.requests))
        listing_passed, listing_summary = report_listing(listing)

        print_header(
            "Recording forwarded contacts through the gateway, outbox on",
            f"≥ {RECORD_TARGET:.0f} per second through the gateway, none failed, the outbox drained after each run; "
            "the ratio to a minimal endpoint doing the same writes by hand reported",
        )
        worker = start_worker(workdir, service_env)
        processes.append(worker)
        base_env = {"BENCH_DATABASE_URL": database.runtime_url, "BENCH_POOL_SIZE": str(POOL_SIZE)}
        baseline = start_server(
            "baseline", "bench.baseline_tickets_app:create_baseline_app", base_env, workdir, (probe, {})
        )
        processes.append(baseline.process)
        (workdir / "baseline").mkdir()  # the second gateway's log
        baseline_gateway = start_gateway(workdir / "baseline", gateway_env(env, workdir, baseline.url), key_probe)
        processes.append(baseline_gateway.process)
        print(
            f"   wrk -t1 -c{CONNECTIONS}, {args.seconds:.0f} s per run after 3 s of warm-up, {args.rounds} run(s) "
            f"each, alternating; {POOL_SIZE} database connections each for the tickets API and the baseline, "
            f"{WORKER_POOL_SIZE} for the worker"
        )
        script = wrk_script(workdir / "record.lua", recording_plan(creds))
        targets = {"tickets service": (gateway, service), "baseline": (baseline_gateway, baseline)}
        runs = measure_recording(superuser_url, targets, worker, servers, script, args)
        stream = asyncio.run(stream_check(superuser_url, servers.nats_url))
    finally:
        for process in reversed(processes):
            stop_process(process)
    recording_passed, recording_summary = report_recording(runs, stream)
    return verdict(recording_passed and listing_passed, f"{recording_summary}; {listing_summary}")


def main(argv: Sequence[str] | None = None) -> int:
    """Seed the tickets database, measure listing and recording, and print the verdict."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_TICKETS:,} tickets, shorter and fewer runs")
    parser.add_argument("--tickets", type=int, help=f"tickets in all (default {TICKETS:,})")
    parser.add_argument("--seconds", type=float, help="seconds per recording run (default 15, 5 with --quick)")
    parser.add_argument("--rounds", type=int, help="recording runs per path (default 2, 1 with --quick)")
    parser.add_argument("--requests", type=int, help="measured pages per listing path (default 2,000; 400 quick)")
    args = parser.parse_args(argv)
    total = args.tickets or (QUICK_TICKETS if args.quick else TICKETS)
    args.seconds = args.seconds or (5.0 if args.quick else 15.0)
    args.rounds = args.rounds or (1 if args.quick else 2)
    args.requests = args.requests or (400 if args.quick else 2000)
    print_header(
        f"Listing a department's open tickets, {total:,} tickets over {TENANT_COUNT} tenants",
        f"p95 ≤ {LIST_P95_TARGET_MS:.0f} ms at the service's HTTP API; the ratio to one hand-written query and the "
        "latency through the gateway reported",
    )
    if shutil.which("wrk") is None:
        return verdict(False, "wrk is not installed: the recording figure needs it")
    print(f"   PostgreSQL: {', '.join(f'{k}={v}' for k, v in POSTGRES_SETTINGS.items())}")
    with bench_servers("tickets", postgres_settings=POSTGRES_SETTINGS) as servers:
        database, superuser_url = tickets_database(servers.admin_url)
        asyncio.run(add_directory(superuser_url))
        seed(superuser_url, total)
        return measure(database, superuser_url, servers, args)


if __name__ == "__main__":
    sys.exit(main())
