"""The whole local stack, in order: state folder, servers, databases, migrations, processes, demo."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from devstack import demo
from devstack.config import HOST, SIGNING_KEY_ID, StackConfig, gateway_spec, migration_spec, service_specs
from devstack.errors import StartupFailed
from devstack.infra import Infrastructure, check_ports_free, migrate
from devstack.keys import database_passwords, ensure_api_keys, ensure_signing_key
from devstack.migrations import outdated_services
from devstack.processes import Child, Supervisor
from devstack.progress import Progress
from devstack.runfile import RunRecord, reap_stale


@dataclass(frozen=True)
class Ready:
    """What the user needs once everything answers."""

    seconds: float
    processes: int
    api_keys: dict[str, str]


def prepare_home(config: StackConfig) -> None:
    """Create the state folder; PostgreSQL's own user must be able to enter it, nobody else the keys."""
    paths = config.paths
    paths.home.mkdir(parents=True, exist_ok=True)
    paths.home.chmod(0o755)
    paths.logs.mkdir(exist_ok=True)
    paths.keys.mkdir(mode=0o700, exist_ok=True)


@dataclass
class Stack:
    config: StackConfig
    progress: Progress
    infra: Infrastructure = field(init=False)
    supervisor: Supervisor = field(init=False)
    # The environment the stack's processes inherit (the stack's own variables go on top).
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    _owns_run_file: bool = False

    def __post_init__(self) -> None:
        self.infra = Infrastructure(self.config)
        self.supervisor = Supervisor(self.config.paths, base_env=self.env)

    def start(self, *, load_demo: bool) -> Ready:
        """Bring everything up and wait until every process is ready; raise ``StartupFailed`` if not."""
        config, paths, progress = self.config, self.config.paths, self.progress
        prepare_home(config)
        self._claim_run_file()
        check_ports_free(config)
        self.infra.start_nats()
        self.infra.start_postgres()
        if self.infra.postgres is not None:
            progress.step("postgres", f"{HOST}:{config.ports.postgres}  {paths.postgres}")
        self.infra.wait_nats()
        progress.step("nats", self.infra.nats_url + ("" if self.infra.nats else "  (external)"))
        self._record()

        ensure_signing_key(paths.signing_key, paths.jwks, kid=SIGNING_KEY_ID)
        api_keys = ensure_api_keys(paths.api_keys, demo.CLIENTS)
        nats_url = self.infra.nats_url
        self.supervisor.start(gateway_spec(config, nats_url=nats_url))

        provisioned = [service for service in config.services if service not in config.given_databases]
        passwords = database_passwords(paths.secrets, provisioned) if provisioned else {}
        databases = self.infra.databases(passwords)
        progress.step("databases", self._databases_detail(provisioned))
        outdated = outdated_services({service: databases[service].owner for service in config.services})
        if outdated:
            migrate(
                [migration_spec(config, s, nats_url=nats_url, database=databases[s]) for s in outdated],
                paths,
                base_env=self.env,
            )
        progress.step("migrations", f"{', '.join(outdated)} migrated" if outdated else "every database up to date")

        for spec in service_specs(config, nats_url=nats_url, databases=databases):
            self.supervisor.start(spec)
        self._record()
        names = [*(n for n in self.supervisor.children if n != "gateway"), "gateway"]
        progress.waiting_for(names)
        self.supervisor.wait_ready(names, on_ready=self._on_ready, on_tick=progress.tick, timeout=config.start_timeout)
        progress.finish()
        seconds = progress.elapsed()
        created = demo.load_demo(config.gateway_url, api_keys) if load_demo else []
        if load_demo:
            demo.wait_for_grants(config.gateway_url)
            progress.step("demo", "; ".join(created) + " created" if created else "already loaded")
        return Ready(seconds=seconds, processes=len(names), api_keys=api_keys)

    def _databases_detail(self, provisioned: list[str]) -> str:
        where = "external" if self.config.external_database_url else "local"
        parts = [f"{len(provisioned)} on the {where} server, owner + runtime role each"] if provisioned else []
        given = [service for service in self.config.services if service in self.config.given_databases]
        if given:
            parts.append(f"{', '.join(given)} as given")
        return "; ".join(parts)

    def _on_ready(self, child: Child) -> None:
        port = child.spec.ready_url.split(":")[-1].split("/")[0]
        self.progress.ready(child.spec.name, f"ready on :{port}")

    def _claim_run_file(self) -> None:
        path = self.config.paths.run_file
        previous = RunRecord.read(path)
        if previous is not None:
            if previous.launcher_alive and previous.launcher != os.getpid():
                raise StartupFailed(
                    f"the stack in {self.config.paths.home} runs already (launcher pid {previous.launcher})"
                )
            if reaped := reap_stale(previous, self.config.paths.home):
                self.progress.message(f"  stopped what an earlier launcher left running: {', '.join(reaped)}")
        self._owns_run_file = True
        self._record()

    def _record(self) -> None:
        processes = self.supervisor.pids()
        for name, server in (("postgres", self.infra.postgres), ("nats", self.infra.nats)):
            if server is not None and server.process is not None:
                processes[name] = server.process.pid
        urls = {name: child.spec.ready_url for name, child in self.supervisor.children.items()}
        RunRecord(launcher=os.getpid(), processes=processes, ready_urls=urls).write(self.config.paths.run_file)

    def restart(self, name: str, *, timeout: float = 60.0) -> None:
        """Stop one process (``tickets-api``, ``gateway`` …) and start it again as it was; return once it is ready."""
        self.supervisor.restart(name, timeout=timeout)
        self._record()

    def restart_nats(self, *, down_for: float = 0.0, timeout: float = 60.0) -> None:
        """Restart our NATS server on its ports and store; return once it and every process are ready again."""
        self.infra.restart_nats(down_for=down_for)
        self._record()
        names = list(self.supervisor.children)
        self.supervisor.wait_ready(names, on_ready=lambda _: None, on_tick=lambda: None, timeout=timeout)

    def watch(self) -> None:
        """Run until interrupted, reporting any process that ends on its own."""
        while True:
            for child in self.supervisor.exited():
                self.progress.message(
                    f"\n{child.spec.name} exited with code {child.process.returncode}; "
                    f"its log: {child.log}\nThe rest keeps running; Ctrl-C stops everything."
                )
            time.sleep(0.5)

    def stop(self) -> None:
        """Stop every process, then NATS and PostgreSQL; the data stays."""
        start = time.monotonic()
        try:
            self.supervisor.stop_all()
        finally:
            try:
                self.infra.stop()
            finally:
                if self._owns_run_file:
                    self.config.paths.run_file.unlink(missing_ok=True)
        self.progress.message(f"Stopped in {time.monotonic() - start:.1f} s; data kept in {self.config.paths.home}")
