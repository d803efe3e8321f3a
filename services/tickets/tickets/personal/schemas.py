"""What a request about a caller's personal data names, and what export, erasure and the audit answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tickets.contact.schemas import ContactFacts, Email, Phone
from tickets.events.published import Priority, ReplyChannel, TicketStatus

AccessAction = Literal["read", "export", "erasure"]


class CallerLookup(BaseModel):
    """The caller whose data is meant, by phone number or e-mail address; a contact matching either counts."""

    model_config = ConfigDict(extra="forbid")

    phone: Phone | None = Field(default=None, examples=["+49 5431 18-0"])
    email: Email | None = None


class CallerData(BaseModel):
    name: str | None
    phone: str | None
    email: str | None
    address: str | None


class NoteExport(BaseModel):
    id: uuid.UUID
    author: str
    body: str
    public: bool
    created_at: datetime


class TicketExport(BaseModel):
    id: uuid.UUID
    source: Literal["contact", "open311"]
    status: TicketStatus
    priority: Priority
    subject: str
    department_id: uuid.UUID | None
    description_ids: list[uuid.UUID]
    leika_key: str | None
    reply_by: ReplyChannel | None
    service_code: str | None
    address: str | None
    address_id: str | None
    latitude: float | None
    longitude: float | None
    attributes: dict[str, Any] | None
    media_url: str | None
    forwarded_at: datetime
    forwarded_by: str
    due_at: datetime | None
    answered_at: datetime | None
    answered_by: str | None
    answer_channel: ReplyChannel | None
    answer: str | None
    closed_at: datetime | None
    notes: list[NoteExport]


class ContactExport(ContactFacts):
    caller: CallerData
    created_at: datetime
    tickets: list[TicketExport]


class PersonalDataExport(BaseModel):
    """Everything the municipality keeps about one caller: contacts, their tickets, answers and notes."""

    exported_at: datetime
    contacts: list[ContactExport] = Field(description="Newest first")


class ErasureRead(BaseModel):
    """What was anonymised; the facts for figures (channel, times, agent, topics, outcome, status) stay."""

    contacts: int
    tickets: int
    notes: int


class AccessRead(BaseModel):
    id: uuid.UUID
    at: datetime
    actor: str
    actor_tenant: str | None = Field(description="The actor's own tenant; null for operators")
    action: AccessAction
    contact_ids: list[uuid.UUID]
    ticket_id: uuid.UUID | None
    request_id: str | None


class AccessList(BaseModel):
    items: list[AccessRead]
    next_cursor: str | None
