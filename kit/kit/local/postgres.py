"""A private PostgreSQL server on loopback, from the machine's binaries or the ``pgserver`` wheel."""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import pwd
import shutil
import socket
import stat
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REQUIRED_EXTENSIONS = ("pg_trgm", "unaccent", "btree_gin")
SERVER_USER = "zentrale-pg"


class PostgresNotFound(RuntimeError):
    """No PostgreSQL server binaries with the required extensions were found."""


def _has_extensions(bindir: Path) -> bool:
    pg_config = bindir / "pg_config"
    if pg_config.exists():
        sharedir = Path(subprocess.check_output([str(pg_config), "--sharedir"], text=True).strip())
    else:
        sharedir = bindir.parent / "share" / "postgresql"
        if not sharedir.exists():
            sharedir = bindir.parent / "share"
    return all((sharedir / "extension" / f"{name}.control").exists() for name in REQUIRED_EXTENSIONS)


@functools.cache
def find_bindir() -> Path:
    """Return the directory of ``postgres``/``initdb``/``pg_ctl``: the machine's first, else ``pgserver``'s."""
    candidates: list[Path] = []
    if explicit := os.environ.get("ZENTRALE_PG_BINDIR"):
        candidates.append(Path(explicit))
    if on_path := shutil.which("pg_ctl"):
        candidates.append(Path(on_path).resolve().parent)
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    with contextlib.suppress(ImportError):
        import pgserver

        candidates.append(Path(pgserver.__file__).parent / "pginstall" / "bin")
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "postgres").exists() and _has_extensions(bindir):
            return bindir
    raise PostgresNotFound(
        "no PostgreSQL server binaries with pg_trgm, unaccent and btree_gin found; "
        "install them, or run `uv sync --group pgserver`"
    )


def free_port() -> int:
    """Return a TCP port on loopback that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_user() -> str | None:
    """PostgreSQL refuses to run as root: when we are root, run it as an unprivileged system user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER],
            check=True,
            capture_output=True,
        )
    return SERVER_USER


def _as_user(user: str | None) -> dict[str, Any]:
    """``subprocess`` arguments that run a child as ``user`` with its own group only.

    Keeping root's group would make the group bits of root's folders apply to the child instead of
    the ones for others, and a ``mktemp -d`` folder gives its group nothing.
    """
    if user is None:
        return {}
    return {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []}


def make_reachable(folder: Path) -> None:
    """Let the unprivileged server user pass through ``folder`` and its parents (search, not read).

    A folder made by ``mktemp -d`` is closed to everyone but its owner; as root we open only passage.
    """
    for path in (folder.resolve(), *folder.resolve().parents):
        mode = path.stat().st_mode
        if not mode & stat.S_IXOTH:
            path.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


@dataclass
class LocalPostgres:
    """One PostgreSQL cluster in ``datadir``, listening on 127.0.0.1:``port``; data survives restarts."""

    datadir: Path
    port: int
    superuser: str = "postgres"
    password: str = "postgres"  # noqa: S105 - a private server on loopback
    process: subprocess.Popen[bytes] | None = None

    @property
    def admin_url(self) -> str:
        return f"postgresql://{self.superuser}:{self.password}@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        """Create the cluster unless it exists already."""
        if (self.datadir / "PG_VERSION").exists():
            return
        bindir = find_bindir()
        self.datadir.mkdir(parents=True, exist_ok=True)
        user = _server_user()
        pwfile = self.datadir.parent / f".{self.datadir.name}.pw"
        pwfile.write_text(self.password)
        if user:
            make_reachable(self.datadir.parent)
            shutil.chown(self.datadir, user)
            shutil.chown(pwfile, user)
        initdb = subprocess.run(
            [
                str(bindir / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                self.superuser,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            capture_output=True,
            text=True,
            **_as_user(user),
        )
        pwfile.unlink()
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed: {initdb.stderr.strip()[-500:]}")

    def start(self, *, fsync: bool = True, timeout: float = 30.0, settings: Mapping[str, str] | None = None) -> None:
        """Start the server in the foreground of a child process and wait until it accepts connections.

        ``settings`` are further server parameters (``-c name=value``), e.g. for a figure script.
        """
        self.init()
        bindir = find_bindir()
        options = [
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"port={self.port}",
            "-c",
            f"unix_socket_directories={self.datadir}",
            "-c",
            "max_connections=300",
            "-c",
            "shared_buffers=128MB",
        ]
        if not fsync:
            options += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        for name, value in (settings or {}).items():
            options += ["-c", f"{name}={value}"]
        log = open(self.datadir.parent / f"{self.datadir.name}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(bindir / "postgres"), "-D", str(self.datadir), *options],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **_as_user(_server_user()),
        )
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited with {self.process.returncode}; see its log")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
                ready = subprocess.run(
                    [str(find_bindir() / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                    capture_output=True,
                )
                if ready.returncode == 0:
                    return
            time.sleep(0.05)
        raise TimeoutError(f"PostgreSQL on port {self.port} not ready within {timeout} s")

    def stop(self, timeout: float = 20.0) -> None:
        """Shut down fast (SIGINT) and wait; the data stays."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(2)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
