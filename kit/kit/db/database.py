"""Async database access on SQLAlchemy/asyncpg with the tenant set per transaction.

Three paths share one connection pool:

* ``session(tenant_id)``: an ORM session; every transaction it begins first runs
  ``set_config('app.tenant_id', …, true)``, so the setting dies with the transaction.
* ``lean_transaction(tenant_id)``: a driver connection in a transaction whose first round trip begins it and
  sets the tenant, for hot write paths (event handlers) that send plain SQL.
* ``fetch_one``/``fetch_all``: the lean read path. The tenant is set and the query run in one
  statement: a one-row ``scope`` subquery calls ``set_config`` and the query is joined LATERAL with a
  ``LIMIT`` that depends on it, which forces the planner to run ``set_config`` before it scans.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import asyncpg
from sqlalchemy import Select, Text, bindparam, case, event, func, literal_column, select, true
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import Session, SessionTransaction

from kit.tenancy import require_tenant_id

AnySelect = Select[*tuple[Any, ...]]

TENANT_SETTING = "app.tenant_id"
RELAY_SETTING = "app.outbox_relay"
# Sent as it is (no statement compiled on each begin); asyncpg numbers its parameters.
_SET_TENANT_SQL = f"SELECT set_config('{TENANT_SETTING}', $1, true)"


def async_url(url: str) -> str:
    """Turn a ``postgresql://`` URL into the asyncpg dialect's."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    raise ValueError("database URLs start with postgresql://")


class _TenantSyncSession(Session):
    """The sync half of ``TenantSession``; the listener below sets the tenant on each begin."""


@event.listens_for(_TenantSyncSession, "after_begin")
def _set_tenant_on_begin(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    connection.exec_driver_sql(_SET_TENANT_SQL, (session.info.get("tenant_id") or "",))


class TenantSession(AsyncSession):
    """An ORM session bound to one tenant (or to none, which sees no tenant rows)."""

    sync_session_class = _TenantSyncSession

    @property
    def tenant_id(self) -> str | None:
        tenant: str | None = self.info.get("tenant_id")
        return tenant


class Database:
    """One service database: a pool of connections as the runtime role."""

    def __init__(
        self, url: str, *, pool_size: int = 10, max_overflow: int = 0, pool_timeout: float = 30.0, echo: bool = False
    ) -> None:
        """``pool_size`` connections at most by default: an overflow connection would be opened for one
        request and closed at check-in, a new PostgreSQL connection per request under load."""
        self.engine: AsyncEngine = create_async_engine(
            async_url(url),
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
            pool_pre_ping=False,
            echo=echo,
        )
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    async def dispose(self) -> None:
        await self.engine.dispose()

    def session(self, tenant_id: str | None) -> TenantSession:
        """Open a session whose every transaction is scoped to ``tenant_id``."""
        info = {"tenant_id": require_tenant_id(tenant_id) if tenant_id is not None else None}
        return TenantSession(self.engine, expire_on_commit=False, info=info)

    @asynccontextmanager
    async def transaction(self, tenant_id: str | None) -> AsyncIterator[TenantSession]:
        """A session in one transaction: committed when the block ends, rolled back on error."""
        async with self.session(tenant_id) as session, session.begin():
            yield session

    async def fetch_one(
        self, tenant_id: str, query: AnySelect, params: Mapping[str, object] | None = None
    ) -> asyncpg.Record | None:
        """Run a read for ``tenant_id`` in one round trip and return its first row."""
        rows = await self.fetch_all(tenant_id, query, params)
        return rows[0] if rows else None

    async def fetch_all(
        self, tenant_id: str, query: AnySelect, params: Mapping[str, object] | None = None
    ) -> list[asyncpg.Record]:
        """Run a read for ``tenant_id`` in one round trip (the tenant set in the same statement).

        Keep ``query`` a module constant with ``bindparam()`` for its values: it is wrapped and compiled
        once, and each call only binds ``params`` on a pooled connection.
        """
        read = _compiled(query, self.engine.dialect)
        arguments = read.arguments({SCOPE_TENANT: require_tenant_id(tenant_id), **(params or {})})
        pooled = await self.engine.raw_connection()
        try:
            driver: asyncpg.Connection = pooled.driver_connection
            rows: list[asyncpg.Record] = await driver.fetch(read.sql, *arguments)
        except Exception as error:
            if not (isinstance(error, _CONNECTION_ERRORS) or driver.is_closed()):
                raise
            # A connection the server dropped (a restart) must not go back into the pool.
            pooled.invalidate(error)
            raise DBAPIError(read.sql, None, error, connection_invalidated=True) from error
        finally:
            pooled.close()
        return rows

    @asynccontextmanager
    async def lean_transaction(self, tenant_id: str, *, first: str | None = None) -> AsyncIterator[TenantConnection]:
        """A transaction for ``tenant_id`` on a driver connection: committed when the block ends, else rolled back.

        For hot paths (event handlers) where the ORM session's CPU per transaction outweighs the work: the
        tenant is set in the round trip that begins the transaction, and SQL goes to asyncpg as it is.
        ``first``: a constant statement without parameters (e.g. taking an advisory lock) sent in that same
        round trip, after the tenant is set; each statement of the block sees what was committed until it began.
        """
        begin = _begin_for(require_tenant_id(tenant_id))
        if first is not None:
            begin = f"{begin}; {first}"
        pooled = await self.engine.raw_connection()
        driver: asyncpg.Connection = pooled.driver_connection
        try:
            try:
                await driver.execute(begin)
                yield TenantConnection(tenant_id, driver)
            except Exception:
                await driver.execute("ROLLBACK")
                raise
            await driver.execute("COMMIT")
        except BaseException as error:
            if not isinstance(error, Exception) or isinstance(error, _CONNECTION_ERRORS) or driver.is_closed():
                # Cancelled mid-statement, or lost: the connection's state is unknown; it must not be reused.
                pooled.invalidate(error if isinstance(error, Exception) else None)
            if isinstance(error, _CONNECTION_ERRORS):
                raise DBAPIError(begin, None, error, connection_invalidated=True) from error
            raise
        finally:
            pooled.close()

    async def ping(self) -> None:
        async with self._autocommit.connect() as conn:
            await conn.execute(select(literal_column("1")))


class TenantConnection:
    """A driver connection inside a transaction scoped to one tenant; SQL in asyncpg's numbered style."""

    __slots__ = ("_driver", "tenant_id")

    def __init__(self, tenant_id: str, driver: asyncpg.Connection) -> None:
        self.tenant_id = tenant_id
        self._driver = driver

    async def execute(self, sql: str, *args: object) -> str:
        status: str = await self._driver.execute(sql, *args)
        return status

    async def fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await self._driver.fetch(sql, *args)
        return rows

    async def fetchrow(self, sql: str, *args: object) -> asyncpg.Record | None:
        row: asyncpg.Record | None = await self._driver.fetchrow(sql, *args)
        return row


def _begin_for(tenant_id: str) -> str:
    """``BEGIN`` and the tenant in one simple query (one round trip); a simple query takes no parameters.

    The tenant is inlined as a literal only because ``require_tenant_id`` admits nothing but ``[a-z0-9-]``.
    """
    return f"BEGIN; SELECT set_config('{TENANT_SETTING}', '{tenant_id}', true)"


SCOPE_TENANT = "kit_scope_tenant"
_CONNECTION_ERRORS = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)


def tenant_scoped(query: AnySelect) -> AnySelect:
    """Wrap ``query`` so that the same statement first sets the tenant (bound as ``SCOPE_TENANT``), then runs it."""
    tenant = bindparam(SCOPE_TENANT, type_=Text)
    scope = select(func.set_config(TENANT_SETTING, tenant, true()).label("tenant")).subquery("scope")
    # The query's own LIMIT stays in force; SQLAlchemy offers no public getter for it.
    own_limit = query._limit_clause
    ordered = query.limit(case((scope.c.tenant.is_(None), 0), else_=own_limit)).lateral("scoped")
    return select(*ordered.c).select_from(scope).join(ordered, true())


@dataclass(frozen=True)
class CompiledRead:
    """A tenant-scoped read compiled once: its SQL, and its parameters in order with their fixed values."""

    sql: str
    names: tuple[str, ...]
    fixed: Mapping[str, Any]

    def arguments(self, params: Mapping[str, object]) -> list[object]:
        missing = [name for name in self.names if name not in params and self.fixed.get(name) is None]
        if missing:
            raise ValueError(f"values missing for {', '.join(missing)}")
        return [params[name] if name in params else self.fixed[name] for name in self.names]


@lru_cache(maxsize=1024)
def _compiled(query: AnySelect, dialect: Dialect) -> CompiledRead:
    result = tenant_scoped(query).compile(dialect=dialect)
    return CompiledRead(str(result), tuple(result.positiontup or ()), dict(result.params))
