"""HTTP endpoints for a municipality's cooperation contract."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Response, status
from pydantic import AwareDatetime

from kit.concurrency import etag
from kit.errors import InvalidField
from kit.identity import Role
from kit.web.deps import TenantScope, TenantScopeDep, tenant_scope_for
from kit.web.problems import problem_responses
from tenants.contract import service
from tenants.contract.schemas import ContractVersionCreate, ContractVersionList, ContractVersionRead, DuePreview
from tenants.contract.terms import BusinessHoursDeadline, NextWorkingDayDeadline

router = APIRouter(tags=["contracts"])

OperatorScope = Annotated[TenantScope, Depends(tenant_scope_for(Role.OPERATOR))]
IfMatch = Annotated[str | None, Header(description="The ETag of the latest version you base the change on")]


@router.get(
    "/tenants/{tenant_id}/contract", response_model=ContractVersionRead, responses=problem_responses(401, 404, 422)
)
async def get_contract_in_force(
    scope: TenantScopeDep,
    response: Response,
    at: Annotated[AwareDatetime | None, Query(description="The instant (RFC 3339); now if absent")] = None,
) -> ContractVersionRead:
    """Read the contract terms in force at an instant; the ETag names the latest version."""
    row = await service.in_force(scope.database, tenant_id=scope.tenant_id, at=at or datetime.now(UTC))
    response.headers["ETag"] = etag(await service.latest_version_number(scope.database, tenant_id=scope.tenant_id))
    return ContractVersionRead.model_validate(row)


@router.get("/tenants/{tenant_id}/calendar/due", response_model=DuePreview, responses=problem_responses(401, 404, 422))
async def preview_due(
    scope: TenantScopeDep,
    start: Annotated[AwareDatetime, Query(description="When the concern is forwarded (RFC 3339)")],
    rule: Annotated[
        Literal["business_hours", "next_working_day_end"] | None,
        Query(description="The deadline rule; the contract's rule in force at `start` if absent"),
    ] = None,
    hours: Annotated[int | None, Query(ge=1, le=2000, description="Business hours, for `business_hours`")] = None,
) -> DuePreview:
    """Preview when a concern forwarded at an instant is due, in the municipality's business time."""
    chosen: BusinessHoursDeadline | NextWorkingDayDeadline | None = None
    if rule == "business_hours":
        if hours is None:
            raise InvalidField("hours", "business_hours needs the number of hours", location="query")
        chosen = BusinessHoursDeadline(rule=rule, hours=hours)
    elif rule == "next_working_day_end":
        chosen = NextWorkingDayDeadline(rule=rule)
    preview = await service.preview_due(scope.database, tenant_id=scope.tenant_id, start=start, rule=chosen)
    return DuePreview.model_validate(preview)


@router.get(
    "/tenants/{tenant_id}/contract/versions", response_model=ContractVersionList, responses=problem_responses(401, 404)
)
async def list_contract_versions(scope: TenantScopeDep, response: Response) -> ContractVersionList:
    """List every version of the contract, oldest first."""
    rows = await service.versions(scope.database, tenant_id=scope.tenant_id)
    response.headers["ETag"] = etag(rows[-1]["version"] if rows else 0)
    return ContractVersionList(items=[ContractVersionRead.model_validate(row) for row in rows])


@router.get(
    "/tenants/{tenant_id}/contract/versions/{version}",
    response_model=ContractVersionRead,
    responses=problem_responses(401, 404, 422),
)
async def get_contract_version(scope: TenantScopeDep, version: int) -> ContractVersionRead:
    """Read one version of the contract."""
    return ContractVersionRead.model_validate(
        await service.version(scope.database, tenant_id=scope.tenant_id, number=version)
    )


@router.post(
    "/tenants/{tenant_id}/contract/versions",
    status_code=status.HTTP_201_CREATED,
    response_model=ContractVersionRead,
    responses=problem_responses(400, 401, 403, 404, 409, 412, 413, 422, 428),
)
async def add_contract_version(
    data: ContractVersionCreate, scope: OperatorScope, response: Response, if_match: IfMatch = None
) -> ContractVersionRead:
    """Add a complete new version of the terms from an instant on; send the latest version's ETag as If-Match."""
    async with scope.database.transaction(scope.tenant_id) as session:
        row = await service.add_version(
            session,
            tenant_id=scope.tenant_id,
            data=data,
            if_match=if_match,
            actor=scope.identity.subject,
            now=datetime.now(UTC),
        )
    response.headers["ETag"] = etag(row["version"])
    response.headers["Location"] = f"/v1/tenants/{scope.tenant_id}/contract/versions/{row['version']}"
    return ContractVersionRead.model_validate({**row, "effective_until": None})
