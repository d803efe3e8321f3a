"""The tenant's schema family."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kit.tenancy import TenantId

TenantStatus = Literal["onboarding", "trial", "active", "suspended", "terminated"]


class TenantBase(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="The municipality's official name")


class TenantCreate(TenantBase):
    model_config = ConfigDict(extra="forbid")

    id: TenantId = Field(description="Slug that names the tenant in URLs and event subjects, e.g. `artland`")


class TenantRead(TenantBase):
    model_config = ConfigDict(from_attributes=True)

    id: TenantId
    status: TenantStatus
    version: int
    created_at: datetime
    updated_at: datetime
