"""The gateway's event contracts; it owns them, consumers keep copies of the fields they read."""

from __future__ import annotations

from pydantic import BaseModel

ACCESS_RECORDED = "gateway.access.recorded.v1"


class AccessRecordedV1(BaseModel):
    """``gateway.access.recorded.v1``: a principal acted on the event's tenant's data (the envelope's time)."""

    subject: str
    kind: str
    home_tenant: str | None
    roles: list[str]
    method: str
    path: str
    status: int
    request_id: str


PUBLISHED: dict[str, type[BaseModel]] = {ACCESS_RECORDED: AccessRecordedV1}
