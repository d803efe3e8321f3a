"""HTTP endpoints for a municipality's grants, and the directory of all grants the gateway loads."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from kit.errors import Forbidden
from kit.identity import Identity, Role
from kit.web.deps import CurrentIdentity, DatabaseDep, TenantScope, tenant_scope_for
from kit.web.problems import problem_responses
from tenants.grant import service
from tenants.grant.schemas import GrantCreate, GrantList, GrantRead

router = APIRouter(tags=["grants"])

# The cooperation contract is the host's business, so operators grant; the municipality whose data it is
# may always see and withdraw what was granted.
GrantsWrite = Annotated[TenantScope, Depends(tenant_scope_for(Role.OPERATOR))]
GrantsAdmin = Annotated[TenantScope, Depends(tenant_scope_for(Role.OPERATOR, Role.TENANT_ADMIN))]
GrantId = Annotated[uuid.UUID, Path(description="The grant's id")]
PATH = "/tenants/{tenant_id}/grants"


async def require_gateway(identity: CurrentIdentity) -> Identity:
    """Only the gateway itself, with a system token, may read every tenant's grants."""
    if identity.kind != "system" or not identity.has_role(Role.SYSTEM.value):
        raise Forbidden("Only the gateway reads the grant directory.")
    return identity


GatewayIdentity = Annotated[Identity, Depends(require_gateway)]


@router.post(
    PATH,
    status_code=status.HTTP_201_CREATED,
    response_model=GrantRead,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
async def create_grant(data: GrantCreate, scope: GrantsWrite, response: Response) -> GrantRead:
    """Let another municipality's principals act on this one's data in the given roles."""
    async with scope.database.transaction(scope.tenant_id) as session:
        row = await service.add(session, scope.identity, database=scope.database, tenant_id=scope.tenant_id, data=data)
    response.headers["Location"] = f"/v1/tenants/{scope.tenant_id}/grants/{row['id']}"
    return GrantRead.model_validate(row)


@router.get(PATH, response_model=GrantList, responses=problem_responses(401, 403, 404))
async def list_grants(scope: GrantsAdmin) -> GrantList:
    """List who may act on the municipality's data, oldest grant first."""
    rows = await service.list_all(scope.database, tenant_id=scope.tenant_id)
    return GrantList(items=[GrantRead.model_validate(row) for row in rows])


@router.get(PATH + "/{grant_id}", response_model=GrantRead, responses=problem_responses(401, 403, 404, 422))
async def get_grant(scope: GrantsAdmin, grant_id: GrantId) -> GrantRead:
    """Read one grant."""
    return GrantRead.model_validate(await service.get(scope.database, tenant_id=scope.tenant_id, grant_id=grant_id))


@router.delete(
    PATH + "/{grant_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 403, 404, 422)
)
async def revoke_grant(scope: GrantsAdmin, grant_id: GrantId) -> Response:
    """Revoke a grant: the grantee's principals stop acting here within seconds."""
    async with scope.database.transaction(scope.tenant_id) as session:
        await service.revoke(session, grant_id=grant_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/internal/grants", response_model=GrantList, responses=problem_responses(401, 403))
async def grant_directory(database: DatabaseDep, _: GatewayIdentity, response: Response) -> GrantList:
    """Every municipality's grants that have not ended, for the gateway to load at start."""
    async with database.transaction(None) as session:
        rows = await service.directory(session)
    response.headers["Cache-Control"] = "no-store"
    return GrantList(items=[GrantRead.model_validate(row) for row in rows])
