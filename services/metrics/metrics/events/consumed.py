"""What the metrics service reads of other services' events (tolerant reader: only these fields).

The producers own the contracts (``tenants.events.published``, ``tickets.events.published``); these copies
name only what is used here, and ignore every other field so that additive changes upstream do not break this consumer.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kit.tenancy import TenantId

TENANT_EVENTS = ("tenants.tenant.created.v1", "tenants.tenant.updated.v1", "tenants.tenant.status_changed.v1")
CONTRACT_VERSION_ADDED = "tenants.contract.version_added.v1"
LINE_ADDED, LINE_REMOVED = "tenants.line.added.v1", "tenants.line.removed.v1"
GRANT_ADDED, GRANT_REMOVED = "tenants.grant.added.v1", "tenants.grant.removed.v1"
CONTACT_RECORDED = "tickets.contact.recorded.v1"
TICKET_REOPENED = "tickets.ticket.reopened.v1"
# The ticket events that move a concern's deadline, its answer or its status (not updates, warnings, escalations).
CONCERN_EVENTS = (
    "tickets.ticket.forwarded.v1",
    "tickets.ticket.claimed.v1",
    "tickets.ticket.waiting.v1",
    "tickets.ticket.resumed.v1",
    "tickets.ticket.answered.v1",
    "tickets.ticket.closed.v1",
    TICKET_REOPENED,
    "tickets.ticket.merged.v1",
)


class _Consumed(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TenantStateV1(_Consumed):
    """A municipality's record after a change: ``tenants.tenant.created/updated/status_changed.v1``."""

    id: TenantId
    name: str = Field(min_length=1)
    time_zone: str = "Europe/Berlin"
    status: str = "active"
    version: int = 0


class ContractVersionAddedV1(_Consumed):
    """``tenants.contract.version_added.v1``: terms in force from ``effective_from`` (kept whole, as published)."""

    tenant_id: TenantId
    version: int = Field(ge=1)
    effective_from: datetime
    terms: dict[str, Any]


class LineStateV1(_Consumed):
    """``tenants.line.added/removed.v1``: a dialled number or queue and the municipality its calls are for."""

    id: uuid.UUID
    tenant_id: TenantId
    kind: str
    address: str = Field(min_length=1)


class GrantStateV1(_Consumed):
    """``tenants.grant.added/removed.v1``: ``grantee_tenant`` (the host) serves ``tenant_id``."""

    id: uuid.UUID
    tenant_id: TenantId
    grantee_tenant: TenantId
    valid_from: datetime
    valid_until: datetime | None = None


class ContactRecordedV1(_Consumed):
    """``tickets.contact.recorded.v1``: a contact ended with an outcome (solved, forwarded, callback, referred)."""

    id: uuid.UUID
    channel: str
    outcome: str
    started_at: datetime


class TicketStateV1(_Consumed):
    """A forwarded concern as it is after a change: ``tickets.ticket.*.v1``, ordered by ``version``."""

    id: uuid.UUID
    status: str
    forwarded_at: datetime
    due_at: datetime | None
    answered_at: datetime | None
    merged_into: uuid.UUID | None
    version: int
    updated_at: datetime


# The copies the contract test checks against their producer's models.
CONSUMED: dict[str, type[BaseModel]] = {
    CONTACT_RECORDED: ContactRecordedV1,
    **dict.fromkeys(CONCERN_EVENTS, TicketStateV1),
}
