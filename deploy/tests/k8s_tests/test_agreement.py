"""The manifests and the code agree: commands the launcher accepts, the ports the processes listen on, and only
environment variables that the processes' settings read (or that another variable refers to as ``$(NAME)``)."""

from __future__ import annotations

import ipaddress
import re
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest

from gateway.routes import ROUTES
from gateway.settings import GatewaySettings
from kit.settings import Environment, KitSettings, ServiceSettings

from .manifests import (
    Container,
    Rendering,
    container_env,
    declared_env_names,
    references,
    secret_value,
    selects,
    template_labels,
)
from .processes import API_HOST, API_PORT, GATEWAY, SERVICES, env_names_read, parse_command, settings_class

# The role each kind of workload runs its main container and its init containers in.
MAIN_ROLE = {"api": "api", "worker": "worker", "migration": "migrate", "gateway": GATEWAY}
INIT_ROLE = {"api": "await-migrations", "worker": "await-migrations"}
PROBE_PORT = {"api": "http", "gateway": "http", "worker": "health"}


def _settings(rendering: Rendering, container: Container, monkeypatch: pytest.MonkeyPatch) -> KitSettings:
    """The settings the container's process would read from the environment the manifests give it."""
    process = parse_command(container.args).process
    cls = settings_class(process)
    for name in env_names_read(process):
        monkeypatch.delenv(name, raising=False)
    for name, value in container_env(rendering, container).items():
        monkeypatch.setenv(name, value)
    settings = cls()
    assert isinstance(settings, KitSettings)
    return settings


def test_every_container_runs_a_command_the_launcher_accepts_in_its_workloads_role(variant: Rendering) -> None:
    problems = []
    for c in variant.own_containers():
        if "command" in c.spec:
            problems.append(f"{c.where}: overrides the entrypoint zentrale")
        try:
            command = parse_command(c.args)
        except ValueError as error:
            problems.append(f"{c.where}: {error}")
            continue
        role = (INIT_ROLE if c.init else MAIN_ROLE).get(c.component)
        workload = c.workload["metadata"]["name"]
        if command.role != role:
            problems.append(f"{c.where}: runs {command.role}, its workload needs {role}")
        if command.process != GATEWAY and not workload.startswith(f"{command.process}-"):
            problems.append(f"{c.where}: runs the {command.process} service")

    assert problems == []


def test_every_service_the_launcher_knows_has_its_api_worker_migration_and_api_service(variant: Rendering) -> None:
    deployments = {d["metadata"]["name"] for d in variant.of_kind("Deployment")}
    services = {s["metadata"]["name"] for s in variant.of_kind("Service")}
    jobs = {j["metadata"]["name"] for j in variant.of_kind("Job")}

    assert deployments >= {"gateway", *(f"{s}-{part}" for s in SERVICES for part in ("api", "worker"))}
    assert jobs == {f"{s}-migrate" for s in SERVICES}
    assert services >= {"gateway", *(f"{s}-api" for s in SERVICES)}


def test_api_and_worker_pods_wait_for_their_services_migrations_as_the_runtime_role(variant: Rendering) -> None:
    problems = []
    for deployment in variant.of_kind("Deployment"):
        component = deployment["metadata"]["labels"]["app.kubernetes.io/component"]
        if component not in INIT_ROLE:
            continue
        containers = [c for c in variant.containers("Deployment") if c.workload is deployment]
        main = [c for c in containers if not c.init]
        waits = [c for c in containers if c.init and parse_command(c.args).role == "await-migrations"]
        service = parse_command(main[0].args).process
        url = f"{service.upper()}_DATABASE_URL"
        if len(waits) != 1 or parse_command(waits[0].args).process != service:
            problems.append(f"{deployment['metadata']['name']}: no await-migrations for {service}")
        elif container_env(variant, waits[0]).get(url) != container_env(variant, main[0]).get(url):
            problems.append(f"{deployment['metadata']['name']}: waits with another database URL than it runs with")

    assert problems == []


def test_the_migration_job_retries_and_cleans_up_after_itself(variant: Rendering) -> None:
    loose = [
        j["metadata"]["name"]
        for j in variant.of_kind("Job")
        if "ttlSecondsAfterFinished" not in j["spec"] or not 0 < j["spec"].get("backoffLimit", 0) <= 10
    ]

    assert loose == []


def test_every_variable_set_on_a_container_is_read_by_its_process_or_referred_to_by_another(
    variant: Rendering,
) -> None:
    unread = []
    for c in variant.own_containers():
        read = env_names_read(parse_command(c.args).process)
        declared = declared_env_names(variant, c)
        referred = {ref for v in c.spec.get("env", []) for ref in references(str(v.get("value", "")))}
        unread += [f"{c.where}: {name} ({source})" for name, source in declared.items() if name not in read | referred]

    assert unread == []


def test_every_reference_to_another_variable_names_one_set_before_it(variant: Rendering) -> None:
    dangling = []
    for c in variant.own_containers():
        known = set(declared_env_names(variant, c)) - {v["name"] for v in c.spec.get("env", [])}
        for variable in c.spec.get("env", []):
            dangling += [
                f"{c.where}: {variable['name']} → $({r})" for r in references(str(variable.get("value", ""))) - known
            ]
            known.add(variable["name"])

    assert dangling == []


def test_each_process_accepts_the_environment_the_manifests_give_it_and_runs_as_production(
    variant: Rendering, monkeypatch: pytest.MonkeyPatch
) -> None:
    for c in variant.own_containers():
        with monkeypatch.context() as patch:
            settings = _settings(variant, c, patch)

        assert settings.environment is Environment.PRODUCTION, c.where


def test_containers_expose_the_ports_their_processes_listen_on(
    variant: Rendering, monkeypatch: pytest.MonkeyPatch
) -> None:
    problems = []
    for c in variant.own_containers():
        if c.init:
            continue
        command = parse_command(c.args)
        with monkeypatch.context() as patch:
            settings = _settings(variant, c, patch)
        if command.role == "api":
            listens = {"http": int(getattr(command.arguments, "port", API_PORT))}
            if not ipaddress.ip_address(API_HOST).is_unspecified:
                problems.append(f"{c.where}: the launcher serves the API on {API_HOST} only")
        elif isinstance(settings, GatewaySettings):
            listens = {"http": settings.port}
            if not ipaddress.ip_address(settings.host).is_unspecified:
                problems.append(f"{c.where}: the gateway listens on {settings.host} only")
        elif isinstance(settings, ServiceSettings) and command.role == "worker":
            listens = {"health": int(settings.model_dump()["worker_port"])}
        else:
            continue
        exposed = {str(p["name"]): int(p["containerPort"]) for p in c.spec.get("ports", [])}
        if exposed != listens:
            problems.append(f"{c.where}: exposes {exposed}, the process listens on {listens}")

    assert problems == []


def test_probes_and_services_use_the_named_ports_the_containers_declare(variant: Rendering) -> None:
    problems = []
    for c in variant.containers("Deployment", "StatefulSet"):
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            port = c.spec.get(probe, {}).get("httpGet", {}).get("port")
            if port is None:
                continue
            if not isinstance(port, str) or c.port(port) is None:
                problems.append(f"{c.where}: {probe} on {port!r}, not a named port of the container")
            elif c.component in PROBE_PORT and port != PROBE_PORT[c.component]:
                problems.append(f"{c.where}: {probe} on {port}, wanted {PROBE_PORT[c.component]}")
    for service in variant.of_kind("Service"):
        chosen = [
            w for w in variant.workloads() if selects({"matchLabels": service["spec"]["selector"]}, template_labels(w))
        ]
        name = service["metadata"]["name"]
        if len(chosen) != 1:
            problems.append(f"Service {name} selects {[w['metadata']['name'] for w in chosen]}")
            continue
        declared = {p["name"] for c in chosen[0]["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}
        problems += [
            f"Service {name}: targetPort {p['targetPort']!r} is not a named port of its pods"
            for p in service["spec"]["ports"]
            if p["targetPort"] not in declared
        ]

    assert problems == []


def _service_port(rendering: Rendering, url: str, scheme_port: int) -> tuple[str, int, set[int]]:
    parts = urlsplit(url)
    host, port = str(parts.hostname), parts.port or scheme_port
    service = rendering.maybe("Service", host)
    return host, port, {int(p["port"]) for p in service["spec"]["ports"]} if service else set()


def test_the_gateway_reaches_each_service_api_through_its_service(
    variant: Rendering, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = next(c for c in variant.own_containers() if c.component == "gateway")
    with monkeypatch.context() as patch:
        settings = _settings(variant, gateway, patch)
    assert isinstance(settings, GatewaySettings)
    upstreams = settings.upstream_urls()

    assert set(upstreams) == set(SERVICES)
    for service, url in upstreams.items():
        host, port, ports = _service_port(variant, url, 80)
        assert (host, port in ports) == (f"{service}-api", True), url


def test_every_process_finds_nats_postgres_and_the_collector_where_the_manifests_put_them(
    variant: Rendering,
) -> None:
    shared = variant.config_map("zentrale-config")
    clusters = {c["metadata"]["name"] for c in variant.of_kind("Cluster")}
    databases = {d["spec"]["name"] for d in variant.of_kind("Database")}

    host, port, ports = _service_port(variant, shared["NATS_URL"], 4222)
    assert (host, port) == ("nats", 4222)
    assert port in ports or variant.variant == "base"
    if "OTEL_EXPORTER_OTLP_ENDPOINT" in shared:
        host, port, ports = _service_port(variant, shared["OTEL_EXPORTER_OTLP_ENDPOINT"], 80)
        assert (host, port in ports) == ("otel-collector", True)
    for c in variant.own_containers():
        env = container_env(variant, c)
        for name in (n for n in env if n.endswith("DATABASE_URL")):
            url = urlsplit(env[name])
            assert url.scheme == "postgresql", f"{c.where}: {name}"
            assert (url.hostname, url.port) == ("zentrale-pg-rw", 5432), f"{c.where}: {name}"
            assert variant.variant == "base" or ("zentrale-pg" in clusters and url.path.strip("/") in databases)


def test_pods_connect_as_the_runtime_role_and_the_migration_as_the_owner_of_their_own_database(
    variant: Rendering,
) -> None:
    problems = []
    for c in variant.own_containers():
        command = parse_command(c.args)
        if command.process == GATEWAY:
            continue
        env, service, prefix = container_env(variant, c), command.process, command.process.upper()
        name, secret = (
            ("MIGRATION_DATABASE_URL", f"{service}-db-owner")
            if command.role == "migrate"
            else ("DATABASE_URL", f"{service}-db-runtime")
        )
        url = urlsplit(env.get(f"{prefix}_{name}", ""))
        if (url.username, url.password) != (secret_value(secret, "username"), secret_value(secret, "password")):
            problems.append(f"{c.where}: {prefix}_{name} does not use the Secret {secret}")
        if url.path != f"/{service}":
            problems.append(f"{c.where}: {prefix}_{name} names the database {url.path}")
        if command.role == "migrate" and env.get(f"{prefix}_RUNTIME_ROLE") != f"{service}_app":
            problems.append(f"{c.where}: the migration does not grant the runtime role {service}_app")

    assert problems == []


def test_files_the_processes_read_are_mounted_from_their_secrets(variant: Rendering) -> None:
    wanted = {"api": ["ZENTRALE_INTERNAL_PUBLIC_KEYS"], "gateway": ["GATEWAY_SIGNING_KEY"]}
    problems = []
    for c in variant.own_containers():
        for variable in wanted.get(c.component, []) if not c.init else []:
            path = PurePosixPath(container_env(variant, c)[variable])
            mounts = {m["mountPath"]: m["name"] for m in c.spec.get("volumeMounts", [])}
            volume: dict[str, Any] = next(
                (v for v in c.pod["volumes"] if v["name"] == mounts.get(str(path.parent))), {}
            )
            items = {i["path"] for i in volume.get("secret", {}).get("items", [])}
            if path.name not in items:
                problems.append(f"{c.where}: {variable}={path} is not a file of a mounted Secret")

    assert problems == []


def _nginx_bytes(size: str) -> int:
    """An nginx size (``64m``) in bytes."""
    match = re.fullmatch(r"(\d+)([kmg]?)", size.lower())
    assert match is not None, f"not an nginx size: {size}"
    return int(match[1]) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match[2]]


def test_the_ingress_takes_every_body_the_gateway_accepts(variant: Rendering, monkeypatch: pytest.MonkeyPatch) -> None:
    gateway = next(c for c in variant.own_containers() if c.component == "gateway")
    with monkeypatch.context() as patch:
        default = _settings(variant, gateway, patch).max_body_bytes
    ingress = variant.named("Ingress", "gateway")
    limit = _nginx_bytes(ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"])

    assert limit >= max([default, *(n for route in ROUTES for n in route.large_bodies.values())])
