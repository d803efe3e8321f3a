"""What a contact is on the wire: recorded by agents and integrations, read by the municipality's staff."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from tickets.events.published import Channel, Outcome, Priority, ReplyChannel, TicketStatus

LEIKA_KEY = r"^\d{14}$"
FORWARDING_OUTCOMES = frozenset({"forwarded", "callback"})
_PHONE_NOISE = re.compile(r"[\s()/.-]")
_PHONE = re.compile(r"^\+?\d{3,20}$")


def normalised_phone(value: str) -> str:
    """A phone number as digits with an optional leading ``+``: the same caller matches however it was typed."""
    compact = _PHONE_NOISE.sub("", value)
    if not _PHONE.match(compact):
        raise ValueError("a phone number: digits, optionally a leading +, spaces, dashes, slashes or brackets")
    return compact


Phone = Annotated[str, Field(min_length=3, max_length=40), AfterValidator(normalised_phone)]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254, examples=["erika@example.org"])]
Text = Annotated[str, Field(min_length=1, max_length=4000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Caller(_Strict):
    """Who called, if they wanted to say: personal data, kept only as long as the contract allows."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: Phone | None = None
    email: Email | None = None
    address: str | None = Field(default=None, min_length=1, max_length=500)


class Forwarding(_Strict):
    """Where a concern that was not solved at once goes: a department of the tenant, with a deadline."""

    department_id: uuid.UUID | None = Field(
        default=None, description="The department; if absent, the one responsible for the contact's LeiKa key"
    )
    subject: str | None = Field(
        default=None, min_length=1, max_length=200, description="A title for the back office; default: the summary"
    )
    priority: Priority = "normal"
    reply_by: ReplyChannel | None = Field(
        default=None, description="How the citizen wants the answer; default: callback for a promised callback"
    )
    note: Text | None = Field(default=None, description="An internal note for the back office")


class ContactCreate(_Strict):
    """One interaction with a caller and how it ended; ``forward`` is required iff it was forwarded."""

    channel: Channel
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = Field(
        default=None,
        validate_default=True,
        description="When the contact ended; default: now. A forwarded concern is forwarded at this instant (or now, "
        "if it lies in the future), and its deadline runs from it under the contract in force then.",
    )
    agent: str | None = Field(
        default=None, min_length=1, max_length=200, description="Who handled it; default: the caller of this API"
    )
    description_ids: list[uuid.UUID] = Field(default=[], max_length=20, description="The knowledge descriptions used")
    leika_key: str | None = Field(default=None, pattern=LEIKA_KEY, description="The LeiKa key of the concern")
    summary: Text | None = None
    outcome: Outcome
    referred_to: str | None = Field(
        default=None, min_length=1, max_length=500, description="Where a caller was referred (outcome referred)"
    )
    caller: Caller | None = None
    forward: Forwarding | None = Field(default=None, validate_default=True)

    @field_validator("ended_at")
    @classmethod
    def _after_start(cls, ended_at: datetime | None, info: ValidationInfo) -> datetime:
        ended_at = ended_at if ended_at is not None else datetime.now(UTC)
        started_at = info.data.get("started_at")
        if started_at is not None and ended_at < started_at:
            raise ValueError("lies before started_at")
        return ended_at

    @field_validator("referred_to")
    @classmethod
    def _only_when_referred(cls, referred_to: str | None, info: ValidationInfo) -> str | None:
        if referred_to is not None and info.data.get("outcome", "referred") != "referred":
            raise ValueError("belongs to the outcome referred only")
        return referred_to

    @field_validator("forward")
    @classmethod
    def _iff_forwarded(cls, forward: Forwarding | None, info: ValidationInfo) -> Forwarding | None:
        outcome = info.data.get("outcome")
        if outcome is None:
            return forward
        if outcome in FORWARDING_OUTCOMES and forward is None:
            raise ValueError(f"required for the outcome {outcome}")
        if outcome not in FORWARDING_OUTCOMES and forward is not None:
            raise ValueError(f"not allowed for the outcome {outcome}")
        if forward is not None and forward.subject is None and info.data.get("summary") is None:
            raise ValueError("needs a subject when the contact has no summary")
        return forward


class TicketSummary(BaseModel):
    id: uuid.UUID
    status: TicketStatus
    department_id: uuid.UUID | None
    due_at: datetime | None


class ContactFacts(BaseModel):
    """What a contact was: channel, times, agent, topics, summary and outcome."""

    id: uuid.UUID
    channel: Channel
    started_at: datetime
    ended_at: datetime
    agent: str
    description_ids: list[uuid.UUID]
    leika_key: str | None
    summary: str | None
    outcome: Outcome
    referred_to: str | None


class ContactRead(ContactFacts):
    """A contact; ``caller`` only on a single contact's read (each read by the host's staff is audited)."""

    caller: Caller | None = None
    has_caller_data: bool
    anonymised_at: datetime | None
    ticket: TicketSummary | None
    created_at: datetime


class ContactList(BaseModel):
    items: list[ContactRead]
    next_cursor: str | None
