"""What a ticket is on the wire: the back office's view of a forwarded concern and what it can do with it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tickets.contact.schemas import Caller
from tickets.events.published import Priority, ReplyChannel, TicketStatus


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TicketRead(BaseModel):
    """A forwarded concern. ``caller`` only on a single ticket's read (reads by the host's staff are audited)."""

    id: uuid.UUID
    contact_id: uuid.UUID
    department_id: uuid.UUID | None
    source: Literal["contact", "open311"]
    status: TicketStatus
    priority: Priority
    subject: str
    description_ids: list[uuid.UUID]
    leika_key: str | None
    reply_by: ReplyChannel | None
    forwarded_at: datetime = Field(
        description="When the concern was forwarded: the end of the contact (when the caller was told, even if it "
        "was recorded later), or when an Open311 request was posted; the deadline runs from here"
    )
    forwarded_by: str
    contract_version: int | None
    deadline_rule: str | None
    due_at: datetime | None
    warn_at: datetime | None
    overdue: bool
    paused_at: datetime | None
    claimed_by: str | None
    claimed_at: datetime | None
    answered_at: datetime | None
    answered_by: str | None
    answer_channel: ReplyChannel | None
    answer: str | None = None
    closed_at: datetime | None
    closed_by: str | None
    reopen_count: int
    merged_into: uuid.UUID | None
    warned_at: datetime | None
    escalated_at: datetime | None
    service_code: str | None
    version: int
    updated_at: datetime
    caller: Caller | None = None


class TicketList(BaseModel):
    items: list[TicketRead]
    next_cursor: str | None
    total: int | None = Field(default=None, description="All tickets matching the filters, if asked for")


class TicketUpdate(_Strict):
    """What the back office may change directly; the status moves only through the actions."""

    subject: str | None = Field(default=None, min_length=1, max_length=200)
    priority: Priority | None = None
    department_id: uuid.UUID | None = Field(default=None, description="Hand the concern on to another department")


class Claim(_Strict):
    claimed_at: AwareDatetime | None = Field(
        default=None,
        description="When the back office took the concern on, if earlier than now (e.g. synced from a partner's "
        "own system); default: now. Refused (422) if it lies in the future (a few seconds of clock skew count as "
        "now) or before the ticket's latest status instant (its forwarding, waiting, resumption or reopening).",
    )


class Answer(_Strict):
    channel: ReplyChannel = Field(description="How the citizen got the answer")
    text: str | None = Field(default=None, min_length=1, max_length=4000)
    answered_at: AwareDatetime | None = Field(
        default=None,
        description="When the citizen really got the answer, if earlier than now (a letter posted yesterday); "
        "default: now. Deadlines kept are counted by it. Refused (422) if it lies in the future (a few seconds of "
        "clock skew count as now) or before the ticket's latest status instant (its forwarding, claim, waiting, "
        "resumption or reopening). A concern nobody claimed counts as claimed at the same instant.",
    )


class Reason(_Strict):
    reason: str | None = Field(default=None, min_length=1, max_length=1000)


class Merge(_Strict):
    into: uuid.UUID = Field(description="The ticket that stays; this one is closed as its duplicate")


class NoteCreate(_Strict):
    body: str = Field(min_length=1, max_length=4000)
    public: bool = Field(default=False, description="Shown to the citizen (Open311 notes); internal by default")


class NoteRead(BaseModel):
    id: uuid.UUID
    ticket_id: uuid.UUID
    author: str
    body: str
    public: bool
    created_at: datetime


class NoteList(BaseModel):
    items: list[NoteRead]


class ChangeRead(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class ChangeList(BaseModel):
    items: list[ChangeRead]
