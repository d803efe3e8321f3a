"""Figure: ``make run`` on a warm install to every process ready, and each process's idle memory.

Targets: start <= 20 s, idle RSS <= 120 MB per process. The baseline, measured in the same run and
started the same way (own session, bytecode cache, log file): a FastAPI hello-world app on
``python -m uvicorn``, to first answer, and its RSS when idle.

The stack runs from a temporary state folder on free ports; a first (cold) start creates the data
and the bytecode caches, then the warm starts are measured. Everything is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import median, print_table, verdict
from devstack.config import child_environment, isolated_environment
from devstack.runfile import RunRecord, alive
from kit.local.postgres import free_port
from kit.testing.infra import scratch_dir

TARGET_START_SECONDS = 20.0
TARGET_RSS_MB = 120.0
IDLE_SECONDS = 5.0
READY = re.compile(r"Zentrale is ready: (\d+) processes in ([\d.]+) s")

HELLO_APP = """
from fastapi import FastAPI


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    return app
"""


def rss_mb(pid: int) -> float:
    """The resident set of one process (VmRSS), in MB; 0 when it is gone."""
    with suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (e.g. uvicorn's or PostgreSQL's forks)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


@dataclass(frozen=True)
class StackRun:
    wall_seconds: float
    reported_seconds: float
    stop_seconds: float
    rss: dict[str, tuple[float, float, int]]  # process → (own RSS, RSS of its children, number of children)


def run_stack(env: dict[str, str], home: Path, *, measure_memory: bool) -> StackRun:
    """Start the launcher, wait for its ready line, optionally read memory, stop it with Ctrl-C."""
    started = time.monotonic()
    launcher = subprocess.Popen(
        [sys.executable, "-m", "devstack", "run"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    record: RunRecord | None = None
    output: list[str] = []
    try:
        assert launcher.stdout is not None
        match = None
        for line in launcher.stdout:
            output.append(line)
            if match := READY.search(line):
                break
        if match is None:
            raise RuntimeError("the stack did not start:\n" + "".join(output))
        wall = time.monotonic() - started
        record = RunRecord.read(home / "run.json")
        assert record is not None
        rss: dict[str, tuple[float, float, int]] = {}
        if measure_memory:
            time.sleep(IDLE_SECONDS)
            for name, pid in record.processes.items():
                below = descendants(pid)
                rss[name] = (rss_mb(pid), sum(rss_mb(child) for child in below), len(below))
        stopping = time.monotonic()
        launcher.send_signal(signal.SIGINT)
        code = launcher.wait(60)
        stop = time.monotonic() - stopping
        if code != 0:
            raise RuntimeError(f"the launcher stopped with exit code {code}")
        left = [name for name, pid in record.processes.items() if alive(pid)]
        if left:
            raise RuntimeError(f"left running after Ctrl-C: {', '.join(left)}")
        return StackRun(wall, float(match.group(2)), stop, rss)
    finally:
        if launcher.poll() is None:
            launcher.send_signal(signal.SIGINT)
            try:
                launcher.wait(60)
            except subprocess.TimeoutExpired:
                launcher.kill()
                launcher.wait()
        if record is not None:
            for pid in record.processes.values():
                with suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)


@contextmanager
def hello_app() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="zentrale-hello-"))
    (folder / "hello_app.py").write_text(HELLO_APP)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_baseline(app_dir: Path, home: Path) -> tuple[float, float]:
    """Start the hello-world app the way the stack starts an API; return (seconds to first answer, idle RSS MB)."""
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "--factory", "hello_app:create_app", "--app-dir", str(app_dir)]
    env = child_environment(os.environ, {}, bytecode_dir=home / "cache" / "pycache")
    started = time.monotonic()
    with (home / "baseline.log").open("ab") as log:
        process = subprocess.Popen(
            [*argv, "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the baseline app exited with {process.returncode}")
            with suppress(OSError), urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=0.5) as answer:
                if answer.status == 200:
                    break
            time.sleep(0.02)
        seconds = time.monotonic() - started
        time.sleep(IDLE_SECONDS)
        return seconds, rss_mb(process.pid)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=2, help="warm starts to measure (the median counts)")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    print("== make run: warm start to every process ready, and idle memory per process")
    print(f"   target: start <= {TARGET_START_SECONDS:.0f} s, idle RSS <= {TARGET_RSS_MB:.0f} MB per process")
    print(f"   machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print("   baseline: a FastAPI hello-world app on `python -m uvicorn`, started the same way")

    home = scratch_dir("zentrale-bench-stack-")
    try:
        env = isolated_environment(os.environ, home)
        cold = run_stack(env, home, measure_memory=False)
        print(f"   cold start (creates the data and bytecode caches): {cold.reported_seconds:.1f} s")
        warm = [run_stack(env, home, measure_memory=index == args.runs - 1) for index in range(args.runs)]
        with hello_app() as app_dir:
            run_baseline(app_dir, home)  # fills the bytecode cache
            baselines = [run_baseline(app_dir, home) for _ in range(3)]
    finally:
        shutil.rmtree(home, ignore_errors=True)

    base_start = median([seconds for seconds, _ in baselines])
    base_rss = median([rss for _, rss in baselines])
    start = median([run.reported_seconds for run in warm])
    wall = median([run.wall_seconds for run in warm])
    print_table(
        ["start", "seconds", "x baseline"],
        [
            ["baseline: hello-world uvicorn to first answer", base_start, 1.0],
            ["stack: launcher start to all ready (its own figure)", start, start / base_start],
            ["stack: command to ready line, as a user waits", wall, wall / base_start],
            ["stack: Ctrl-C to everything stopped", median([run.stop_seconds for run in warm]), ""],
        ],
    )
    memory = warm[-1].rss
    rows: list[list[object]] = [["baseline: hello-world uvicorn", base_rss, 0.0, 0, 1.0]]
    rows += [[name, own, below, count, own / base_rss] for name, (own, below, count) in memory.items()]
    print()
    print_table(["process (idle)", "RSS MB", "children MB", "children", "x baseline"], rows)
    print("   (children MB adds up each child's own RSS: PostgreSQL's shared buffers count once per backend)")
    worst_name, (worst, _, _) = max(memory.items(), key=lambda item: item[1][0])
    passed = start <= TARGET_START_SECONDS and worst <= TARGET_RSS_MB
    return verdict(
        passed,
        f"warm start {start:.1f} s (target {TARGET_START_SECONDS:.0f} s, {start / base_start:.1f} x baseline), "
        f"largest idle RSS {worst:.0f} MB in {worst_name} (target {TARGET_RSS_MB:.0f} MB, "
        f"{worst / base_rss:.1f} x baseline)",
    )


if __name__ == "__main__":
    raise SystemExit(main())
