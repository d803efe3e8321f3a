"""Create a service's database with an owner role (migrations) and a runtime role (owns nothing).

Used by the local stack and the test harness. On Kubernetes the PostgreSQL operator creates the roles and
the database, and the migrations, run as the owner, give the runtime role its access (``runtime_grants``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg


@dataclass(frozen=True)
class ServiceDatabase:
    """The names and passwords of one service database and its two roles."""

    database: str
    owner: str
    owner_password: str
    runtime: str
    runtime_password: str

    @classmethod
    def for_service(cls, service: str, *, password: str) -> ServiceDatabase:
        return cls(
            database=f"zentrale_{service}",
            owner=f"{service}_owner",
            owner_password=password,
            runtime=f"{service}_app",
            runtime_password=password,
        )

    def runtime_url(self, admin_url: str, database: str | None = None) -> str:
        return _with_credentials(admin_url, self.runtime, self.runtime_password, database or self.database)

    def owner_url(self, admin_url: str, database: str | None = None) -> str:
        return _with_credentials(admin_url, self.owner, self.owner_password, database or self.database)


def _with_credentials(url: str, user: str, password: str, database: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{user}:{password}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, f"/{database}", parts.query, ""))


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _ensure_role(conn: asyncpg.Connection, name: str, password: str) -> None:
    exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name)
    verb = "ALTER" if exists else "CREATE"
    literal = await conn.fetchval("SELECT quote_literal($1)", password)
    await conn.execute(
        f"{verb} ROLE {quote_ident(name)} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD {literal}"
    )


async def provision(admin_url: str, spec: ServiceDatabase) -> None:
    """Create (idempotently) the roles, the database and the runtime role's default grants."""
    conn = await asyncpg.connect(admin_url)
    try:
        await _ensure_role(conn, spec.owner, spec.owner_password)
        await _ensure_role(conn, spec.runtime, spec.runtime_password)
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", spec.database):
            await conn.execute(f"CREATE DATABASE {quote_ident(spec.database)} OWNER {quote_ident(spec.owner)}")
    finally:
        await conn.close()
    conn = await asyncpg.connect(_with_credentials(admin_url, *_admin_credentials(admin_url), spec.database))
    try:
        await grant_runtime(conn, database=spec.database, owner=spec.owner, runtime=spec.runtime)
    finally:
        await conn.close()


def _admin_credentials(admin_url: str) -> tuple[str, str]:
    parts = urlsplit(admin_url)
    return parts.username or "postgres", parts.password or ""


def runtime_grants(*, database: str, owner: str, runtime: str) -> list[str]:
    """The statements with which the owner of ``database`` gives the runtime role its access, and nothing more.

    Only what a database owner may run itself, so that migrations can run them where no superuser takes
    part (on Kubernetes the PostgreSQL operator creates the roles and the database, nothing else).
    Every table and sequence ``owner`` creates in ``public`` is the runtime role's to read and write;
    which rows, row-level security decides.
    """
    d, o, r = quote_ident(database), quote_ident(owner), quote_ident(runtime)
    return [
        f"REVOKE ALL ON DATABASE {d} FROM PUBLIC",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {d} TO {r}",
        f"GRANT USAGE ON SCHEMA public TO {r}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    ]


async def grant_runtime(conn: asyncpg.Connection, *, database: str, owner: str, runtime: str) -> None:
    """As a superuser on ``database``: hand ``public`` to ``owner``, then give the runtime role its access."""
    await conn.execute(f"ALTER SCHEMA public OWNER TO {quote_ident(owner)}")
    await conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    for statement in runtime_grants(database=database, owner=owner, runtime=runtime):
        await conn.execute(statement)
