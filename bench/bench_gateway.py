"""Gateway throughput and added latency for a small authenticated GET, against calling the service directly.

The service: the tenants service as deployed (``python -m kit.serve``, real PostgreSQL), answering
``GET /v1/tenants/{id}`` for 50 seeded tenants. Called four ways in the same run, rounds alternating:

- direct: with an internal token the gateway's key signed (what the gateway itself sends);
- nginx: a plain reverse proxy with keep-alive upstream connections, the same token passed through;
- python tcp relay: uvloop relaying bytes between paired connections, no HTTP: the floor of any Python front;
- python http relay: heads parsed and rebuilt with httptools, no checks: the floor of any Python HTTP proxy;
- bare aiohttp proxy: the smallest aiohttp.web pass-through, the same token passed through;
- gateway: ``python -m gateway`` with an API key per tenant: key look-up, tenant scope, rate limits, a signed
  internal token (cached), header filtering, request id, tracing with no exporter, metrics and the access audit.

Figures: requests per second at 64 connections as a ratio to direct (target ≥ 0.70), and the p50 the gateway adds
at one connection (target ≤ 0.3 ms). ``wrk`` drives the load; without it the script says so and passes.

    .venv/bin/python bench/bench_gateway.py [--quick] [--seconds S] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_tenant_read import POOL_SIZE, Server, seed, start_server, tenant_ids
from bench.common import (
    PYTHON,
    ROOT,
    BenchDatabase,
    bench_servers,
    cpu_seconds,
    median,
    print_header,
    print_table,
    stop_process,
    tenants_database,
    verdict,
    wait_for_http,
)
from kit.identity import Identity, InternalTokenSigner, generate_signing_key, jwks, private_key_pem
from kit.local.postgres import free_port

THROUGHPUT_TARGET = 0.70
ADDED_P50_TARGET_MS = 0.3
CONNECTIONS = 64
NARROW_REPEATS = 4
KEY_ID = "bench"

_BARE_PROXY = """
import sys, uvloop, aiohttp
from aiohttp import web
UPSTREAM = sys.argv[2]
HOP = {"host", "connection", "keep-alive", "transfer-encoding", "content-length"}
async def start(app):
    app["session"] = aiohttp.ClientSession(auto_decompress=False, connector=aiohttp.TCPConnector(limit=0))
    yield
    await app["session"].close()
async def forward(request):
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
    body = await request.read() if request.body_exists else None
    async with request.app["session"].request(
        request.method, UPSTREAM + request.raw_path, headers=headers, data=body, allow_redirects=False
    ) as upstream:
        payload = await upstream.read()
        out = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP}
        return web.Response(status=upstream.status, body=payload, headers=out)
app = web.Application()
app.cleanup_ctx.append(start)
app.router.add_route("*", "/{path:.*}", forward)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None, loop=uvloop.new_event_loop())
"""

# The floor of any Python front on this machine: bytes relayed between paired connections, no HTTP at all.
_TCP_RELAY = """
import asyncio, sys, uvloop
UPSTREAM = ("127.0.0.1", int(sys.argv[2]))
class Back(asyncio.Protocol):
    def __init__(self, front):
        self.front = front
    def data_received(self, data):
        self.front.write(data)
    def connection_lost(self, exc):
        self.front.close()
class Front(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.back, self.early = transport, None, []
        asyncio.ensure_future(self.pair())
    async def pair(self):
        self.back, _ = await asyncio.get_running_loop().create_connection(lambda: Back(self.transport), *UPSTREAM)
        for data in self.early:
            self.back.write(data)
    def data_received(self, data):
        self.early.append(data) if self.back is None else self.back.write(data)
    def connection_lost(self, exc):
        if self.back is not None:
            self.back.close()
async def main():
    server = await asyncio.get_running_loop().create_server(Front, "127.0.0.1", int(sys.argv[1]))
    await server.serve_forever()
uvloop.run(main())
"""

# The floor of any Python HTTP proxy: heads parsed and rebuilt with httptools, one upstream connection per client
# connection, no checks at all.
_HTTP_RELAY = """
import asyncio, sys, httptools, uvloop
UPSTREAM = ("127.0.0.1", int(sys.argv[2]))
class Back(asyncio.Protocol):
    def __init__(self, front):
        self.front, self.parser, self.headers, self.body = front, httptools.HttpResponseParser(self), [], []
    def connection_made(self, transport):
        self.transport = transport
    def data_received(self, data):
        self.parser.feed_data(data)
    def on_header(self, name, value):
        if name.lower() != b"content-length":
            self.headers.append(name + b": " + value)
    def on_body(self, body):
        self.body.append(body)
    def on_message_complete(self):
        body = b"".join(self.body)
        status = b"HTTP/1.1 %d OK" % self.parser.get_status_code()
        head = b"\\r\\n".join([status, *self.headers, b"Content-Length: %d" % len(body)])
        self.front.transport.write(head + b"\\r\\n\\r\\n" + body)
        self.headers, self.body = [], []
class Front(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.parser, self.back = transport, httptools.HttpRequestParser(self), None
        self.url, self.headers = b"", []
    def data_received(self, data):
        self.parser.feed_data(data)
    def on_url(self, url):
        self.url += url
    def on_header(self, name, value):
        self.headers.append(name + b": " + value)
    def on_message_complete(self):
        line = self.parser.get_method() + b" " + self.url + b" HTTP/1.1"
        head = b"\\r\\n".join([line, *self.headers]) + b"\\r\\n\\r\\n"
        self.url, self.headers = b"", []
        asyncio.ensure_future(self.send(head))
    async def send(self, head):
        if self.back is None:
            loop = asyncio.get_running_loop()
            _, self.back = await loop.create_connection(lambda: Back(self), *UPSTREAM)
        self.back.transport.write(head)
    def connection_lost(self, exc):
        if self.back is not None:
            self.back.transport.close()
async def main():
    server = await asyncio.get_running_loop().create_server(Front, "127.0.0.1", int(sys.argv[1]))
    await server.serve_forever()
uvloop.run(main())
"""

_NGINX = """
worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {workdir}/nginx-body;
    proxy_temp_path {workdir}/nginx-proxy;
    fastcgi_temp_path {workdir}/nginx-fastcgi;
    uwsgi_temp_path {workdir}/nginx-uwsgi;
    scgi_temp_path {workdir}/nginx-scgi;
    upstream service {{ server {upstream}; keepalive 128; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://service;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


@dataclass(frozen=True)
class Run:
    """What one wrk run measured; ``cpu_us`` is the front process's CPU per request (None: no front process)."""

    rate: float
    p50_ms: float
    failures: int
    cpu_us: float | None


@dataclass(frozen=True)
class Target:
    """One way to reach the service: a URL, the requests it gets, and the process in front (None: direct)."""

    label: str
    url: str
    script: Path
    front_pid: int | None


def _milliseconds(value: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s)", value)
    if found is None:
        raise ValueError(f"not a wrk duration: {value!r}")
    number, unit = found.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(target: Target, *, connections: int, seconds: float) -> Run:
    """Load ``target`` with wrk (one thread) and charge the CPU time of the process in front of the service."""
    cpu_before = cpu_seconds(target.front_pid) if target.front_pid else 0.0
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds:.0f}s", "--latency", "-s", str(target.script), target.url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)$", out, re.M)
    if total is None or p50 is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    requests = int(total.group(1))
    elapsed = float(total.group(2)) / (1000 if total.group(3) == "ms" else 1)
    failures = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = (int(failures.group(1)) if failures else 0) + (sum(map(int, errors.groups())) if errors else 0)
    cpu = (cpu_seconds(target.front_pid) - cpu_before) / requests * 1e6 if target.front_pid else None
    return Run(requests / elapsed, _milliseconds(p50.group(1)), failed, cpu)


def wrk_script(path: Path, requests: Sequence[tuple[str, str, str]]) -> Path:
    """A wrk Lua script cycling through (path, header, value) requests."""
    entries = ",\n".join(f'  wrk.format("GET", "{p}", {{["{h}"] = "{v}"}})' for p, h, v in requests)
    path.write_text(
        "local requests = {}\nlocal next_one = 0\n"
        f"init = function(args)\n requests = {{\n{entries}\n }}\nend\n"
        "request = function()\n  next_one = next_one % #requests + 1\n  return requests[next_one]\nend\n"
    )
    return path


def _start(label: str, command: list[str], workdir: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    log = open(workdir / f"{label}.log", "wb")  # noqa: SIM115 - the process writes it until it ends
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def measure(database: BenchDatabase, nats_url: str, workdir: Path, seconds: float, rounds: int) -> int:
    """Start the service and the fronts, load them in alternation; print the tables and the verdict."""
    key = generate_signing_key()
    (workdir / "signing.pem").write_bytes(private_key_pem(key))
    signer = InternalTokenSigner(key, kid=KEY_ID, ttl_seconds=3600)
    asyncio.run(seed(database.runtime_url))
    tenants = tenant_ids()
    tokens = {t: signer.sign(Identity(subject=f"desk-{t}", tenant_id=t, roles=frozenset({"agent"}))) for t in tenants}
    api_keys = {f"bench-key-{t}-7Q2m9xV4pL": t for t in tenants}
    (workdir / "api-keys.json").write_text(
        json.dumps(
            {k: {"subject": f"desk-{t}", "tenant": t, "roles": ["agent"], "kind": "user"} for k, t in api_keys.items()}
        )
    )
    direct_script = wrk_script(
        workdir / "direct.lua", [(f"/v1/tenants/{t}", "Authorization", f"Bearer {tokens[t]}") for t in tenants]
    )
    gateway_script = wrk_script(
        workdir / "gateway.lua", [(f"/v1/tenants/{t}", "X-API-Key", k) for k, t in api_keys.items()]
    )
    env = {
        "ZENTRALE_ENV": "development",
        "TENANTS_DATABASE_URL": database.runtime_url,
        "TENANTS_DB_POOL_SIZE": str(POOL_SIZE),
        "NATS_URL": nats_url,
        "ZENTRALE_INTERNAL_PUBLIC_KEYS": json.dumps(jwks({KEY_ID: key.public_key()})),
    }
    probe = (f"/v1/tenants/{tenants[0]}", {"Authorization": f"Bearer {tokens[tenants[0]]}"})
    service: Server | None = None
    fronts: list[subprocess.Popen[bytes]] = []
    try:
        service = start_server("tenants service", "tenants.app:create_app", env, workdir, probe, as_deployed=True)
        upstream = service.url.removeprefix("http://")
        nginx_port, relay_port, http_relay_port = free_port(), free_port(), free_port()
        bare_port, gateway_port = free_port(), free_port()
        (workdir / "nginx.conf").write_text(_NGINX.format(workdir=workdir, upstream=upstream, port=nginx_port))
        nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
        targets = [Target("direct", service.url, direct_script, None)]
        if nginx is not None:
            fronts.append(_start("nginx", [nginx, "-c", str(workdir / "nginx.conf"), "-p", str(workdir)], workdir))
            targets.append(Target("nginx", f"http://127.0.0.1:{nginx_port}", direct_script, fronts[-1].pid))
        relay = [PYTHON, "-c", _TCP_RELAY, str(relay_port), upstream.rsplit(":", 1)[1]]
        fronts.append(_start("tcp relay", relay, workdir))
        targets.append(Target("python tcp relay", f"http://127.0.0.1:{relay_port}", direct_script, fronts[-1].pid))
        http_relay = [PYTHON, "-c", _HTTP_RELAY, str(http_relay_port), upstream.rsplit(":", 1)[1]]
        fronts.append(_start("http relay", http_relay, workdir))
        http_relay_url = f"http://127.0.0.1:{http_relay_port}"
        targets.append(Target("python http relay", http_relay_url, direct_script, fronts[-1].pid))
        fronts.append(_start("bare proxy", [PYTHON, "-c", _BARE_PROXY, str(bare_port), service.url], workdir))
        targets.append(Target("bare aiohttp proxy", f"http://127.0.0.1:{bare_port}", direct_script, fronts[-1].pid))
        gateway_env = {
            **env,
            "LOG_LEVEL": "WARNING",
            "GATEWAY_PORT": str(gateway_port),
            "GATEWAY_SIGNING_KEY": str(workdir / "signing.pem"),
            "GATEWAY_SIGNING_KEY_ID": KEY_ID,
            "GATEWAY_API_KEYS": str(workdir / "api-keys.json"),
            "GATEWAY_TENANTS_URL": service.url,
            # Each tenant's key makes ~100 requests per second: the limits must not be what is measured.
            "GATEWAY_RATE_LIMIT_CLIENT": "1000000000",
            "GATEWAY_RATE_LIMIT_TENANT": "1000000000",
        }
        fronts.append(_start("gateway", [PYTHON, "-m", "gateway"], workdir, gateway_env))
        targets.append(Target("gateway", f"http://127.0.0.1:{gateway_port}", gateway_script, fronts[-1].pid))
        gateway_probe = {"X-API-Key": next(iter(api_keys))}
        for target, process in zip(targets[1:], fronts, strict=True):
            headers = gateway_probe if target.label == "gateway" else probe[1]
            wait_for_http(target.url + probe[0], process, headers=headers)
        for target in targets:
            run_wrk(target, connections=CONNECTIONS, seconds=2)
        wide: dict[str, list[Run]] = {t.label: [] for t in targets}
        narrow: dict[str, list[Run]] = {t.label: [] for t in targets}
        # Rounds alternate between the targets, so a change in the machine's load hits all of them.
        for _ in range(rounds):
            for target in targets:
                wide[target.label].append(run_wrk(target, connections=CONNECTIONS, seconds=seconds))
            # The added p50 is a fraction of a millisecond against a service answering in one or two:
            # many short runs in alternation, so that the machine's drift hits every target alike.
            for _ in range(NARROW_REPEATS):
                for target in targets:
                    narrow[target.label].append(run_wrk(target, connections=1, seconds=max(seconds / 2, 1.0)))
    finally:
        for process in reversed(fronts):
            stop_process(process)
        if service is not None:
            stop_process(service.process)

    def paired(runs: dict[str, list[Run]], label: str, value: str) -> float:
        pairs = zip(runs[label], runs["direct"], strict=True)
        if value == "rate":
            return median([run.rate / base.rate for run, base in pairs])
        return median([run.p50_ms - base.p50_ms for run, base in pairs])

    rows = []
    for label in wide:
        cpu = [run.cpu_us for run in wide[label] if run.cpu_us is not None]
        rows.append(
            [
                label,
                median([run.rate for run in wide[label]]),
                paired(wide, label, "rate"),
                round(median(cpu)) if cpu else "-",
                median([run.p50_ms for run in narrow[label]]),
                paired(narrow, label, "p50"),
                sum(run.failures for run in (*wide[label], *narrow[label])),
            ]
        )
    print_table(
        [
            "path",
            f"req/s at {CONNECTIONS}",
            "x direct",
            "front CPU us/req",
            "p50 ms at 1",
            "added p50 ms",
            "failed",
        ],
        rows,
    )
    print("   x direct and added p50: medians over the rounds of each run against direct's run in the same round")
    if "nginx" not in wide:
        print("   nginx: not installed, no baseline row (apt-get install nginx-light)")
    ratio = paired(wide, "gateway", "rate")
    added = paired(narrow, "gateway", "p50")
    failures = sum(run.failures for runs in (wide, narrow) for label in runs for run in runs[label])
    return verdict(
        ratio >= THROUGHPUT_TARGET and added <= ADDED_P50_TARGET_MS and failures == 0,
        f"gateway {ratio:.2f} x direct at {CONNECTIONS} connections (target >= {THROUGHPUT_TARGET}), "
        f"adds {added:.3f} ms p50 at one connection (target <= {ADDED_P50_TARGET_MS}); {failures} failed requests",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the gateway against calling the service directly and print the verdict."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter and fewer runs")
    parser.add_argument("--seconds", type=float, help="seconds per run (default 5, 3 with --quick)")
    parser.add_argument("--rounds", type=int, help="runs per target and width (default 3, 1 with --quick)")
    args = parser.parse_args(argv)
    seconds = args.seconds or (3.0 if args.quick else 5.0)
    rounds = args.rounds or (1 if args.quick else 3)
    print_header(
        "Gateway: a small authenticated GET through the gateway against calling the service directly",
        f">= {THROUGHPUT_TARGET} x direct at {CONNECTIONS} connections; <= {ADDED_P50_TARGET_MS} ms added p50 "
        "at one connection; nginx and a bare aiohttp proxy reported as baselines",
    )
    if shutil.which("wrk") is None:
        return verdict(True, "SKIP: wrk is not installed")
    with bench_servers("gateway") as servers:
        database = tenants_database(servers.admin_url)
        return measure(database, servers.nats_url, servers.workdir, seconds, rounds)


if __name__ == "__main__":
    sys.exit(main())
