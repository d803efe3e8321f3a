"""Whether a service's database is already at its newest revision, so a warm start can skip migrating.

Read without importing alembic (which costs each process a second): the revision ids come from the
revision files' literal assignments, the current ones from ``alembic_version``. Anything unexpected
means "not known to be current", and the migration runs.
"""

from __future__ import annotations

import ast
import asyncio
import importlib.util
from collections.abc import Mapping
from pathlib import Path

import asyncpg


def versions_dir(service: str) -> Path | None:
    """Where ``<service>.migrate`` keeps its revisions (``migrations/versions`` beside it)."""
    try:
        spec = importlib.util.find_spec(f"{service}.migrate")
    except ModuleNotFoundError:
        return None
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "migrations" / "versions"
    return path if path.is_dir() else None


def _literals(path: Path) -> dict[str, object]:
    values: dict[str, object] = {}
    for node in ast.parse(path.read_text(), str(path)).body:
        target = value = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and value is not None:
            try:
                values[target.id] = ast.literal_eval(value)
            except ValueError:
                values[target.id] = None
    return values


def head_revisions(versions: Path) -> frozenset[str] | None:
    """The revisions no other revision builds on; None when a file does not state them plainly."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for file in versions.glob("*.py"):
        values = _literals(file)
        revision, down = values.get("revision"), values.get("down_revision")
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):
            parents.update(str(parent) for parent in down)
        elif down is not None:
            return None
    return frozenset(revisions - parents) if revisions else None


async def _current(owner_url: str) -> frozenset[str] | None:
    try:
        conn = await asyncpg.connect(owner_url, timeout=5)
    except (OSError, asyncpg.PostgresError):
        return None
    try:
        rows = await conn.fetch("SELECT version_num FROM alembic_version")
    except asyncpg.PostgresError:
        return None
    finally:
        await conn.close()
    return frozenset(str(row["version_num"]) for row in rows)


async def _outdated(owner_urls: Mapping[str, str]) -> list[str]:
    services = list(owner_urls)
    current = await asyncio.gather(*(_current(owner_urls[service]) for service in services))
    outdated = []
    for service, revisions in zip(services, current, strict=True):
        versions = versions_dir(service)
        heads = head_revisions(versions) if versions is not None else None
        if heads is None or revisions != heads:
            outdated.append(service)
    return outdated


def outdated_services(owner_urls: Mapping[str, str]) -> list[str]:
    """The services whose database is not known to be at its newest revision."""
    return asyncio.run(_outdated(owner_urls))
