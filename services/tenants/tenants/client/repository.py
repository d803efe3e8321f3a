"""All SQL of API clients; every query runs for one tenant, except finding a presented key by its prefix."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Text, Uuid, any_, bindparam, case, func, or_, select, text, true, tuple_, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.exc import IntegrityError

from kit.db.database import AnySelect, Database, TenantSession
from kit.pagination import Cursor
from tenants.client.models import ApiClient, ApiKey

KEY_VERIFICATION_SETTING = "app.key_verification"
_ACTIVE = ApiClient.status == "active"
# Literal, not bound: PostgreSQL infers the partial unique index of ON CONFLICT only from a constant predicate.
_ACTIVE_NAME_INDEX = text("status = 'active'")
_NAME_INDEX = "uq_api_clients_tenant_id_name"
_BEFORE_ALL = (datetime(1, 1, 1, tzinfo=UTC), uuid.UUID(int=0))

_CLIENT_COLUMNS = (
    ApiClient.client_id.label("id"),
    ApiClient.name,
    ApiClient.description,
    ApiClient.scopes,
    ApiClient.status,
    ApiClient.version,
    ApiClient.created_at,
    ApiClient.created_by,
    ApiClient.updated_at,
    ApiClient.revoked_at,
    ApiClient.revoked_by,
    ApiClient.last_used_at,
)
_KEY_STATUS = case(
    (ApiKey.revoked_at.is_not(None), "revoked"),
    (ApiKey.valid_until.is_(None), "active"),
    (ApiKey.valid_until > func.now(), "expiring"),
    else_="expired",
)
_KEY_COLUMNS = (
    ApiKey.key_id.label("id"),
    ApiKey.client_id,
    ApiKey.prefix,
    _KEY_STATUS.label("status"),
    ApiKey.created_at,
    ApiKey.valid_until,
    ApiKey.revoked_at,
    ApiKey.last_used_at,
)
_KEY_IS_USABLE = (ApiKey.revoked_at.is_(None), or_(ApiKey.valid_until.is_(None), ApiKey.valid_until > func.now()))

_CLIENT_BY_ID = select(*_CLIENT_COLUMNS).where(
    ApiClient.tenant_id == bindparam("tenant_id"), ApiClient.client_id == bindparam("client_id")
)
_KEYS_OF = select(*_KEY_COLUMNS).where(
    ApiKey.tenant_id == bindparam("tenant_id"),
    ApiKey.client_id == any_(bindparam("client_ids", type_=ARRAY(Uuid))),
)
_PAGE = (
    select(*_CLIENT_COLUMNS)
    .where(
        ApiClient.tenant_id == bindparam("tenant_id"),
        ApiClient.status == func.coalesce(bindparam("status", type_=Text), ApiClient.status),
        tuple_(ApiClient.created_at, ApiClient.client_id)
        > tuple_(bindparam("after_created", type_=DateTime(timezone=True)), bindparam("after_id", type_=Uuid)),
    )
    .order_by(ApiClient.created_at, ApiClient.client_id)
    .limit(bindparam("limit"))
)


def _key_verification(query: AnySelect) -> AnySelect:
    """Open the key table for reading across tenants in the same statement, as the kit's lean read sets the tenant.

    The LIMIT depends on ``set_config``'s result, so PostgreSQL runs it before it scans; the setting is
    local to the statement's own transaction and dies with it.
    """
    scope = select(func.set_config(KEY_VERIFICATION_SETTING, "on", true()).label("opened")).subquery("scope")
    found = query.limit(case((scope.c.opened.is_(None), 0), else_=None)).lateral("found")
    return select(*found.c).select_from(scope).join(found, true())


_USABLE_BY_PREFIX = _key_verification(
    select(
        ApiKey.tenant_id,
        ApiKey.client_id,
        ApiKey.key_id,
        ApiKey.prefix,
        ApiKey.key_hash,
        ApiKey.valid_until,
        ApiKey.last_used_at,
    ).where(ApiKey.prefix == bindparam("prefix"), *_KEY_IS_USABLE)
)


async def get(database: Database, tenant_id: str, client_id: uuid.UUID) -> dict[str, Any] | None:
    """Read a client in one round trip (the lean path)."""
    row = await database.fetch_one(tenant_id, _CLIENT_BY_ID, {"tenant_id": tenant_id, "client_id": client_id})
    return None if row is None else dict(row)


async def keys_of(database: Database, tenant_id: str, client_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    """The keys of the given clients, newest first (the lean path)."""
    rows = await database.fetch_all(tenant_id, _KEYS_OF, {"tenant_id": tenant_id, "client_ids": list(client_ids)})
    return _newest_first([dict(row) for row in rows])


async def page(
    database: Database,
    tenant_id: str,
    *,
    status: str | None,
    after: Cursor | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Up to ``limit`` clients after ``after`` in the order (created_at, id), optionally of one status."""
    after_created, after_id = (after.at, after.id) if after else _BEFORE_ALL
    params = {
        "tenant_id": tenant_id,
        "status": status,
        "after_created": after_created,
        "after_id": after_id,
        "limit": limit,
    }
    return [dict(row) for row in await database.fetch_all(tenant_id, _PAGE, params)]


async def get_for_update(session: TenantSession, client_id: uuid.UUID) -> dict[str, Any] | None:
    """Read the client and lock it until the transaction ends."""
    params = {"tenant_id": session.tenant_id, "client_id": client_id}
    row = (await session.execute(_CLIENT_BY_ID.with_for_update(), params)).first()
    return None if row is None else dict(row._mapping)


async def keys_in(session: TenantSession, client_id: uuid.UUID) -> list[dict[str, Any]]:
    """The client's keys as the session's transaction sees them, newest first."""
    params = {"tenant_id": session.tenant_id, "client_ids": [client_id]}
    rows = (await session.execute(_KEYS_OF, params)).all()
    return _newest_first([dict(row._mapping) for row in rows])


async def insert_client(
    session: TenantSession,
    *,
    client_id: uuid.UUID,
    name: str,
    description: str,
    scopes: list[str],
    created_by: str,
) -> dict[str, Any] | None:
    """Insert an active client; None if an active client of the tenant has that name."""
    statement = (
        insert(ApiClient)
        .values(
            tenant_id=session.tenant_id,
            client_id=client_id,
            name=name,
            description=description,
            scopes=scopes,
            status="active",
            version=1,
            created_by=created_by,
        )
        .on_conflict_do_nothing(index_elements=[ApiClient.tenant_id, ApiClient.name], index_where=_ACTIVE_NAME_INDEX)
        .returning(*_CLIENT_COLUMNS)
    )
    row = (await session.execute(statement)).first()
    return None if row is None else dict(row._mapping)


async def name_taken(session: TenantSession, *, name: str, other_than: uuid.UUID) -> bool:
    """Whether another active client of the tenant has ``name``."""
    found = await session.scalar(
        select(ApiClient.client_id).where(
            ApiClient.tenant_id == session.tenant_id,
            ApiClient.name == name,
            _ACTIVE,
            ApiClient.client_id != other_than,
        )
    )
    return found is not None


async def insert_key(
    session: TenantSession, *, key_id: uuid.UUID, client_id: uuid.UUID, prefix: str, key_hash: bytes
) -> None:
    """Store a new key of the client by its prefix and digest."""
    await session.execute(
        insert(ApiKey).values(
            tenant_id=session.tenant_id, key_id=key_id, client_id=client_id, prefix=prefix, key_hash=key_hash
        )
    )


async def end_usable_keys(session: TenantSession, client_id: uuid.UUID, *, grace: timedelta) -> None:
    """Let every usable key of the client end after ``grace`` at the latest (sooner ones keep their end)."""
    end = func.now() + grace
    await session.execute(
        update(ApiKey)
        .where(ApiKey.tenant_id == session.tenant_id, ApiKey.client_id == client_id, *_KEY_IS_USABLE)
        .values(valid_until=case((ApiKey.valid_until.is_(None), end), else_=func.least(ApiKey.valid_until, end)))
    )


async def update_client(session: TenantSession, client_id: uuid.UUID, values: dict[str, Any]) -> dict[str, Any] | None:
    """Write ``values`` and count the version up; None if a new name was taken meanwhile (the row is locked)."""
    try:
        return await count_up(session, client_id, values)
    except IntegrityError as error:
        if _NAME_INDEX not in str(error.orig):
            raise
        return None


async def count_up(session: TenantSession, client_id: uuid.UUID, values: dict[str, Any]) -> dict[str, Any]:
    """Write ``values`` (none: a change of keys only) and count the version up; the row is locked."""
    statement = (
        update(ApiClient)
        .where(ApiClient.tenant_id == session.tenant_id, ApiClient.client_id == client_id)
        .values(**values, version=ApiClient.version + 1, updated_at=func.now())
        .returning(*_CLIENT_COLUMNS)
    )
    return dict((await session.execute(statement)).one()._mapping)


async def revoke(session: TenantSession, client_id: uuid.UUID, *, revoked_by: str) -> dict[str, Any]:
    """Revoke the client and every key it holds; the row is locked by ``get_for_update``."""
    await session.execute(
        update(ApiKey)
        .where(ApiKey.tenant_id == session.tenant_id, ApiKey.client_id == client_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    return await count_up(session, client_id, {"status": "revoked", "revoked_at": func.now(), "revoked_by": revoked_by})


async def usable_keys_by_prefix(database: Database, prefix: str) -> list[dict[str, Any]]:
    """The usable keys under ``prefix`` in any tenant: the one read across tenants, in one statement."""
    async with database.engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        rows = (await connection.execute(_USABLE_BY_PREFIX, {"prefix": prefix})).all()
    return [dict(row._mapping) for row in rows]


async def record_use(
    session: TenantSession, *, client_id: uuid.UUID, key_id: uuid.UUID, unless_since: timedelta
) -> None:
    """Note the use of a key and its client, unless one was noted within ``unless_since``."""
    since = func.now() - unless_since
    await session.execute(
        update(ApiKey)
        .where(
            ApiKey.tenant_id == session.tenant_id,
            ApiKey.key_id == key_id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < since),
        )
        .values(last_used_at=func.now())
    )
    await session.execute(
        update(ApiClient)
        .where(
            ApiClient.tenant_id == session.tenant_id,
            ApiClient.client_id == client_id,
            or_(ApiClient.last_used_at.is_(None), ApiClient.last_used_at < since),
        )
        .values(last_used_at=func.now())
    )


def _newest_first(keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(keys, key=lambda key: (key["created_at"], key["id"]), reverse=True)
