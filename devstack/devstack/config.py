"""What the local stack runs where: services, ports, paths, and each process's environment."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from devstack.demo import HOST_TENANT
from kit.local.postgres import free_port

SERVICES: tuple[str, ...] = ("tenants", "knowledge", "tickets", "metrics")
API_PORTS: Mapping[str, int] = {"tenants": 8101, "knowledge": 8102, "tickets": 8103, "metrics": 8104}
WORKER_PORTS: Mapping[str, int] = {"tenants": 9101, "knowledge": 9102, "tickets": 9103, "metrics": 9104}
# Below the ports the system hands out for outgoing connections (Linux: 32768–60999): one of those,
# closed by our side, holds its port for a minute, and a server cannot listen on it in that time.
POSTGRES_PORT = 15432
NATS_PORT = 14222
NATS_MONITOR_PORT = 18222
GATEWAY_PORT = 8000
SIGNING_KEY_ID = "local-1"
HOST = "127.0.0.1"


class ConfigError(ValueError):
    """A setting of the local stack is invalid."""


def repository_root() -> Path:
    """Return the checkout this package lives in (the state folder's default parent)."""
    candidate = Path(__file__).resolve().parents[2]
    return candidate if (candidate / "pyproject.toml").exists() else Path.cwd()


@dataclass(frozen=True)
class Paths:
    """The state folder and everything kept in it."""

    home: Path

    @property
    def postgres(self) -> Path:
        return self.home / "postgres"

    @property
    def nats(self) -> Path:
        return self.home / "nats"

    @property
    def keys(self) -> Path:
        return self.home / "keys"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def secrets(self) -> Path:
        return self.home / "secrets.json"

    @property
    def signing_key(self) -> Path:
        return self.keys / "gateway-signing.pem"

    @property
    def jwks(self) -> Path:
        return self.keys / "internal-jwks.json"

    @property
    def api_keys(self) -> Path:
        return self.keys / "api-keys.json"

    @property
    def run_file(self) -> Path:
        return self.home / "run.json"

    @property
    def bytecode(self) -> Path:
        return self.home / "cache" / "pycache"

    def log(self, process: str) -> Path:
        return self.logs / f"{process}.log"


@dataclass(frozen=True)
class ServicePorts:
    api: int
    worker: int


@dataclass(frozen=True)
class Ports:
    postgres: int
    nats: int
    nats_monitor: int
    gateway: int
    services: Mapping[str, ServicePorts]


@dataclass(frozen=True)
class DatabaseUrls:
    """A service's two connection URLs: the runtime role's and the owner's (migrations)."""

    runtime: str
    owner: str


@dataclass(frozen=True)
class StackConfig:
    """Everything the launcher decides before it starts anything."""

    paths: Paths
    ports: Ports
    services: tuple[str, ...]
    external_database_url: str | None
    external_nats_url: str | None
    given_databases: Mapping[str, DatabaseUrls]
    start_timeout: float = 120.0

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, home: Path | None = None) -> StackConfig:
        """Read the stack's settings from ``env``; ``home`` overrides ``ZENTRALE_HOME``."""
        services = _services(env)
        state = home or Path(env.get("ZENTRALE_HOME") or repository_root() / ".zentrale")
        given = {}
        for service in services:
            runtime = env.get(f"{service.upper()}_DATABASE_URL")
            owner = env.get(f"{service.upper()}_MIGRATION_DATABASE_URL")
            if runtime and owner:
                given[service] = DatabaseUrls(runtime=runtime, owner=owner)
        return cls(
            paths=Paths(state.resolve()),
            ports=read_ports(env, services),
            services=services,
            external_database_url=env.get("DATABASE_URL") or None,
            external_nats_url=env.get("NATS_URL") or None,
            given_databases=given,
            start_timeout=_seconds(env, "ZENTRALE_START_TIMEOUT", 120.0),
        )

    @property
    def needs_database_server(self) -> bool:
        """Whether some service's database must be provisioned on a server we start or were given."""
        return any(service not in self.given_databases for service in self.services)

    @property
    def gateway_url(self) -> str:
        return f"http://{HOST}:{self.ports.gateway}"

    def listeners(self) -> list[tuple[int, str, str]]:
        """Every port a process of ours will listen on: (port, who, the variable that moves it)."""
        ports = self.ports
        found = [(ports.gateway, "the gateway", "ZENTRALE_GATEWAY_PORT")]
        for service, own in ports.services.items():
            found.append((own.api, f"the {service} API", f"ZENTRALE_{service.upper()}_API_PORT"))
            found.append((own.worker, f"the {service} worker", f"ZENTRALE_{service.upper()}_WORKER_PORT"))
        if not self.external_nats_url:
            found.append((ports.nats, "NATS", "ZENTRALE_NATS_PORT"))
            found.append((ports.nats_monitor, "NATS monitoring", "ZENTRALE_NATS_MONITOR_PORT"))
        if not self.external_database_url and self.needs_database_server:
            found.append((ports.postgres, "PostgreSQL", "ZENTRALE_PG_PORT"))
        return found


def _services(env: Mapping[str, str]) -> tuple[str, ...]:
    chosen = env.get("ZENTRALE_SERVICES")
    if not chosen:
        return SERVICES
    names = tuple(name.strip() for name in chosen.split(",") if name.strip())
    unknown = [name for name in names if name not in SERVICES]
    if unknown:
        raise ConfigError(
            f"ZENTRALE_SERVICES names unknown services: {', '.join(unknown)} (known: {', '.join(SERVICES)})"
        )
    return names


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}") from None


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a port number, not {raw!r}") from None
    if not 0 < port < 65536:
        raise ConfigError(f"{name} must be between 1 and 65535, not {port}")
    return port


def read_ports(env: Mapping[str, str], services: tuple[str, ...] = SERVICES) -> Ports:
    """Every port from its ``ZENTRALE_*_PORT`` variable, else its default."""
    ports = Ports(
        postgres=_port(env, "ZENTRALE_PG_PORT", POSTGRES_PORT),
        nats=_port(env, "ZENTRALE_NATS_PORT", NATS_PORT),
        nats_monitor=_port(env, "ZENTRALE_NATS_MONITOR_PORT", NATS_MONITOR_PORT),
        gateway=_port(env, "ZENTRALE_GATEWAY_PORT", GATEWAY_PORT),
        services={
            service: ServicePorts(
                api=_port(env, f"ZENTRALE_{service.upper()}_API_PORT", API_PORTS[service]),
                worker=_port(env, f"ZENTRALE_{service.upper()}_WORKER_PORT", WORKER_PORTS[service]),
            )
            for service in services
        },
    )
    listening = [ports.gateway, *(p for s in ports.services.values() for p in (s.api, s.worker))]
    if not (env.get("NATS_URL")):
        listening += [ports.nats, ports.nats_monitor]
    if not env.get("DATABASE_URL"):
        listening.append(ports.postgres)
    if len(set(listening)) != len(listening):
        raise ConfigError(f"two processes would listen on the same port: {sorted(listening)}")
    return ports


@dataclass(frozen=True)
class ProcessSpec:
    """One child process: its command, the environment it adds, and where it answers readiness."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str]
    ready_url: str


def shared_env(config: StackConfig, *, nats_url: str) -> dict[str, str]:
    """The variables every process of the stack reads."""
    return {
        "ZENTRALE_ENV": "development",
        "NATS_URL": nats_url,
        "ZENTRALE_INTERNAL_PUBLIC_KEYS": str(config.paths.jwks),
    }


def service_env(config: StackConfig, service: str, *, nats_url: str, database: DatabaseUrls) -> dict[str, str]:
    """One service's variables: the shared ones plus its own database URLs and worker port."""
    prefix = service.upper()
    return {
        **shared_env(config, nats_url=nats_url),
        f"{prefix}_DATABASE_URL": database.runtime,
        f"{prefix}_MIGRATION_DATABASE_URL": database.owner,
        f"{prefix}_WORKER_PORT": str(config.ports.services[service].worker),
        # The demo's host keeps the shared knowledge base (its knowledge editors and the operators).
        **({"KNOWLEDGE_HOST_TENANT": HOST_TENANT} if service == "knowledge" else {}),
        # A partner developing against the local stack receives its webhooks on its own machine.
        **({"TENANTS_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"} if service == "tenants" else {}),
    }


def gateway_env(config: StackConfig, *, nats_url: str) -> dict[str, str]:
    """The gateway's variables: its port, where each service's API is, its signing key and API keys."""
    env = {
        **shared_env(config, nats_url=nats_url),
        "GATEWAY_PORT": str(config.ports.gateway),
        "GATEWAY_SIGNING_KEY": str(config.paths.signing_key),
        "GATEWAY_SIGNING_KEY_ID": SIGNING_KEY_ID,
        "GATEWAY_API_KEYS": str(config.paths.api_keys),
        "GATEWAY_DEMO_TOKENS": "true",
    }
    for service in config.services:
        env[f"GATEWAY_{service.upper()}_URL"] = f"http://{HOST}:{config.ports.services[service].api}"
    return env


def migration_spec(config: StackConfig, service: str, *, nats_url: str, database: DatabaseUrls) -> ProcessSpec:
    """The one-off process that brings ``service``'s database to the newest revision."""
    return ProcessSpec(
        name=f"{service}-migrate",
        argv=(sys.executable, "-m", f"{service}.migrate"),
        env=service_env(config, service, nats_url=nats_url, database=database),
        ready_url="",
    )


def service_specs(config: StackConfig, *, nats_url: str, databases: Mapping[str, DatabaseUrls]) -> list[ProcessSpec]:
    """Every service's API and worker."""
    specs = []
    for service in config.services:
        ports = config.ports.services[service]
        env = service_env(config, service, nats_url=nats_url, database=databases[service])
        api = (sys.executable, "-m", "kit.serve", f"{service}.app:create_app")
        specs.append(
            ProcessSpec(
                name=f"{service}-api",
                argv=(*api, "--host", HOST, "--port", str(ports.api)),
                env=env,
                ready_url=f"http://{HOST}:{ports.api}/readyz",
            )
        )
        specs.append(
            ProcessSpec(
                name=f"{service}-worker",
                argv=(sys.executable, "-m", f"{service}.worker"),
                env=env,
                ready_url=f"http://{HOST}:{ports.worker}/readyz",
            )
        )
    return specs


def gateway_spec(config: StackConfig, *, nats_url: str) -> ProcessSpec:
    return ProcessSpec(
        name="gateway",
        argv=(sys.executable, "-m", "gateway"),
        env=gateway_env(config, nats_url=nats_url),
        ready_url=f"{config.gateway_url}/readyz",
    )


def bytecode_cache_wanted(env: Mapping[str, str]) -> bool:
    """Whether bytecode caches are switched off with no place of their own (then we give them one)."""
    return bool(env.get("PYTHONDONTWRITEBYTECODE")) and not env.get("PYTHONPYCACHEPREFIX")


def use_bytecode_cache(env: Mapping[str, str], bytecode_dir: Path) -> None:
    """Give this process the same bytecode cache its children get (before its heavy imports)."""
    if bytecode_cache_wanted(env):
        sys.dont_write_bytecode = False
        sys.pycache_prefix = str(bytecode_dir)


def child_environment(base: Mapping[str, str], added: Mapping[str, str], *, bytecode_dir: Path) -> dict[str, str]:
    """The full environment of a child: ours, then the stack's variables on top."""
    env = {**base, **added}
    if bytecode_cache_wanted(env):
        # Without bytecode caches every process compiles its imports again and starts twice as slowly;
        # keeping the caches in the state folder leaves the source tree as clean as the setting wants.
        del env["PYTHONDONTWRITEBYTECODE"]
        env["PYTHONPYCACHEPREFIX"] = str(bytecode_dir)
    return env


def isolated_environment(base: Mapping[str, str], home: Path) -> dict[str, str]:
    """``base`` for a stack of its own beside any other: a private state folder, free ports for everything and
    no external servers, as tests and benchmarks start it.

    Where bytecode caches are off, every such stack shares one cache in the temporary folder, so that its
    processes start instead of compiling their imports each time.
    """
    env = {
        name: value
        for name, value in base.items()
        if name not in ("DATABASE_URL", "NATS_URL", "ZENTRALE_SERVICES") and not name.endswith("DATABASE_URL")
    }
    env["ZENTRALE_HOME"] = str(home)
    for name in ("PG", "NATS", "NATS_MONITOR", "GATEWAY"):
        env[f"ZENTRALE_{name}_PORT"] = str(free_port())
    for service in SERVICES:
        env[f"ZENTRALE_{service.upper()}_API_PORT"] = str(free_port())
        env[f"ZENTRALE_{service.upper()}_WORKER_PORT"] = str(free_port())
    if env.pop("PYTHONDONTWRITEBYTECODE", None) and not env.get("PYTHONPYCACHEPREFIX"):
        env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / f"zentrale-pycache-{os.getuid()}")
    return env
