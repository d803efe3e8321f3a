"""What the knowledge service reads of other services' events (tolerant reader: only these fields).

The producers own the contracts (``tenants.events.published``, ``tickets.events.published``); these
copies name only what is used here, and ignore every other field so that additive changes upstream do
not break this consumer.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from kit.tenancy import TenantId


class TenantStateV1(BaseModel):
    """A municipality's record after a change: its name, where it stands in its lifecycle, and its version."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: TenantId
    name: str = Field(min_length=1)
    status: str = Field(min_length=1)
    version: int = Field(ge=1)


class ContactRecordedV1(BaseModel):
    """The data of ``tickets.contact.recorded.v1``: what a contact was about and how it ended."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: uuid.UUID
    outcome: str
    description_ids: list[uuid.UUID] = Field(max_length=50)


TENANT_EVENTS = ("tenants.tenant.created.v1", "tenants.tenant.updated.v1", "tenants.tenant.status_changed.v1")
CONTACT_RECORDED = "tickets.contact.recorded.v1"

CONSUMED: dict[str, type[BaseModel]] = {
    **dict.fromkeys(TENANT_EVENTS, TenantStateV1),
    CONTACT_RECORDED: ContactRecordedV1,
}
