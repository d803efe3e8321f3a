"""What Zentrale's processes accept: the ``zentrale`` commands, and the environment their settings read."""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import inspect
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import AliasChoices
from pydantic_settings import BaseSettings

import kit.telemetry
from gateway.settings import GatewaySettings
from kit import launch
from kit.settings import ServiceSettings

GATEWAY = "gateway"
SERVICES: tuple[str, ...] = launch.SERVICES
API_PORT: int = launch.API_PORT
API_HOST: str = launch.ALL_INTERFACES


@dataclass(frozen=True)
class Command:
    """A ``zentrale`` command line as the launcher reads it: the process (a service or the gateway) and its role."""

    process: str
    role: str
    arguments: argparse.Namespace


def parse_command(args: Sequence[str]) -> Command:
    """Parse ``args`` with the image's entrypoint's own parser (kit.launch); ValueError where it exits with usage."""
    usage = io.StringIO()
    try:
        with contextlib.redirect_stderr(usage):
            parsed = launch._parser().parse_args(list(args))
    except SystemExit:
        raise ValueError(f"zentrale refuses {list(args)}: {usage.getvalue().strip().splitlines()[-1]}") from None
    command = str(parsed.command)
    return Command(command, str(getattr(parsed, "part", command)), parsed)


def settings_class(process: str) -> type[BaseSettings]:
    """The settings class a process reads: GatewaySettings, or the service's ServiceSettings subclass."""
    if process == GATEWAY:
        return GatewaySettings
    module = importlib.import_module(f"{process}.settings")
    found = [
        value
        for value in vars(module).values()
        if inspect.isclass(value) and issubclass(value, ServiceSettings) and value.__module__ == module.__name__
    ]
    assert len(found) == 1, f"{module.__name__} should define one ServiceSettings subclass, found {found}"
    return found[0]


def settings_env_names(cls: type[BaseSettings]) -> frozenset[str]:
    """The variables a settings class reads: its prefix plus each field's name, or the field's aliases."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for name, info in cls.model_fields.items():
        alias = info.validation_alias
        if alias is None:
            names.add(f"{prefix}{name}".upper())
        elif isinstance(alias, str):
            names.add(alias.upper())
        elif isinstance(alias, AliasChoices):
            names.update(choice.upper() for choice in alias.choices if isinstance(choice, str))
    return frozenset(names)


def telemetry_env_names() -> frozenset[str]:
    """The ``OTEL_*`` variables kit.telemetry looks at (every such name written in the module)."""
    tree = ast.parse(inspect.getsource(kit.telemetry))
    return frozenset(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"OTEL_[A-Z0-9_]+", node.value)
    )


# What asyncpg itself reads when a URL leaves it unsaid: every service talks to PostgreSQL through it.
DATABASE_DRIVER_ENV_NAMES = frozenset({"PGSSLMODE"})


def env_names_read(process: str) -> frozenset[str]:
    """Every variable ``process`` reads from its environment."""
    driver = frozenset() if process == GATEWAY else DATABASE_DRIVER_ENV_NAMES
    return settings_env_names(settings_class(process)) | telemetry_env_names() | driver
