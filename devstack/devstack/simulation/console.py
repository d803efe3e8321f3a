"""``python -m devstack demo``: plan a day, play it against the stack ``make run`` started, print the report."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from devstack.config import StackConfig
from devstack.runfile import RunRecord
from devstack.simulation.plan import TIME_ZONE, DayPlan, pick_day, plan_day
from devstack.simulation.player import planned_requests, play
from devstack.simulation.profiles import DEMO_MUNICIPALITIES
from devstack.simulation.report import fetch_report, format_report, used_days


class DemoUnavailable(RuntimeError):
    """No stack to play against, or not the keys the day needs."""


def read_api_keys(path: Path) -> dict[str, str]:
    """The demo's API keys by client name (``operator``, ``artland-back-office``, …) from the stack's key file."""
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise DemoUnavailable(f"cannot read the demo's API keys from {path}: {error}") from None
    return {
        str(entry["subject"]).removeprefix("demo-"): key
        for key, entry in stored.items()
        if isinstance(entry, dict) and str(entry.get("subject", "")).startswith("demo-")
    }


def required_keys(tenants: tuple[str, ...]) -> tuple[str, ...]:
    return ("operator", "oldenburg-agent", *(f"{tenant}-back-office" for tenant in tenants))


def check_stack(config: StackConfig) -> dict[str, str]:
    """The API keys to play with, once the stack in ``config``'s state folder runs and its gateway answers."""
    record = RunRecord.read(config.paths.run_file)
    if record is None or not record.launcher_alive:
        raise DemoUnavailable(
            f"no stack runs from {config.paths.home}: start one with `make run` (or give its state folder, --home)"
        )
    try:
        with urllib.request.urlopen(f"{config.gateway_url}/readyz", timeout=3.0):  # noqa: S310 - loopback
            pass
    except (urllib.error.URLError, OSError) as error:
        raise DemoUnavailable(f"the gateway at {config.gateway_url} does not answer ({error})") from None
    keys = read_api_keys(config.paths.api_keys)
    missing = [name for name in required_keys(tuple(m.tenant_id for m in DEMO_MUNICIPALITIES)) if name not in keys]
    if missing:
        raise DemoUnavailable(
            f"{config.paths.api_keys} has no key for {', '.join(missing)}: stop the stack (Ctrl-C) and start it"
            " again, which adds the demo's new keys"
        )
    return keys


def default_day(gateway_url: str, keys: dict[str, str], *, today: date) -> date:
    """The latest working day at least 14 days ago whose fortnight holds no calls or contacts yet."""
    tenants = tuple(m.tenant_id for m in DEMO_MUNICIPALITIES)
    used = asyncio.run(
        used_days(gateway_url, keys, tenants, start=today - timedelta(days=365), end=today + timedelta(days=1))
    )
    day = pick_day(today, used)
    if day is None:
        raise DemoUnavailable("every working day of the past year has calls already: name one with --day")
    return day


def describe(plan: DayPlan) -> str:
    """One line on what the day holds."""
    per_tenant = Counter(call.tenant_id for call in plan.calls)
    shares = ", ".join(f"{m.tenant_id} {per_tenant[m.tenant_id]:,}" for m in plan.municipalities)
    return (
        f"{plan.day.strftime('%A')} {plan.day.isoformat()} (seed {plan.seed}, scale {plan.scale:g}):"
        f" {len(plan.calls):,} calls ({shares}), {len(plan.contacts):,} answered,"
        f" up to {max(plan.staffing, default=0)} agents; {planned_requests(plan):,} requests to send"
    )


def play_demo(config: StackConfig, *, day: date | None, scale: float, seed: int, concurrency: int, out: TextIO) -> int:
    """Plan, play and report a day; 0 when every request went through and the figures hold all of it."""
    try:
        keys = check_stack(config)
        today = datetime.now(TIME_ZONE).date()
        chosen = day or default_day(config.gateway_url, keys, today=today)
    except DemoUnavailable as error:
        out.write(f"error: {error}\n")
        return 2
    if chosen >= today:
        out.write(f"note: {chosen} is not in the past; what the back office does later than now is left out\n")
    plan = plan_day(chosen, seed=seed, scale=scale)
    out.write(f"Simulating {describe(plan)}\n")
    out.write(f"Playing against {config.gateway_url} ...\n")
    out.flush()
    shown = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if out.isatty() and now - shown[0] > 0.5:
            shown[0] = now
            out.write(f"\r  {done:,} of {total:,} requests")
            out.flush()

    played = asyncio.run(play(plan, config.gateway_url, keys, concurrency=concurrency, on_progress=progress))
    if out.isatty():
        out.write("\r" + " " * 40 + "\r")
    out.write(f"Played in {played.wall_seconds:.1f} s; waiting for the figures ...\n")
    out.flush()
    report = asyncio.run(fetch_report(plan, config.gateway_url, keys, played=played))
    out.write(format_report(report, played))
    out.flush()
    return 0 if report.settled and not played.failures else 1
