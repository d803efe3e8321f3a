"""``python -m devstack run``: the whole of Zentrale on this machine, with a demo; Ctrl-C stops it.

``python -m devstack demo`` plays a simulated day at the service center against the stack ``run`` started.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, NoReturn, TextIO

from devstack import demo
from devstack.config import ConfigError, StackConfig, use_bytecode_cache
from devstack.errors import StartupFailed
from devstack.processes import is_ready, tail
from devstack.progress import Progress
from devstack.runfile import RunRecord, alive

if TYPE_CHECKING:
    from devstack.stack import Ready

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _interrupt(signum: int, frame: FrameType | None) -> NoReturn:
    raise KeyboardInterrupt


def print_ready(out: TextIO, config: StackConfig, ready: Ready) -> None:
    """Tell the user where everything is and how to call it."""
    gateway = config.gateway_url
    width = max(len(key) for key in ready.api_keys.values())
    lines = [
        "",
        f"Zentrale is ready: {ready.processes} processes in {ready.seconds:.1f} s",
        "",
        f"  Gateway    {gateway}",
        f"  API docs   {gateway}/docs",
        f"  State      {config.paths.home}  (logs in {config.paths.logs})",
        "",
        "  Demo API keys (development only):",
        *(f"    {ready.api_keys[client.name]:<{width}}  {client.who}" for client in demo.CLIENTS),
        f"    {'(no key)':<{width}}  the public: Open311 and published knowledge of each municipality",
        "",
        "  Try:",
        f'    curl -H "Authorization: Bearer {ready.api_keys["artland-agent"]}" '
        f"{gateway}/v1/tenants/{demo.DEMO_TENANT}",
        f"    curl -X POST {gateway}/auth/demo/token -H 'Content-Type: application/json' "
        f"""-d '{{"subject": "erika", "tenant": "{demo.DEMO_TENANT}", "roles": ["agent"]}}'   # a demo OIDC token""",
        "",
        "Ctrl-C stops everything; the data stays.",
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()


def process_age() -> float:
    """Seconds since this process started (its interpreter's start-up and imports included)."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return 0.0
    return max(0.0, uptime - ticks / os.sysconf("SC_CLK_TCK"))


def run(config: StackConfig, *, load_demo: bool, out: TextIO) -> int:
    """Start the stack, serve until a stop signal, stop everything; 0 unless start-up failed."""
    started = time.monotonic() - process_age()
    use_bytecode_cache(os.environ, config.paths.bytecode)
    from devstack.stack import Stack  # after the line above, so that its imports use the cache

    progress = Progress(out, started=started)
    out.write(f"Starting Zentrale from {config.paths.home}\n")
    stack = Stack(config, progress)
    for signum in STOP_SIGNALS:
        signal.signal(signum, _interrupt)
    code = 0
    try:
        ready = stack.start(load_demo=load_demo)
        print_ready(out, config, ready)
        stack.watch()
    except KeyboardInterrupt:
        progress.message("\nStopping ...")
    except (StartupFailed, demo.DemoFailed) as error:
        progress.message(f"\nStart-up failed: {error}")
        log = getattr(error, "log", None)
        if log is not None and (text := tail(log)):
            progress.message(f"--- last lines of {log} ---\n{text}\n---")
        code = 1
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        stack.stop()
    return code


def status(config: StackConfig, *, out: TextIO) -> int:
    """Show whether a stack runs in the state folder and which of its processes are ready."""
    record = RunRecord.read(config.paths.run_file)
    if record is None or not record.launcher_alive:
        out.write(f"No stack runs from {config.paths.home}\n")
        return 1
    out.write(f"Stack running from {config.paths.home} (launcher pid {record.launcher})\n")
    for name, pid in record.processes.items():
        url = record.ready_urls.get(name)
        state = "running" if alive(pid) else "gone"
        if url and state == "running":
            state = "ready" if is_ready(url) else "not ready"
        out.write(f"  {name:<20} pid {pid:<8} {state}\n")
    return 0


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= 50:
        raise argparse.ArgumentTypeError("between 0 (exclusive) and 50")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description="Run Zentrale on this machine.")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="start everything and load the demo; Ctrl-C stops")
    run_parser.add_argument("--no-demo", action="store_true", help="do not load the demo data")
    status_parser = commands.add_parser("status", help="show the processes of a running stack")
    demo_parser = commands.add_parser(
        "demo", help="play a simulated day at the service center against the running stack and report it"
    )
    demo_parser.add_argument(
        "--day", type=_date, help="the day to simulate (default: the latest free working day at least 14 days ago)"
    )
    demo_parser.add_argument("--scale", type=_scale, default=1.0, help="calls relative to a normal day (default 1.0)")
    demo_parser.add_argument("--seed", type=int, default=2010, help="the random seed of the day (default 2010)")
    demo_parser.add_argument("--concurrency", type=int, default=16, help="requests in flight at once (default 16)")
    for sub in (run_parser, status_parser, demo_parser):
        sub.add_argument("--home", type=Path, help="state folder (default: $ZENTRALE_HOME or .zentrale/)")
    args = parser.parse_args(argv)
    try:
        config = StackConfig.from_env(os.environ, home=args.home)
    except ConfigError as error:
        parser.exit(2, f"error: {error}\n")
    if args.command == "status":
        return status(config, out=sys.stdout)
    if args.command == "demo":
        from devstack.simulation.console import play_demo

        return play_demo(
            config, day=args.day, scale=args.scale, seed=args.seed, concurrency=args.concurrency, out=sys.stdout
        )
    return run(config, load_demo=not args.no_demo, out=sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
