"""The tenant's schema family."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from kit.tenancy import TenantId
from tenants.tenant.codes import FederalState

TenantStatus = Literal["onboarding", "trial", "active", "suspended", "terminated"]


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


TimeZone = Annotated[str, Field(examples=["Europe/Berlin"]), AfterValidator(_known_zone)]
Ars = Annotated[
    str, Field(pattern=r"^[0-9]{12}$", description="Regional key (ARS), 12 digits", examples=["034030000000"])
]
Ags = Annotated[
    str, Field(pattern=r"^[0-9]{8}$", description="Municipality key (AGS), 8 digits", examples=["03403000"])
]
Name = Annotated[str, Field(min_length=1, max_length=200, description="The municipality's official name")]
JurisdictionId = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9.-]{1,99}$",
        description="Open311 jurisdiction id; defaults to the tenant id",
        examples=["oldenburg.de"],
    ),
]


class TenantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: TenantId = Field(description="Slug that names the tenant in URLs and event subjects, e.g. `artland`")
    name: Name
    ars: Ars
    ags: Ags
    state: FederalState = Field(description="Federal state (Bundesland) whose public holidays apply")
    time_zone: TimeZone = "Europe/Berlin"
    open311_jurisdiction_id: JurisdictionId | None = None


class TenantUpdate(BaseModel):
    """The fields to change; the others stay."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    ars: Ars | None = None
    ags: Ags | None = None
    state: FederalState | None = None
    time_zone: TimeZone | None = None
    open311_jurisdiction_id: JurisdictionId | None = None


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: TenantStatus
    reason: str | None = Field(default=None, max_length=500)


class TenantRead(BaseModel):
    id: TenantId
    name: str
    ars: str | None
    ags: str | None
    state: FederalState | None
    time_zone: str
    open311_jurisdiction_id: str
    status: TenantStatus
    version: int
    created_at: datetime
    updated_at: datetime


class TenantList(BaseModel):
    items: list[TenantRead]
