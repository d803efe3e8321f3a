"""Who may do what in the tickets service: tenant scopes that also require one of a set of roles.

Another tenant's caller gets 404 before any role is looked at (``tenant_scope_for``). Host agents act for a
partner through a grant: the gateway signs them for the partner with the granted roles only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from kit.identity import Role
from kit.web.deps import TenantScope, tenant_scope_for

# Who records contacts: the agents on the phone, the telephony or CRM integration, operators.
RecorderScope = Annotated[TenantScope, Depends(tenant_scope_for(Role.AGENT, Role.INTEGRATION_CLIENT, Role.OPERATOR))]
# Who works on contacts and tickets: front and back office, the municipality's admins and its integrations.
StaffScope = Annotated[
    TenantScope,
    Depends(tenant_scope_for(Role.AGENT, Role.BACK_OFFICE, Role.TENANT_ADMIN, Role.INTEGRATION_CLIENT, Role.OPERATOR)),
]
# Who answers for the municipality's callers' personal data: its admins (data protection) and operators.
PrivacyScope = Annotated[TenantScope, Depends(tenant_scope_for(Role.TENANT_ADMIN, Role.OPERATOR))]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Repeat a creation safely: the same key and body give the first answer again",
    ),
]
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=100, description="The ticket's ETag as last read; a changed ticket is 412"),
]
RequestId = Annotated[str | None, Header(alias="X-Request-Id", max_length=200, include_in_schema=False)]
