"""What the staffing endpoints answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


class StaffingTarget(BaseModel):
    percent: float = Field(description="Share of calls to answer within the threshold")
    threshold_seconds: int


class IntervalStaffing(BaseModel):
    start: datetime = Field(description="The quarter hour's start in UTC")
    calls_forecast: float = Field(description="Mean offered calls of the same local weekday and quarter hour")
    agents: int = Field(description="Agents on the phone the target needs (Erlang C)")
    rostered: int = Field(description="Agents to roster: agents / (1 − shrinkage), rounded up")
    service_level_percent: float = Field(description="Expected share answered within the threshold")
    asa_seconds: float = Field(description="Expected average speed of answer")
    occupancy_percent: float


class StaffingPlanRead(BaseModel):
    tenant_id: str
    date: date
    time_zone: str
    contract_version: int
    target: StaffingTarget
    aht_seconds: float
    aht_source: Literal["given", "measured", "default"] = Field(
        description="given in the request, measured over the weeks (handled-weighted), or the 180 s default"
    )
    weeks: int
    shrinkage: float
    intervals: list[IntervalStaffing] = Field(description="The day's quarter hours within reachability hours")
    peak_agents: int
    peak_rostered: int


class ErlangStaffing(BaseModel):
    calls: float
    interval_minutes: int
    aht_seconds: float
    target_percent: float
    threshold_seconds: int
    shrinkage: float
    traffic_erlangs: float = Field(description="Calls per minute × handle time in minutes")
    agents: int
    rostered: int
    service_level_percent: float
    asa_seconds: float
    occupancy_percent: float
    probability_of_waiting_percent: float
