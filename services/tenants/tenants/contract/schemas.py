"""The contract version's schema family."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tenants.contract.terms import ContractTerms, ForwardingDeadline


class ContractVersionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    effective_from: AwareDatetime = Field(
        description="When these terms take effect; now or later once a contract exists (the past stays as it was)"
    )
    terms: ContractTerms


class ContractVersionRead(BaseModel):
    tenant_id: str
    version: int
    effective_from: datetime
    effective_until: datetime | None = Field(description="When the next version takes over; open if none")
    terms: ContractTerms
    created_at: datetime
    created_by: str


class ContractVersionList(BaseModel):
    items: list[ContractVersionRead]


class DuePreview(BaseModel):
    """When a concern forwarded at ``start`` is due, by which rule, on which calendar."""

    start: datetime
    due: datetime
    rule: ForwardingDeadline
    rule_source: Literal["contract", "request"]
    contract_version: int
    time_zone: str
    state: str | None
