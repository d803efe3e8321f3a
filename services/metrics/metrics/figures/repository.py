"""The SQL of figures: an interval rollup summed per bucket, in the connection's tenant."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from kit.db.database import TenantConnection
from metrics.calls.repository import STANDARD_THRESHOLDS

_SUMMED = (
    "offered",
    "answered",
    "answered_within_threshold",
    "abandoned",
    "abandoned_within_threshold",
    "short_abandons",
    "wait_seconds",
    "handled",
    "talk_seconds",
    "hold_seconds",
    "after_call_work_seconds",
)
_STANDARD = ", ".join(f"sum(answered_within[{i}])" for i in range(1, len(STANDARD_THRESHOLDS) + 1))
_BUCKETS = f"""
SELECT CASE WHEN $3 = 'interval' THEN interval_start AT TIME ZONE 'UTC'
            ELSE date_trunc($3, interval_start AT TIME ZONE $4) END AS bucket,
       {", ".join(f"sum({column}) AS {column}" for column in _SUMMED)},
       max(max_wait_seconds) AS max_wait_seconds,
       ARRAY[{_STANDARD}] AS answered_within
  FROM call_intervals
 WHERE interval_start >= $1 AND interval_start < $2
 GROUP BY 1
 ORDER BY 1
"""


async def buckets(
    conn: TenantConnection, start: datetime, end: datetime, *, granularity: str, time_zone: str
) -> list[asyncpg.Record]:
    """The rollup of ``start``–``end`` summed per bucket: its local start (UTC for intervals) and the sums."""
    return await conn.fetch(_BUCKETS, start, end, granularity, time_zone)
