"""The SQL of figures: the interval rollup, contacts and concerns counted per bucket, in the connection's tenant."""

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


def _bucket(at: str) -> str:
    """The bucket of the instant ``at`` as the calls' are named: a quarter hour in UTC, else a local day, week
    or month ($3 the granularity, $4 the time zone)."""
    return (
        f"CASE WHEN $3 = 'interval' THEN date_bin('15 minutes', {at} AT TIME ZONE 'UTC', timestamp '2000-01-01')"
        f" ELSE date_trunc($3, {at} AT TIME ZONE $4) END"
    )


OUTCOMES = ("solved", "forwarded", "callback", "referred")
_CONTACTS = f"""
SELECT {_bucket("started_at")} AS bucket,
       {", ".join(f"count(*) FILTER (WHERE outcome = '{outcome}') AS contacts_{outcome}" for outcome in OUTCOMES)},
       count(*) AS contacts_total
  FROM contact_facts
 WHERE started_at >= $1 AND started_at < $2
 GROUP BY 1
 ORDER BY 1
"""
# Concerns whose deadline lies in the bucket and has passed ($5: now); a merged duplicate is carried on by the
# other ticket, and a concern waiting for the citizen has its clock stopped: neither is due.
_CONCERNS = f"""
SELECT {_bucket("due_at")} AS bucket,
       count(*) AS concerns_due,
       count(*) FILTER (WHERE answered_at <= due_at) AS concerns_answered_in_time,
       count(*) FILTER (WHERE answered_at > due_at) AS concerns_answered_late,
       count(*) FILTER (WHERE answered_at IS NULL AND status <> 'closed') AS concerns_overdue
  FROM concern_facts
 WHERE due_at >= $1 AND due_at < $2 AND due_at <= $5 AND merged_into IS NULL AND status <> 'waiting'
 GROUP BY 1
 ORDER BY 1
"""


async def contacts(
    conn: TenantConnection, start: datetime, end: datetime, *, granularity: str, time_zone: str
) -> list[asyncpg.Record]:
    """Contacts begun in ``start``–``end`` per bucket and outcome (``contacts_solved`` …, ``contacts_total``)."""
    return await conn.fetch(_CONTACTS, start, end, granularity, time_zone)


async def concerns(
    conn: TenantConnection, start: datetime, end: datetime, *, granularity: str, time_zone: str, now: datetime
) -> list[asyncpg.Record]:
    """Forwarded concerns due in ``start``–``end`` by ``now``, per bucket of their due time: how many were due,
    answered in time, answered late, and are still open."""
    return await conn.fetch(_CONCERNS, start, end, granularity, time_zone, now)
