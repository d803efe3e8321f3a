"""The schema families of webhook subscriptions and their deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from tenants.webhook.filters import is_event_type_filter
from tenants.webhook.targets import MAX_URL_LENGTH, url_problem

DeliveryStatus = Literal["pending", "succeeded", "failed"]
AttemptTrigger = Literal["scheduled", "manual"]


def _webhook_url(url: str) -> str:
    if problem := url_problem(url):
        raise ValueError(problem)
    return url


def _event_type_filter(pattern: str) -> str:
    if not is_event_type_filter(pattern):
        raise ValueError("an event type (tickets.ticket.forwarded.v1) or a prefix with .* (tickets.ticket.*)")
    return pattern


def _distinct(patterns: list[str]) -> list[str]:
    return list(dict.fromkeys(patterns))


WebhookUrl = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        description="Where deliveries are POSTed: https (http only where the operator allows it), public hosts",
        examples=["https://partner.example/zentrale/webhooks"],
    ),
    AfterValidator(_webhook_url),
]
EventTypeFilter = Annotated[
    str, Field(max_length=200, examples=["tickets.ticket.*"]), AfterValidator(_event_type_filter)
]
EventTypeFilters = Annotated[
    list[EventTypeFilter],
    Field(
        max_length=100,
        description=(
            "Event types to receive: exact (`tickets.ticket.forwarded.v1`) or prefixes ending in `.*` "
            "(`tickets.ticket.*`, `tickets.*`); empty receives every event of the tenant. "
            "The webhook domain's own events (`tenants.webhook.*`) are never delivered."
        ),
    ),
    AfterValidator(_distinct),
]
Description = Annotated[str, Field(max_length=500, description="What the subscription is for")]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl
    event_types: EventTypeFilters = Field(default_factory=list)
    description: Description = ""
    enabled: bool = True


class WebhookUpdate(BaseModel):
    """The fields to change; the others stay."""

    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl | None = None
    event_types: EventTypeFilters | None = None
    description: Description | None = None
    enabled: bool | None = Field(None, description="Disabled: no new deliveries; pending ones wait until enabled")

    @field_validator("url", "event_types", "description", "enabled")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("leave the field out to keep it; null is not a value")
        return value


class WebhookRead(BaseModel):
    id: uuid.UUID
    url: str
    event_types: list[str]
    description: str
    enabled: bool
    version: int
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookRead):
    secret: str = Field(description="The signing secret (`whsec_…`); shown only now and when rotated")


class WebhookSecret(BaseModel):
    secret: str = Field(description="The new signing secret (`whsec_…`); shown only now")
    previous_secret_expires_at: datetime | None = Field(
        description="Until then deliveries carry a second signature made with the previous secret"
    )


class WebhookList(BaseModel):
    items: list[WebhookRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class DeliveryRead(BaseModel):
    id: uuid.UUID
    webhook_id: uuid.UUID
    event_id: uuid.UUID = Field(description="The event's id; deliveries carry it as `webhook-id`")
    event_type: str
    status: DeliveryStatus = Field(description="pending (tries remain), succeeded (2xx), failed (retries exhausted)")
    attempt_count: int
    next_attempt_at: datetime | None = Field(description="When the next try is due; null while nothing is due")
    last_attempt_at: datetime | None
    last_response_status: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime


class AttemptRead(BaseModel):
    number: int
    attempted_at: datetime
    trigger: AttemptTrigger = Field(description="manual: the first try after a redelivery or a test")
    response_status: int | None
    duration_ms: int
    error: str | None
    response_excerpt: str | None = Field(description="The first kilobyte of the target's answer")


class DeliveryDetail(DeliveryRead):
    payload: dict[str, Any] = Field(description="The body that is POSTed: the event as a CloudEvent (JSON)")
    attempts: list[AttemptRead] = Field(description="Every try, oldest first")


class DeliveryList(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")
