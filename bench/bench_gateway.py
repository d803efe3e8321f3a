"""Gateway throughput against a bare aiohttp pass-through proxy in front of the same upstream.

Baseline: the smallest aiohttp.web proxy (one shared ClientSession, headers copied, body read whole),
which PITFALLS measured at about 74 % of nginx on this kind of machine. Ours: ``python -m gateway``
with an API key, tenant scope, a signed internal token (cached), header filtering, request id,
tracing with no exporter, metrics. Both forward ``GET /v1/tenants/artland`` to one minimal aiohttp
upstream; ``wrk`` drives 64 connections. The direct upstream rate is printed for scale.

    .venv/bin/python bench/bench_gateway.py [--quick] [--connections 64] [--seconds 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PYTHON, ROOT, print_table, stop_process, verdict, wait_for_http
from kit.identity import generate_signing_key, private_key_pem
from kit.local.postgres import free_port

TARGET = 0.8
API_KEY = "bench-key-7Q2m9xV4pL"
PATH = "/v1/tenants/artland"

_UPSTREAM = """
import sys, uvloop
from aiohttp import web
BODY = b'{"id":"artland","name":"Samtgemeinde Artland","state":"active","created_at":"2026-11-23T10:00:00Z"}'
async def tenant(request):
    return web.Response(body=BODY, content_type="application/json")
app = web.Application()
app.router.add_get("/v1/tenants/{tenant}", tenant)
app.router.add_get("/healthz", tenant)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None, loop=uvloop.new_event_loop())
"""

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


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_us_per_request: float | None


def _cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process so far (Linux), or None where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _milliseconds(value: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if found is None:
        raise ValueError(f"not a wrk duration: {value!r}")
    number, unit = found.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}[unit]


def run_wrk(url: str, *, connections: int, seconds: int, pid: int) -> WrkResult:
    """Drive ``url`` with wrk, parse its summary and charge the CPU time of process ``pid`` per request."""
    cpu_before = _cpu_seconds(pid)
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"X-API-Key: {API_KEY}", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    # The latency distribution's own lines ("     99%    4.20ms"), not a "+/- Stdev" column ending in 99%.
    p50 = _milliseconds(re.search(r"^\s+50%\s+(\S+)$", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"^\s+99%\s+(\S+)$", output, re.M).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    cpu_after = _cpu_seconds(pid)
    cpu = None if cpu_before is None or cpu_after is None else (cpu_after - cpu_before) / requests * 1e6
    return WrkResult(rate, p50, p99, int(errors.group(1)) if errors else 0, cpu)


def _median_run(runs: list[WrkResult]) -> WrkResult:
    ordered = sorted(runs, key=lambda run: run.requests_per_second)
    return ordered[len(ordered) // 2]


def _start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen([PYTHON, *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="3 s per measurement")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    seconds = 3 if options.quick else options.seconds
    rounds = 1 if options.quick else options.rounds
    if shutil.which("wrk") is None:
        print("SKIP: wrk is not installed")
        return 0
    load = os.getloadavg()
    print("== Gateway throughput: python -m gateway against a bare aiohttp proxy, same upstream")
    print(
        f"   target: gateway >= {TARGET} x bare proxy; {options.connections} connections, "
        f"median of {rounds} rounds of {seconds} s"
    )
    print(f"   machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")

    workdir = Path(tempfile.mkdtemp(prefix="zentrale-bench-gateway-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        key_file = workdir / "signing.pem"
        key_file.write_bytes(private_key_pem(generate_signing_key()))
        grants = {API_KEY: {"subject": "bench", "tenant": "artland", "roles": ["agent"]}}
        (workdir / "api-keys.json").write_text(json.dumps(grants))
        upstream_port, bare_port, gateway_port = free_port(), free_port(), free_port()
        upstream = f"http://127.0.0.1:{upstream_port}"
        processes.append(_start(["-c", _UPSTREAM, str(upstream_port)]))
        wait_for_http(f"{upstream}/healthz", processes[-1])
        processes.append(_start(["-c", _BARE_PROXY, str(bare_port), upstream]))
        wait_for_http(f"http://127.0.0.1:{bare_port}{PATH}", processes[-1])
        env = {
            **os.environ,
            "ZENTRALE_ENV": "development",
            "LOG_LEVEL": "WARNING",
            "GATEWAY_PORT": str(gateway_port),
            "GATEWAY_SIGNING_KEY": str(key_file),
            "GATEWAY_API_KEYS": str(workdir / "api-keys.json"),
            "GATEWAY_TENANTS_URL": upstream,
            # The load comes from one API key: the limits must not be what is measured.
            "GATEWAY_RATE_LIMIT_CLIENT": "1000000000",
            "GATEWAY_RATE_LIMIT_TENANT": "1000000000",
        }
        processes.append(_start(["-m", "gateway"], env))
        wait_for_http(f"http://127.0.0.1:{gateway_port}/readyz", processes[-1])

        targets = {
            "upstream direct": (f"{upstream}{PATH}", processes[0].pid),
            "bare aiohttp proxy": (f"http://127.0.0.1:{bare_port}{PATH}", processes[1].pid),
            "gateway": (f"http://127.0.0.1:{gateway_port}{PATH}", processes[2].pid),
        }
        # Rounds alternate between the targets, so a change in the machine's load hits all of them.
        runs: dict[str, list[WrkResult]] = {name: [] for name in targets}
        for _ in range(rounds):
            for name, (url, pid) in targets.items():
                runs[name].append(run_wrk(url, connections=options.connections, seconds=seconds, pid=pid))
        results = {name: _median_run(found) for name, found in runs.items()}
    finally:
        for process in reversed(processes):
            stop_process(process)
        shutil.rmtree(workdir, ignore_errors=True)

    baseline = results["bare aiohttp proxy"].requests_per_second
    print_table(
        ["path", "req/s", "p50 ms", "p99 ms", "non-2xx", "x bare proxy", "CPU us/req (front process)"],
        [
            [
                name,
                r.requests_per_second,
                r.p50_ms,
                r.p99_ms,
                r.errors,
                r.requests_per_second / baseline,
                "-" if r.cpu_us_per_request is None else round(r.cpu_us_per_request),
            ]
            for name, r in results.items()
        ],
    )
    ratio = results["gateway"].requests_per_second / baseline
    clean = all(r.errors == 0 for r in results.values())
    return verdict(
        ratio >= TARGET and clean,
        f"gateway {ratio:.2f} x bare aiohttp proxy (target {TARGET}), {'no' if clean else 'some'} non-2xx answers",
    )


if __name__ == "__main__":
    raise SystemExit(main())
