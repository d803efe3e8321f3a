"""The SQL of reports beyond the figures': forwarded concerns counted by when they were forwarded."""

from __future__ import annotations

from datetime import datetime

from kit.db.database import TenantConnection

# A merged duplicate is carried on by the concern it was merged into: it counts once, as that one.
_FORWARDED = """
SELECT count(*) AS forwarded FROM concern_facts
 WHERE forwarded_at >= $1 AND forwarded_at < $2 AND merged_into IS NULL
"""


async def forwarded_concerns(conn: TenantConnection, start: datetime, end: datetime) -> int:
    """The concerns forwarded to the back office from ``start`` to ``end`` (not merged duplicates)."""
    row = await conn.fetchrow(_FORWARDED, start, end)
    assert row is not None  # an aggregate always answers one row
    return int(row["forwarded"])
