"""A tenant-scoped read by id through the tenants service's HTTP API, against a minimal asyncpg endpoint.

Ours: ``python -m kit.serve tenants.app:create_app`` (one process, as deployed), ``GET /v1/tenants/{id}`` with a
gateway-signed token for that tenant, for 50 seeded tenants: identity, problem handling, middleware,
the kit's lean ``Database.fetch_one`` and the response model, all as deployed (tracing off, as when no
``OTEL_*`` export is configured).
Baseline: ``bench/baseline_read_app.py:create_fastapi_app`` started the same way: a minimal FastAPI
endpoint, the framework every service is built on, running the statement the kit sends (tenant set in
the same round trip) on a plain asyncpg pool as the same runtime role, answering with ``orjson``.
Also measured, not judged: the same endpoint on bare Starlette, the floor below FastAPI.

Load: ``wrk`` (one thread, 64 keep-alive connections) if it is on PATH, else ``bench/http_load.py``
(aiohttp, 64 keep-alive connections) in a process of its own. Each server is warmed up, then measured
for the same time in alternation (A, B, A, B …); the figure is the median of each round's ratio.

    .venv/bin/python bench/bench_tenant_read.py [--quick] [--seconds S] [--rounds R] [--python-load]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from bench.common import (
    PYTHON,
    ROOT,
    BenchDatabase,
    bench_servers,
    median,
    print_header,
    print_table,
    quiet_logging,
    stop_process,
    tenants_database,
    verdict,
    wait_for_http,
)
from kit.db.database import TENANT_SETTING, Database, tenant_scoped
from kit.identity import InternalTokenSigner, generate_signing_key, jwks
from kit.local.postgres import free_port
from kit.testing.keys import SigningKeys
from tenants.tenant import repository

HTTP_LOAD = Path(__file__).resolve().parent / "http_load.py"
TARGET = 0.6
TENANT_COUNT = 50
CONNECTIONS = 64
POOL_SIZE = 20
UVICORN_FLAGS = ("--no-access-log", "--loop", "uvloop", "--http", "httptools")


@dataclass(frozen=True)
class Server:
    """One HTTP server under test, started by uvicorn in its own process."""

    label: str
    process: subprocess.Popen[bytes]
    url: str


@dataclass(frozen=True)
class Load:
    """What one measured interval achieved."""

    requests: int
    seconds: float
    failures: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


OFFICIAL_KEYS = {"ars": "034030000000", "ags": "03403000", "state": "NI", "open311_jurisdiction_id": None}


def tenant_ids() -> list[str]:
    """The seeded tenants."""
    return [f"bench-{n:02d}" for n in range(TENANT_COUNT)]


def long_lived_keys() -> SigningKeys:
    """Gateway keys whose tokens outlive the run (the default 60 s would expire during it)."""
    key = generate_signing_key()
    return SigningKeys(
        signer=InternalTokenSigner(key, kid="bench", ttl_seconds=3600),
        jwks_json=json.dumps(jwks({"bench": key.public_key()})),
    )


def read_statement() -> str:
    """The SQL the kit's lean path sends for the tenants repository's read by id.

    The baseline binds it as (setting name, tenant, tenant, 0); anything else means the kit changed.
    """
    compiled = tenant_scoped(repository.BY_ID).compile(dialect=asyncpg_dialect())  # type: ignore[no-untyped-call]
    values = [compiled.params[name] for name in compiled.positiontup or ()]
    if values != [TENANT_SETTING, None, None, 0]:
        raise RuntimeError(f"the kit's statement changed its parameters: {compiled.positiontup} {compiled.params}")
    return str(compiled)


async def seed(runtime_url: str) -> None:
    """Create the tenants through the service's repository, each in a transaction of its own tenant."""
    database = Database(runtime_url, pool_size=2)
    try:
        for tenant in tenant_ids():
            async with database.transaction(tenant) as session:
                values = {"tenant_id": tenant, "name": f"Samtgemeinde {tenant.title()}", **OFFICIAL_KEYS}
                await repository.insert_new(session, values=values)
    finally:
        await database.dispose()


def start_server(
    label: str,
    factory: str,
    env: dict[str, str],
    workdir: Path,
    probe: tuple[str, dict[str, str]],
    *,
    as_deployed: bool = False,
) -> Server:
    """Start ``uvicorn --factory`` (uvloop, httptools, no access log) and wait until ``probe`` answers.

    ``as_deployed``: ``python -m kit.serve`` instead, as devstack and the deployment start a service.
    """
    port = free_port()
    log = open(workdir / f"{label}.log", "wb")  # noqa: SIM115 - the server writes it until it ends
    command = ["-m", "kit.serve", factory] if as_deployed else ["-m", "uvicorn", "--factory", factory, *UVICORN_FLAGS]
    process = subprocess.Popen(
        [PYTHON, *command, "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + probe[0], process, headers=probe[1])
    except (RuntimeError, TimeoutError) as error:
        stop_process(process)
        tail = (workdir / f"{label}.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{label} did not answer: {error}\n{tail}") from None
    except BaseException:
        stop_process(process)
        raise
    return Server(label, process, url)


def wrk_script(workdir: Path, requests: Sequence[tuple[str, dict[str, str]]]) -> Path:
    """A wrk Lua script cycling through the pre-signed requests."""
    entries = ",\n".join(
        f'  wrk.format("GET", "{path}", {{["Authorization"] = "{headers["Authorization"]}"}})'
        for path, headers in requests
    )
    script = workdir / "requests.lua"
    script.write_text(
        "local requests = {}\nlocal next_one = 0\n"
        f"init = function(args)\n requests = {{\n{entries}\n }}\nend\n"
        "request = function()\n  next_one = next_one % #requests + 1\n  return requests[next_one]\nend\n"
    )
    return script


def run_wrk(url: str, seconds: float, script: Path) -> Load:
    """Load ``url`` with wrk (one thread, ``CONNECTIONS`` connections) for ``seconds``."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds:.0f}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    if total is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    elapsed = float(total.group(2)) / (1000 if total.group(3) == "ms" else 1)
    failures = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = int(failures.group(1)) if failures else 0
    failed += sum(int(n) for n in errors.groups()) if errors else 0
    return Load(int(total.group(1)), elapsed, failed)


def run_python_load(url: str, seconds: float, file: Path) -> Load:
    """Load ``url`` from a separate Python process (``bench/http_load.py``) for ``seconds``."""
    out = subprocess.run(
        [PYTHON, str(HTTP_LOAD), f"--url={url}", f"--seconds={seconds}", f"--requests={file}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return Load(result["requests"], result["seconds"], result["failures"])


def measure(database: BenchDatabase, nats_url: str, workdir: Path, seconds: float, rounds: int, use_wrk: bool) -> int:
    """Seed, start the servers, load them in alternation; print the table and the verdict."""
    keys = long_lived_keys()
    asyncio.run(seed(database.runtime_url))
    requests = [(f"/v1/tenants/{tenant}", keys.headers_for(tenant, "agent")) for tenant in tenant_ids()]
    sql = read_statement()
    print(f"   statement (the kit's lean read, also run by the baseline): {' '.join(sql.split())}")
    ours_env = {
        "ZENTRALE_ENV": "development",
        "TENANTS_DATABASE_URL": database.runtime_url,
        "TENANTS_DB_POOL_SIZE": str(POOL_SIZE),
        "NATS_URL": nats_url,
        "ZENTRALE_INTERNAL_PUBLIC_KEYS": keys.jwks_json,
    }
    base_env = {
        "BENCH_DATABASE_URL": database.runtime_url,
        "BENCH_READ_SQL": sql,
        "BENCH_POOL_MIN": str(POOL_SIZE),
        "BENCH_POOL_MAX": str(POOL_SIZE),
    }
    servers: list[Server] = []
    try:
        service = start_server(
            "tenants service", "tenants.app:create_app", ours_env, workdir, requests[0], as_deployed=True
        )
        servers.append(service)
        factory = "bench.baseline_read_app:create_fastapi_app"
        servers.append(start_server("minimal FastAPI", factory, base_env, workdir, requests[0]))
        factory = "bench.baseline_read_app:create_app"
        servers.append(start_server("bare Starlette", factory, base_env, workdir, requests[0]))
        ours, baseline, reference = servers
        answers = [
            json.loads(wait_for_http(s.url + requests[0][0], s.process, headers=requests[0][1])) for s in servers
        ]
        if len({(answer["id"], answer["name"], answer["status"]) for answer in answers}) != 1:
            raise RuntimeError(f"the servers answer differently: {answers}")

        if use_wrk:
            script = wrk_script(workdir, requests)

            def load(url: str, duration: float) -> Load:
                return run_wrk(url, duration, script)

            generator = f"wrk -t1 -c{CONNECTIONS}"
        else:
            requests_file = workdir / "requests.json"
            requests_file.write_text(json.dumps(requests))

            def load(url: str, duration: float) -> Load:
                return run_python_load(url, duration, requests_file)

            generator = f"bench/http_load.py (aiohttp, own process), {CONNECTIONS} connections"
            generator += "; wrk is not on PATH" if shutil.which("wrk") is None else "; asked for by --python-load"
        print(f"   load generator: {generator}; {seconds:.0f} s per run, {rounds} run(s) per server, alternating")
        for server in servers:
            load(server.url, 2.0)
        results: dict[str, list[Load]] = {server.label: [] for server in servers}
        for _ in range(rounds):
            for server in servers:
                results[server.label].append(load(server.url, seconds))
    finally:
        for server in servers:
            stop_process(server.process)

    base_runs = results[baseline.label]
    rows: list[list[object]] = []
    for label, loads in results.items():
        paired = median([run.rate / base.rate for run, base in zip(loads, base_runs, strict=True)])
        rows.append([label, *(f"{run.rate:,.0f}" for run in loads), median([run.rate for run in loads]), paired])
    print_table(["server", *(f"run {n + 1} req/s" for n in range(rounds)), "median req/s", "× baseline"], rows)
    print("   × baseline: the median over the rounds of each run's rate over the baseline's run in the same round")
    print("   minimal FastAPI: the baseline, plain asyncpg in a bare FastAPI endpoint; bare Starlette: the same")
    print("   endpoint without FastAPI, for reference")
    failures = sum(run.failures for label in (ours.label, baseline.label) for run in results[label])
    if reference_failures := sum(run.failures for run in results[reference.label]):
        print(f"   {reference.label}: {reference_failures} failed requests")
    ours_rate = median([run.rate for run in results[ours.label]])
    base_rate = median([run.rate for run in base_runs])
    ratio = median([run.rate / base.rate for run, base in zip(results[ours.label], base_runs, strict=True)])
    return verdict(
        ratio >= TARGET and failures == 0,
        f"tenants service {ours_rate:,.0f} req/s = {ratio:.2f} × minimal FastAPI endpoint {base_rate:,.0f} req/s "
        f"(target ≥ {TARGET}); {failures} failed requests",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the tenant read through the service against the minimal endpoint and print the verdict."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter and fewer runs")
    parser.add_argument("--seconds", type=float, help="seconds per run (default 4, 2 with --quick)")
    parser.add_argument("--rounds", type=int, help="runs per server (default 3, 2 with --quick)")
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator even if wrk exists")
    args = parser.parse_args(argv)
    seconds = args.seconds or (2.0 if args.quick else 4.0)
    rounds = args.rounds or (2 if args.quick else 3)
    use_wrk = shutil.which("wrk") is not None and not args.python_load
    print_header(
        "Tenant-scoped read by id through HTTP",
        f"tenants service GET /v1/tenants/{{id}} ≥ {TARGET} × a minimal FastAPI + asyncpg endpoint, same statement",
    )
    quiet_logging()
    with bench_servers("read") as servers:
        database = tenants_database(servers.admin_url)
        return measure(database, servers.nats_url, servers.workdir, seconds, rounds, use_wrk)


if __name__ == "__main__":
    sys.exit(main())
