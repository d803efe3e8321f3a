"""The grant's schema family: a partner municipality lets the host's principals act for it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from kit.tenancy import TenantId


class GrantRole(StrEnum):
    """The roles a grant may pass on; administration and operations never cross tenants."""

    AGENT = "agent"
    BACK_OFFICE = "back_office"
    KNOWLEDGE_EDITOR = "knowledge_editor"


class GrantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grantee_tenant: TenantId = Field(
        description="The municipality whose principals may act here (the host)", examples=["oldenburg"]
    )
    roles: list[GrantRole] = Field(
        min_length=1, description="The grantee's roles that count here; others are dropped", examples=[["agent"]]
    )
    valid_from: AwareDatetime | None = Field(default=None, description="From when it counts (default: now)")
    valid_until: AwareDatetime | None = Field(default=None, description="Until when it counts (default: revoked)")

    @field_validator("roles")
    @classmethod
    def _distinct_roles(cls, roles: list[GrantRole]) -> list[GrantRole]:
        if len(set(roles)) != len(roles):
            raise ValueError("each role once")
        return roles

    @field_validator("valid_until")
    @classmethod
    def _ends_after_start(cls, valid_until: datetime | None, info: ValidationInfo) -> datetime | None:
        valid_from = info.data.get("valid_from")
        if valid_until is not None and valid_from is not None and valid_until <= valid_from:
            raise ValueError("must be after valid_from")
        return valid_until


class GrantRead(BaseModel):
    id: UUID
    tenant_id: str = Field(description="The partner municipality whose data the grant opens")
    grantee_tenant: str
    roles: list[str]
    valid_from: datetime
    valid_until: datetime | None
    created_by: str
    created_at: datetime


class GrantList(BaseModel):
    items: list[GrantRead]
