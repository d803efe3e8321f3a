"""The data of compliance, in the connection's tenant: a period's summed figures and the breaches announced.

The figures come from the figures' own queries (the interval rollup, contacts, concerns due), so a target is
judged from exactly the counts the KPI endpoint shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import asyncpg
import orjson

from kit.db.database import TenantConnection
from metrics.figures import repository as figures
from metrics.figures.kpis import summed


async def _rows(
    conn: TenantConnection, start: datetime, end: datetime, *, granularity: str, time_zone: str, now: datetime
) -> list[asyncpg.Record]:
    calls = await figures.buckets(conn, start, end, granularity=granularity, time_zone=time_zone)
    contacts = await figures.contacts(conn, start, end, granularity=granularity, time_zone=time_zone)
    concerns = await figures.concerns(conn, start, end, granularity=granularity, time_zone=time_zone, now=now)
    return [*calls, *contacts, *concerns]


async def period_sums(
    conn: TenantConnection, start: datetime, end: datetime, *, time_zone: str, now: datetime
) -> dict[str, Any]:
    """Everything counted from ``start`` to ``end`` summed: calls by interval start, contacts by their start,
    concerns by their due time (those due by ``now``)."""
    return summed(await _rows(conn, start, end, granularity="month", time_zone=time_zone, now=now))


async def daily_sums(
    conn: TenantConnection, start: datetime, end: datetime, *, time_zone: str, now: datetime
) -> dict[date, dict[str, Any]]:
    """The sums of each local day from ``start`` to ``end`` that counted anything, by the day."""
    days: dict[date, list[asyncpg.Record]] = {}
    for row in await _rows(conn, start, end, granularity="day", time_zone=time_zone, now=now):
        days.setdefault(row["bucket"].date(), []).append(row)
    return {day: summed(rows) for day, rows in days.items()}


_ADD_BREACH = """
INSERT INTO breaches (tenant_id, day, target, figures, event_id) VALUES ($1, $2, $3, $4::jsonb, $5)
ON CONFLICT (tenant_id, day, target) DO NOTHING
RETURNING event_id
"""
_BREACHES = """
SELECT day, target, figures, event_id, recorded_at FROM breaches
 WHERE day >= $1 AND day < $2
 ORDER BY day, target
"""


async def add_breach(
    conn: TenantConnection, *, day: date, target: str, figures: Mapping[str, Any], event_id: str
) -> bool:
    """Note a breach of ``target`` on ``day``; False if it was noted before (by this or another worker)."""
    noted = await conn.fetchrow(_ADD_BREACH, conn.tenant_id, day, target, orjson.dumps(figures).decode(), event_id)
    return noted is not None


async def breaches(conn: TenantConnection, start: date, end: date) -> list[dict[str, Any]]:
    """The breaches of the local days from ``start`` to ``end`` (exclusive), by day and target."""
    return [_breach(row) for row in await conn.fetch(_BREACHES, start, end)]


def _breach(row: Mapping[str, Any]) -> dict[str, Any]:
    stored = row["figures"]
    judged: dict[str, Any] = orjson.loads(stored) if isinstance(stored, (str, bytes)) else dict(stored)
    return judged | {key: row[key] for key in ("day", "target", "event_id", "recorded_at")}
