"""What the metrics service reads of other services' events (tolerant reader: only these fields).

The producers own the contracts (``tenants.events.published``); these copies name only what is used
here, and ignore every other field so that additive changes upstream do not break this consumer.
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
