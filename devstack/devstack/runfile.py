"""``run.json`` in the state folder: which launcher runs there and the ids of its processes."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def alive(pid: int) -> bool:
    """Whether a process with this id exists (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def command_line(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return ""


@dataclass(frozen=True)
class RunRecord:
    launcher: int
    processes: Mapping[str, int]
    ready_urls: Mapping[str, str]

    @classmethod
    def read(cls, path: Path) -> RunRecord | None:
        try:
            data: dict[str, Any] = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return cls(
            launcher=int(data.get("launcher", 0)),
            processes={str(k): int(v) for k, v in data.get("processes", {}).items()},
            ready_urls={str(k): str(v) for k, v in data.get("ready_urls", {}).items()},
        )

    def write(self, path: Path) -> None:
        partial = path.with_name(f".{path.name}.partial")
        document = {"launcher": self.launcher, "processes": dict(self.processes), "ready_urls": dict(self.ready_urls)}
        partial.write_text(json.dumps(document, indent=2) + "\n")
        os.replace(partial, path)

    @property
    def launcher_alive(self) -> bool:
        return alive(self.launcher) and "devstack" in command_line(self.launcher)


def reap_stale(record: RunRecord, home: Path, *, timeout: float = 10.0) -> list[str]:
    """End servers a killed launcher left behind: only processes whose command line names ``home``."""
    stale = {name: pid for name, pid in record.processes.items() if alive(pid) and str(home) in command_line(pid)}
    for pid in stale.values():
        # SIGINT is the fast, clean shutdown of both PostgreSQL and nats-server.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in stale.values()) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in stale.values():
        if alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    return sorted(stale)
