"""The description's schema family: what editors write, and the views editors and agents read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from knowledge.description.content import Content, Origin, Parts
from knowledge.description.workflow import Status

LeikaKey = Annotated[
    str, Field(pattern=r"^[0-9]{14}$", description="LeiKa service key (14 digits)", examples=["99085001012000"])
]


class DescriptionCreate(BaseModel):
    """A new description, shared or a tenant's own; it starts as a draft (or up for review)."""

    model_config = ConfigDict(extra="forbid")

    leika_key: LeikaKey | None = None
    content: Content
    review_due: date | None = Field(default=None, description="When the text should be checked again")


class DescriptionUpdate(BaseModel):
    """New working content (it replaces the whole text) and the fields to change."""

    model_config = ConfigDict(extra="forbid")

    leika_key: LeikaKey | None = None
    content: Content | None = None
    review_due: date | None = None


class SupplementWrite(BaseModel):
    """A tenant's supplement of a shared description: only the parts it overrides, and synonyms it adds."""

    model_config = ConfigDict(extra="forbid")

    content: Parts
    review_due: date | None = None


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status


class DescriptionRead(BaseModel):
    """A description as its editors see it: the working content and what is published."""

    id: UUID
    layer: Literal["shared", "local", "supplement"]
    tenant_id: str | None
    base_id: UUID | None
    leika_key: str | None
    content: dict[str, Any]
    status: Status
    version: int
    published_version: int | None
    published_content: dict[str, Any] | None
    review_due: date | None
    created_at: datetime
    updated_at: datetime
    updated_by: str


class VersionRead(BaseModel):
    version: int
    status: Status
    content: dict[str, Any]
    changed_by: str
    changed_at: datetime


class VersionList(BaseModel):
    items: list[VersionRead]


class MergedDescription(BaseModel):
    """A service as published for one municipality: the merged text, each part marked with its layer."""

    id: UUID
    layer: Literal["shared", "local"]
    leika_key: str | None
    name: str
    modules: dict[str, str]
    fees: list[dict[str, Any]] | None = None
    deadlines: list[dict[str, Any]] | None = None
    processing_time: dict[str, Any] | None = None
    synonyms: list[str]
    online_service_url: str | None = None
    approval: dict[str, Any] | None = None
    source: str | None = None
    origins: dict[str, Origin] = Field(description="Where each part comes from: base, supplement or local")


class AgentView(MergedDescription):
    """What an agent sees of a service for one municipality, with the offices responsible."""

    offices: list[dict[str, Any]] = Field(default=[], description="The offices responsible for the service here")
    updated_at: datetime


class AgentViewList(BaseModel):
    items: list[AgentView]
    next_cursor: str | None
