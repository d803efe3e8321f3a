"""Rules for API clients: keys shown once and kept as digests, rotated with a grace period, revoked, verified."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from kit.db.database import Database, TenantSession
from kit.events import record_event
from kit.identity import Identity, Role
from kit.pagination import Cursor, page
from tenants.client import keys, repository
from tenants.client.errors import ClientNameTaken, ClientNotFound, ClientRevoked, KeyNotRecognized
from tenants.client.schemas import (
    ClientCreate,
    ClientList,
    ClientRead,
    ClientStatus,
    ClientUpdate,
    ClientWithKey,
    KeyVerified,
)
from tenants.events.published import CLIENT_CREATED, CLIENT_REVOKED, CLIENT_ROTATED, CLIENT_UPDATED, client_event
from tenants.settings import get_settings
from tenants.tenant import repository as tenants
from tenants.tenant.errors import TenantNotFound

log = logging.getLogger("tenants.client")

# Verification notes a use at most this often per key, so that a busy key costs no write per request.
LAST_USE_RESOLUTION = timedelta(minutes=1)
CLIENT_ROLES = (Role.INTEGRATION_CLIENT.value,)
# A suspended or terminated partner's integrations stop with it; its keys work again when it is reactivated.
CLOSED_TENANT_STATUSES = frozenset({"suspended", "terminated"})


async def list_clients(
    database: Database, *, tenant_id: str, status: ClientStatus | None, cursor: str | None, limit: int
) -> ClientList:
    after = Cursor.decode(cursor) if cursor else None
    rows = await repository.page(database, tenant_id, status=status, after=after, limit=limit + 1)
    shown, next_cursor = page(rows, limit)
    return ClientList(items=await _with_keys(database, tenant_id, shown), next_cursor=next_cursor)


async def get(database: Database, *, tenant_id: str, client_id: uuid.UUID) -> ClientRead:
    row = await repository.get(database, tenant_id, client_id)
    if row is None:
        raise ClientNotFound()
    (client,) = await _with_keys(database, tenant_id, [row])
    return client


async def create(session: TenantSession, identity: Identity, *, data: ClientCreate) -> ClientWithKey:
    if not await tenants.exists(session):
        raise TenantNotFound()
    client_id = uuid.uuid4()
    row = await repository.insert_client(
        session,
        client_id=client_id,
        name=data.name,
        description=data.description,
        scopes=list(data.scopes),
        created_by=identity.subject,
    )
    if row is None:
        raise ClientNameTaken(data.name)
    issued = await _issue_key(session, client_id)
    client = await _announce(session, CLIENT_CREATED, row)
    log.info("tenants.client.created", extra=_log_fields(session, identity, client_id))
    return ClientWithKey.model_validate({**client.model_dump(), "key": issued.key})


async def update(session: TenantSession, identity: Identity, *, client_id: uuid.UUID, data: ClientUpdate) -> ClientRead:
    current = await _locked_active(session, client_id)
    changes = {
        field: value
        for field, value in data.model_dump(exclude_unset=True, exclude_none=True).items()
        if value != current[field]
    }
    if not changes:
        return await _state(session, current)
    if "name" in changes and await repository.name_taken(session, name=changes["name"], other_than=client_id):
        raise ClientNameTaken(changes["name"])
    row = await repository.update_client(session, client_id, changes)
    if row is None:
        raise ClientNameTaken(changes["name"])
    client = await _announce(session, CLIENT_UPDATED, row)
    log.info("tenants.client.updated", extra=_log_fields(session, identity, client_id))
    return client


async def rotate(
    session: TenantSession, identity: Identity, *, client_id: uuid.UUID, grace_seconds: int | None
) -> ClientWithKey:
    """Issue a new key; the keys in use so far keep working for the grace period, then end."""
    await _locked_active(session, client_id)
    seconds = grace_seconds if grace_seconds is not None else get_settings().client_key_grace_seconds
    await repository.end_usable_keys(session, client_id, grace=timedelta(seconds=seconds))
    issued = await _issue_key(session, client_id)
    row = await repository.count_up(session, client_id, {})
    client = await _announce(session, CLIENT_ROTATED, row)
    log.info("tenants.client.rotated", extra={**_log_fields(session, identity, client_id), "grace_seconds": seconds})
    return ClientWithKey.model_validate({**client.model_dump(), "key": issued.key})


async def revoke(session: TenantSession, identity: Identity, *, client_id: uuid.UUID) -> ClientRead:
    """Revoke the client and all its keys at once; revoking it again changes nothing and announces nothing."""
    current = await repository.get_for_update(session, client_id)
    if current is None:
        raise ClientNotFound()
    if current["status"] == "revoked":
        return await _state(session, current)
    row = await repository.revoke(session, client_id, revoked_by=identity.subject)
    client = await _announce(session, CLIENT_REVOKED, row)
    log.info("tenants.client.revoked", extra=_log_fields(session, identity, client_id))
    return client


async def verify(database: Database, *, key: str) -> KeyVerified:
    """Whose usable key ``key`` is; unknown, malformed, revoked and expired keys are all ``KeyNotRecognized``."""
    prefix = keys.prefix_of(key)
    candidates = await repository.usable_keys_by_prefix(database, prefix) if prefix is not None else []
    presented = keys.digest(key)
    # Every candidate is compared, each in constant time: how far a comparison got reveals nothing.
    matches = [found for found in candidates if keys.same_digest(presented, found["key_hash"])]
    if not matches:
        raise KeyNotRecognized()
    found = matches[0]
    tenant_id: str = found["tenant_id"]
    client = await repository.get(database, tenant_id, found["client_id"])
    if client is None or client["status"] != "active":
        raise KeyNotRecognized()
    tenant = await tenants.get(database, tenant_id)
    if tenant is None or tenant["status"] in CLOSED_TENANT_STATUSES:
        raise KeyNotRecognized()
    last_used: datetime | None = found["last_used_at"]
    if last_used is None or last_used < datetime.now(UTC) - LAST_USE_RESOLUTION:
        # The tenant is known only now, so noting the use takes a transaction of its own.
        async with database.transaction(tenant_id) as session:
            await repository.record_use(
                session, client_id=client["id"], key_id=found["key_id"], unless_since=LAST_USE_RESOLUTION
            )
    return KeyVerified(
        tenant_id=tenant_id,
        client_id=client["id"],
        client_name=client["name"],
        scopes=client["scopes"],
        roles=list(CLIENT_ROLES),
        key_id=found["key_id"],
        key_prefix=found["prefix"],
        expires_at=found["valid_until"],
    )


async def _locked_active(session: TenantSession, client_id: uuid.UUID) -> dict[str, Any]:
    current = await repository.get_for_update(session, client_id)
    if current is None:
        raise ClientNotFound()
    if current["status"] != "active":
        raise ClientRevoked()
    return current


async def _issue_key(session: TenantSession, client_id: uuid.UUID) -> keys.IssuedKey:
    issued = keys.issue()
    await repository.insert_key(
        session, key_id=uuid.uuid4(), client_id=client_id, prefix=issued.prefix, key_hash=issued.digest
    )
    return issued


async def _state(session: TenantSession, row: Mapping[str, Any]) -> ClientRead:
    """The client with its keys as this transaction sees them."""
    return ClientRead.model_validate({**row, "keys": await repository.keys_in(session, row["id"])})


async def _announce(session: TenantSession, event_type: str, row: Mapping[str, Any]) -> ClientRead:
    """The client's new state, recorded in the outbox in the same transaction."""
    client = await _state(session, row)
    await record_event(session, client_event(event_type, {**client.model_dump(), "tenant_id": session.tenant_id}))
    return client


async def _with_keys(database: Database, tenant_id: str, rows: list[dict[str, Any]]) -> list[ClientRead]:
    if not rows:
        return []
    by_client: dict[uuid.UUID, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
    for key in await repository.keys_of(database, tenant_id, list(by_client)):
        by_client[key["client_id"]].append(key)
    return [ClientRead.model_validate({**row, "keys": by_client[row["id"]]}) for row in rows]


def _log_fields(session: TenantSession, identity: Identity, client_id: uuid.UUID) -> dict[str, str]:
    return {"tenant": session.tenant_id or "", "client_id": str(client_id), "actor": identity.subject}
