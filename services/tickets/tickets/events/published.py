"""The events the tickets service publishes; it owns their contract (the data models below).

No event carries a caller's personal data: only the facts that figures and other services need.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from kit.events import CloudEvent, new_event
from tickets.settings import SERVICE

CONTACT_RECORDED = "tickets.contact.recorded.v1"

Channel = Literal["phone", "email", "chat", "walk_in", "web"]
# solved: at first contact; forwarded: to the back office as a ticket; callback: a call back promised
# (a ticket too, answered by calling back); referred: not the municipality's concern, sent elsewhere.
Outcome = Literal["solved", "forwarded", "callback", "referred"]
TicketStatus = Literal["forwarded", "in_progress", "waiting", "answered", "closed"]
Priority = Literal["low", "normal", "high", "urgent"]
ReplyChannel = Literal["callback", "email", "letter"]


class ContactRecordedV1(BaseModel):
    """``tickets.contact.recorded.v1``: a contact with a caller ended; what it was about and how."""

    id: uuid.UUID
    channel: Channel
    outcome: Outcome
    description_ids: list[uuid.UUID]
    leika_key: str | None
    started_at: datetime
    ended_at: datetime
    agent: str
    ticket_id: uuid.UUID | None = None


TICKET_FORWARDED = "tickets.ticket.forwarded.v1"
TICKET_CLAIMED = "tickets.ticket.claimed.v1"
TICKET_WAITING = "tickets.ticket.waiting.v1"
TICKET_RESUMED = "tickets.ticket.resumed.v1"
TICKET_ANSWERED = "tickets.ticket.answered.v1"
TICKET_CLOSED = "tickets.ticket.closed.v1"
TICKET_REOPENED = "tickets.ticket.reopened.v1"
TICKET_MERGED = "tickets.ticket.merged.v1"
TICKET_UPDATED = "tickets.ticket.updated.v1"
TICKET_DUE_SOON = "tickets.ticket.due_soon.v1"
TICKET_OVERDUE = "tickets.ticket.overdue.v1"


class TicketStateV1(BaseModel):
    """A ticket's facts as they are after the change; never the caller's data, the answer or notes."""

    id: uuid.UUID
    contact_id: uuid.UUID
    department_id: uuid.UUID | None
    source: Literal["contact", "open311"]
    status: TicketStatus
    priority: Priority
    description_ids: list[uuid.UUID]
    leika_key: str | None
    forwarded_at: datetime
    due_at: datetime | None
    contract_version: int | None
    claimed_by: str | None
    claimed_at: datetime | None
    answered_at: datetime | None
    answer_channel: ReplyChannel | None
    closed_at: datetime | None
    reopen_count: int
    merged_into: uuid.UUID | None
    version: int
    updated_at: datetime


class TicketForwardedV1(TicketStateV1):
    """``tickets.ticket.forwarded.v1``: a concern went to a department's back office, due at ``due_at``."""


class TicketClaimedV1(TicketStateV1):
    """``tickets.ticket.claimed.v1``: someone of the back office took the concern on."""


class TicketWaitingV1(TicketStateV1):
    """``tickets.ticket.waiting.v1``: waiting for the citizen; the clock stops in business time."""


class TicketResumedV1(TicketStateV1):
    """``tickets.ticket.resumed.v1``: the citizen answered; the clock runs again with a later ``due_at``."""


class TicketAnsweredV1(TicketStateV1):
    """``tickets.ticket.answered.v1``: the citizen got an answer (by ``answer_channel``)."""


class TicketClosedV1(TicketStateV1):
    """``tickets.ticket.closed.v1``: nothing more is to be done."""


class TicketReopenedV1(TicketStateV1):
    """``tickets.ticket.reopened.v1``: an answered or closed concern is open again."""


class TicketMergedV1(TicketStateV1):
    """``tickets.ticket.merged.v1``: a duplicate was closed into ``merged_into``."""


class TicketUpdatedV1(TicketStateV1):
    """``tickets.ticket.updated.v1``: priority, subject or department changed."""


class TicketDueSoonV1(TicketStateV1):
    """``tickets.ticket.due_soon.v1``: the warning; the concern is still open and ``due_at`` is near."""


class TicketOverdueV1(TicketStateV1):
    """``tickets.ticket.overdue.v1``: the escalation; ``due_at`` passed and the citizen has no answer."""


_TICKET_EVENTS: dict[str, type[TicketStateV1]] = {
    TICKET_FORWARDED: TicketForwardedV1,
    TICKET_CLAIMED: TicketClaimedV1,
    TICKET_WAITING: TicketWaitingV1,
    TICKET_RESUMED: TicketResumedV1,
    TICKET_ANSWERED: TicketAnsweredV1,
    TICKET_CLOSED: TicketClosedV1,
    TICKET_REOPENED: TicketReopenedV1,
    TICKET_MERGED: TicketMergedV1,
    TICKET_UPDATED: TicketUpdatedV1,
    TICKET_DUE_SOON: TicketDueSoonV1,
    TICKET_OVERDUE: TicketOverdueV1,
}

PUBLISHED: dict[str, type[BaseModel]] = {CONTACT_RECORDED: ContactRecordedV1, **_TICKET_EVENTS}


def contact_recorded(tenant_id: str, contact: Mapping[str, Any]) -> CloudEvent:
    """``tickets.contact.recorded.v1`` about ``contact`` (a row; its personal fields are not read)."""
    data = ContactRecordedV1.model_validate(contact, from_attributes=False)
    return new_event(
        service=SERVICE,
        type=CONTACT_RECORDED,
        tenant_id=tenant_id,
        subject=f"contact/{data.id}",
        data=data.model_dump(mode="json"),
    )


def ticket_event(event_type: str, tenant_id: str, ticket: Mapping[str, Any]) -> CloudEvent:
    """An event of ``event_type`` carrying ``ticket``'s facts as they are now."""
    data = _TICKET_EVENTS[event_type].model_validate(dict(ticket))
    return new_event(
        service=SERVICE,
        type=event_type,
        tenant_id=tenant_id,
        subject=f"ticket/{data.id}",
        data=data.model_dump(mode="json"),
    )
