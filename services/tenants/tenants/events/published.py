"""The events the tenants service publishes; it owns their contract (the data models below)."""

from __future__ import annotations

from pydantic import BaseModel

from kit.events import CloudEvent, new_event
from tenants.settings import SERVICE

TENANT_CREATED = "tenants.tenant.created.v1"


class TenantCreatedV1(BaseModel):
    """``tenants.tenant.created.v1``: a municipality was registered."""

    id: str
    name: str


def tenant_created(*, tenant_id: str, name: str) -> CloudEvent:
    data = TenantCreatedV1(id=tenant_id, name=name)
    return new_event(
        service=SERVICE, type=TENANT_CREATED, tenant_id=tenant_id, subject=tenant_id, data=data.model_dump(mode="json")
    )


PUBLISHED: dict[str, type[BaseModel]] = {TENANT_CREATED: TenantCreatedV1}
