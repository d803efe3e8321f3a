"""HTTP endpoints for tenants."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response, status

from kit.concurrency import etag
from kit.identity import Identity, Role
from kit.web.deps import DatabaseDep, TenantScope, TenantScopeDep, identity_with, tenant_scope_for
from kit.web.problems import problem_responses
from tenants.tenant import service
from tenants.tenant.schemas import StatusChange, TenantCreate, TenantList, TenantRead, TenantUpdate

router = APIRouter(tags=["tenants"])

OperatorIdentity = Annotated[Identity, Depends(identity_with(Role.OPERATOR))]
OperatorScope = Annotated[TenantScope, Depends(tenant_scope_for(Role.OPERATOR))]
IfMatch = Annotated[str | None, Header(description="The ETag of the version you change")]


def _read(row: dict[str, object], response: Response) -> TenantRead:
    tenant = TenantRead.model_validate(row)
    response.headers["ETag"] = etag(tenant.version)
    return tenant


@router.post(
    "/tenants",
    status_code=status.HTTP_201_CREATED,
    response_model=TenantRead,
    responses=problem_responses(400, 401, 403, 409, 413, 422),
)
async def create_tenant(
    data: TenantCreate, database: DatabaseDep, _: OperatorIdentity, response: Response
) -> TenantRead:
    """Register a municipality; it starts in onboarding."""
    async with database.transaction(data.id) as session:
        row = await service.create(session, data=data)
    response.headers["Location"] = f"/v1/tenants/{data.id}"
    return _read(row, response)


@router.get("/tenants", response_model=TenantList, responses=problem_responses(401, 403))
async def list_tenants(database: DatabaseDep, _: OperatorIdentity) -> TenantList:
    """List every municipality (operators only)."""
    async with database.transaction(None) as session:
        rows = await service.list_all(session)
    return TenantList(items=[TenantRead.model_validate(row) for row in rows])


@router.get("/tenants/{tenant_id}", response_model=TenantRead, responses=problem_responses(401, 404))
async def get_tenant(scope: TenantScopeDep, response: Response) -> TenantRead:
    """Read one municipality."""
    return _read(await service.get(scope.database, tenant_id=scope.tenant_id), response)


@router.patch(
    "/tenants/{tenant_id}", response_model=TenantRead, responses=problem_responses(401, 403, 404, 409, 412, 422, 428)
)
async def update_tenant(
    data: TenantUpdate, scope: OperatorScope, response: Response, if_match: IfMatch = None
) -> TenantRead:
    """Change a municipality's record; send the ETag you read as If-Match."""
    async with scope.database.transaction(scope.tenant_id) as session:
        row = await service.update(session, tenant_id=scope.tenant_id, data=data, if_match=if_match)
    return _read(row, response)


@router.post(
    "/tenants/{tenant_id}/status", response_model=TenantRead, responses=problem_responses(401, 403, 404, 409, 422)
)
async def change_tenant_status(change: StatusChange, scope: OperatorScope, response: Response) -> TenantRead:
    """Move a municipality along onboarding → trial → active → suspended → terminated."""
    async with scope.database.transaction(scope.tenant_id) as session:
        row = await service.change_status(session, tenant_id=scope.tenant_id, change=change)
    return _read(row, response)
