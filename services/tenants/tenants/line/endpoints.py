"""HTTP endpoints for a municipality's numbers and queues, and for resolving a call to its municipality."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from kit.identity import Identity, Role
from kit.web.deps import DatabaseDep, TenantScope, TenantScopeDep, identity_with, tenant_scope_for
from kit.web.problems import problem_responses
from tenants.line import service
from tenants.line.schemas import LineCreate, LineKind, LineList, LineRead, Resolution

router = APIRouter(tags=["numbers and queues"])

OperatorScope = Annotated[TenantScope, Depends(tenant_scope_for(Role.OPERATOR))]
Resolver = Annotated[Identity, Depends(identity_with(Role.OPERATOR, Role.AGENT, Role.INTEGRATION_CLIENT, Role.SYSTEM))]
PATH = "/tenants/{tenant_id}/lines"


@router.post(
    PATH,
    status_code=status.HTTP_201_CREATED,
    response_model=LineRead,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
async def add_line(data: LineCreate, scope: OperatorScope, response: Response) -> LineRead:
    """Map a phone number or queue to the municipality; a line belongs to one municipality only."""
    async with scope.database.transaction(scope.tenant_id) as session:
        row = await service.add(session, tenant_id=scope.tenant_id, data=data)
    response.headers["Location"] = f"/v1/tenants/{scope.tenant_id}/lines/{row['id']}"
    return LineRead.model_validate(row)


@router.get(PATH, response_model=LineList, responses=problem_responses(401, 404))
async def list_lines(scope: TenantScopeDep) -> LineList:
    """List the municipality's numbers and queues."""
    rows = await service.list_all(scope.database, tenant_id=scope.tenant_id)
    return LineList(items=[LineRead.model_validate(row) for row in rows])


@router.get(PATH + "/{line_id}", response_model=LineRead, responses=problem_responses(401, 404, 422))
async def get_line(scope: TenantScopeDep, line_id: uuid.UUID) -> LineRead:
    """Read one number or queue."""
    return LineRead.model_validate(await service.get(scope.database, tenant_id=scope.tenant_id, line_id=line_id))


@router.delete(PATH + "/{line_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 403, 404))
async def remove_line(scope: OperatorScope, line_id: uuid.UUID) -> Response:
    """Unmap a number or queue from the municipality."""
    async with scope.database.transaction(scope.tenant_id) as session:
        await service.remove(session, line_id=line_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/lines/resolve", response_model=Resolution, responses=problem_responses(401, 403, 404, 422))
async def resolve_line(
    database: DatabaseDep,
    _: Resolver,
    kind: Annotated[LineKind, Query(description="number or queue")],
    address: Annotated[str, Query(max_length=64, description="The dialled number (E.164) or the queue id")],
) -> Resolution:
    """Tell which municipality a call on this number or queue is for."""
    return Resolution.model_validate(await service.resolve(database, kind=kind, address=address))
