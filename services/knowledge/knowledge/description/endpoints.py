"""HTTP endpoints for service descriptions: the shared base, a tenant's own ones and supplements, the agent's view."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response, status

from kit.concurrency import etag
from kit.identity import Identity, Role
from kit.pagination import DEFAULT_LIMIT
from kit.web.deps import CurrentIdentity, CursorQuery, DatabaseDep, LimitQuery, identity_with
from kit.web.problems import problem_responses
from knowledge.deps import EditorScope, KnownScope
from knowledge.description import review, service
from knowledge.description.diff import DescriptionDiff
from knowledge.description.repository import SHARED, TENANT
from knowledge.description.review import DEFAULT_STALE_AFTER_DAYS, ReviewItem, ReviewList
from knowledge.description.schemas import (
    AgentView,
    AgentViewList,
    DescriptionCreate,
    DescriptionRead,
    DescriptionUpdate,
    StatusChange,
    SupplementWrite,
    VersionList,
    VersionRead,
)
from knowledge.settings import get_settings

router = APIRouter(tags=["descriptions"])

IfMatch = Annotated[str | None, Header(description="The ETag of the version you change")]
# Working texts and their history are for the people who write them, not for agents or clients.
BaseReader = Annotated[Identity, Depends(identity_with(Role.KNOWLEDGE_EDITOR, Role.TENANT_ADMIN, Role.OPERATOR))]
BASE = "/knowledge/base/descriptions"
TENANT_PATH = "/tenants/{tenant_id}/knowledge/descriptions"
_WRITE_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 412, 422, 428)


def _read(row: dict[str, Any], response: Response) -> DescriptionRead:
    layer = "shared" if "tenant_id" not in row else ("local" if row["base_id"] is None else "supplement")
    description = DescriptionRead.model_validate({"tenant_id": None, "base_id": None, **row, "layer": layer})
    response.headers["ETag"] = etag(description.version)
    return description


def _versions(rows: list[dict[str, Any]]) -> VersionList:
    return VersionList(items=[VersionRead.model_validate(row) for row in rows])


# The shared base, kept by the host's knowledge editors.


@router.post(BASE, status_code=status.HTTP_201_CREATED, response_model=DescriptionRead, responses=_WRITE_PROBLEMS)
async def create_shared_description(
    data: DescriptionCreate, identity: CurrentIdentity, database: DatabaseDep, response: Response
) -> DescriptionRead:
    """Add a description to the shared base every municipality sees once it is published."""
    service.check_base_editor(identity, host_tenant=get_settings().host_tenant)
    async with database.transaction(identity.tenant_id) as session:
        row = await service.create(session, identity, tenant_id=None, data=data)
    response.headers["Location"] = f"/v1{BASE}/{row['id']}"
    return _read(row, response)


@router.get(BASE + "/{description_id}", response_model=DescriptionRead, responses=problem_responses(401, 403, 404, 422))
async def get_shared_description(
    description_id: uuid.UUID, identity: BaseReader, database: DatabaseDep, response: Response
) -> DescriptionRead:
    """Read a shared description as its editors see it: working and published content."""
    async with database.transaction(identity.tenant_id) as session:
        row = await service.get(session, layer=SHARED, description_id=description_id)
    return _read(row, response)


@router.patch(BASE + "/{description_id}", response_model=DescriptionRead, responses=_WRITE_PROBLEMS)
async def update_shared_description(
    description_id: uuid.UUID,
    data: DescriptionUpdate,
    identity: CurrentIdentity,
    database: DatabaseDep,
    response: Response,
    if_match: IfMatch = None,
) -> DescriptionRead:
    """Save new working content of a shared description; send the ETag you read as If-Match."""
    service.check_base_editor(identity, host_tenant=get_settings().host_tenant)
    async with database.transaction(identity.tenant_id) as session:
        row = await service.update(
            session, identity, layer=SHARED, description_id=description_id, data=data, if_match=if_match
        )
    return _read(row, response)


@router.put(BASE + "/{description_id}/status", response_model=DescriptionRead, responses=_WRITE_PROBLEMS)
async def move_shared_description(
    description_id: uuid.UUID,
    change: StatusChange,
    identity: CurrentIdentity,
    database: DatabaseDep,
    response: Response,
    if_match: IfMatch = None,
) -> DescriptionRead:
    """Move a shared description: to review, published, archived, or back to draft."""
    host_tenant = get_settings().host_tenant
    service.check_base_editor(identity, host_tenant=host_tenant)
    # What the shared base publishes is announced as the host's: its events are written in its transaction.
    async with database.transaction(host_tenant or identity.tenant_id) as session:
        row = await service.move(
            session, identity, layer=SHARED, description_id=description_id, status=change.status, if_match=if_match
        )
    return _read(row, response)


@router.get(BASE + "/{description_id}/versions", response_model=VersionList, responses=problem_responses(401, 403, 404))
async def list_shared_versions(description_id: uuid.UUID, identity: BaseReader, database: DatabaseDep) -> VersionList:
    """Every version of a shared description, newest first, with who saved it."""
    async with database.transaction(identity.tenant_id) as session:
        return _versions(await service.versions(session, layer=SHARED, description_id=description_id))


# A municipality's view, its own descriptions and its supplements.


@router.get(TENANT_PATH, response_model=AgentViewList, responses=problem_responses(401, 404, 422))
async def list_descriptions(
    scope: KnownScope, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> AgentViewList:
    """List the published descriptions agents see for the municipality, newest first."""
    async with scope.database.transaction(scope.tenant_id) as session:
        items, next_cursor = await service.agent_list(session, cursor=cursor, limit=limit)
    return AgentViewList(items=[AgentView.model_validate(item) for item in items], next_cursor=next_cursor)


@router.post(
    TENANT_PATH, status_code=status.HTTP_201_CREATED, response_model=DescriptionRead, responses=_WRITE_PROBLEMS
)
async def create_description(data: DescriptionCreate, scope: EditorScope, response: Response) -> DescriptionRead:
    """Add a description only this municipality sees."""
    async with scope.database.transaction(scope.tenant_id) as session:
        row = await service.create(session, scope.identity, tenant_id=scope.tenant_id, data=data)
    response.headers["Location"] = f"/v1/tenants/{scope.tenant_id}/knowledge/descriptions/{row['id']}"
    return _read(row, response)


@router.get(TENANT_PATH + "/{description_id}", response_model=AgentView, responses=problem_responses(401, 404, 422))
async def get_description(scope: KnownScope, description_id: uuid.UUID) -> AgentView:
    """Read a published description as agents see it here: merged from its layers, each part marked."""
    async with scope.database.transaction(scope.tenant_id) as session:
        view = await service.agent_view(session, description_id=description_id)
    return AgentView.model_validate(view)


@router.get(
    TENANT_PATH + "/{description_id}/working",
    response_model=DescriptionRead,
    responses=problem_responses(401, 403, 404),
)
async def get_working_description(scope: EditorScope, description_id: uuid.UUID, response: Response) -> DescriptionRead:
    """Read one of the municipality's own descriptions as its editors see it: working and published content."""
    async with scope.database.transaction(scope.tenant_id) as session:
        row = await service.get(session, layer=TENANT, description_id=description_id)
    return _read(row, response)


@router.patch(TENANT_PATH + "/{description_id}", response_model=DescriptionRead, responses=_WRITE_PROBLEMS)
async def update_description(
    data: DescriptionUpdate,
    scope: EditorScope,
    description_id: uuid.UUID,
    response: Response,
    if_match: IfMatch = None,
) -> DescriptionRead:
    """Save new working content of one of the municipality's own descriptions."""
    async with scope.database.transaction(scope.tenant_id) as session:
        row = await service.update(
            session, scope.identity, layer=TENANT, description_id=description_id, data=data, if_match=if_match
        )
    return _read(row, response)


@router.put(TENANT_PATH + "/{description_id}/status", response_model=DescriptionRead, responses=_WRITE_PROBLEMS)
async def move_description(
    change: StatusChange, scope: EditorScope, description_id: uuid.UUID, response: Response, if_match: IfMatch = None
) -> DescriptionRead:
    """Move one of the municipality's own descriptions in the workflow."""
    async with scope.database.transaction(scope.tenant_id) as session:
        row = await service.move(
            session,
            scope.identity,
            layer=TENANT,
            description_id=description_id,
            status=change.status,
            if_match=if_match,
        )
    return _read(row, response)


@router.get(
    TENANT_PATH + "/{description_id}/versions", response_model=VersionList, responses=problem_responses(401, 403, 404)
)
async def list_versions(scope: EditorScope, description_id: uuid.UUID) -> VersionList:
    """Every version of one of the municipality's own descriptions, newest first."""
    async with scope.database.transaction(scope.tenant_id) as session:
        return _versions(await service.versions(session, layer=TENANT, description_id=description_id))


@router.get(
    TENANT_PATH + "/{description_id}/supplement",
    response_model=DescriptionRead,
    responses=problem_responses(401, 403, 404),
)
async def get_supplement(scope: EditorScope, description_id: uuid.UUID, response: Response) -> DescriptionRead:
    """Read the municipality's supplement of a shared description."""
    async with scope.database.transaction(scope.tenant_id) as session:
        row = await service.supplement(session, base_id=description_id)
    return _read(row, response)


@router.put(TENANT_PATH + "/{description_id}/supplement", response_model=DescriptionRead, responses=_WRITE_PROBLEMS)
async def write_supplement(
    data: SupplementWrite,
    scope: EditorScope,
    description_id: uuid.UUID,
    response: Response,
    if_match: IfMatch = None,
) -> DescriptionRead:
    """Override or add parts of a shared description for this municipality (If-Match to replace one)."""
    async with scope.database.transaction(scope.tenant_id) as session:
        row, created = await service.write_supplement(
            session, scope.identity, tenant_id=scope.tenant_id, base_id=description_id, data=data, if_match=if_match
        )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return _read(row, response)


@router.put(
    TENANT_PATH + "/{description_id}/supplement/status", response_model=DescriptionRead, responses=_WRITE_PROBLEMS
)
async def move_supplement(
    change: StatusChange, scope: EditorScope, description_id: uuid.UUID, response: Response, if_match: IfMatch = None
) -> DescriptionRead:
    """Move the municipality's supplement of a shared description in the workflow."""
    async with scope.database.transaction(scope.tenant_id) as session:
        row = await service.move(
            session,
            scope.identity,
            layer=TENANT,
            description_id=description_id,
            status=change.status,
            if_match=if_match,
            supplement=True,
        )
    return _read(row, response)


@router.get(
    TENANT_PATH + "/{description_id}/supplement/versions",
    response_model=VersionList,
    responses=problem_responses(401, 403, 404),
)
async def list_supplement_versions(scope: EditorScope, description_id: uuid.UUID) -> VersionList:
    """Every version of the municipality's supplement of a shared description, newest first."""
    async with scope.database.transaction(scope.tenant_id) as session:
        return _versions(await service.versions(session, layer=TENANT, description_id=description_id, supplement=True))


# Comparing versions, and what is due for review. Both follow the access rules of the version history.

FromVersion = Annotated[
    int | None, Query(alias="from", ge=1, description="The older version; the one before `to` if absent")
]
ToVersion = Annotated[int | None, Query(alias="to", ge=1, description="The newer version; the latest if absent")]
DueBy = Annotated[date | None, Query(description="List what is due for review on or before this day (today)")]
StaleAfterDays = Annotated[
    int, Query(ge=1, le=3650, description="Published text unchanged for longer than this many days is stale")
]
REVIEW_PATH = "/tenants/{tenant_id}/knowledge/review"
_READ_PROBLEMS = problem_responses(401, 403, 404, 422)


@router.get(BASE + "/{description_id}/diff", response_model=DescriptionDiff, responses=_READ_PROBLEMS)
async def diff_shared_versions(
    description_id: uuid.UUID,
    identity: BaseReader,
    database: DatabaseDep,
    from_version: FromVersion = None,
    to_version: ToVersion = None,
) -> DescriptionDiff:
    """Show what changed between two versions of a shared description, part by part (the latest change)."""
    async with database.transaction(identity.tenant_id) as session:
        result = await service.diff(
            session, layer=SHARED, description_id=description_id, from_version=from_version, to_version=to_version
        )
    return DescriptionDiff.model_validate(result)


@router.get(TENANT_PATH + "/{description_id}/diff", response_model=DescriptionDiff, responses=_READ_PROBLEMS)
async def diff_versions(
    scope: EditorScope, description_id: uuid.UUID, from_version: FromVersion = None, to_version: ToVersion = None
) -> DescriptionDiff:
    """Show what changed between two versions of one of the municipality's own descriptions."""
    async with scope.database.transaction(scope.tenant_id) as session:
        result = await service.diff(
            session, layer=TENANT, description_id=description_id, from_version=from_version, to_version=to_version
        )
    return DescriptionDiff.model_validate(result)


@router.get(TENANT_PATH + "/{description_id}/supplement/diff", response_model=DescriptionDiff, responses=_READ_PROBLEMS)
async def diff_supplement_versions(
    scope: EditorScope, description_id: uuid.UUID, from_version: FromVersion = None, to_version: ToVersion = None
) -> DescriptionDiff:
    """Show what changed between two versions of the municipality's supplement of a shared description."""
    async with scope.database.transaction(scope.tenant_id) as session:
        result = await service.diff(
            session,
            layer=TENANT,
            description_id=description_id,
            from_version=from_version,
            to_version=to_version,
            supplement=True,
        )
    return DescriptionDiff.model_validate(result)


def _review(items: list[dict[str, Any]], next_cursor: str | None) -> ReviewList:
    return ReviewList(items=[ReviewItem.model_validate(item) for item in items], next_cursor=next_cursor)


@router.get("/knowledge/base/review", response_model=ReviewList, responses=problem_responses(401, 403, 422))
async def list_shared_review(
    identity: BaseReader,
    database: DatabaseDep,
    due_by: DueBy = None,
    stale_after_days: StaleAfterDays = DEFAULT_STALE_AFTER_DAYS,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ReviewList:
    """List the shared descriptions due for review or stale, the longest due first."""
    async with database.transaction(identity.tenant_id) as session:
        items, next_cursor = await review.due_for_review(
            session,
            layer=SHARED,
            now=datetime.now(UTC),
            due_by=due_by,
            stale_after_days=stale_after_days,
            cursor=cursor,
            limit=limit,
        )
    return _review(items, next_cursor)


@router.get(REVIEW_PATH, response_model=ReviewList, responses=_READ_PROBLEMS)
async def list_review(
    scope: EditorScope,
    due_by: DueBy = None,
    stale_after_days: StaleAfterDays = DEFAULT_STALE_AFTER_DAYS,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ReviewList:
    """List the municipality's own descriptions and supplements due for review or stale, the longest due first."""
    async with scope.database.transaction(scope.tenant_id) as session:
        items, next_cursor = await review.due_for_review(
            session,
            layer=TENANT,
            now=datetime.now(UTC),
            due_by=due_by,
            stale_after_days=stale_after_days,
            cursor=cursor,
            limit=limit,
        )
    return _review(items, next_cursor)
