"""PostgreSQL and NATS (ours or given), one database per service, and its migrations."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from devstack.config import HOST, DatabaseUrls, Paths, ProcessSpec, StackConfig, child_environment
from devstack.errors import StartupFailed
from kit.db.provision import ServiceDatabase, provision
from kit.local.nats import LocalNats
from kit.local.postgres import LocalPostgres


@dataclass
class Infrastructure:
    """The servers the services need: started here unless the environment names external ones."""

    config: StackConfig
    postgres: LocalPostgres | None = None
    nats: LocalNats | None = None
    _nats_start: Future[None] | None = None
    _pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, "nats-start"))

    @property
    def admin_url(self) -> str | None:
        if self.config.external_database_url:
            return self.config.external_database_url
        return self.postgres.admin_url if self.postgres else None

    @property
    def nats_url(self) -> str:
        if self.config.external_nats_url:
            return self.config.external_nats_url
        assert self.nats is not None
        return self.nats.url

    def start_nats(self) -> None:
        """Begin starting NATS in the background (it comes up while PostgreSQL does)."""
        if self.config.external_nats_url:
            return
        paths, ports = self.config.paths, self.config.ports
        self.nats = LocalNats(paths.nats, ports.nats, ports.nats_monitor)
        self._nats_start = self._pool.submit(self.nats.start)

    def wait_nats(self) -> None:
        if self._nats_start is None:
            return
        try:
            self._nats_start.result()
        except (RuntimeError, TimeoutError, OSError) as error:
            raise StartupFailed(f"NATS did not start: {error}", log=self.config.paths.home / "nats.log") from None

    def restart_nats(self, *, down_for: float = 0.0, timeout: float = 20.0) -> None:
        """Stop our NATS server and start it again on the same ports with the same store; return once it answers.

        Streams, consumers and stored messages survive (JetStream keeps them on disk); clients reconnect on
        their own. ``down_for`` keeps it stopped that many seconds in between, as an outage would.
        """
        if self.nats is None:
            raise StartupFailed("NATS is not ours to restart (external, or not started)")
        self.wait_nats()
        self.nats.stop()
        time.sleep(down_for)
        try:
            self.nats.start(timeout)
        except (RuntimeError, TimeoutError, OSError) as error:
            raise StartupFailed(f"NATS did not start again: {error}", log=self.config.paths.home / "nats.log") from None

    def start_postgres(self) -> None:
        """Start our PostgreSQL (fsync on: it holds the user's data) unless it is not needed or given."""
        if self.config.external_database_url or not self.config.needs_database_server:
            return
        self.postgres = LocalPostgres(self.config.paths.postgres, self.config.ports.postgres)
        try:
            self.postgres.start(fsync=True, timeout=60.0)
        except (RuntimeError, TimeoutError, OSError, subprocess.CalledProcessError) as error:
            raise StartupFailed(
                f"PostgreSQL did not start: {error}", log=self.config.paths.home / "postgres.log"
            ) from None

    def databases(self, passwords: Mapping[str, str]) -> dict[str, DatabaseUrls]:
        """Provision every service's database that was not given, and return each service's URLs."""
        urls = dict(self.config.given_databases)
        wanted = {
            service: ServiceDatabase.for_service(service, password=passwords[service])
            for service in self.config.services
            if service not in urls
        }
        if wanted:
            admin_url = self.admin_url
            assert admin_url is not None
            asyncio.run(_provision_all(admin_url, list(wanted.values())))
            for service, spec in wanted.items():
                urls[service] = DatabaseUrls(runtime=spec.runtime_url(admin_url), owner=spec.owner_url(admin_url))
        return urls

    def stop(self) -> None:
        """Stop what we started; the data stays."""
        if self._nats_start is not None:
            self._nats_start.exception()
        self._pool.shutdown(wait=True)
        if self.nats is not None:
            self.nats.stop()
        if self.postgres is not None:
            self.postgres.stop()


def check_ports_free(config: StackConfig) -> None:
    """Fail before starting anything when one of our ports is taken, naming the variable that moves it."""
    for port, who, variable in config.listeners():
        with socket.socket() as probe:
            # As the servers themselves bind: a port our own server's closed connections keep is free for them.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, port))
            except OSError:
                raise StartupFailed(
                    f"port {port} for {who} is in use (another stack or program?); choose another with {variable}"
                ) from None


async def _provision_all(admin_url: str, specs: list[ServiceDatabase]) -> None:
    await asyncio.gather(*(provision(admin_url, spec) for spec in specs))


def migrate(
    specs: list[ProcessSpec], paths: Paths, *, timeout: float = 120.0, base_env: Mapping[str, str] = os.environ
) -> None:
    """Run every service's migrations at once, as its owner role; fail with the first failure's log."""
    running: list[tuple[ProcessSpec, subprocess.Popen[bytes]]] = []
    try:
        for spec in specs:
            with paths.log(spec.name).open("ab") as log:
                env = child_environment(base_env, spec.env, bytecode_dir=paths.bytecode)
                process = subprocess.Popen(
                    spec.argv, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
                )
            running.append((spec, process))
        for spec, process in running:
            code = process.wait(timeout)
            if code != 0:
                raise StartupFailed(f"{spec.name} failed with exit code {code}", log=paths.log(spec.name))
    except subprocess.TimeoutExpired as error:
        raise StartupFailed(f"migrations did not finish within {timeout:.0f} s") from error
    finally:
        for _, process in running:
            if process.poll() is None:
                process.kill()
                process.wait()
