"""The events the tenants service publishes; it owns their contract (the data models below)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from kit.events import CloudEvent, new_event
from tenants.contract.terms import ContractTerms
from tenants.settings import SERVICE

TENANT_CREATED = "tenants.tenant.created.v1"


def _event(event_type: str, *, tenant_id: str, subject: str, data: BaseModel) -> CloudEvent:
    """The tenants service's event of ``event_type`` carrying ``data`` (the contract's model) as JSON."""
    return new_event(
        service=SERVICE, type=event_type, tenant_id=tenant_id, subject=subject, data=data.model_dump(mode="json")
    )


TENANT_UPDATED = "tenants.tenant.updated.v1"
TENANT_STATUS_CHANGED = "tenants.tenant.status_changed.v1"


class TenantStateV1(BaseModel):
    """A municipality's whole record as it is after the change."""

    id: str
    name: str
    ars: str | None
    ags: str | None
    state: str | None
    time_zone: str
    open311_jurisdiction_id: str
    status: str
    version: int
    updated_at: datetime


class TenantCreatedV1(TenantStateV1):
    """``tenants.tenant.created.v1``: a municipality was registered."""


class TenantUpdatedV1(TenantStateV1):
    """``tenants.tenant.updated.v1``: a municipality's record changed (not its status)."""


class TenantStatusChangedV1(TenantStateV1):
    """``tenants.tenant.status_changed.v1``: a municipality moved in its lifecycle."""

    previous_status: str
    reason: str | None


def tenant_event(event_type: str, tenant: Mapping[str, Any], **extra: Any) -> CloudEvent:
    """An event of ``event_type`` about ``tenant`` carrying its whole new state (and ``extra``)."""
    data = _TENANT_EVENTS[event_type].model_validate({**tenant, **extra})
    tenant_id = str(tenant["id"])
    return _event(event_type, tenant_id=tenant_id, subject=tenant_id, data=data)


_TENANT_EVENTS: dict[str, type[TenantStateV1]] = {
    TENANT_CREATED: TenantCreatedV1,
    TENANT_UPDATED: TenantUpdatedV1,
    TENANT_STATUS_CHANGED: TenantStatusChangedV1,
}


CONTRACT_VERSION_ADDED = "tenants.contract.version_added.v1"


class ContractVersionAddedV1(BaseModel):
    """``tenants.contract.version_added.v1``: a complete set of terms that takes effect at ``effective_from``."""

    tenant_id: str
    version: int
    effective_from: datetime
    terms: ContractTerms
    created_at: datetime
    created_by: str


def contract_version_added(version: Mapping[str, Any]) -> CloudEvent:
    data = ContractVersionAddedV1.model_validate(version)
    return _event(CONTRACT_VERSION_ADDED, tenant_id=data.tenant_id, subject=f"contract/{data.version}", data=data)


DEPARTMENT_CREATED = "tenants.department.created.v1"
DEPARTMENT_UPDATED = "tenants.department.updated.v1"
DEPARTMENT_DELETED = "tenants.department.deleted.v1"


class DepartmentStateV1(BaseModel):
    """A department's whole record after the change (for ``deleted``: the last one)."""

    id: UUID
    tenant_id: str
    name: str
    email: str | None
    phone: str | None
    leika_keys: list[str]
    escalation_contact: dict[str, Any] | None
    version: int
    updated_at: datetime


def department_event(event_type: str, department: Mapping[str, Any]) -> CloudEvent:
    """``tenants.department.created/updated/deleted.v1`` carrying the department's whole state."""
    data = DepartmentStateV1.model_validate(department)
    return _event(event_type, tenant_id=data.tenant_id, subject=f"department/{data.id}", data=data)


_DEPARTMENT_EVENTS: dict[str, type[BaseModel]] = dict.fromkeys(
    (DEPARTMENT_CREATED, DEPARTMENT_UPDATED, DEPARTMENT_DELETED), DepartmentStateV1
)


LINE_ADDED = "tenants.line.added.v1"
LINE_REMOVED = "tenants.line.removed.v1"


class LineStateV1(BaseModel):
    """A phone number (E.164) or queue id and the municipality its calls are for."""

    id: UUID
    tenant_id: str
    kind: str
    address: str
    label: str | None


def line_event(event_type: str, line: Mapping[str, Any]) -> CloudEvent:
    """``tenants.line.added/removed.v1`` carrying the line."""
    data = LineStateV1.model_validate(line)
    return _event(event_type, tenant_id=data.tenant_id, subject=f"line/{data.id}", data=data)


GRANT_ADDED = "tenants.grant.added.v1"
GRANT_REMOVED = "tenants.grant.removed.v1"


class GrantStateV1(BaseModel):
    """A grant: ``grantee_tenant``'s principals may act for ``tenant_id`` in ``roles`` from ``valid_from``."""

    id: UUID
    tenant_id: str
    grantee_tenant: str
    roles: list[str]
    valid_from: datetime
    valid_until: datetime | None
    created_by: str
    created_at: datetime


def grant_event(event_type: str, grant: Mapping[str, Any]) -> CloudEvent:
    """``tenants.grant.added/removed.v1`` carrying the grant's whole state (for ``removed``: the last one)."""
    data = GrantStateV1.model_validate(grant)
    return _event(event_type, tenant_id=data.tenant_id, subject=f"grant/{data.id}", data=data)


CLIENT_CREATED = "tenants.client.created.v1"
CLIENT_UPDATED = "tenants.client.updated.v1"
CLIENT_ROTATED = "tenants.client.rotated.v1"
CLIENT_REVOKED = "tenants.client.revoked.v1"


class ApiKeyStateV1(BaseModel):
    """One key of an API client by its public prefix; never the key or its digest."""

    id: UUID
    prefix: str
    status: str
    created_at: datetime
    valid_until: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiClientStateV1(BaseModel):
    """An API client's whole record as it is after the change, with all its keys."""

    id: UUID
    tenant_id: str
    name: str
    description: str
    scopes: list[str]
    status: str
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    last_used_at: datetime | None
    keys: list[ApiKeyStateV1]


class ClientCreatedV1(ApiClientStateV1):
    """``tenants.client.created.v1``: a tenant got a new API client with its first key."""


class ClientUpdatedV1(ApiClientStateV1):
    """``tenants.client.updated.v1``: an API client's name, description or scopes changed."""


class ClientRotatedV1(ApiClientStateV1):
    """``tenants.client.rotated.v1``: a new key; the earlier ones end at their ``valid_until``."""


class ClientRevokedV1(ApiClientStateV1):
    """``tenants.client.revoked.v1``: the client and every key it held stopped working."""


_CLIENT_EVENTS: dict[str, type[ApiClientStateV1]] = {
    CLIENT_CREATED: ClientCreatedV1,
    CLIENT_UPDATED: ClientUpdatedV1,
    CLIENT_ROTATED: ClientRotatedV1,
    CLIENT_REVOKED: ClientRevokedV1,
}


def client_event(event_type: str, client: Mapping[str, Any]) -> CloudEvent:
    """An event of ``event_type`` about an API client carrying its whole new state."""
    data = _CLIENT_EVENTS[event_type].model_validate(client)
    return _event(event_type, tenant_id=data.tenant_id, subject=f"client/{data.id}", data=data)


WEBHOOK_CREATED = "tenants.webhook.created.v1"
WEBHOOK_UPDATED = "tenants.webhook.updated.v1"
WEBHOOK_DELETED = "tenants.webhook.deleted.v1"
WEBHOOK_SECRET_ROTATED = "tenants.webhook.secret_rotated.v1"  # noqa: S105 - an event type
WEBHOOK_DELIVERY_FAILED = "tenants.webhook.delivery_failed.v1"
WEBHOOK_TESTED = "tenants.webhook.tested.v1"


class WebhookStateV1(BaseModel):
    """A webhook subscription as it is after the change; never its secret."""

    tenant_id: str
    id: UUID
    url: str
    event_types: list[str]
    description: str
    enabled: bool
    version: int
    created_at: datetime
    updated_at: datetime


class WebhookCreatedV1(WebhookStateV1):
    """``tenants.webhook.created.v1``: a tenant subscribed a URL to its events."""


class WebhookUpdatedV1(WebhookStateV1):
    """``tenants.webhook.updated.v1``: a subscription's URL, filter, description or state changed."""


class WebhookDeletedV1(BaseModel):
    """``tenants.webhook.deleted.v1``: a subscription and its delivery log were deleted."""

    tenant_id: str
    id: UUID


class WebhookSecretRotatedV1(BaseModel):
    """``tenants.webhook.secret_rotated.v1``: deliveries are signed with a new secret (the old one until then)."""

    tenant_id: str
    id: UUID
    previous_secret_expires_at: datetime | None


class WebhookDeliveryFailedV1(BaseModel):
    """``tenants.webhook.delivery_failed.v1``: a delivery exhausted its retries and is dead."""

    tenant_id: str
    delivery_id: UUID
    webhook_id: UUID
    url: str
    event_id: UUID
    event_type: str
    attempts: int
    last_response_status: int | None
    last_error: str | None


class WebhookTestedV1(BaseModel):
    """``tenants.webhook.tested.v1``: sent only to the subscription under test, never through the outbox."""

    tenant_id: str
    webhook_id: UUID
    message: str


_WEBHOOK_EVENTS: dict[str, type[BaseModel]] = {
    WEBHOOK_CREATED: WebhookCreatedV1,
    WEBHOOK_UPDATED: WebhookUpdatedV1,
    WEBHOOK_DELETED: WebhookDeletedV1,
    WEBHOOK_SECRET_ROTATED: WebhookSecretRotatedV1,
    WEBHOOK_DELIVERY_FAILED: WebhookDeliveryFailedV1,
    WEBHOOK_TESTED: WebhookTestedV1,
}


def webhook_event(event_type: str, *, tenant_id: str, webhook_id: UUID, data: Mapping[str, Any]) -> CloudEvent:
    """An event of ``event_type`` about the webhook subscription ``webhook_id``."""
    model = _WEBHOOK_EVENTS[event_type].model_validate({**data, "tenant_id": tenant_id})
    return _event(event_type, tenant_id=tenant_id, subject=f"webhook/{webhook_id}", data=model)


PUBLISHED: dict[str, type[BaseModel]] = {
    **_CLIENT_EVENTS,
    LINE_ADDED: LineStateV1,
    LINE_REMOVED: LineStateV1,
    GRANT_ADDED: GrantStateV1,
    GRANT_REMOVED: GrantStateV1,
    **_TENANT_EVENTS,
    CONTRACT_VERSION_ADDED: ContractVersionAddedV1,
    **_DEPARTMENT_EVENTS,
    **_WEBHOOK_EVENTS,
}
