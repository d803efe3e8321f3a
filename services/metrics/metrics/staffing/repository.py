"""The SQL of staffing: offered calls and handling of past intervals, in the connection's tenant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from kit.db.database import TenantConnection

_OFFERED = "SELECT interval_start, offered FROM call_intervals WHERE interval_start = ANY($1::timestamptz[])"
_HANDLING = """
SELECT coalesce(sum(handled), 0) AS handled,
       coalesce(sum(talk_seconds + hold_seconds + after_call_work_seconds), 0) AS handled_seconds
  FROM call_intervals
 WHERE interval_start >= $1 AND interval_start < $2
"""


async def offered(conn: TenantConnection, starts: Sequence[datetime]) -> dict[datetime, int]:
    """The offered calls of those of the intervals beginning at ``starts`` that had any call."""
    rows = await conn.fetch(_OFFERED, list(starts))
    return {row["interval_start"]: int(row["offered"]) for row in rows}


async def handling(conn: TenantConnection, start: datetime, end: datetime) -> tuple[int, int]:
    """The handled calls from ``start`` to ``end`` and their handled seconds (talk, hold, after-call work)."""
    row = await conn.fetchrow(_HANDLING, start, end)
    assert row is not None  # an aggregate always answers one row
    return int(row["handled"]), int(row["handled_seconds"])
