"""The event envelope: CloudEvents 1.0, structured JSON mode, with ``tenantid`` and ``traceparent``.

Event types are facts in the past tense with their version: ``tenants.tenant.created.v1``.
NATS subjects put the tenant after the service: ``tenants.<tenant>.tenant.created.v1``, so that
one tenant's events can be filtered (and granted) with ``tenants.<tenant>.>``.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator

from kit.telemetry import current_traceparent
from kit.tenancy import TenantId, require_tenant_id

EVENT_TYPE_PATTERN = re.compile(r"^(?P<service>[a-z]+)\.(?P<entity>[a-z_]+)\.(?P<verb>[a-z_]+)\.v(?P<version>\d+)$")


class CloudEvent(BaseModel):
    """One event as it is stored in the outbox and sent over NATS."""

    model_config = ConfigDict(frozen=True, extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str
    type: str
    subject: str | None = None
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: Literal["application/json"] = "application/json"
    tenantid: TenantId
    traceparent: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("type")
    @classmethod
    def _versioned_type(cls, value: str) -> str:
        if not EVENT_TYPE_PATTERN.fullmatch(value):
            raise ValueError("event types read <service>.<entity>.<verb>.v<version>")
        return value

    @property
    def nats_subject(self) -> str:
        return subject_for(self.type, self.tenantid)

    def to_json(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json", exclude_none=True))

    @classmethod
    def from_json(cls, raw: bytes) -> CloudEvent:
        return cls.model_validate_json(raw)


def subject_for(event_type: str, tenant_id: str) -> str:
    """``tenants.tenant.created.v1`` for ``artland`` → ``tenants.artland.tenant.created.v1``."""
    service, rest = event_type.split(".", 1)
    return f"{service}.{require_tenant_id(tenant_id)}.{rest}"


def every_tenant(event_type: str) -> str:
    """``tenants.tenant.created.v1`` → ``tenants.*.tenant.created.v1``: the subject filter of every tenant's."""
    service, rest = event_type.split(".", 1)
    return f"{service}.*.{rest}"


def tenant_of_subject(subject: str) -> str:
    return subject.split(".")[1]


def new_event(
    *, service: str, type: str, tenant_id: str, subject: str | None = None, data: dict[str, Any]
) -> CloudEvent:
    """A new event of ``service``, carrying the active trace context."""
    return CloudEvent(
        source=f"/zentrale/{service}",
        type=type,
        subject=subject,
        tenantid=tenant_id,
        traceparent=current_traceparent(),
        data=data,
    )
