"""HTTP endpoints for a tenant's API clients, and the key verification the gateway calls."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Response, status

from kit.errors import Forbidden
from kit.identity import Identity, Role
from kit.pagination import DEFAULT_LIMIT
from kit.web.deps import (
    CurrentIdentity,
    CursorQuery,
    DatabaseDep,
    LimitQuery,
    TenantScope,
    TenantSessionDep,
    tenant_scope_for,
)
from kit.web.problems import problem_responses
from tenants.client import service
from tenants.client.schemas import (
    ClientCreate,
    ClientList,
    ClientRead,
    ClientRotate,
    ClientStatus,
    ClientUpdate,
    ClientWithKey,
    KeyVerification,
    KeyVerified,
)

router = APIRouter(tags=["api clients"])

ClientsRead = Annotated[TenantScope, Depends(tenant_scope_for(Role.OPERATOR, Role.TENANT_ADMIN, Role.AGENT))]
ClientsWrite = Annotated[TenantScope, Depends(tenant_scope_for(Role.OPERATOR, Role.TENANT_ADMIN))]
ClientId = Annotated[uuid.UUID, Path(description="The API client's id")]
NO_STORE = "no-store"


async def require_gateway(identity: CurrentIdentity) -> Identity:
    """Only the gateway itself, with a system token, may ask whose key something is."""
    if identity.kind != "system" or not identity.has_role(Role.SYSTEM.value):
        raise Forbidden("Only the gateway verifies API keys.")
    return identity


GatewayIdentity = Annotated[Identity, Depends(require_gateway)]


def _location(tenant_id: str, client_id: uuid.UUID) -> str:
    return f"/v1/tenants/{tenant_id}/clients/{client_id}"


@router.post(
    "/tenants/{tenant_id}/clients",
    status_code=status.HTTP_201_CREATED,
    response_model=ClientWithKey,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
async def create_client(
    data: ClientCreate, scope: ClientsWrite, session: TenantSessionDep, response: Response
) -> ClientWithKey:
    """Create an API client with its first key; the key is shown in this response only."""
    client = await service.create(session, scope.identity, data=data)
    response.headers["Location"] = _location(scope.tenant_id, client.id)
    response.headers["Cache-Control"] = NO_STORE
    return client


@router.get("/tenants/{tenant_id}/clients", response_model=ClientList, responses=problem_responses(401, 403, 404, 422))
async def list_clients(
    scope: ClientsRead,
    client_status: Annotated[
        ClientStatus | None, Query(alias="status", description="Only clients in this status")
    ] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ClientList:
    """List the tenant's API clients, oldest first, with their keys' prefixes."""
    return await service.list_clients(
        scope.database, tenant_id=scope.tenant_id, status=client_status, cursor=cursor, limit=limit
    )


@router.get(
    "/tenants/{tenant_id}/clients/{client_id}",
    response_model=ClientRead,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_client(scope: ClientsRead, client_id: ClientId) -> ClientRead:
    """Read one API client: its scopes, status, keys' prefixes and last use."""
    return await service.get(scope.database, tenant_id=scope.tenant_id, client_id=client_id)


@router.patch(
    "/tenants/{tenant_id}/clients/{client_id}",
    response_model=ClientRead,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
async def update_client(
    data: ClientUpdate, scope: ClientsWrite, session: TenantSessionDep, client_id: ClientId
) -> ClientRead:
    """Rename an API client, or change its description or scopes."""
    return await service.update(session, scope.identity, client_id=client_id, data=data)


@router.post(
    "/tenants/{tenant_id}/clients/{client_id}/rotate",
    response_model=ClientWithKey,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
async def rotate_client_key(
    scope: ClientsWrite,
    session: TenantSessionDep,
    client_id: ClientId,
    response: Response,
    data: Annotated[ClientRotate | None, Body()] = None,
) -> ClientWithKey:
    """Issue a new key, shown in this response only; the current key keeps working for the grace period."""
    grace_seconds = data.grace_seconds if data is not None else None
    client = await service.rotate(session, scope.identity, client_id=client_id, grace_seconds=grace_seconds)
    response.headers["Cache-Control"] = NO_STORE
    return client


@router.post(
    "/tenants/{tenant_id}/clients/{client_id}/revoke",
    response_model=ClientRead,
    responses=problem_responses(401, 403, 404, 422),
)
async def revoke_client(scope: ClientsWrite, session: TenantSessionDep, client_id: ClientId) -> ClientRead:
    """Revoke an API client and every key it holds, at once; revoking it again answers its state."""
    return await service.revoke(session, scope.identity, client_id=client_id)


@router.post(
    "/internal/api-keys/verify",
    response_model=KeyVerified,
    responses=problem_responses(400, 401, 403, 404, 413, 422),
)
async def verify_api_key(
    data: KeyVerification, database: DatabaseDep, _: GatewayIdentity, response: Response
) -> KeyVerified:
    """Tell the gateway whose API key this is and what it may do; 404 for any key that does not work."""
    verified = await service.verify(database, key=data.key.get_secret_value())
    response.headers["Cache-Control"] = NO_STORE
    return verified
