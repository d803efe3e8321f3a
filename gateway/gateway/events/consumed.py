"""The gateway's copies of the fields it reads from other services' events (the producers own them)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

GRANT_ADDED = "tenants.grant.added.v1"
GRANT_REMOVED = "tenants.grant.removed.v1"


class GrantStateV1(BaseModel):
    """The fields of ``tenants.grant.added/removed.v1`` (and of the grant directory) the gateway reads."""

    model_config = ConfigDict(extra="ignore")

    id: str
    tenant_id: str
    grantee_tenant: str
    roles: list[str]
    valid_from: datetime
    valid_until: datetime | None


CONSUMED: dict[str, type[BaseModel]] = {GRANT_ADDED: GrantStateV1, GRANT_REMOVED: GrantStateV1}
