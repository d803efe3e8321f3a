"""The terms of a cooperation contract: what the host promises a municipality, and at what price."""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Channel = Literal["phone", "email", "chat", "walk_in", "web"]
Scope = Literal["115", "central_number", "all_first_contact"]
Cents = Annotated[int, Field(ge=0, le=10**12, description="Euro cents")]
Percent = Annotated[float, Field(gt=0, le=100)]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class _Terms(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Term(_Terms):
    start: date
    end: date | None = Field(default=None, description="Last day; open-ended if absent")
    trial_end: date | None = Field(default=None, description="Last day of the trial phase")
    notice_period_months: int = Field(ge=0, le=36)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end is not None and self.end < self.start:
            raise ValueError("end lies before start")
        if self.trial_end is not None and (
            self.trial_end < self.start or (self.end is not None and self.trial_end > self.end)
        ):
            raise ValueError("trial_end lies outside the term")
        return self


class ServiceLevel(_Terms):
    """E.g. 75 % of calls answered within 30 s, by one of the five formula variants of DOMAIN.md."""

    target_percent: Percent
    threshold_seconds: int = Field(ge=1, le=3600)
    variant: Literal[1, 2, 3, 4, 5] = Field(
        description="1 (A_T+Ab_T)/(A+Ab) · 2 A_T/A · 3 A_T/(A+Ab) · 4 A_T/(A+Ab−Ab_T) · 5 (A_T+Ab_s)/(A+Ab)"
    )
    short_abandon_seconds: int = Field(default=0, ge=0, description="Grace s < threshold for short abandons")

    @model_validator(mode="after")
    def _grace_within_threshold(self) -> Self:
        if self.short_abandon_seconds >= self.threshold_seconds:
            raise ValueError("short_abandon_seconds must be below threshold_seconds")
        return self


class BusinessHoursDeadline(_Terms):
    """Due N hours of reachability time after forwarding (115: 24 service hours)."""

    rule: Literal["business_hours"]
    hours: int = Field(ge=1, le=2000)


class NextWorkingDayDeadline(_Terms):
    """Due at the end of the next working day (Oldenburg)."""

    rule: Literal["next_working_day_end"]


ForwardingDeadline = Annotated[BusinessHoursDeadline | NextWorkingDayDeadline, Field(discriminator="rule")]


class TimeWindow(_Terms):
    start: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["08:00"])
    end: str = Field(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", examples=["18:00"])


class WeeklyHours(_Terms):
    """Reachability per weekday in local time, several windows a day allowed (split shifts)."""

    monday: list[TimeWindow] = []
    tuesday: list[TimeWindow] = []
    wednesday: list[TimeWindow] = []
    thursday: list[TimeWindow] = []
    friday: list[TimeWindow] = []
    saturday: list[TimeWindow] = []
    sunday: list[TimeWindow] = []

    @field_validator(*WEEKDAYS)
    @classmethod
    def _ordered_and_apart(cls, windows: list[TimeWindow]) -> list[TimeWindow]:
        ordered = sorted(windows, key=lambda w: w.start)
        for window in ordered:
            if window.end <= window.start:
                raise ValueError(f"window {window.start}–{window.end} ends before it starts")
        for earlier, later in pairwise(ordered):
            if later.start <= earlier.end:
                raise ValueError(
                    f"windows {earlier.start}–{earlier.end} and {later.start}–{later.end} overlap or touch; merge them"
                )
        return ordered

    @model_validator(mode="after")
    def _open_some_time(self) -> Self:
        if not any(getattr(self, day) for day in WEEKDAYS):
            raise ValueError("the service must be reachable on at least one weekday")
        return self

    def days(self) -> dict[str, list[TimeWindow]]:
        return {day: getattr(self, day) for day in WEEKDAYS}


class ClosurePeriod(_Terms):
    first: date
    last: date
    reason: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.last < self.first:
            raise ValueError("last lies before first")
        return self


class PerCall(_Terms):
    model: Literal["per_call"]
    cents_per_call: Cents
    annual_base_fee_cents: Cents = 0


class PerMinute(_Terms):
    """E.g. €1.15 per handled minute plus an annual base fee."""

    model: Literal["per_minute"]
    cents_per_minute: Cents
    annual_base_fee_cents: Cents = 0


class FlatFee(_Terms):
    """E.g. €95,000 a year for up to 60,000 handled minutes, each further minute at the overage price."""

    model: Literal["flat_fee"]
    annual_fee_cents: Cents
    included_minutes: int = Field(ge=1)
    overage_cents_per_minute: Cents


class AnnualFee(_Terms):
    """An annual lump sum, whatever the volume."""

    model: Literal["annual_fee"]
    annual_fee_cents: Cents


class Free(_Terms):
    model: Literal["free"]


PriceModel = Annotated[PerCall | PerMinute | FlatFee | AnnualFee | Free, Field(discriminator="model")]


class ContractTerms(_Terms):
    term: Term
    channels: list[Channel] = Field(min_length=1)
    scope: Scope
    service_level: ServiceLevel
    max_average_speed_of_answer_seconds: int | None = Field(default=None, ge=1, le=3600)
    first_contact_resolution_target_percent: Percent | None = None
    forwarding_deadline: ForwardingDeadline
    reachability: WeeklyHours
    closure_days: list[ClosurePeriod] = []
    price: PriceModel
    personal_data_retention_days: int = Field(ge=1, le=3650)

    @field_validator("channels")
    @classmethod
    def _distinct(cls, channels: list[Channel]) -> list[Channel]:
        if len(set(channels)) != len(channels):
            raise ValueError("each channel once")
        return channels
