"""Children run in their own process groups, and stopping one ends every process of its group."""

from __future__ import annotations

import io
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.config import Paths, ProcessSpec
from devstack.errors import ChildExited, StartupFailed
from devstack.processes import Supervisor, tail
from devstack.progress import Progress
from devstack.runfile import RunRecord, alive, reap_stale
from kit.local.postgres import free_port

SPAWN_GRANDCHILD = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print("pid", child.pid, flush=True)
time.sleep(60)
"""

IGNORE_SIGTERM = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ignoring", flush=True)
time.sleep(60)
"""


# Answers /readyz with its pid; exits at once instead when the file named by its second argument exists.
SERVE_READY = """
import http.server, os, pathlib, sys
marker = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else None
if marker is not None and marker.exists():
    sys.exit(4)
class Ready(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(str(os.getpid()).encode())
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Ready).serve_forever()
"""


def spec(name: str, code: str, ready_url: str = "", *args: str) -> ProcessSpec:
    return ProcessSpec(
        name=name, argv=(sys.executable, "-c", code, *args), env={"DEVSTACK_TEST": "1"}, ready_url=ready_url
    )


def serving_spec(name: str, *args: str) -> ProcessSpec:
    port = free_port()
    return spec(name, SERVE_READY, f"http://127.0.0.1:{port}/readyz", str(port), *args)


def answering_pid(url: str) -> int:
    with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - our own loopback child
        return int(answer.read())


def wait_for_output(log: Path, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [line for line in log.read_text().splitlines() if line and not line.startswith("---")]
        if lines:
            return lines[-1]
        time.sleep(0.05)
    raise TimeoutError(f"no output in {log}")


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[Supervisor]:
    paths = Paths(tmp_path)
    paths.logs.mkdir()
    supervisor = Supervisor(paths)
    yield supervisor
    supervisor.stop_all(timeout=1)


def test_stopping_a_child_ends_its_whole_group(supervisor: Supervisor) -> None:
    child = supervisor.start(spec("parent", SPAWN_GRANDCHILD))
    grandchild = int(wait_for_output(child.log).split()[1])
    assert alive(grandchild)
    supervisor.stop(["parent"], timeout=5)
    assert not alive(child.process.pid)
    deadline = time.monotonic() + 5
    while alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(grandchild)
    assert supervisor.children == {}


def test_a_child_that_ignores_sigterm_is_killed_after_the_timeout(supervisor: Supervisor) -> None:
    child = supervisor.start(spec("stubborn", IGNORE_SIGTERM))
    wait_for_output(child.log)
    started = time.monotonic()
    supervisor.stop(["stubborn"], timeout=0.5)
    assert 0.5 <= time.monotonic() - started < 5
    assert child.process.returncode is not None
    assert not alive(child.process.pid)


def test_a_child_gets_the_stack_environment_and_writes_its_own_log(supervisor: Supervisor) -> None:
    child = supervisor.start(spec("env", "import os; print('value', os.environ['DEVSTACK_TEST'])"))
    child.process.wait(10)
    assert "value 1" in child.log.read_text()
    assert child.log == supervisor.paths.logs / "env.log"


def test_a_child_exiting_during_start_up_fails_the_wait_with_its_log(supervisor: Supervisor) -> None:
    supervisor.start(spec("broken", "import sys; print('boom'); sys.exit(3)", ready_url="http://127.0.0.1:9/readyz"))
    with pytest.raises(ChildExited, match="broken exited with code 3") as failure:
        supervisor.wait_ready(["broken"], on_ready=lambda _: None, on_tick=lambda: None, timeout=10)
    assert failure.value.log is not None
    assert "boom" in tail(failure.value.log)


def test_a_child_never_ready_fails_the_wait_after_the_timeout(supervisor: Supervisor) -> None:
    supervisor.start(spec("slow", "import time; time.sleep(60)", ready_url="http://127.0.0.1:9/readyz"))
    with pytest.raises(StartupFailed, match="not ready within 0 s: slow"):
        supervisor.wait_ready(["slow"], on_ready=lambda _: None, on_tick=lambda: None, timeout=0.3)


def test_a_restarted_child_runs_again_as_a_new_process_with_the_same_spec(supervisor: Supervisor) -> None:
    first = supervisor.start(serving_spec("server"))
    supervisor.wait_ready(["server"], on_ready=lambda _: None, on_tick=lambda: None, timeout=10)
    assert answering_pid(first.spec.ready_url) == first.process.pid

    second = supervisor.restart("server", timeout=10)

    assert second.spec == first.spec
    assert second.process.pid != first.process.pid
    assert first.process.returncode is not None
    assert supervisor.children["server"] is second
    assert answering_pid(second.spec.ready_url) == second.process.pid
    assert second.log.read_text().count("starting ") == 2


def test_a_child_that_does_not_come_back_fails_the_restart_with_its_log(supervisor: Supervisor, tmp_path: Path) -> None:
    marker = tmp_path / "refuse-to-start"
    supervisor.start(serving_spec("server", str(marker)))
    supervisor.wait_ready(["server"], on_ready=lambda _: None, on_tick=lambda: None, timeout=10)
    marker.touch()
    with pytest.raises(ChildExited, match="server exited with code 4"):
        supervisor.restart("server", timeout=10)


def test_restarting_an_unknown_child_names_those_that_run(supervisor: Supervisor) -> None:
    supervisor.start(spec("sleeper", "import time; time.sleep(60)"))
    with pytest.raises(KeyError, match="no process named 'tickets-api'; running: sleeper"):
        supervisor.restart("tickets-api")


def test_tail_returns_the_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("".join(f"line {n}\n" for n in range(100)))
    assert tail(log, 2) == "line 98\nline 99"
    assert tail(tmp_path / "missing.log") == ""


def test_tail_shows_only_the_latest_start(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("\n--- 2026-01-01 starting a\nold failure\n\n--- 2026-01-02 starting a\nnew failure\n")
    assert tail(log) == "--- 2026-01-02 starting a\nnew failure"


def test_only_leftovers_that_name_the_state_folder_are_ended(supervisor: Supervisor, tmp_path: Path) -> None:
    ours = supervisor.start(spec("ours", f"import time; time.sleep(60)  # {tmp_path}"))
    other = supervisor.start(spec("other", "import time; time.sleep(60)"))
    record = RunRecord(launcher=0, processes={"ours": ours.process.pid, "other": other.process.pid}, ready_urls={})
    record.write(tmp_path / "run.json")
    assert RunRecord.read(tmp_path / "run.json") == record
    assert reap_stale(record, tmp_path, timeout=5) == ["ours"]
    assert ours.process.wait(5) is not None
    assert other.process.poll() is None


def test_progress_prints_plain_lines_when_not_on_a_terminal() -> None:
    out = io.StringIO()
    progress = Progress(out, started=time.monotonic(), tty=False)
    progress.step("postgres", "ready")
    progress.waiting_for(["a-api", "a-worker"])
    progress.ready("a-api", "ready on :1")
    progress.finish()
    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["postgres", "a-api"]
    assert all(line.endswith(" s") for line in lines)
    assert "\r" not in out.getvalue()


def test_progress_updates_one_line_on_a_terminal() -> None:
    out = io.StringIO()
    progress = Progress(out, started=time.monotonic(), tty=True)
    progress.waiting_for(["a-api", "a-worker"])
    progress.ready("a-api", "ready on :1")
    progress.finish()
    text = out.getvalue()
    assert "1/2 ready  waiting for a-worker" in text
    assert text.endswith("processes            1 ready" + text.rsplit("1 ready", 1)[1])
    assert text.count("\n") == 1
