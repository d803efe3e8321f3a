"""HTTP endpoints for a municipality's offices and the service descriptions each is responsible for."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from kit.concurrency import etag
from kit.web.problems import problem_responses
from knowledge.deps import EditorScope, KnownScope
from knowledge.office import service
from knowledge.office.schemas import (
    OfficeCreate,
    OfficeList,
    OfficeRead,
    OfficeUpdate,
    ResponsibilityList,
    ResponsibilityRead,
)

router = APIRouter(tags=["offices"])

IfMatch = Annotated[str | None, Header(description="The ETag of the version you change")]
PATH = "/tenants/{tenant_id}/knowledge/offices"
ONE = PATH + "/{office_id}"
DESCRIPTIONS = ONE + "/descriptions"


def _read(row: dict[str, object], response: Response) -> OfficeRead:
    office = OfficeRead.model_validate(row)
    response.headers["ETag"] = etag(office.version)
    return office


@router.post(
    PATH,
    status_code=status.HTTP_201_CREATED,
    response_model=OfficeRead,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
async def create_office(data: OfficeCreate, scope: EditorScope, response: Response) -> OfficeRead:
    """Add an office where people are served, with its address, opening hours and contacts."""
    async with scope.database.transaction(scope.tenant_id) as session:
        row = await service.create(session, tenant_id=scope.tenant_id, data=data)
    response.headers["Location"] = f"/v1/tenants/{scope.tenant_id}/knowledge/offices/{row['id']}"
    return _read(row, response)


@router.get(PATH, response_model=OfficeList, responses=problem_responses(401, 404))
async def list_offices(scope: KnownScope) -> OfficeList:
    """List the municipality's offices by name."""
    rows = await service.list_all(scope.database, tenant_id=scope.tenant_id)
    return OfficeList(items=[OfficeRead.model_validate(row) for row in rows])


@router.get(ONE, response_model=OfficeRead, responses=problem_responses(401, 404, 422))
async def get_office(scope: KnownScope, office_id: uuid.UUID, response: Response) -> OfficeRead:
    """Read one office."""
    row = await service.get(scope.database, tenant_id=scope.tenant_id, office_id=office_id)
    return _read(row, response)


@router.patch(
    ONE,
    response_model=OfficeRead,
    responses=problem_responses(400, 401, 403, 404, 409, 412, 422, 428),
)
async def update_office(
    data: OfficeUpdate,
    scope: EditorScope,
    office_id: uuid.UUID,
    response: Response,
    if_match: IfMatch = None,
) -> OfficeRead:
    """Change an office; send the ETag you read as If-Match."""
    async with scope.database.transaction(scope.tenant_id) as session:
        row = await service.update(session, office_id=office_id, data=data, if_match=if_match)
    return _read(row, response)


@router.delete(ONE, status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 403, 404, 412, 422))
async def delete_office(scope: EditorScope, office_id: uuid.UUID, if_match: IfMatch = None) -> Response:
    """Remove an office and its responsibilities."""
    async with scope.database.transaction(scope.tenant_id) as session:
        await service.delete(session, office_id=office_id, if_match=if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(DESCRIPTIONS, response_model=ResponsibilityList, responses=problem_responses(401, 404, 422))
async def list_office_descriptions(scope: KnownScope, office_id: uuid.UUID) -> ResponsibilityList:
    """List the service descriptions the office is responsible for."""
    ids = await service.descriptions_of(scope.database, tenant_id=scope.tenant_id, office_id=office_id)
    return ResponsibilityList(items=[ResponsibilityRead(description_id=description_id) for description_id in ids])


@router.put(
    DESCRIPTIONS + "/{description_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 422),
)
async def assign_office(scope: EditorScope, office_id: uuid.UUID, description_id: uuid.UUID) -> Response:
    """Make the office responsible for a shared or the municipality's own description; repeating it is harmless."""
    async with scope.database.transaction(scope.tenant_id) as session:
        await service.assign(session, tenant_id=scope.tenant_id, office_id=office_id, description_id=description_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    DESCRIPTIONS + "/{description_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 422),
)
async def unassign_office(scope: EditorScope, office_id: uuid.UUID, description_id: uuid.UUID) -> Response:
    """Stop the office being responsible for the description."""
    async with scope.database.transaction(scope.tenant_id) as session:
        await service.unassign(session, office_id=office_id, description_id=description_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
