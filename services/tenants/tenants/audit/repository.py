"""All SQL of the access audit: written by the gateway's events, read by the tenant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Text, Uuid, bindparam, or_, select, tuple_

from kit.db.database import Database, TenantConnection
from kit.pagination import Cursor
from tenants.audit.models import AccessRecord as A

# A lean handler's statement, one per event of many accesses: the inbox already makes each event count once;
# the key makes it certain. Roles travel space-separated, as arrays of arrays must all be of one length.
_RECORD = """
INSERT INTO access_audit (tenant_id, id, occurred_at, subject, kind, home_tenant, roles, method, path, status,
                          request_id)
SELECT $1, a.id, a.occurred_at, a.subject, a.kind, a.home_tenant, string_to_array(a.roles, ' '), a.method, a.path,
       a.status, a.request_id
FROM unnest($2::uuid[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
            $10::integer[], $11::text[])
     AS a (id, occurred_at, subject, kind, home_tenant, roles, method, path, status, request_id)
ON CONFLICT DO NOTHING
"""
_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
_PAGE = (
    select(
        A.id,
        A.occurred_at,
        A.subject,
        A.kind,
        A.home_tenant,
        A.roles,
        A.method,
        A.path,
        A.status,
        A.request_id,
    )
    .where(
        tuple_(A.occurred_at, A.id)
        < tuple_(bindparam("before_at", type_=DateTime(timezone=True)), bindparam("before_id", type_=Uuid)),
        A.occurred_at >= bindparam("since", type_=DateTime(timezone=True)),
        or_(bindparam("subject", type_=Text).is_(None), A.subject == bindparam("subject", type_=Text)),
    )
    .order_by(A.occurred_at.desc(), A.id.desc())
    .limit(bindparam("limit"))
)
_LAST_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff"


async def record_all(connection: TenantConnection, columns: Sequence[Sequence[Any]]) -> None:
    """Insert accesses given column by column, in the order of ``_RECORD``'s ``unnest``."""
    await connection.execute(_RECORD, connection.tenant_id, *columns)


async def newest_first(
    database: Database,
    tenant_id: str,
    *,
    until: datetime | None,
    since: datetime | None,
    subject: str | None,
    after: Cursor | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Up to ``limit`` records before ``after`` (or ``until``), newest first, optionally of one subject."""
    before_at, before_id = (after.at, str(after.id)) if after else (until or _FAR_FUTURE, _LAST_ID)
    params = {
        "before_at": before_at,
        "before_id": before_id,
        "since": since or _BEGINNING,
        "subject": subject,
        "limit": limit,
    }
    return [dict(row) for row in await database.fetch_all(tenant_id, _PAGE, params)]
