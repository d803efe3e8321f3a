"""HTTP endpoints for tenants."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from kit.errors import Forbidden
from kit.identity import Identity
from kit.web.deps import CurrentIdentity, DatabaseDep, TenantScopeDep
from kit.web.problems import problem_responses
from tenants.tenant import service
from tenants.tenant.schemas import TenantCreate, TenantRead

router = APIRouter(tags=["tenants"])


async def require_operator(identity: CurrentIdentity) -> Identity:
    if not identity.has_role("operator"):
        raise Forbidden("Only operators register tenants.")
    return identity


OperatorIdentity = Annotated[Identity, Depends(require_operator)]


@router.post(
    "/tenants",
    status_code=status.HTTP_201_CREATED,
    response_model=TenantRead,
    responses=problem_responses(400, 401, 403, 409, 413, 422),
)
async def create_tenant(data: TenantCreate, database: DatabaseDep, _: OperatorIdentity) -> TenantRead:
    """Register a municipality; it starts in onboarding."""
    async with database.transaction(data.id) as session:
        row = await service.create(session, data=data)
    return TenantRead.model_validate(dict(row))


@router.get("/tenants/{tenant_id}", response_model=TenantRead, responses=problem_responses(401, 404))
async def get_tenant(scope: TenantScopeDep) -> TenantRead:
    """Read one municipality."""
    row = await service.get(scope.database, tenant_id=scope.tenant_id)
    return TenantRead.model_validate(dict(row))
