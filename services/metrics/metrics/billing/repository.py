"""The SQL of bills: the call rollup summed per local month, in the connection's tenant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kit.db.database import TenantConnection

_MONTHS = """
SELECT (date_trunc('month', interval_start AT TIME ZONE $3))::date AS month,
       coalesce(sum(answered), 0) AS calls,
       coalesce(sum(talk_seconds + hold_seconds + after_call_work_seconds), 0) AS handled_seconds
  FROM call_intervals
 WHERE interval_start >= $1 AND interval_start < $2
 GROUP BY 1
"""


@dataclass(frozen=True, slots=True)
class MonthlyUsage:
    """One local month's answered calls and handled seconds (talk, hold and after-call work)."""

    calls: int
    handled_seconds: int


async def usage_by_month(
    conn: TenantConnection, start: datetime, end: datetime, *, time_zone: str
) -> dict[date, MonthlyUsage]:
    """The usage of the intervals from ``start`` to ``end`` per local month (its first day) in ``time_zone``."""
    rows = await conn.fetch(_MONTHS, start, end, time_zone)
    return {row["month"]: MonthlyUsage(int(row["calls"]), int(row["handled_seconds"])) for row in rows}
