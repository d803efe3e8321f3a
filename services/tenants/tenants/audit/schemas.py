"""The access audit's schema family."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class AccessRead(BaseModel):
    id: uuid.UUID = Field(description="The audit event's id")
    occurred_at: datetime
    subject: str = Field(description="Who acted: a user's subject or an API client")
    kind: str = Field(description="user, client or system")
    home_tenant: str | None = Field(
        description="The municipality the principal belongs to; null for the host's operators"
    )
    roles: list[str]
    method: str
    path: str
    status: int = Field(description="The HTTP status the request was answered with")
    request_id: str


class AccessList(BaseModel):
    items: list[AccessRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")
