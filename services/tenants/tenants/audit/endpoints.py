"""HTTP endpoints for the access audit a municipality reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from kit.identity import Role
from kit.pagination import DEFAULT_LIMIT
from kit.web.deps import CursorQuery, LimitQuery, TenantScope, tenant_scope_for
from kit.web.problems import problem_responses
from tenants.audit import service
from tenants.audit.schemas import AccessList, AccessRead

router = APIRouter(tags=["access audit"])

AuditReader = Annotated[TenantScope, Depends(tenant_scope_for(Role.OPERATOR, Role.TENANT_ADMIN))]


@router.get("/tenants/{tenant_id}/audit", response_model=AccessList, responses=problem_responses(401, 403, 404, 422))
async def list_accesses(
    scope: AuditReader,
    since: Annotated[AwareDatetime | None, Query(description="Only accesses at or after this instant")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Only accesses before this instant")] = None,
    subject: Annotated[str | None, Query(max_length=200, description="Only this principal's accesses")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> AccessList:
    """List who accessed the municipality's data through the gateway, newest first."""
    rows, next_cursor = await service.list_page(
        scope.database,
        tenant_id=scope.tenant_id,
        since=since,
        until=until,
        subject=subject,
        cursor=cursor,
        limit=limit,
    )
    return AccessList(items=[AccessRead.model_validate(row) for row in rows], next_cursor=next_cursor)
