"""Ports, paths and every process's environment follow from the settings and their overrides."""

from __future__ import annotations

import sys
from ipaddress import ip_address
from pathlib import Path

import pytest

from devstack.config import (
    SERVICES,
    ConfigError,
    DatabaseUrls,
    StackConfig,
    child_environment,
    gateway_spec,
    isolated_environment,
    migration_spec,
    service_specs,
)
from tenants.settings import TenantsSettings
from tenants.webhook.targets import TargetPolicy

NATS = "nats://127.0.0.1:14222"


def config(tmp_path: Path, **env: str) -> StackConfig:
    return StackConfig.from_env(env, home=tmp_path)


def urls(service: str) -> DatabaseUrls:
    return DatabaseUrls(runtime=f"postgresql://{service}_app:pw@h/db", owner=f"postgresql://{service}_owner:pw@h/db")


def test_defaults_put_the_gateway_on_8000_and_each_service_on_its_own_ports(tmp_path: Path) -> None:
    ports = config(tmp_path).ports
    assert (ports.postgres, ports.nats, ports.nats_monitor, ports.gateway) == (15432, 14222, 18222, 8000)
    assert [(p.api, p.worker) for p in ports.services.values()] == [
        (8101, 9101),
        (8102, 9102),
        (8103, 9103),
        (8104, 9104),
    ]


def test_every_port_has_its_own_override(tmp_path: Path) -> None:
    env = {
        "ZENTRALE_PG_PORT": "1001",
        "ZENTRALE_NATS_PORT": "1002",
        "ZENTRALE_NATS_MONITOR_PORT": "1003",
        "ZENTRALE_GATEWAY_PORT": "1004",
        "ZENTRALE_TICKETS_API_PORT": "1005",
        "ZENTRALE_TICKETS_WORKER_PORT": "1006",
    }
    ports = config(tmp_path, **env).ports
    assert (ports.postgres, ports.nats, ports.nats_monitor, ports.gateway) == (1001, 1002, 1003, 1004)
    assert (ports.services["tickets"].api, ports.services["tickets"].worker) == (1005, 1006)
    assert ports.services["tenants"].api == 8101


@pytest.mark.parametrize("value", ["http", "0", "70000"])
def test_an_invalid_port_names_its_variable(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="ZENTRALE_GATEWAY_PORT"):
        config(tmp_path, ZENTRALE_GATEWAY_PORT=value)


def test_two_processes_on_one_port_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="same port"):
        config(tmp_path, ZENTRALE_GATEWAY_PORT="8101")


def test_external_servers_free_their_local_ports(tmp_path: Path) -> None:
    settings = config(
        tmp_path, DATABASE_URL="postgresql://a:b@db/postgres", NATS_URL="nats://n:4222", ZENTRALE_PG_PORT="8000"
    )
    assert settings.external_database_url == "postgresql://a:b@db/postgres"
    assert settings.external_nats_url == "nats://n:4222"


def test_home_comes_from_the_argument_then_zentrale_home(tmp_path: Path) -> None:
    assert StackConfig.from_env({"ZENTRALE_HOME": str(tmp_path / "a")}).paths.home == tmp_path / "a"
    chosen = StackConfig.from_env({"ZENTRALE_HOME": str(tmp_path / "a")}, home=tmp_path / "b")
    assert chosen.paths.home == tmp_path / "b"
    assert chosen.paths.signing_key == tmp_path / "b" / "keys" / "gateway-signing.pem"


def test_the_default_home_is_in_the_repository() -> None:
    home = StackConfig.from_env({}).paths.home
    assert home.name == ".zentrale"
    assert (home.parent / "pyproject.toml").exists()


def test_a_service_given_both_urls_is_used_as_it_is(tmp_path: Path) -> None:
    settings = config(
        tmp_path,
        TICKETS_DATABASE_URL="postgresql://t_app:x@db/t",
        TICKETS_MIGRATION_DATABASE_URL="postgresql://t_owner:x@db/t",
        TENANTS_DATABASE_URL="postgresql://only-one-of-two@db/t",
    )
    assert dict(settings.given_databases) == {
        "tickets": DatabaseUrls(runtime="postgresql://t_app:x@db/t", owner="postgresql://t_owner:x@db/t")
    }
    assert settings.needs_database_server


def test_no_database_server_is_needed_when_every_service_has_its_urls(tmp_path: Path) -> None:
    env = {}
    for service in SERVICES:
        env[f"{service.upper()}_DATABASE_URL"] = "postgresql://a@db/x"
        env[f"{service.upper()}_MIGRATION_DATABASE_URL"] = "postgresql://b@db/x"
    assert not config(tmp_path, **env).needs_database_server


def test_a_subset_of_services_can_be_chosen(tmp_path: Path) -> None:
    settings = config(tmp_path, ZENTRALE_SERVICES="tenants, tickets")
    assert settings.services == ("tenants", "tickets")
    assert list(settings.ports.services) == ["tenants", "tickets"]
    with pytest.raises(ConfigError, match="unknown services: billing"):
        config(tmp_path, ZENTRALE_SERVICES="tenants,billing")


def test_a_service_process_gets_its_own_database_and_the_shared_settings(tmp_path: Path) -> None:
    settings = config(tmp_path, ZENTRALE_KNOWLEDGE_WORKER_PORT="7002")
    specs = {
        spec.name: spec for spec in service_specs(settings, nats_url=NATS, databases={s: urls(s) for s in SERVICES})
    }
    worker = specs["knowledge-worker"]
    assert worker.argv == (sys.executable, "-m", "knowledge.worker")
    assert worker.ready_url == "http://127.0.0.1:7002/readyz"
    assert dict(worker.env) == {
        "ZENTRALE_ENV": "development",
        "NATS_URL": NATS,
        "ZENTRALE_INTERNAL_PUBLIC_KEYS": str(tmp_path / "keys" / "internal-jwks.json"),
        "KNOWLEDGE_DATABASE_URL": "postgresql://knowledge_app:pw@h/db",
        "KNOWLEDGE_MIGRATION_DATABASE_URL": "postgresql://knowledge_owner:pw@h/db",
        "KNOWLEDGE_WORKER_PORT": "7002",
        "KNOWLEDGE_HOST_TENANT": "oldenburg",
    }
    api = specs["knowledge-api"]
    assert api.argv[1:] == (
        "-m",
        "kit.serve",
        "knowledge.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        "8102",
    )
    assert api.env == worker.env
    assert sorted(specs) == sorted(f"{s}-{kind}" for s in SERVICES for kind in ("api", "worker"))


def test_the_tenants_service_delivers_webhooks_to_receivers_on_this_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = service_specs(config(tmp_path), nats_url=NATS, databases={s: urls(s) for s in SERVICES})
    allowing = {spec.name for spec in specs if spec.env.get("TENANTS_WEBHOOK_ALLOW_PRIVATE_TARGETS") == "true"}
    assert allowing == {"tenants-api", "tenants-worker"}

    # As the tenants service reads it: a receiver on loopback is a target, link-local (cloud metadata) is not.
    for name, value in next(spec for spec in specs if spec.name == "tenants-worker").env.items():
        monkeypatch.setenv(name, value)
    policy = TargetPolicy.from_settings(TenantsSettings())
    assert policy.refusal(ip_address("127.0.0.1")) is None
    assert policy.refusal(ip_address("169.254.169.254")) is not None
    policy.check_scheme("http://127.0.0.1:8080/hooks")


def test_the_migration_runs_the_service_module_with_the_same_environment(tmp_path: Path) -> None:
    spec = migration_spec(config(tmp_path), "tenants", nats_url=NATS, database=urls("tenants"))
    assert spec.argv == (sys.executable, "-m", "tenants.migrate")
    assert spec.env["TENANTS_MIGRATION_DATABASE_URL"] == "postgresql://tenants_owner:pw@h/db"
    assert spec.env["ZENTRALE_ENV"] == "development"


def test_the_gateway_learns_every_api_its_key_and_the_api_keys(tmp_path: Path) -> None:
    spec = gateway_spec(config(tmp_path, ZENTRALE_GATEWAY_PORT="9000", ZENTRALE_METRICS_API_PORT="7104"), nats_url=NATS)
    assert spec.argv == (sys.executable, "-m", "gateway")
    assert spec.ready_url == "http://127.0.0.1:9000/readyz"
    assert {k: v for k, v in spec.env.items() if k.startswith("GATEWAY_")} == {
        "GATEWAY_PORT": "9000",
        "GATEWAY_SIGNING_KEY": str(tmp_path / "keys" / "gateway-signing.pem"),
        "GATEWAY_SIGNING_KEY_ID": "local-1",
        "GATEWAY_API_KEYS": str(tmp_path / "keys" / "api-keys.json"),
        "GATEWAY_DEMO_TOKENS": "true",
        "GATEWAY_TENANTS_URL": "http://127.0.0.1:8101",
        "GATEWAY_KNOWLEDGE_URL": "http://127.0.0.1:8102",
        "GATEWAY_TICKETS_URL": "http://127.0.0.1:8103",
        "GATEWAY_METRICS_URL": "http://127.0.0.1:7104",
    }
    assert not any(name.endswith("DATABASE_URL") for name in spec.env)


def test_the_stack_settings_win_over_the_inherited_environment(tmp_path: Path) -> None:
    env = child_environment(
        {"ZENTRALE_ENV": "production", "HOME": "/root"}, {"ZENTRALE_ENV": "development"}, bytecode_dir=tmp_path
    )
    assert env == {"ZENTRALE_ENV": "development", "HOME": "/root"}


def test_switched_off_bytecode_caches_move_to_the_state_folder(tmp_path: Path) -> None:
    env = child_environment({"PYTHONDONTWRITEBYTECODE": "1"}, {}, bytecode_dir=tmp_path / "pycache")
    assert env == {"PYTHONPYCACHEPREFIX": str(tmp_path / "pycache")}
    chosen = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": "/elsewhere"}
    assert child_environment(chosen, {}, bytecode_dir=tmp_path) == chosen


def test_an_isolated_stack_gets_its_own_folder_and_ports_and_no_external_servers(tmp_path: Path) -> None:
    base = {
        "PATH": "/usr/bin",
        "DATABASE_URL": "postgresql://elsewhere/db",
        "TICKETS_DATABASE_URL": "postgresql://elsewhere/tickets",
        "NATS_URL": "nats://elsewhere:4222",
        "ZENTRALE_GATEWAY_PORT": "8000",
    }

    env = isolated_environment(base, tmp_path)
    config = StackConfig.from_env(env)

    assert env["PATH"] == "/usr/bin"
    assert config.paths.home == tmp_path.resolve()
    assert (config.external_database_url, config.external_nats_url, dict(config.given_databases)) == (None, None, {})
    assert config.ports.gateway != 8000
