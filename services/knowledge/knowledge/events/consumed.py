"""What the knowledge service reads of other services' events (tolerant reader: only these fields).

The producers own the contracts (``tenants.events.published``); these copies name only what is used
here, and ignore every other field so that additive changes upstream do not break this consumer.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kit.tenancy import TenantId


class TenantCreatedV1(BaseModel):
    """The data of ``tenants.tenant.created.v1``: a municipality was registered."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: TenantId
    name: str = Field(min_length=1)


CONSUMED: dict[str, type[BaseModel]] = {"tenants.tenant.created.v1": TenantCreatedV1}
