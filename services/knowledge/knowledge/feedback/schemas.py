"""The feedback's schema family: what an agent says about a description, an editor's resolution, the quality list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

FeedbackKind = Literal["helpful", "outdated", "wrong", "unclear"]
Note = Annotated[str, Field(min_length=1, max_length=2000)]


class FeedbackCreate(BaseModel):
    """An agent's word on a description: it helped, or it is outdated, wrong or unclear (say what, if you can)."""

    model_config = ConfigDict(extra="forbid")

    kind: FeedbackKind
    comment: Note | None = Field(default=None, examples=["Die Gebühr ist seit Januar 80 Euro."])


class FeedbackResolution(BaseModel):
    """How an editor dealt with the feedback; resolving again replaces the note."""

    model_config = ConfigDict(extra="forbid")

    note: Note = Field(examples=["Gebühr im Text angepasst."])


class FeedbackRead(BaseModel):
    id: UUID
    description_id: UUID
    kind: FeedbackKind
    comment: str | None
    given_by: str
    given_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution_note: str | None


class FeedbackList(BaseModel):
    items: list[FeedbackRead]
    next_cursor: str | None


class OpenProblems(BaseModel):
    """Unresolved problem reports by kind."""

    outdated: int
    wrong: int
    unclear: int


class QualityItem(BaseModel):
    """A description with feedback from the municipality's agents."""

    description_id: UUID
    layer: Literal["shared", "local"] | None = Field(description="Null if the description is no longer there")
    name: str | None
    open_problems: int = Field(description="Unresolved reports that it is outdated, wrong or unclear")
    open: OpenProblems
    helpful: int = Field(description="Every time it helped, resolved or not")
    last_comment: str | None = Field(description="The newest comment of unresolved feedback")
    last_given_at: datetime = Field(description="When the newest feedback of any kind was given")


class QualityList(BaseModel):
    items: list[QualityItem]
