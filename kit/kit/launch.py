"""``zentrale``: the container image's one command, which runs any part of Zentrale named by its arguments.

    zentrale gateway
    zentrale <service> api [--port 8080]
    zentrale <service> worker
    zentrale <service> migrate
    zentrale <service> await-migrations [--timeout SECONDS]
    zentrale keys --kid ID --out DIR [--jwks EXISTING]

Each part reads its settings from the environment as it does elsewhere. The service modules are imported
by name (``<service>.worker``, ``<service>.migrate``, ``gateway.__main__``) so that the kit depends on none,
and each command imports only what it needs: alembic alone adds more than a second to a process's start.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kit.settings import ServiceSettings

SERVICES = ("tenants", "knowledge", "tickets", "metrics")
# In a container the pod's network is the boundary: listening on every interface is what makes it reachable.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104
API_PORT = 8080


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zentrale", description="Run the gateway or a service's API, worker or migration; or make signing keys."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{gateway,keys,<service>}")
    commands.add_parser("gateway", help="run the gateway on GATEWAY_HOST:GATEWAY_PORT")
    keys = commands.add_parser("keys", help="write a new gateway signing key and the key set for the services")
    keys.add_argument(
        "--kid", required=True, metavar="ID", help="the new key's id, later the gateway's GATEWAY_SIGNING_KEY_ID"
    )
    keys.add_argument(
        "--out", required=True, type=Path, metavar="DIR", help="folder for signing-key.pem and internal-jwks.json"
    )
    keys.add_argument(
        "--jwks", type=Path, metavar="EXISTING", help="the key set in use: its keys stay trusted beside the new one"
    )
    for service in SERVICES:
        parts = commands.add_parser(service, help=f"run a part of the {service} service").add_subparsers(
            dest="part", required=True, metavar="{api,worker,migrate,await-migrations}"
        )
        api = parts.add_parser(
            "api", help=f"serve the API on {ALL_INTERFACES}, port {API_PORT} unless --port says otherwise"
        )
        api.add_argument("--port", type=int, default=API_PORT)
        parts.add_parser("worker", help=f"run the worker; its health port is {service.upper()}_WORKER_PORT")
        parts.add_parser("migrate", help="bring the database to the newest revision, as the owner role")
        waiting = parts.add_parser("await-migrations", help="wait, as the runtime role, until the database is current")
        waiting.add_argument(
            "--timeout", type=float, default=300.0, metavar="SECONDS", help="how long to wait at most (default 300)"
        )
    return parser


def _run_main(module: str) -> None:
    importlib.import_module(module).main()


def _serve_api(service: str, *, port: int) -> None:
    from kit import serve

    serve.main([f"{service}.app:create_app", "--host", ALL_INTERFACES, "--port", str(port)])


def _await_migrations(service: str, *, timeout: float) -> None:
    from kit.migrations import MigrationsNotCurrent, wait_until_current

    migrations = Path(importlib.import_module(f"{service}.migrate").MIGRATIONS)
    settings: ServiceSettings = importlib.import_module(f"{service}.settings").get_settings()
    try:
        wait_until_current(migrations, settings.database_url.get_secret_value(), timeout=timeout)
    except MigrationsNotCurrent as error:
        print(f"zentrale {service} await-migrations: {error}", file=sys.stderr)
        raise SystemExit(1) from None


def _write_keys(*, kid: str, out: Path, trusted: Path | None) -> None:
    from kit.keyfiles import create_signing_key

    try:
        pem_path, jwks_path = create_signing_key(out, kid=kid, trusted=trusted)
    except (OSError, ValueError) as error:
        print(f"zentrale keys: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    print(f"signing key {kid}: {pem_path}\nkey set for the services: {jwks_path}")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the part of Zentrale that ``argv`` names (exit status 2 for unknown arguments)."""
    args = _parser().parse_args(argv)
    if args.command == "gateway":
        _run_main("gateway.__main__")
    elif args.command == "keys":
        _write_keys(kid=args.kid, out=args.out, trusted=args.jwks)
    elif args.part == "api":
        _serve_api(args.command, port=args.port)
    elif args.part == "await-migrations":
        _await_migrations(args.command, timeout=args.timeout)
    else:
        _run_main(f"{args.command}.{args.part}")


if __name__ == "__main__":
    main()
