"""What the month-by-month endpoints (bills, reports) share: the month in the path, who may see money, CSV."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Path
from fastapi.responses import Response

from kit.identity import Role
from kit.web.deps import TenantScope, tenant_scope_for

# The local calendar month as ``YYYY-MM``.
Month = Annotated[
    str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-10"], description="The local month, YYYY-MM")
]


def first_day(month: str) -> date:
    """The first day of a ``Month``."""
    year, number = month.split("-")
    return date(int(year), int(number), 1)


# Money (bills and the partner report) is for the municipality's admins and integrations and the host's operators.
AccountsScope = Annotated[
    TenantScope, Depends(tenant_scope_for(Role.TENANT_ADMIN, Role.INTEGRATION_CLIENT, Role.OPERATOR))
]
CSV = "text/csv; charset=utf-8"


def csv_download(body: str, filename: str) -> Response:
    """``body`` as a CSV attachment named ``filename``."""
    return Response(body, media_type=CSV, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
