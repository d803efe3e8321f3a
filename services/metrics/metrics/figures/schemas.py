"""What the figures endpoints answer."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from metrics.figures.periods import Granularity


class ContractJudging(BaseModel):
    """The contract version in force at the period's start, whose service level the figures are judged by."""

    version: int
    variant: int
    threshold_seconds: int
    target_percent: float
    first_contact_resolution_target_percent: float | None = None


class ContactCounts(BaseModel):
    """Contacts by the outcome they were recorded with; ``total``: all contacts with an outcome."""

    solved: int
    forwarded: int
    callback: int
    referred: int
    total: int


class CallFigures(BaseModel):
    start: datetime
    end: datetime
    offered: int
    answered: int
    abandoned: int
    answered_within_threshold: int = Field(description="Within each interval's contract threshold")
    abandoned_within_threshold: int
    short_abandons: int
    answered_within: dict[str, int] = Field(description="Answered within each standard threshold (seconds)")
    handled: int
    handled_minutes: float
    service_level: dict[str, float | None] = Field(description="Percent in each of the five variants")
    service_level_contract: float | None = Field(description="Percent in the contract's variant")
    average_speed_of_answer_seconds: float | None
    average_handle_time_seconds: float | None
    abandonment_rate_percent: float | None
    max_wait_seconds: float
    contacts: ContactCounts = Field(description="Contacts begun in the bucket, by outcome")
    first_contact_resolution_percent: float | None = Field(description="Solved in percent of all contacts")
    concerns_due: int = Field(
        description="Forwarded concerns whose due time lies in the bucket and has passed (not merged duplicates, "
        "not those waiting for the citizen)"
    )
    concerns_answered_in_time: int = Field(description="Of those due, answered by their due time")
    concerns_answered_late: int = Field(description="Of those due, answered after their due time")
    concerns_overdue: int = Field(description="Of those due, still open without an answer")
    deadline_compliance_percent: float | None = Field(description="Answered in time in percent of those due")


class TenantKpis(BaseModel):
    tenant_id: str
    time_zone: str
    period_from: date = Field(alias="from")
    period_to: date = Field(alias="to", description="Exclusive")
    granularity: Granularity
    contract: ContractJudging | None
    total: CallFigures
    buckets: list[CallFigures]

    model_config = {"populate_by_name": True}


class TenantTotal(BaseModel):
    tenant_id: str
    contract: ContractJudging | None
    total: CallFigures


class AllTenantsKpis(BaseModel):
    period_from: date = Field(alias="from")
    period_to: date = Field(alias="to")
    tenants: list[TenantTotal]
    total: CallFigures

    model_config = {"populate_by_name": True}
