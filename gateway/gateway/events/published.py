"""The gateway's event contracts; it owns them, consumers keep copies of the fields they read."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

ACCESSES_RECORDED = "gateway.accesses.recorded.v1"
MAX_ACCESSES = 500


class AccessV1(BaseModel):
    """A principal acted on the event's tenant's data."""

    id: UUID
    at: datetime
    subject: str
    kind: str
    home_tenant: str | None
    roles: list[str]
    method: str
    path: str
    status: int
    request_id: str


class AccessesRecordedV1(BaseModel):
    """``gateway.accesses.recorded.v1``: accesses to the event's tenant's data, oldest first.

    One event carries many accesses: a JetStream publish per request would cost the gateway more than
    forwarding the request itself.
    """

    accesses: list[AccessV1] = Field(min_length=1, max_length=MAX_ACCESSES)


PUBLISHED: dict[str, type[BaseModel]] = {ACCESSES_RECORDED: AccessesRecordedV1}
