"""HTTP endpoints for a municipality's departments (back-office units)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response, status

from kit.concurrency import etag
from kit.identity import Role
from kit.web.deps import TenantScope, TenantScopeDep, tenant_scope_for
from kit.web.problems import problem_responses
from tenants.department import service
from tenants.department.schemas import DepartmentCreate, DepartmentList, DepartmentRead, DepartmentUpdate

router = APIRouter(tags=["departments"])

AdminScope = Annotated[TenantScope, Depends(tenant_scope_for(Role.OPERATOR, Role.TENANT_ADMIN))]
IfMatch = Annotated[str | None, Header(description="The ETag of the version you change")]
PATH = "/tenants/{tenant_id}/departments"


def _read(row: dict[str, object], response: Response) -> DepartmentRead:
    department = DepartmentRead.model_validate(row)
    response.headers["ETag"] = etag(department.version)
    return department


@router.post(
    PATH,
    status_code=status.HTTP_201_CREATED,
    response_model=DepartmentRead,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
async def create_department(data: DepartmentCreate, scope: AdminScope, response: Response) -> DepartmentRead:
    """Add a back-office unit that forwarded concerns can go to."""
    async with scope.database.transaction(scope.tenant_id) as session:
        row = await service.create(session, tenant_id=scope.tenant_id, data=data)
    response.headers["Location"] = f"/v1/tenants/{scope.tenant_id}/departments/{row['id']}"
    return _read(row, response)


@router.get(PATH, response_model=DepartmentList, responses=problem_responses(401, 404))
async def list_departments(scope: TenantScopeDep) -> DepartmentList:
    """List the municipality's departments by name."""
    rows = await service.list_all(scope.database, tenant_id=scope.tenant_id)
    return DepartmentList(items=[DepartmentRead.model_validate(row) for row in rows])


@router.get(PATH + "/{department_id}", response_model=DepartmentRead, responses=problem_responses(401, 404, 422))
async def get_department(scope: TenantScopeDep, department_id: uuid.UUID, response: Response) -> DepartmentRead:
    """Read one department."""
    row = await service.get(scope.database, tenant_id=scope.tenant_id, department_id=department_id)
    return _read(row, response)


@router.patch(
    PATH + "/{department_id}",
    response_model=DepartmentRead,
    responses=problem_responses(400, 401, 403, 404, 409, 412, 422, 428),
)
async def update_department(
    data: DepartmentUpdate,
    scope: AdminScope,
    department_id: uuid.UUID,
    response: Response,
    if_match: IfMatch = None,
) -> DepartmentRead:
    """Change a department; send the ETag you read as If-Match."""
    async with scope.database.transaction(scope.tenant_id) as session:
        row = await service.update(session, department_id=department_id, data=data, if_match=if_match)
    return _read(row, response)


@router.delete(
    PATH + "/{department_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 412, 422),
)
async def delete_department(scope: AdminScope, department_id: uuid.UUID, if_match: IfMatch = None) -> Response:
    """Remove a department."""
    async with scope.database.transaction(scope.tenant_id) as session:
        await service.delete(session, department_id=department_id, if_match=if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
