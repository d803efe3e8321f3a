"""HTTP endpoints of figures: a municipality's own, and the host's across all of them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from kit.errors import InvalidField
from kit.identity import Identity, Role
from kit.web.deps import DatabaseDep, TenantScope, identity_with, tenant_scope_for
from kit.web.problems import problem_responses
from metrics.figures import kpis
from metrics.figures.periods import Granularity, period_error
from metrics.figures.schemas import AllTenantsKpis, TenantKpis

router = APIRouter(tags=["figures"])
# A municipality's figures are for its admins, its back office, its integrations and the host's operators.
FiguresScope = Annotated[
    TenantScope,
    Depends(tenant_scope_for(Role.TENANT_ADMIN, Role.BACK_OFFICE, Role.INTEGRATION_CLIENT, Role.OPERATOR)),
]
Operator = Annotated[Identity, Depends(identity_with(Role.OPERATOR))]
From = Annotated[date, Query(alias="from", description="First local date of the period")]
To = Annotated[date, Query(alias="to", description="The local date after the period (exclusive)")]


def _checked(start: date, end: date, granularity: Granularity) -> None:
    problem = period_error(start, end, granularity)
    if problem is not None:
        raise InvalidField("to", problem, location="query")


@router.get(
    "/tenants/{tenant_id}/figures/kpis",
    response_model=TenantKpis,
    response_model_by_alias=True,
    responses=problem_responses(401, 403, 404, 422),
)
async def tenant_kpis(scope: FiguresScope, start: From, end: To, granularity: Granularity = "day") -> Any:
    """Calls of the period per bucket and in all: volumes, the service level in all five variants (the
    contract's marked), average speed of answer, handle time and abandonment rate; contacts by outcome with
    first-contact resolution, and forwarded concerns due with callback-deadline compliance.

    Periods are local dates of the municipality; at most 31 days by quarter hour, a year by day, three by week
    and five by month.
    """
    _checked(start, end, granularity)
    return await kpis.tenant_kpis(scope.database, scope.tenant_id, start=start, end=end, granularity=granularity)


@router.get(
    "/figures/kpis",
    response_model=AllTenantsKpis,
    response_model_by_alias=True,
    responses=problem_responses(401, 403, 422),
)
async def all_tenants_kpis(_: Operator, database: DatabaseDep, start: From, end: To) -> Any:
    """Every municipality's calls of the period in all, and their sum: the host's view, for operators only."""
    _checked(start, end, "month")
    return await kpis.all_tenants_kpis(database, start=start, end=end)
