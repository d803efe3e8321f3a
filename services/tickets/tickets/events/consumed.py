"""What the tickets service reads of other services' events (tolerant reader: only these fields).

The producers own the contracts (``tenants.events.published``, ``knowledge.events.published``); these
copies name only what is used here, and ignore every other field so that additive changes upstream do
not break this consumer.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from kit.tenancy import TenantId


class _Copy(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TenantStateV1(_Copy):
    """A municipality's record after a change: its name, business-time zone and state, lifecycle and version."""

    id: TenantId
    name: str = Field(min_length=1)
    state: str | None = None
    time_zone: str = Field(min_length=1)
    open311_jurisdiction_id: str
    status: str = Field(min_length=1)
    version: int = Field(ge=1)


class TimeWindowV1(_Copy):
    start: str
    end: str


class WeeklyHoursV1(_Copy):
    """Reachability per weekday in local time, several windows a day."""

    monday: list[TimeWindowV1] = []
    tuesday: list[TimeWindowV1] = []
    wednesday: list[TimeWindowV1] = []
    thursday: list[TimeWindowV1] = []
    friday: list[TimeWindowV1] = []
    saturday: list[TimeWindowV1] = []
    sunday: list[TimeWindowV1] = []


class ClosurePeriodV1(_Copy):
    first: date
    last: date


class BusinessHoursDeadlineV1(_Copy):
    rule: Literal["business_hours"]
    hours: int = Field(ge=1)


class NextWorkingDayDeadlineV1(_Copy):
    rule: Literal["next_working_day_end"]


class ContractTermsV1(_Copy):
    """The terms a forwarded concern's deadline and its caller's data retention depend on."""

    forwarding_deadline: Annotated[BusinessHoursDeadlineV1 | NextWorkingDayDeadlineV1, Field(discriminator="rule")]
    reachability: WeeklyHoursV1
    closure_days: list[ClosurePeriodV1] = []
    personal_data_retention_days: int = Field(ge=1)


class ContractVersionAddedV1(_Copy):
    """The data of ``tenants.contract.version_added.v1``: terms that take effect at ``effective_from``."""

    tenant_id: TenantId
    version: int = Field(ge=1)
    effective_from: datetime
    terms: ContractTermsV1


class DepartmentStateV1(_Copy):
    """A department's record after the change (for ``deleted``: the last one)."""

    id: uuid.UUID
    tenant_id: TenantId
    name: str = Field(min_length=1)
    email: str | None = None
    phone: str | None = None
    leika_keys: list[str] = []
    version: int = Field(ge=1)
    updated_at: datetime


class RequestValueV1(_Copy):
    key: str
    name: str


class RequestAttributeV1(_Copy):
    """An Open311 attribute a request of the type asks for."""

    code: str
    description: str
    datatype: str
    required: bool
    datatype_description: str | None = None
    order: int | None = None
    values: list[RequestValueV1] = []


class RequestTypeV1(_Copy):
    """The Open311 service a description offers (layers ``local`` and ``supplement`` only)."""

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    description: str | None = None
    group: str | None = None
    keywords: list[str] = []
    attributes: list[RequestAttributeV1] = []


class DescriptionStateV1(_Copy):
    """A description as agents see it after the change; ``request_type`` is what Open311 offers for it."""

    id: uuid.UUID
    layer: str
    leika_key: str | None = None
    changed_at: datetime
    request_type: RequestTypeV1 | None = None


TENANT_EVENTS = ("tenants.tenant.created.v1", "tenants.tenant.updated.v1", "tenants.tenant.status_changed.v1")
CONTRACT_VERSION_ADDED = "tenants.contract.version_added.v1"
DEPARTMENT_DELETED = "tenants.department.deleted.v1"
DEPARTMENT_EVENTS = ("tenants.department.created.v1", "tenants.department.updated.v1", DEPARTMENT_DELETED)
DESCRIPTION_ARCHIVED = "knowledge.description.archived.v1"
DESCRIPTION_EVENTS = (
    "knowledge.description.published.v1",
    "knowledge.description.updated.v1",
    DESCRIPTION_ARCHIVED,
)

CONSUMED: dict[str, type[BaseModel]] = {
    **dict.fromkeys(TENANT_EVENTS, TenantStateV1),
    CONTRACT_VERSION_ADDED: ContractVersionAddedV1,
    **dict.fromkeys(DEPARTMENT_EVENTS, DepartmentStateV1),
    **dict.fromkeys(DESCRIPTION_EVENTS, DescriptionStateV1),
}
