"""Shared parts of the figure scripts: private servers, a migrated database, statistics and the verdict.

Every figure is a ratio against a baseline measured in the same run, because the machines are shared
and noisy; the absolute numbers are printed beside it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from kit.db.provision import ServiceDatabase, provision
from kit.local.nats import LocalNats
from kit.local.postgres import LocalPostgres, free_port
from kit.migrations import upgrade
from kit.testing.infra import scratch_dir
from tenants.migrate import MIGRATIONS as TENANTS_MIGRATIONS

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BENCH_PASSWORD = "bench-password"  # noqa: S105 - a private server on loopback, gone after the run


@dataclass(frozen=True)
class BenchServers:
    """A private PostgreSQL (superuser URL) and nats-server for one run."""

    admin_url: str
    nats_url: str
    workdir: Path
    postgres_pid: int
    nats_pid: int


@contextmanager
def bench_servers(name: str, *, postgres_settings: Mapping[str, str] | None = None) -> Iterator[BenchServers]:
    """Start PostgreSQL (fsync off) and NATS in a temporary folder; stop both and remove it, whatever happens."""
    workdir = scratch_dir(f"zentrale-bench-{name}-")
    postgres = LocalPostgres(workdir / "postgres", free_port())
    nats = LocalNats(workdir / "nats", free_port(), free_port())
    try:
        postgres.start(fsync=False, settings=postgres_settings)
        nats.start()
        assert postgres.process is not None
        assert nats.process is not None
        yield BenchServers(postgres.admin_url, nats.url, workdir, postgres.process.pid, nats.process.pid)
    finally:
        nats.stop()
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass(frozen=True)
class BenchDatabase:
    """A service database migrated with the tenants service's migrations, and its roles' URLs."""

    spec: ServiceDatabase
    runtime_url: str
    owner_url: str


def tenants_database(admin_url: str, service: str = "benchsvc") -> BenchDatabase:
    """Provision a database with owner and runtime roles and run the tenants migrations as owner."""
    spec = ServiceDatabase.for_service(service, password=BENCH_PASSWORD)
    asyncio.run(provision(admin_url, spec))
    upgrade(TENANTS_MIGRATIONS, spec.owner_url(admin_url), runtime_role=spec.runtime)
    return BenchDatabase(spec=spec, runtime_url=spec.runtime_url(admin_url), owner_url=spec.owner_url(admin_url))


async def execute_as(url: str, *statements: str) -> None:
    """Run DDL or maintenance statements on one connection (e.g. as the owner role)."""
    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def quiet_logging() -> None:
    """Show warnings, but not the NATS disconnect that every drain at the end of a run logs."""
    logging.basicConfig(level=logging.WARNING, format="   log %(levelname)s %(name)s %(message)s")
    logging.getLogger("kit.nats").setLevel(logging.ERROR)


def cpu_seconds(pid: int, *, with_children: bool = False) -> float:
    """CPU time used so far by process ``pid`` (and, if asked, by its children, living or reaped)."""
    ticks = os.sysconf("SC_CLK_TCK")

    def fields(stat: str) -> list[str]:
        return stat.rsplit(")", 1)[1].split()

    try:
        own = fields(Path(f"/proc/{pid}/stat").read_text())
    except OSError:
        return 0.0
    used = int(own[11]) + int(own[12])
    if with_children:
        used += int(own[13]) + int(own[14])
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with suppress(OSError, IndexError):
                    child = fields((entry / "stat").read_text())
                    if int(child[1]) == pid:
                        used += int(child[11]) + int(child[12])
    return used / ticks


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count) of a non-empty sample."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def print_header(title: str, target: str) -> None:
    """Print what is measured, against what target, on which machine."""
    quiet_logging()
    load = os.getloadavg()
    print(f"== {title}")
    print(f"   target: {target}")
    print(
        f"   machine: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print("   PostgreSQL runs with fsync=off, synchronous_commit=off, full_page_writes=off (a bench-only setting)")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a plain text table, numbers right-aligned."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        line = "  ".join(
            value.ljust(width) if column == 0 else value.rjust(width)
            for column, (value, width) in enumerate(zip(row, widths, strict=True))
        )
        print("   " + line)
        if index == 0:
            print("   " + "  ".join("-" * width for width in widths))


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def verdict(passed: bool, summary: str) -> int:
    """Print the last line, PASS or FAIL, and return the process exit code."""
    print(f"{'PASS' if passed else 'FAIL'}: {summary}")
    return 0 if passed else 1


def stop_process(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Stop a child process (SIGTERM, then SIGKILL) and wait for it."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for_http(
    url: str, process: subprocess.Popen[bytes], *, headers: dict[str, str] | None = None, timeout: float = 30.0
) -> bytes:
    """Wait until ``url`` answers 200 and return the body, failing early if ``process`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
        with suppress(OSError), urllib.request.urlopen(request, timeout=1.0) as answer:  # noqa: S310 - loopback
            if answer.status == 200:
                body: bytes = answer.read()
                return body
        time.sleep(0.1)
    raise TimeoutError(f"{url} not ready within {timeout} s")
