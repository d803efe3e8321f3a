"""``python -m devstack run`` as a user runs it: everything answers, Ctrl-C leaves nothing running, data stays."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from devstack.config import SERVICES, isolated_environment
from devstack.runfile import RunRecord, alive
from kit.testing.infra import scratch_dir

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

READY = "Ctrl-C stops everything"


@dataclass
class Launcher:
    """The launcher as a child process, its output read line by line."""

    process: subprocess.Popen[str]
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    output: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, env: dict[str, str]) -> Launcher:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        launcher = cls(process)
        threading.Thread(target=launcher._read, daemon=True).start()
        return launcher

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.output.append(line)
            if text in line:
                return
        pytest.fail(f"no {text!r} in the launcher's output:\n" + "\n".join(self.output))

    def interrupt(self, timeout: float = 60.0) -> int:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout)
        while not self.lines.empty():
            self.output.append(self.lines.get())
        return code

    @property
    def text(self) -> str:
        return "\n".join(self.output)


def get(url: str, api_key: str | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url)  # noqa: S310 - our own loopback gateway
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def process_groups_alive(groups: set[int]) -> list[str]:
    """Every process still running in one of ``groups`` (children are started as group leaders)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) in groups:
            found.append(f"{stat.parent.name} (group {fields[2]})")
    return found


def api_key(home: Path, subject: str) -> str:
    keys = json.loads((home / "keys" / "api-keys.json").read_text())
    return next(str(key) for key, grant in keys.items() if grant["subject"] == subject)


@pytest.fixture
def home() -> Iterator[Path]:
    path = scratch_dir("zentrale-devstack-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def run_once(env: dict[str, str], home: Path) -> tuple[Launcher, RunRecord]:
    """Start the stack, check it through the gateway, stop it with Ctrl-C and check nothing is left."""
    launcher = Launcher.start(env)
    record = None
    try:
        launcher.wait_for(READY)
        record = RunRecord.read(home / "run.json")
        assert record is not None
        assert set(record.processes) == {"postgres", "nats", "gateway"} | {
            f"{s}-{kind}" for s in SERVICES for kind in ("api", "worker")
        }
        gateway = f"http://127.0.0.1:{env['ZENTRALE_GATEWAY_PORT']}"
        assert get(f"{gateway}/healthz")[0] == 200
        status, tenant = get(f"{gateway}/v1/tenants/artland", api_key(home, "demo-artland-agent"))
        assert (status, tenant["name"]) == (200, "Samtgemeinde Artland")
        # The partners' grants reach the gateway as events shortly after the demo made them.
        for partner in ("artland", "rheine"):
            deadline = time.monotonic() + 10
            while get(f"{gateway}/v1/tenants/{partner}", api_key(home, "demo-oldenburg-agent"))[0] != 200:
                assert time.monotonic() < deadline, f"the Oldenburg agent cannot act for {partner}"
                time.sleep(0.2)
        # The partners' terms as the issue fixes them: Artland's trial and Rheine's, in another state.
        status, contract = get(f"{gateway}/v1/tenants/artland/contract", api_key(home, "demo-operator"))
        assert status == 200, contract
        terms = contract["terms"]
        assert (terms["service_level"]["target_percent"], terms["service_level"]["threshold_seconds"]) == (90, 20)
        assert terms["term"]["trial_end"] == "2026-06-30"
        assert terms["forwarding_deadline"] == {"rule": "next_working_day_end"}
        status, rheine = get(f"{gateway}/v1/tenants/rheine", api_key(home, "demo-rheine-agent"))
        assert (status, rheine["state"]) == (200, "NW"), rheine
        assert get(f"{gateway}/v1/tenants/artland", api_key(home, "demo-rheine-agent"))[0] == 404
        status, page = get(
            f"{gateway}/v1/tenants/artland/knowledge/descriptions?limit=1", api_key(home, "demo-artland-agent")
        )
        assert status == 200, page
        assert page["items"], "the Artland agent sees no service descriptions"
        status, found = get(
            f"{gateway}/v1/tenants/artland/knowledge/search?q=Perso%20abgelaufen", api_key(home, "demo-artland-agent")
        )
        assert status == 200, found
        assert found["items"][0]["name"] == "Personalausweis beantragen", found
        status, work = get(f"{gateway}/v1/tenants/artland/tickets?status=open", api_key(home, "demo-artland-agent"))
        assert status == 200, work
        assert len(work["items"]) == 2, work
        assert all(ticket["due_at"] and ticket["department_id"] for ticket in work["items"]), work
        # The host's agent reads the caller's data through Artland's grant (and the read is audited).
        ticket_id = work["items"][0]["id"]
        status, ticket = get(f"{gateway}/v1/tenants/artland/tickets/{ticket_id}", api_key(home, "demo-oldenburg-agent"))
        assert status == 200, ticket
        assert ticket["caller"]["name"] in ("Erika Mustermann", "Max Mustermann")
        # Artland's requestable services reach the tickets service from the knowledge events: Open311, no key.
        deadline = time.monotonic() + 15
        while True:
            status, services = get(f"{gateway}/v1/tenants/artland/open311/services.json")
            listed = cast(list[dict[str, Any]], services) if status == 200 else []
            codes = {service["service_code"] for service in listed}
            if "sperrmuell" in codes or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert "sperrmuell" in codes, (status, services)
        # The demo's calls, counted per municipality by the line they came in on; each sees its own figures only.
        today = datetime.now(ZoneInfo("Europe/Berlin")).date()
        period = f"from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"
        status, figures = get(f"{gateway}/v1/figures/kpis?{period}", api_key(home, "demo-operator"))
        assert status == 200, figures
        offered = {row["tenant_id"]: row["total"]["offered"] for row in figures["tenants"]}
        assert offered == {"artland": 45, "oldenburg": 90, "rheine": 30}, offered
        status, _ = get(f"{gateway}/v1/tenants/oldenburg/figures/kpis?{period}", api_key(home, "demo-artland-agent"))
        assert status == 404
        status, _ = get(f"{gateway}/v1/tenants/artland/figures/kpis?{period}", api_key(home, "demo-rheine-agent"))
        assert status == 404
        assert f"{gateway}/docs" in launcher.text
        assert api_key(home, "demo-artland-agent") in launcher.text
    finally:
        code = launcher.interrupt()
        if record is not None:
            for group in record.processes.values():
                if alive(group):
                    os.killpg(group, signal.SIGKILL)
    assert code == 0, launcher.text
    assert record is not None
    left = process_groups_alive({record.launcher, *record.processes.values()})
    assert left == [], f"left running: {left}"
    assert not (home / "run.json").exists()
    return launcher, record


def test_run_serves_the_demo_stops_on_ctrl_c_and_keeps_the_data(home: Path) -> None:
    env = isolated_environment(os.environ, home)
    first, _ = run_once(env, home)
    assert "tenants oldenburg, artland, rheine; contracts oldenburg, artland, rheine; departments" in first.text
    assert "grants artland, rheine" in first.text
    assert "shared descriptions" in first.text
    assert "contacts 4 (2 forwarded)" in first.text
    assert "call events" in first.text
    keys = (home / "keys" / "api-keys.json").read_text()
    secrets = (home / "secrets.json").read_text()

    second, _ = run_once(env, home)
    assert "already loaded" in second.text
    assert "every database up to date" in second.text
    assert (home / "keys" / "api-keys.json").read_text() == keys
    assert (home / "secrets.json").read_text() == secrets
