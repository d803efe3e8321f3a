"""The tenants service's copies of the events it reads from other producers: only the fields it uses."""

from __future__ import annotations

from pydantic import BaseModel

ACCESS_RECORDED = "gateway.access.recorded.v1"


class AccessRecordedV1(BaseModel):
    """An access the gateway let through to a tenant's data."""

    subject: str
    kind: str
    home_tenant: str | None
    roles: list[str]
    method: str
    path: str
    status: int
    request_id: str


CONSUMED: dict[str, type[BaseModel]] = {ACCESS_RECORDED: AccessRecordedV1}
