"""HTTP endpoints of staffing: a municipality's day planned by Erlang C, and the plain calculator."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from kit.identity import Role
from kit.web.deps import CurrentIdentity, TenantScope, tenant_scope_for
from kit.web.problems import problem_responses
from metrics.staffing import service
from metrics.staffing.schemas import ErlangStaffing, IntervalStaffing, StaffingPlanRead, StaffingTarget

router = APIRouter(tags=["staffing"])
# Staffing is a figure like the others: for the municipality's admins, back office, integrations and operators.
StaffingScope = Annotated[
    TenantScope,
    Depends(tenant_scope_for(Role.TENANT_ADMIN, Role.BACK_OFFICE, Role.INTEGRATION_CLIENT, Role.OPERATOR)),
]
Shrinkage = Annotated[
    float, Query(ge=0, le=0.9, description="Share of paid time agents are not on the phone (breaks, training)")
]
AhtSeconds = Annotated[float, Query(gt=0, le=7200, description="Average handle time in seconds")]


@router.get(
    "/tenants/{tenant_id}/figures/staffing",
    response_model=StaffingPlanRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def staffing_plan(
    scope: StaffingScope,
    day: Annotated[date, Query(alias="date", description="The local date to staff")],
    weeks: Annotated[int, Query(ge=1, le=12, description="How many past weeks the forecast averages")] = 4,
    shrinkage: Shrinkage = 0.0,
    aht_seconds: Annotated[float | None, Query(gt=0, le=7200, description="Handle time; measured if absent")] = None,
) -> StaffingPlanRead:
    """The agents each quarter hour of a local date within the contract's reachability hours needs, by Erlang C.

    Calls expected: the mean offered in the same local weekday and quarter hour over the last ``weeks`` weeks;
    handle time: as given, else the handled-weighted mean of those weeks (180 s if nothing was handled); the
    target: the contract's service level. No contract in force, or none with reachability hours: 409.
    """
    plan = await service.staffing_plan(
        scope.database, scope.tenant_id, day=day, weeks=weeks, shrinkage=shrinkage, aht_seconds=aht_seconds
    )
    return StaffingPlanRead(
        tenant_id=plan.tenant_id,
        date=plan.day,
        time_zone=plan.time_zone,
        contract_version=plan.contract_version,
        target=StaffingTarget(percent=plan.target_percent, threshold_seconds=plan.threshold_seconds),
        aht_seconds=plan.aht_seconds,
        aht_source=plan.aht_source,
        weeks=plan.weeks,
        shrinkage=plan.shrinkage,
        intervals=[
            IntervalStaffing(
                start=each.start,
                calls_forecast=each.staffing.calls,
                agents=each.staffing.agents,
                rostered=each.staffing.rostered,
                service_level_percent=each.staffing.service_level * 100,
                asa_seconds=each.staffing.asa_seconds,
                occupancy_percent=each.staffing.occupancy * 100,
            )
            for each in plan.intervals
        ],
        peak_agents=plan.peak_agents,
        peak_rostered=plan.peak_rostered,
    )


@router.get("/figures/staffing/erlang", response_model=ErlangStaffing, responses=problem_responses(401, 422))
async def erlang_calculator(
    _: CurrentIdentity,
    calls: Annotated[float, Query(ge=0, le=100_000, description="Calls arriving in one interval")],
    aht_seconds: AhtSeconds,
    target_percent: Annotated[float, Query(gt=0, le=100, description="e.g. 80 for 80 % within the threshold")],
    threshold_seconds: Annotated[int, Query(ge=0, le=3600)],
    interval_minutes: Annotated[int, Query(ge=1, le=1440)] = 30,
    shrinkage: Shrinkage = 0.0,
) -> ErlangStaffing:
    """The agents an interval's calls need to reach a service level, by Erlang C, and what they reach.

    A calculator for anyone signed in: no municipality's data is read.
    """
    staffing = service.erlang_staffing(
        calls=calls,
        interval_minutes=interval_minutes,
        aht_seconds=aht_seconds,
        target_percent=target_percent,
        threshold_seconds=threshold_seconds,
        shrinkage=shrinkage,
    )
    return ErlangStaffing(
        calls=calls,
        interval_minutes=interval_minutes,
        aht_seconds=aht_seconds,
        target_percent=target_percent,
        threshold_seconds=threshold_seconds,
        shrinkage=shrinkage,
        traffic_erlangs=staffing.traffic,
        agents=staffing.agents,
        rostered=staffing.rostered,
        service_level_percent=staffing.service_level * 100,
        asa_seconds=staffing.asa_seconds,
        occupancy_percent=staffing.occupancy * 100,
        probability_of_waiting_percent=staffing.probability_of_waiting * 100,
    )
