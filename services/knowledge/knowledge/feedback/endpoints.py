"""HTTP endpoints for agents' feedback on descriptions and the quality list editors work through."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from kit.identity import Role
from kit.pagination import DEFAULT_LIMIT
from kit.web.deps import CursorQuery, LimitQuery, TenantScope
from kit.web.problems import problem_responses
from knowledge.deps import EditorScope, known_scope_for
from knowledge.feedback import service
from knowledge.feedback.schemas import (
    FeedbackCreate,
    FeedbackList,
    FeedbackRead,
    FeedbackResolution,
    QualityItem,
    QualityList,
)

router = APIRouter(tags=["feedback"])

# Everyone of the municipality's staff who reads descriptions may say what they think of one.
StaffScope = Annotated[
    TenantScope,
    Depends(known_scope_for(Role.AGENT, Role.BACK_OFFICE, Role.KNOWLEDGE_EDITOR, Role.TENANT_ADMIN, Role.OPERATOR)),
]
ON_DESCRIPTION = "/tenants/{tenant_id}/knowledge/descriptions/{description_id}/feedback"
QUALITY = "/tenants/{tenant_id}/knowledge/quality"
RESOLUTION = "/tenants/{tenant_id}/knowledge/feedback/{feedback_id}/resolution"


@router.post(
    ON_DESCRIPTION,
    status_code=status.HTTP_201_CREATED,
    response_model=FeedbackRead,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def give_feedback(data: FeedbackCreate, scope: StaffScope, description_id: uuid.UUID) -> FeedbackRead:
    """Say whether a description helped, or is outdated, wrong or unclear."""
    async with scope.database.transaction(scope.tenant_id) as session:
        row = await service.give(
            session, scope.identity, tenant_id=scope.tenant_id, description_id=description_id, data=data
        )
    return FeedbackRead.model_validate(row)


@router.get(ON_DESCRIPTION, response_model=FeedbackList, responses=problem_responses(401, 403, 404, 422))
async def list_feedback(
    scope: EditorScope, description_id: uuid.UUID, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> FeedbackList:
    """List the municipality's feedback on a description, newest first."""
    async with scope.database.transaction(scope.tenant_id) as session:
        rows, next_cursor = await service.list_for(session, description_id=description_id, cursor=cursor, limit=limit)
    return FeedbackList(items=[FeedbackRead.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.put(RESOLUTION, response_model=FeedbackRead, responses=problem_responses(400, 401, 403, 404, 422))
async def resolve_feedback(data: FeedbackResolution, scope: EditorScope, feedback_id: uuid.UUID) -> FeedbackRead:
    """Resolve feedback with a note on what was done; resolving again replaces the note."""
    async with scope.database.transaction(scope.tenant_id) as session:
        row = await service.resolve(session, scope.identity, feedback_id=feedback_id, data=data)
    return FeedbackRead.model_validate(row)


@router.get(QUALITY, response_model=QualityList, responses=problem_responses(401, 403, 404, 422))
async def list_quality(scope: EditorScope, limit: LimitQuery = DEFAULT_LIMIT) -> QualityList:
    """List the descriptions the municipality's staff reported, most unresolved problem reports first."""
    async with scope.database.transaction(scope.tenant_id) as session:
        items = await service.quality(session, limit=limit)
    return QualityList(items=[QualityItem.model_validate(item) for item in items])
