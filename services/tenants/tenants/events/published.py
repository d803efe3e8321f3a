"""The events the tenants service publishes (it owns their contract)."""

from __future__ import annotations

from kit.events import CloudEvent, new_event
from tenants.settings import SERVICE

TENANT_CREATED = "tenants.tenant.created.v1"


def tenant_created(*, tenant_id: str, name: str) -> CloudEvent:
    return new_event(
        service=SERVICE,
        type=TENANT_CREATED,
        tenant_id=tenant_id,
        subject=tenant_id,
        data={"id": tenant_id, "name": name},
    )
