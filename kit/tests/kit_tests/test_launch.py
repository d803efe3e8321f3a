"""``zentrale``: every command reaches the right module with the right arguments; ``keys`` makes usable keys."""

from __future__ import annotations

import importlib
import json
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

import kit.migrations
import kit.serve
from kit.identity import Identity, InternalTokenSigner, InternalTokenVerifier, load_text_or_file
from kit.launch import SERVICES, main
from kit.migrations import MigrationsNotCurrent
from kit.settings import Environment, ServiceSettings

EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 - what a container's server must listen on
Calls = list[tuple[str, tuple[object, ...], dict[str, object]]]


@pytest.fixture
def calls() -> Calls:
    return []


def _recorder(calls: Calls, name: str) -> Callable[..., None]:
    def record(*args: object, **kwargs: object) -> None:
        calls.append((name, args, kwargs))

    return record


def _stand_in(monkeypatch: pytest.MonkeyPatch, name: str, **attributes: object) -> None:
    """Put a module called ``name`` in place of the real one, for ``importlib.import_module`` to find."""
    module = ModuleType(name)
    for attribute, value in attributes.items():
        setattr(module, attribute, value)
    monkeypatch.setitem(sys.modules, name, module)


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("part", ["worker", "migrate"])
def test_a_worker_or_migration_runs_the_main_of_its_module(
    service: str, part: str, calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stand_in(monkeypatch, f"{service}.{part}", main=_recorder(calls, f"{service}.{part}"))
    main([service, part])
    assert calls == [(f"{service}.{part}", (), {})]


def test_the_gateway_runs_the_main_of_its_package(calls: Calls, monkeypatch: pytest.MonkeyPatch) -> None:
    _stand_in(monkeypatch, "gateway.__main__", main=_recorder(calls, "gateway"))
    main(["gateway"])
    assert calls == [("gateway", (), {})]


@pytest.mark.parametrize("service", SERVICES)
def test_an_api_is_served_by_the_kit_on_every_interface_at_8080(
    service: str, calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kit.serve, "main", _recorder(calls, "serve"))
    main([service, "api"])
    main([service, "api", "--port", "9000"])
    assert calls == [
        ("serve", ([f"{service}.app:create_app", "--host", EVERY_INTERFACE, "--port", "8080"],), {}),
        ("serve", ([f"{service}.app:create_app", "--host", EVERY_INTERFACE, "--port", "9000"],), {}),
    ]


def _await_stand_ins(monkeypatch: pytest.MonkeyPatch, migrations: Path) -> None:
    settings = ServiceSettings(
        environment=Environment.TEST, database_url="postgresql://tickets_app:secret@db:5432/tickets"
    )
    _stand_in(monkeypatch, "tickets.migrate", MIGRATIONS=migrations)
    _stand_in(monkeypatch, "tickets.settings", get_settings=lambda: settings)


def test_awaiting_migrations_waits_on_the_services_database_url_with_its_migrations(
    calls: Calls, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _await_stand_ins(monkeypatch, tmp_path)
    monkeypatch.setattr(kit.migrations, "wait_until_current", _recorder(calls, "wait"))
    main(["tickets", "await-migrations"])
    main(["tickets", "await-migrations", "--timeout", "12.5"])
    url = "postgresql://tickets_app:secret@db:5432/tickets"
    assert calls == [("wait", (tmp_path, url), {"timeout": 300.0}), ("wait", (tmp_path, url), {"timeout": 12.5})]


def test_migrations_that_do_not_arrive_end_the_wait_with_status_1_and_the_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def behind(*_: object, **__: object) -> None:
        raise MigrationsNotCurrent("the database did not reach revision 2 in 1 s; last: the database is at 1")

    _await_stand_ins(monkeypatch, tmp_path)
    monkeypatch.setattr(kit.migrations, "wait_until_current", behind)
    with pytest.raises(SystemExit) as exit_:
        main(["tickets", "await-migrations", "--timeout", "1"])
    assert exit_.value.code == 1
    assert "zentrale tickets await-migrations: the database did not reach revision 2" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [[], ["billing", "api"], ["tickets"], ["tickets", "serve"], ["gateway", "api"], ["keys", "--kid", "k"]],
)
def test_anything_else_exits_with_2_and_the_usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert "usage: zentrale" in capsys.readouterr().err


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_modules_the_launcher_names(service: str) -> None:
    migrate = importlib.import_module(f"{service}.migrate")
    assert (Path(migrate.MIGRATIONS) / "env.py").is_file()
    assert callable(migrate.main)
    assert callable(importlib.import_module(f"{service}.worker").main)
    assert callable(importlib.import_module(f"{service}.settings").get_settings)
    assert callable(importlib.import_module(f"{service}.app").create_app)


def test_the_gateway_has_the_module_the_launcher_names() -> None:
    assert callable(importlib.import_module("gateway.__main__").main)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _token(out: Path, kid: str, tenant: str) -> str:
    """A token signed as the gateway signs: the PEM file from ``GATEWAY_SIGNING_KEY``, the id it is given."""
    pem = load_text_or_file(str(out / "signing-key.pem"))
    return InternalTokenSigner.from_pem(pem, kid=kid).sign(Identity("agent-1", tenant))


def test_keys_writes_a_private_signing_key_and_the_key_set_that_verifies_its_tokens(tmp_path: Path) -> None:
    out = tmp_path / "keys"
    main(["keys", "--kid", "gateway-2026-01", "--out", str(out)])

    assert _mode(out / "signing-key.pem") == 0o600
    assert _mode(out / "internal-jwks.json") == 0o600
    assert "PRIVATE" not in (out / "internal-jwks.json").read_text()
    verifier = InternalTokenVerifier.from_jwks(str(out / "internal-jwks.json"))
    assert list(verifier.key_ids) == ["gateway-2026-01"]
    assert verifier.verify(_token(out, "gateway-2026-01", "artland")).tenant_id == "artland"


def test_a_new_key_joins_the_keys_in_use_so_services_trust_both_while_the_gateway_switches(tmp_path: Path) -> None:
    main(["keys", "--kid", "old", "--out", str(tmp_path / "old")])
    main(["keys", "--kid", "new", "--out", str(tmp_path / "new"), "--jwks", str(tmp_path / "old/internal-jwks.json")])

    verifier = InternalTokenVerifier.from_jwks(str(tmp_path / "new/internal-jwks.json"))
    assert list(verifier.key_ids) == ["old", "new"]
    assert verifier.verify(_token(tmp_path / "old", "old", "artland")).tenant_id == "artland"
    assert verifier.verify(_token(tmp_path / "new", "new", "oldenburg")).tenant_id == "oldenburg"


def test_the_key_set_in_use_may_be_extended_where_it_lies(tmp_path: Path) -> None:
    main(["keys", "--kid", "old", "--out", str(tmp_path / "old")])
    in_use = tmp_path / "secret" / "internal-jwks.json"
    in_use.parent.mkdir()
    in_use.write_text((tmp_path / "old/internal-jwks.json").read_text())

    main(["keys", "--kid", "new", "--out", str(in_use.parent), "--jwks", str(in_use)])

    assert [key["kid"] for key in json.loads(in_use.read_text())["keys"]] == ["old", "new"]


@pytest.mark.parametrize(
    ("again", "reason"),
    [
        (["--kid", "other", "--out", "{old}"], "signing-key.pem exists"),
        (["--kid", "other", "--out", "{old}", "--jwks", "{old}/internal-jwks.json"], "signing-key.pem exists"),
        (["--kid", "old", "--out", "{tmp}/new", "--jwks", "{old}/internal-jwks.json"], "already holds a key 'old'"),
    ],
)
def test_keys_never_replaces_a_key_nor_repeats_a_key_id(
    again: list[str], reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "old"
    main(["keys", "--kid", "old", "--out", str(old)])
    written = (old / "signing-key.pem").read_bytes(), (old / "internal-jwks.json").read_bytes()

    with pytest.raises(SystemExit) as exit_:
        main(["keys", *(part.format(old=old, tmp=tmp_path) for part in again)])

    assert exit_.value.code == 1
    assert reason in capsys.readouterr().err
    assert ((old / "signing-key.pem").read_bytes(), (old / "internal-jwks.json").read_bytes()) == written
    assert not (tmp_path / "new").exists()
