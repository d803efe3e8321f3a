"""The tenants service's copies of the events it reads from other producers: only the fields it uses."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

ACCESSES_RECORDED = "gateway.accesses.recorded.v1"


class AccessV1(BaseModel):
    """An access the gateway let through to a tenant's data."""

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
    """Accesses to the event's tenant's data, reported together."""

    accesses: list[AccessV1]


CONSUMED: dict[str, type[BaseModel]] = {ACCESSES_RECORDED: AccessesRecordedV1}
