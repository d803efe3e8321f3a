"""Child processes of the stack: each in its own process group with its own log, stopped as a group."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from devstack.config import Paths, ProcessSpec, child_environment
from devstack.errors import ChildExited, StartupFailed

PR_SET_PDEATHSIG = 1
START_MARK = "--- "


def _die_with_parent() -> None:
    """Ask Linux to end the child when the launcher dies without cleaning up (e.g. SIGKILL).

    Linux sends the signal when the *thread* that started the child ends: start children from a thread that
    lives as long as they should (the launcher's main thread; not a short-lived executor's).
    """
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def tail(path: Path, lines: int = 30) -> str:
    """Return the last ``lines`` lines of a log file ('' when there is none)."""
    if not path.exists():
        return ""
    with path.open("rb") as file:
        file.seek(0, os.SEEK_END)
        file.seek(max(0, file.tell() - 64 * 1024))
        text = file.read().decode(errors="replace")
    # Our logs are appended to on every start; show only the latest start.
    latest = text.rsplit(f"\n{START_MARK}", 1)
    if len(latest) == 2:
        text = START_MARK + latest[1]
    return "\n".join(text.splitlines()[-lines:])


def is_ready(url: str, timeout: float = 0.5) -> bool:
    """Whether ``url`` answers 200 right now."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - loopback probe
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Child:
    spec: ProcessSpec
    process: subprocess.Popen[bytes]
    log: Path
    ready: bool = False


@dataclass
class Supervisor:
    """Starts, watches and stops the stack's long-running processes."""

    paths: Paths
    base_env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    children: dict[str, Child] = field(default_factory=dict)

    def start(self, spec: ProcessSpec) -> Child:
        """Start ``spec`` in a new session (so a terminal's Ctrl-C reaches only the launcher)."""
        log_path = self.paths.log(spec.name)
        with log_path.open("ab") as log:
            command = shlex.join(spec.argv).replace("\n", "\\n")
            log.write(f"\n{START_MARK}{time.strftime('%Y-%m-%d %H:%M:%S')} starting {command}\n".encode())
            log.flush()
            process = subprocess.Popen(
                spec.argv,
                env=child_environment(self.base_env, spec.env, bytecode_dir=self.paths.bytecode),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        child = Child(spec, process, log_path)
        self.children[spec.name] = child
        return child

    def check_alive(self) -> None:
        """Raise ``ChildExited`` for the first child that has ended."""
        for child in self.children.values():
            code = child.process.poll()
            if code is not None:
                raise ChildExited(child.spec.name, code, child.log)

    def exited(self) -> list[Child]:
        """Return (and stop tracking) the children that have ended."""
        gone = [child for child in self.children.values() if child.process.poll() is not None]
        for child in gone:
            _signal_group(child.process.pid, signal.SIGKILL)
            del self.children[child.spec.name]
        return gone

    def wait_ready(
        self,
        names: Iterable[str],
        *,
        on_ready: Callable[[Child], None],
        on_tick: Callable[[], None],
        timeout: float,
    ) -> None:
        """Poll each child's ``/readyz`` until all answer; fail fast when one exits."""
        pending = [self.children[name] for name in names]
        deadline = time.monotonic() + timeout
        while pending:
            self.check_alive()
            for child in list(pending):
                if is_ready(child.spec.ready_url):
                    child.ready = True
                    pending.remove(child)
                    on_ready(child)
            if not pending:
                return
            if time.monotonic() > deadline:
                names_left = ", ".join(child.spec.name for child in pending)
                raise StartupFailed(f"not ready within {timeout:.0f} s: {names_left}", log=pending[0].log)
            on_tick()
            time.sleep(0.1)

    def restart(self, name: str, *, timeout: float = 60.0, stop_timeout: float = 10.0) -> Child:
        """Stop one child and start it again with the same spec; return once it answers ``/readyz`` again."""
        if name not in self.children:
            raise KeyError(f"no process named {name!r}; running: {', '.join(self.children) or 'none'}")
        spec = self.children[name].spec
        self.stop([name], timeout=stop_timeout)
        child = self.start(spec)
        if spec.ready_url:
            self.wait_ready([name], on_ready=lambda _: None, on_tick=lambda: None, timeout=timeout)
        return child

    def pids(self) -> dict[str, int]:
        return {name: child.process.pid for name, child in self.children.items()}

    def stop(self, names: Iterable[str], *, timeout: float = 10.0) -> None:
        """SIGTERM each named child's process group, wait up to ``timeout``, then SIGKILL what is left."""
        group = [self.children[name] for name in names if name in self.children]
        for child in group:
            _signal_group(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in group:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(max(0.0, deadline - time.monotonic()))
        for child in group:
            # The group may outlive its leader (a forked helper); end every member.
            _signal_group(child.process.pid, signal.SIGKILL)
            if child.process.poll() is None:
                child.process.wait()
            del self.children[child.spec.name]

    def stop_all(self, *, timeout: float = 10.0) -> None:
        """Stop the gateway first (no new requests), then every API and worker."""
        if "gateway" in self.children:
            self.stop(["gateway"], timeout=timeout)
        self.stop(list(self.children), timeout=timeout)


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)
