"""HTTP endpoints of compliance: a period judged by the contract, and the breaches announced."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from kit.identity import Role
from kit.web.deps import TenantScope, tenant_scope_for
from kit.web.problems import problem_responses
from metrics.compliance import service
from metrics.compliance.schemas import BreachList, BreachRead, ComplianceRead, SpanRead

router = APIRouter(tags=["compliance"])
# Compliance is a figure like the others: for the municipality's admins, back office, integrations and operators.
ComplianceScope = Annotated[
    TenantScope,
    Depends(tenant_scope_for(Role.TENANT_ADMIN, Role.BACK_OFFICE, Role.INTEGRATION_CLIENT, Role.OPERATOR)),
]
From = Annotated[date, Query(alias="from", description="First local date of the period")]
To = Annotated[date, Query(alias="to", description="The local date after the period (exclusive); 366 days at most")]


@router.get(
    "/tenants/{tenant_id}/figures/compliance",
    response_model=ComplianceRead,
    response_model_by_alias=True,
    responses=problem_responses(401, 403, 404, 422),
)
async def compliance(scope: ComplianceScope, start: From, end: To) -> ComplianceRead:
    """The period judged against the contract: one stretch per contract version in force, each with its
    targets (service level in the contract's variant, average speed of answer, first-contact resolution,
    forwarding deadlines), the figure reached, whether it was met and the counts behind it.

    Forwarded concerns are promised their answer by their due time, each one: that target is 100 % of the
    concerns due in the stretch. ``met`` is null where there is no target or nothing to figure from.
    """
    judged = await service.compliance(scope.database, scope.tenant_id, start=start, end=end)
    return ComplianceRead(
        tenant_id=judged.tenant_id,
        time_zone=judged.time_zone,
        period_from=judged.start,
        period_to=judged.end,
        met=judged.met,
        spans=[SpanRead.model_validate(span, from_attributes=True) for span in judged.spans],
    )


@router.get(
    "/tenants/{tenant_id}/figures/breaches",
    response_model=BreachList,
    response_model_by_alias=True,
    responses=problem_responses(401, 403, 404, 422),
)
async def breaches(scope: ComplianceScope, start: From, end: To) -> BreachList:
    """The contract targets missed on the period's local days, as announced by ``metrics.compliance.breached.v1``
    once each day has ended (service level, average speed of answer, first-contact resolution), by day and target.
    """
    found = await service.breaches(scope.database, scope.tenant_id, start=start, end=end)
    return BreachList(
        tenant_id=scope.tenant_id,
        period_from=start,
        period_to=end,
        items=[BreachRead.model_validate(item) for item in found],
    )
