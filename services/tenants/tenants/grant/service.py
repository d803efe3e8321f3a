"""Rules for grants: a registered other municipality, only roles that may cross tenants, every change announced."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from kit.db.database import Database, TenantSession
from kit.events import record_event
from kit.identity import Identity
from tenants.events.published import GRANT_ADDED, GRANT_REMOVED, grant_event
from tenants.grant import repository
from tenants.grant.errors import GranteeHasGrant, GrantNotFound, SelfGrant, UnknownGrantee
from tenants.grant.schemas import GrantCreate
from tenants.tenant import repository as tenant_repository


async def list_all(database: Database, *, tenant_id: str) -> list[dict[str, Any]]:
    return await repository.all_of(database, tenant_id)


async def get(database: Database, *, tenant_id: str, grant_id: uuid.UUID) -> dict[str, Any]:
    row = await repository.get(database, tenant_id, grant_id)
    if row is None:
        raise GrantNotFound()
    return row


async def add(
    session: TenantSession, identity: Identity, *, database: Database, tenant_id: str, data: GrantCreate
) -> dict[str, Any]:
    """Let the grantee's principals act for ``tenant_id`` in ``data.roles``; one grant per grantee."""
    if data.grantee_tenant == tenant_id:
        raise SelfGrant()
    # The grantee's row is sealed in the grantee's scope, so it is read there, not in this transaction.
    if await tenant_repository.get(database, data.grantee_tenant) is None:
        raise UnknownGrantee(data.grantee_tenant)
    values = {
        "tenant_id": tenant_id,
        "id": uuid.uuid4(),
        "grantee_tenant": data.grantee_tenant,
        "roles": sorted(role.value for role in data.roles),
        "valid_from": data.valid_from or datetime.now(UTC),
        "valid_until": data.valid_until,
        "created_by": identity.subject,
    }
    row = await repository.insert_new(session, values=values)
    if row is None:
        raise GranteeHasGrant(data.grantee_tenant)
    await record_event(session, grant_event(GRANT_ADDED, row))
    return row


async def revoke(session: TenantSession, *, grant_id: uuid.UUID) -> None:
    row = await repository.remove(session, grant_id)
    if row is None:
        raise GrantNotFound()
    await record_event(session, grant_event(GRANT_REMOVED, row))


async def directory(session: TenantSession) -> list[dict[str, Any]]:
    return await repository.directory(session)
