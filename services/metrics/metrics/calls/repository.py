"""All SQL of calls: their events, their state, their intervals' rollups and the quarantine."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import orjson
from sqlalchemy import text

from kit.db.database import Database, TenantConnection
from metrics.calls.merge import CallState
from metrics.calls.schemas import CallEvent

# The thresholds every interval also counts, whatever the contract's: the common service-level promises.
STANDARD_THRESHOLDS = (10, 15, 20, 30, 45, 60, 90, 120)

# One tenant's calls are merged by one transaction at a time (the API's replicas and the worker alike).
_LOCK = "SELECT pg_advisory_xact_lock(hashtext('metrics.calls:' || current_setting('app.tenant_id')))"
_KNOWN_EVENTS = "SELECT event_id FROM call_events WHERE event_id = ANY($1::text[])"
_CALLS = "SELECT * FROM calls WHERE call_id = ANY($1::text[])"
_WRITE_EVENTS = """
INSERT INTO call_events (tenant_id, event_id, call_id, type, at, line, agent, talk_seconds, hold_seconds,
                         after_call_work_seconds)
SELECT current_setting('app.tenant_id'), * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[],
       $5::text[], $6::text[], $7::int[], $8::int[], $9::int[])
"""
_WRITE_CALLS = """
INSERT INTO calls (tenant_id, call_id, line, interval_start, offered_at, answered_at, agent, abandoned_at, ended_at,
                   wait_seconds, talk_seconds, hold_seconds, after_call_work_seconds)
SELECT current_setting('app.tenant_id'), * FROM unnest($1::text[], $2::text[], $3::timestamptz[],
       $4::timestamptz[], $5::timestamptz[], $6::text[], $7::timestamptz[], $8::timestamptz[], $9::float8[],
       $10::int[], $11::int[], $12::int[])
ON CONFLICT (tenant_id, call_id) DO UPDATE SET
    interval_start = excluded.interval_start, offered_at = excluded.offered_at, answered_at = excluded.answered_at,
    agent = excluded.agent, abandoned_at = excluded.abandoned_at, ended_at = excluded.ended_at,
    wait_seconds = excluded.wait_seconds, talk_seconds = excluded.talk_seconds, hold_seconds = excluded.hold_seconds,
    after_call_work_seconds = excluded.after_call_work_seconds, updated_at = now()
"""


def _within(kind: str, seconds: str) -> str:
    return f"count(*) FILTER (WHERE c.{kind}_at IS NOT NULL AND c.wait_seconds <= {seconds})"


_COUNTED = (
    "offered",
    "answered",
    "answered_within_threshold",
    "abandoned",
    "abandoned_within_threshold",
    "short_abandons",
    "answered_within",
    "abandoned_within",
    "wait_seconds",
    "abandoned_wait_seconds",
    "max_wait_seconds",
    "handled",
    "talk_seconds",
    "hold_seconds",
    "after_call_work_seconds",
)
_JUDGED_BY = ("contract_version", "threshold_seconds", "short_abandon_seconds")
_ROLL_UP = f"""
INSERT INTO call_intervals (tenant_id, interval_start, {", ".join(_JUDGED_BY)}, {", ".join(_COUNTED)})
SELECT current_setting('app.tenant_id'), w.interval_start, w.contract_version, w.threshold_seconds,
       w.short_abandon_seconds,
       count(c.call_id),
       count(c.answered_at),
       {_within("answered", "w.threshold_seconds")},
       count(c.abandoned_at),
       {_within("abandoned", "w.threshold_seconds")},
       count(*) FILTER (WHERE c.abandoned_at IS NOT NULL AND c.wait_seconds <= w.short_abandon_seconds
                          AND w.short_abandon_seconds > 0),
       ARRAY[{", ".join(_within("answered", str(t)) for t in STANDARD_THRESHOLDS)}]::int[],
       ARRAY[{", ".join(_within("abandoned", str(t)) for t in STANDARD_THRESHOLDS)}]::int[],
       coalesce(sum(c.wait_seconds) FILTER (WHERE c.answered_at IS NOT NULL), 0),
       coalesce(sum(c.wait_seconds) FILTER (WHERE c.abandoned_at IS NOT NULL), 0),
       coalesce(max(c.wait_seconds), 0),
       count(*) FILTER (WHERE c.answered_at IS NOT NULL AND c.ended_at IS NOT NULL),
       coalesce(sum(c.talk_seconds), 0),
       coalesce(sum(c.hold_seconds), 0),
       coalesce(sum(c.after_call_work_seconds), 0)
  FROM unnest($1::timestamptz[], $2::int[], $3::int[], $4::int[])
           AS w (interval_start, contract_version, threshold_seconds, short_abandon_seconds)
  LEFT JOIN calls c ON c.interval_start = w.interval_start
 GROUP BY w.interval_start, w.contract_version, w.threshold_seconds, w.short_abandon_seconds
ON CONFLICT (tenant_id, interval_start) DO UPDATE SET
    {", ".join(f"{column} = excluded.{column}" for column in (*_JUDGED_BY, *_COUNTED))}, updated_at = now()
"""
_QUARANTINE = text(
    "INSERT INTO call_quarantine (event_id, line, event, reason)"
    " SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:lines AS text[]), CAST(:events AS jsonb[]),"
    " CAST(:reasons AS text[])) ON CONFLICT (event_id) DO NOTHING RETURNING id"
)


async def lock_calls(conn: TenantConnection) -> None:
    await conn.execute(_LOCK)


async def known_event_ids(conn: TenantConnection, event_ids: Sequence[str]) -> set[str]:
    return {row["event_id"] for row in await conn.fetch(_KNOWN_EVENTS, list(event_ids))}


async def calls(conn: TenantConnection, call_ids: Iterable[str]) -> dict[str, CallState]:
    """The stored state of those of ``call_ids`` that are known."""
    rows = await conn.fetch(_CALLS, list(call_ids))
    return {
        row["call_id"]: CallState(
            call_id=row["call_id"],
            line=row["line"],
            offered_at=row["offered_at"],
            answered_at=row["answered_at"],
            agent=row["agent"],
            abandoned_at=row["abandoned_at"],
            ended_at=row["ended_at"],
            talk_seconds=row["talk_seconds"],
            hold_seconds=row["hold_seconds"],
            after_call_work_seconds=row["after_call_work_seconds"],
        )
        for row in rows
    }


async def write(conn: TenantConnection, events: Sequence[CallEvent], states: Sequence[CallState]) -> None:
    """Keep the accepted events and the calls' new states (two statements, whatever their number)."""
    await conn.execute(
        _WRITE_EVENTS,
        [e.event_id for e in events],
        [e.call_id for e in events],
        [e.type for e in events],
        [e.at for e in events],
        [e.address for e in events],
        [e.agent for e in events],
        [e.talk_seconds for e in events],
        [e.hold_seconds for e in events],
        [e.after_call_work_seconds for e in events],
    )
    await conn.execute(
        _WRITE_CALLS,
        [s.call_id for s in states],
        [s.line for s in states],
        [s.interval_start for s in states],
        [s.offered_at for s in states],
        [s.answered_at for s in states],
        [s.agent for s in states],
        [s.abandoned_at for s in states],
        [s.ended_at for s in states],
        [s.wait_seconds for s in states],
        [s.talk_seconds for s in states],
        [s.hold_seconds for s in states],
        [s.after_call_work_seconds for s in states],
    )


async def roll_up(conn: TenantConnection, intervals: Sequence[tuple[datetime, int | None, int, int]]) -> None:
    """Count ``intervals`` (start, contract version, threshold, short-abandon grace) anew from their calls."""
    await conn.execute(
        _ROLL_UP,
        [start for start, _, _, _ in intervals],
        [version for _, version, _, _ in intervals],
        [threshold for _, _, threshold, _ in intervals],
        [grace for _, _, _, grace in intervals],
    )


async def quarantine(database: Database, held: Sequence[tuple[CallEvent, str]]) -> int:
    """Hold events no tenant's line is known for, with why; a repeated event is held once. How many were new."""
    async with database.transaction(None) as session:
        inserted = await session.execute(
            _QUARANTINE,
            {
                "ids": [event.event_id for event, _ in held],
                "lines": [event.address for event, _ in held],
                "events": [orjson.dumps(event.model_dump(mode="json")).decode() for event, _ in held],
                "reasons": [reason for _, reason in held],
            },
        )
        return len(inserted.all())
