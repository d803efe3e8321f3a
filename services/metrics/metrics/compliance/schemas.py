"""What the compliance and breaches endpoints answer."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from metrics.compliance.targets import Comparison, TargetName, Unit
from metrics.events.published import BreachedTarget


class _FromAttributes(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TargetRead(_FromAttributes):
    """What the contract promises."""

    value: float = Field(examples=[80.0])
    unit: Unit
    comparison: Comparison = Field(description="at_least: the figure must reach it; at_most: not exceed it")
    variant: int | None = Field(None, description="Service level only: the formula variant (1–5)")
    threshold_seconds: int | None = Field(None, description="Service level only: the threshold T")
    short_abandon_seconds: int | None = Field(None, description="Service level only: the grace s of variant 5")
    deadline_rule: dict[str, Any] | None = Field(
        None, description="Forwarding deadlines only: the contract's deadline rule each concern was due by"
    )


class JudgementRead(_FromAttributes):
    name: TargetName
    target: TargetRead | None = Field(description="None: the contract sets no such target, or no contract is in force")
    actual: float | None = Field(description="None: nothing to figure from (no call, contact or concern due)")
    unit: Unit
    met: bool | None = Field(description="None when there is no target or no figure")
    figures: dict[str, int | float] = Field(description="The counts the figure was computed from")


class SpanRead(_FromAttributes):
    """A stretch of the period with one contract version in force."""

    start: datetime
    end: datetime
    contract_version: int | None = Field(description="None: no contract was in force")
    met: bool | None = Field(
        description="False if any target was missed; true if every target that could be judged was met; "
        "None if none could be judged"
    )
    targets: list[JudgementRead]


class ComplianceRead(BaseModel):
    tenant_id: str
    time_zone: str
    period_from: date = Field(alias="from")
    period_to: date = Field(alias="to", description="Exclusive")
    met: bool | None = Field(description="False if any stretch missed a target; as for a stretch otherwise")
    spans: list[SpanRead]

    model_config = ConfigDict(populate_by_name=True)


class BreachRead(BaseModel):
    day: date = Field(description="The municipality's local date")
    target: BreachedTarget
    contract_version: int
    target_value: float
    unit: Literal["percent", "seconds"]
    comparison: Comparison
    actual: float
    variant: int | None = None
    threshold_seconds: int | None = None
    short_abandon_seconds: int | None = None
    counts: dict[str, int | float]
    event_id: uuid.UUID = Field(description="The id of the ``metrics.compliance.breached.v1`` event announcing it")
    recorded_at: datetime


class BreachList(BaseModel):
    tenant_id: str
    period_from: date = Field(alias="from")
    period_to: date = Field(alias="to", description="Exclusive")
    items: list[BreachRead]

    model_config = ConfigDict(populate_by_name=True)
