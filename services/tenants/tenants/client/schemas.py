"""The API client's schema family, the scope vocabulary, and the list cursor."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from tenants.client.keys import PREFIX_PATTERN

# What a client may be granted; the gateway enforces each scope on its routes.
Scope = Literal[
    "calls:write",
    "contacts:read",
    "contacts:write",
    "figures:read",
    "knowledge:read",
    "open311:read",
    "open311:write",
    "tickets:read",
    "tickets:write",
]
ClientStatus = Literal["active", "revoked"]
# active: no end; expiring: replaced by a rotation, valid until valid_until; expired; revoked.
KeyStatus = Literal["active", "expiring", "expired", "revoked"]

MAX_GRACE_SECONDS = 7 * 24 * 3600


def _distinct_sorted(scopes: list[Scope]) -> list[Scope]:
    return sorted(set(scopes))


Scopes = Annotated[
    list[Scope],
    Field(min_length=1, max_length=20, description="What the client may do", examples=[["tickets:read"]]),
    AfterValidator(_distinct_sorted),
]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    Field(description="Unique among the tenant's active clients", examples=["Open311 portal"]),
]
Description = Annotated[str, Field(max_length=500, description="What the client is for, who runs it")]


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    scopes: Scopes
    description: Description = ""


class ClientUpdate(BaseModel):
    """The fields to change; the others stay."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    scopes: Scopes | None = None
    description: Description | None = None


class ClientRotate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_seconds: int | None = Field(
        default=None,
        ge=0,
        le=MAX_GRACE_SECONDS,
        description="How long the current key keeps working (default: the service's setting, 24 h); 0 ends it now",
    )


class KeyRead(BaseModel):
    """A key as lists show it: its public prefix, never the key."""

    id: uuid.UUID
    prefix: str = Field(pattern=PREFIX_PATTERN, description="The public part after `zk_`")
    status: KeyStatus
    created_at: datetime
    valid_until: datetime | None = Field(description="When a rotated key stops working; null: until rotated")
    revoked_at: datetime | None
    last_used_at: datetime | None


class ClientRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    scopes: list[Scope]
    status: ClientStatus
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    last_used_at: datetime | None = Field(description="Last successful verification, to the minute")
    keys: list[KeyRead] = Field(description="Newest first")


class ClientWithKey(ClientRead):
    key: str = Field(description="The new API key. It is shown only in this response; store it now.")


class ClientList(BaseModel):
    items: list[ClientRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class KeyVerification(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: SecretStr = Field(min_length=1, max_length=200, description="The key a caller presented")


class KeyVerified(BaseModel):
    """Whose key it is and what it may do, for the gateway's identity of the caller."""

    tenant_id: str
    client_id: uuid.UUID
    client_name: str
    scopes: list[Scope]
    roles: list[str]
    key_id: uuid.UUID
    key_prefix: str
    expires_at: datetime | None = Field(description="When this key stops working (a rotated key); null: no end")
