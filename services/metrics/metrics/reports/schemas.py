"""What the monthly report endpoint answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from metrics.billing.schemas import BillLine
from metrics.compliance.schemas import SpanRead
from metrics.figures.schemas import ContactCounts
from metrics.reports.figures import ChangeUnit, Unit

ReportFormat = Literal["json", "csv"]


class Volumes(BaseModel):
    offered: int
    answered: int
    abandoned: int
    short_abandons: int
    abandonment_rate_percent: float | None = Field(description="Abandoned in percent of offered (short ones included)")
    contacts: ContactCounts = Field(description="Contacts begun in the month, by outcome")
    forwarded_concerns: int = Field(description="Concerns forwarded to the back office in the month")


class ServiceLevel(BaseModel):
    variant: int | None = Field(description="The contract's formula variant (1–5) at the month's start")
    threshold_seconds: int | None
    target_percent: float | None
    percent: float | None = Field(description="The month's service level in the contract's variant")
    met: bool | None = Field(description="Judged per stretch of each contract version in force (see compliance)")
    variants: dict[str, float | None] = Field(description="The month's service level in each of the five variants")


class Waiting(BaseModel):
    average_speed_of_answer_seconds: float | None
    target_seconds: float | None = Field(description="The contract's maximum average speed of answer, if any")
    met: bool | None
    longest_wait_seconds: float
    answered_within_threshold: int = Field(description="Answered within the contract's threshold")
    answered_within_threshold_percent: float | None = Field(description="Of the answered calls")
    answered_within: dict[str, int] = Field(description="Answered within each standard threshold (seconds)")


class Handling(BaseModel):
    handled: int
    handled_minutes: float
    average_handle_time_seconds: float | None


class FirstContactResolution(BaseModel):
    percent: float | None
    target_percent: float | None
    met: bool | None
    solved: int
    contacts: int


class Deadlines(BaseModel):
    due: int = Field(description="Forwarded concerns whose due time lay in the month and has passed")
    answered_in_time: int
    answered_late: int
    overdue: int = Field(description="Due and still without an answer")
    percent: float | None = Field(description="Answered in time in percent of those due")
    target_percent: float | None = Field(description="Every concern is promised its answer by its due time: 100")
    met: bool | None


class Costs(BaseModel):
    contract_version: int
    model: str
    total_cents: int
    currency: Literal["EUR"]
    lines: list[BillLine]
    final: bool = Field(description="False until the month is over")


class MonthSections(BaseModel):
    volumes: Volumes
    service_level: ServiceLevel
    waiting: Waiting
    handling: Handling
    first_contact_resolution: FirstContactResolution
    deadlines: Deadlines
    costs: Costs | None = Field(description="None when the month cannot be billed; ``costs_unavailable`` says why")
    costs_unavailable: str | None = None


class ComparisonRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    section: str
    figure: str = Field(examples=["service_level.percent", "lines.handled_minutes"])
    unit: Unit
    this_month: bool | int | float | None
    previous_month: bool | int | float | None
    change: int | float | None = Field(description="This month less the previous; rates in percentage points")
    change_unit: ChangeUnit | None


class MonthlyReportRead(MonthSections):
    tenant_id: str
    month: str = Field(examples=["2026-10"], description="The municipality's local calendar month")
    previous_month: str
    time_zone: str
    final: bool = Field(description="True once the month is over")
    compliance: list[SpanRead] = Field(description="The month judged per stretch of each contract version in force")
    previous: MonthSections = Field(description="The previous month's figures")
    comparison: list[ComparisonRow] = Field(description="Every figure against the previous month's")
