"""The tenant id: a slug that is safe in URLs, NATS subjects and PostgreSQL settings."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import StringConstraints

TENANT_ID_PATTERN = r"^[a-z][a-z0-9-]{1,62}$"
_TENANT_ID = re.compile(TENANT_ID_PATTERN)

TenantId = Annotated[str, StringConstraints(pattern=TENANT_ID_PATTERN)]


def is_tenant_id(value: str) -> bool:
    return _TENANT_ID.fullmatch(value) is not None


def require_tenant_id(value: str) -> str:
    if not is_tenant_id(value):
        raise ValueError(f"not a tenant id: {value!r}")
    return value
