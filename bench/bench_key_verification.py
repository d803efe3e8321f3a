"""API key verification: the tenants service's verify endpoint, and a warm cache in front of it as the gateway holds it.

Figure: the gateway's hot path, a warm-cache lookup of a presented key, p99 ≤ 2 ms.
Warm cache: the gateway's own ``KeyCache`` (keyed by the key's SHA-256 digest), filled from the verify
endpoint's answers; per request the gateway checks the key's shape, digests it and looks it up.
Baseline, measured in the same loop: the bare SHA-256 of the key and a dict lookup, nothing else.
Also measured, not judged: ``POST /v1/internal/api-keys/verify`` over HTTP on ``python -m kit.serve
tenants.app:create_app`` (one process, as deployed) against a private PostgreSQL, with a gateway-signed
system token, one request at a time on a keep-alive connection: what a cache miss costs. Each key's use
is noted once in the warm-up, so the measured requests read only (as within a key's minute).

    .venv/bin/python bench/bench_key_verification.py [--quick] [--lookups N] [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import http.client
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.dialects.postgresql import insert

from bench.common import (
    PYTHON,
    ROOT,
    BenchDatabase,
    bench_servers,
    median,
    percentile,
    print_header,
    print_table,
    stop_process,
    tenants_database,
    verdict,
    wait_for_http,
)
from gateway.client_keys import TENANT_KEY, KeyCache
from gateway.client_keys import digest as key_digest
from kit.db.database import Database
from kit.identity import Identity, InternalTokenSigner, generate_signing_key, jwks
from kit.local.postgres import free_port
from kit.testing.keys import SigningKeys
from tenants.client import service
from tenants.client.schemas import ClientCreate
from tenants.tenant.models import Tenant

TARGET_MS = 2.0
TENANT_COUNT = 20
CLIENTS_PER_TENANT = 25
CACHE_TTL = 60.0
VERIFY = "/v1/internal/api-keys/verify"
GATEWAY = Identity(subject="gateway", tenant_id=None, roles=frozenset({"system"}), kind="system")


def long_lived_keys() -> SigningKeys:
    """Gateway keys whose tokens outlive the run (the default 60 s would expire during it)."""
    key = generate_signing_key()
    return SigningKeys(
        signer=InternalTokenSigner(key, kid="bench", ttl_seconds=3600),
        jwks_json=json.dumps(jwks({"bench": key.public_key()})),
    )


async def seed(runtime_url: str) -> list[tuple[str, str]]:
    """Register the tenants and create their clients through the service's rules; return (tenant, key) pairs."""
    database = Database(runtime_url, pool_size=2)
    operator = Identity(subject="bench", tenant_id=None, roles=frozenset({"operator"}))
    issued: list[tuple[str, str]] = []
    try:
        for n in range(TENANT_COUNT):
            tenant = f"bench-{n:02d}"
            async with database.transaction(tenant) as session:
                await session.execute(insert(Tenant).values(tenant_id=tenant, name=f"Samtgemeinde {n}"))
                for c in range(CLIENTS_PER_TENANT):
                    data = ClientCreate(name=f"client {c}", scopes=["tickets:read", "knowledge:read"])
                    created = await service.create(session, operator, data=data)
                    issued.append((tenant, created.key))
    finally:
        await database.dispose()
    return issued


def start_service(database: BenchDatabase, nats_url: str, keys: SigningKeys, workdir: Path) -> tuple[Any, int]:
    """Start the tenants service as deployed and wait until it is ready."""
    port = free_port()
    env = {
        "ZENTRALE_ENV": "development",
        "TENANTS_DATABASE_URL": database.runtime_url,
        "NATS_URL": nats_url,
        "ZENTRALE_INTERNAL_PUBLIC_KEYS": keys.jwks_json,
    }
    log = open(workdir / "tenants.log", "wb")  # noqa: SIM115 - the server writes it until it ends
    process = subprocess.Popen(
        [PYTHON, "-m", "kit.serve", "tenants.app:create_app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process)
    except BaseException:
        stop_process(process)
        raise
    return process, port


class VerifyClient:
    """The verify endpoint on one keep-alive connection, one request at a time, timed."""

    def __init__(self, port: int, keys: SigningKeys) -> None:
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self._headers = {**keys.headers(GATEWAY), "Content-Type": "application/json"}
        self.latencies: list[float] = []
        self.failures = 0

    def verify(self, key: str) -> dict[str, Any] | None:
        # Bytes, so that http.client sends headers and body in one segment (no Nagle/delayed-ACK stall).
        body = json.dumps({"key": key}).encode()
        started = time.perf_counter()
        self._connection.request("POST", VERIFY, body=body, headers=self._headers)
        answer = self._connection.getresponse()
        payload = answer.read()
        self.latencies.append(time.perf_counter() - started)
        if answer.status != 200:
            self.failures += 1
            return None
        verified: dict[str, Any] = json.loads(payload)
        return verified

    def close(self) -> None:
        self._connection.close()


def time_lookups(lookup: Callable[[str], object], keys: Sequence[str], count: int) -> list[float]:
    """Seconds per call of ``lookup`` over ``count`` calls cycling through ``keys``."""
    samples: list[float] = []
    clock = time.perf_counter_ns
    for n in range(count):
        key = keys[n % len(keys)]
        started = clock()
        lookup(key)
        samples.append((clock() - started) / 1e9)
    return samples


def measure(database: BenchDatabase, nats_url: str, workdir: Path, lookups: int, requests: int) -> int:
    """Seed, start the service, time the endpoint, the warm cache and the baseline; print the verdict."""
    keys = long_lived_keys()
    issued = asyncio.run(seed(database.runtime_url))
    presented = [key for _, key in issued]
    owner = {key: tenant for tenant, key in issued}
    print(f"   {len(presented)} keys of {TENANT_COUNT} tenants; {lookups:,} cache lookups, {requests:,} HTTP requests")
    process, port = start_service(database, nats_url, keys, workdir)
    client = VerifyClient(port, keys)
    try:
        for key in presented:
            client.verify(key)
        client.latencies.clear()
        endpoint = [client.verify(presented[n % len(presented)]) for n in range(requests)]
        wrong_endpoint = sum(
            1
            for n, answer in enumerate(endpoint)
            if answer is None or answer["tenant_id"] != owner[presented[n % len(presented)]]
        )
        http_latencies = list(client.latencies)

        # The gateway's own cache, filled from the endpoint's answers as its verifier fills it on a miss.
        cache = KeyCache()
        for key in presented:
            answer = client.verify(key)
            if answer is not None:
                identity = Identity(
                    subject=f"client:{answer['client_id']}",
                    tenant_id=answer["tenant_id"],
                    roles=frozenset(answer["roles"]),
                    scopes=frozenset(answer["scopes"]),
                    kind="client",
                )
                cache.put(key_digest(key), identity, client_id=answer["client_id"], expires=time.time() + CACHE_TTL)
        misses = 0

        def hot_path(key: str) -> Identity | None:
            """What the gateway does per request with a tenant-issued key: shape check, digest, cache look-up."""
            nonlocal misses
            found = cache.get(key_digest(key)) if TENANT_KEY.fullmatch(key) else None
            if not found:
                misses += 1
                return None
            return found

        wrong_cache = sum(1 for key in presented if (found := hot_path(key)) is None or found.tenant_id != owner[key])

        table = {hashlib.sha256(key.encode()).digest(): owner[key] for key in presented}

        def bare(key: str) -> object:
            return table.get(hashlib.sha256(key.encode()).digest())

        rounds: list[tuple[list[float], list[float]]] = []
        for _ in range(3):
            rounds.append(
                (time_lookups(bare, presented, lookups // 3), time_lookups(hot_path, presented, lookups // 3))
            )
        misses_while_warm = misses
    finally:
        client.close()
        stop_process(process)

    base = [sample for pair in rounds for sample in pair[0]]
    warm = [sample for pair in rounds for sample in pair[1]]
    ratio = median([percentile(w, 99) / percentile(b, 99) for b, w in rounds])
    base_p99 = percentile(base, 99)

    def row(label: str, samples: list[float]) -> list[object]:
        p99 = percentile(samples, 99)
        return [label, len(samples), percentile(samples, 50) * 1e6, p99 * 1e6, p99 / base_p99]

    print_table(
        ["path", "samples", "p50 µs", "p99 µs", "p99 × baseline"],
        [
            row("bare sha256 + dict (baseline)", base),
            row("gateway KeyCache, warm (hot path)", warm),
            row("verify endpoint over HTTP (miss)", http_latencies),
        ],
    )
    print(
        "   × baseline: p99 over the baseline's p99; the warm cache's figure is the median of three alternating rounds"
    )
    print(f"   verify endpoint: {client.failures} failed, {wrong_endpoint} wrong or failed answers while measured")
    print(f"   warm cache: {misses_while_warm} misses while warm, {wrong_cache} wrong answers")
    warm_p99_ms = percentile(warm, 99) * 1e3
    failures = client.failures + wrong_endpoint + wrong_cache + misses_while_warm
    return verdict(
        warm_p99_ms <= TARGET_MS and failures == 0,
        f"warm-cache key verification p99 {warm_p99_ms * 1e3:,.1f} µs = {ratio:.2f} × bare sha256 + dict lookup "
        f"(target p99 ≤ {TARGET_MS:g} ms); verify endpoint p99 {percentile(http_latencies, 99) * 1e3:.2f} ms; "
        f"{failures} failures",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Measure key verification on the gateway's hot path and print the verdict."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer lookups and requests")
    parser.add_argument("--lookups", type=int, help="warm-cache lookups (default 300,000, 60,000 with --quick)")
    parser.add_argument("--requests", type=int, help="verify requests over HTTP (default 3,000, 1,000 with --quick)")
    args = parser.parse_args(argv)
    lookups = args.lookups or (60_000 if args.quick else 300_000)
    requests = args.requests or (1_000 if args.quick else 3_000)
    print_header(
        "API key verification on the gateway's hot path",
        f"warm-cache lookup p99 ≤ {TARGET_MS:g} ms (baseline: bare sha256 + dict lookup, same run)",
    )
    with bench_servers("keys") as servers:
        database = tenants_database(servers.admin_url)
        return measure(database, servers.nats_url, servers.workdir, lookups, requests)


if __name__ == "__main__":
    sys.exit(main())
