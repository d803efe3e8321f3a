"""The events the metrics service publishes; it owns their contract (the data models below).

A breach names the figures it was judged by (counts, not calls or callers): a partner's web hook or the host's
alerting can tell what was missed, by how much, and under which contract version.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from kit.events import CloudEvent, new_event
from kit.tenancy import TenantId
from metrics.settings import SERVICE

COMPLIANCE_BREACHED = "metrics.compliance.breached.v1"

# The targets a day is checked against; forwarding deadlines are judged in the compliance figures only, since a
# concern's deadline often falls days after the contact.
BreachedTarget = Literal["service_level", "average_speed_of_answer", "first_contact_resolution"]


class ComplianceBreachedV1(BaseModel):
    """``metrics.compliance.breached.v1``: a municipality's local day ended with a contract target missed."""

    tenant_id: TenantId
    day: date = Field(description="The municipality's local date")
    time_zone: str
    start: datetime = Field(description="The day's first instant (UTC)")
    end: datetime = Field(description="The instant after the day (UTC)")
    target: BreachedTarget
    contract_version: int
    target_value: float = Field(description="What the contract promises, in ``unit``")
    unit: Literal["percent", "seconds"]
    comparison: Literal["at_least", "at_most"] = Field(description="Whether ``actual`` had to reach or stay below")
    actual: float = Field(description="What the day reached, in ``unit``")
    variant: int | None = Field(default=None, description="The service-level formula (1–5); service level only")
    threshold_seconds: int | None = Field(default=None, description="The service level's threshold T")
    short_abandon_seconds: int | None = Field(default=None, description="The grace s of variant 5")
    counts: dict[str, int | float] = Field(description="The counts the figure was computed from")


PUBLISHED: dict[str, type[BaseModel]] = {COMPLIANCE_BREACHED: ComplianceBreachedV1}


def compliance_breached(breach: ComplianceBreachedV1) -> CloudEvent:
    """``metrics.compliance.breached.v1`` about ``breach``, with the subject ``compliance/<day>/<target>``."""
    return new_event(
        service=SERVICE,
        type=COMPLIANCE_BREACHED,
        tenant_id=breach.tenant_id,
        subject=f"compliance/{breach.day.isoformat()}/{breach.target}",
        data=breach.model_dump(mode="json"),
    )
