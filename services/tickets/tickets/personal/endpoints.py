"""HTTP endpoints for a municipality's data protection: export and erasure of one caller's data, and the audit.

The caller is named in the request body, never in the URL: URLs end up in access logs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from kit.pagination import DEFAULT_LIMIT
from kit.web.deps import CursorQuery, LimitQuery
from kit.web.problems import problem_responses
from tickets.deps import PrivacyScope, RequestId
from tickets.personal import service
from tickets.personal.schemas import (
    AccessAction,
    AccessList,
    AccessRead,
    CallerLookup,
    ErasureRead,
    PersonalDataExport,
)

router = APIRouter(tags=["personal data"])

PERSONAL_DATA = "/tenants/{tenant_id}/contacts/personal-data"


@router.post(
    f"{PERSONAL_DATA}/export", response_model=PersonalDataExport, responses=problem_responses(400, 401, 403, 404, 422)
)
async def export_personal_data(
    data: CallerLookup, scope: PrivacyScope, response: Response, request_id: RequestId = None
) -> PersonalDataExport:
    """Export everything kept about one caller (by phone number or e-mail address); every export is audited."""
    async with scope.database.lean_transaction(scope.tenant_id) as conn:
        exported = await service.export(conn, scope.identity, caller=data, request_id=request_id)
    response.headers["Cache-Control"] = "no-store"
    return PersonalDataExport.model_validate(exported)


@router.post(
    f"{PERSONAL_DATA}/erasure", response_model=ErasureRead, responses=problem_responses(400, 401, 403, 404, 422)
)
async def erase_personal_data(data: CallerLookup, scope: PrivacyScope, request_id: RequestId = None) -> ErasureRead:
    """Anonymise everything kept about one caller (by phone number or e-mail address); the facts for figures stay."""
    async with scope.database.lean_transaction(scope.tenant_id) as conn:
        done = await service.erase(conn, scope.identity, caller=data, request_id=request_id)
    return ErasureRead(contacts=done.contacts, tickets=done.tickets, notes=done.notes)


@router.get(f"{PERSONAL_DATA}/accesses", response_model=AccessList, responses=problem_responses(401, 403, 404, 422))
async def list_personal_data_accesses(
    scope: PrivacyScope,
    action: Annotated[AccessAction | None, Query(description="Only reads, exports or erasures")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> AccessList:
    """List who read, exported or erased callers' data, newest first (reads only by the host's staff)."""
    async with scope.database.lean_transaction(scope.tenant_id) as conn:
        rows, next_cursor = await service.accesses(conn, action=action, cursor=cursor, limit=limit)
    return AccessList(items=[AccessRead.model_validate(row) for row in rows], next_cursor=next_cursor)
