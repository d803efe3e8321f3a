"""All SQL of calls: their events, their state, their intervals' rollups and the quarantine."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import text

from kit.db.database import Database, TenantConnection
from metrics.calls.merge import CallState
from metrics.calls.schemas import CallEvent
from metrics.directory.repository import read_across_tenants

# The thresholds every interval also counts, whatever the contract's: the common service-level promises.
STANDARD_THRESHOLDS = (10, 15, 20, 30, 45, 60, 90, 120)

# The 115 network's threshold judges intervals no contract covers.
DEFAULT_THRESHOLD_SECONDS = 30

# One tenant's calls are merged by one transaction at a time (the API's replicas and the worker alike); taken in
# the round trip that begins the transaction (``Database.lean_transaction(first=LOCK)``).
LOCK = "SELECT pg_advisory_xact_lock(hashtext('metrics.calls:' || current_setting('app.tenant_id')))"
# What a batch's events meet, in one round trip: which of their ids are kept already (the same array on every
# row) and the stored states of their calls (one row each, none if no call is known yet). Each id is looked up
# on its own (a subquery with LIMIT runs once per id, by the primary key): a join or ``= ANY`` planned while
# the table's statistics were young scans every event of the tenant, batch after batch.
_KEPT_AND_CALLS = """
SELECT kept.event_ids AS kept_event_ids, c.*
  FROM (SELECT ARRAY(
            SELECT k.event_id FROM unnest($1::text[]) AS k (event_id)
             CROSS JOIN LATERAL (
                 SELECT 1 FROM call_events e
                  WHERE e.tenant_id = current_setting('app.tenant_id') AND e.event_id = k.event_id LIMIT 1
             ) AS stored
        ) AS event_ids) AS kept
  LEFT JOIN (unnest($2::text[]) AS k (call_id)
             JOIN calls c ON c.tenant_id = current_setting('app.tenant_id') AND c.call_id = k.call_id) ON true
"""
# The accepted events, the calls' new states and the changes to their intervals' counts, in one statement:
# each changed call is counted into its interval as it is now (sign +1, from its new state) and, if it was
# counted before, out of its interval as it was (sign −1), judged by the contract version in force at the
# interval's start; so a batch costs the same however full its intervals are.
# The rows travel as three JSON documents: encoding thousands of array elements one by one costs the driver
# more CPU than the statement costs the server.
_WRITE = f"""
WITH events AS (
    INSERT INTO call_events (tenant_id, event_id, call_id, type, at, line, agent, talk_seconds, hold_seconds,
                             after_call_work_seconds)
    SELECT current_setting('app.tenant_id'), * FROM json_to_recordset($1::text::json)
        AS e (event_id text, call_id text, type text, at timestamptz, line text, agent text, talk_seconds int,
              hold_seconds int, after_call_work_seconds int)
), states AS MATERIALIZED (
    SELECT * FROM json_to_recordset($2::text::json)
        AS c (call_id text, line text, interval_start timestamptz, offered_at timestamptz, answered_at timestamptz,
              agent text, abandoned_at timestamptz, ended_at timestamptz, wait_seconds float8, talk_seconds int,
              hold_seconds int, after_call_work_seconds int)
), calls_now AS (
    INSERT INTO calls (tenant_id, call_id, line, interval_start, offered_at, answered_at, agent, abandoned_at,
                       ended_at, wait_seconds, talk_seconds, hold_seconds, after_call_work_seconds)
    SELECT current_setting('app.tenant_id'), * FROM states
    ON CONFLICT (tenant_id, call_id) DO UPDATE SET
        interval_start = excluded.interval_start, offered_at = excluded.offered_at,
        answered_at = excluded.answered_at, agent = excluded.agent, abandoned_at = excluded.abandoned_at,
        ended_at = excluded.ended_at, wait_seconds = excluded.wait_seconds, talk_seconds = excluded.talk_seconds,
        hold_seconds = excluded.hold_seconds, after_call_work_seconds = excluded.after_call_work_seconds,
        updated_at = now()
), changed AS (
    SELECT interval_start, 1 AS sign, answered_at, abandoned_at, ended_at, wait_seconds, talk_seconds, hold_seconds,
           after_call_work_seconds
      FROM states WHERE interval_start IS NOT NULL
    UNION ALL
    SELECT interval_start, -1, answered_at, abandoned_at, ended_at, wait_seconds, talk_seconds, hold_seconds,
           after_call_work_seconds
      FROM json_to_recordset($3::text::json)
        AS d (interval_start timestamptz, answered_at timestamptz, abandoned_at timestamptz, ended_at timestamptz,
              wait_seconds float8, talk_seconds int, hold_seconds int, after_call_work_seconds int)
), terms AS (
    SELECT i.interval_start, v.version, coalesce(v.threshold, {DEFAULT_THRESHOLD_SECONDS}) AS threshold,
           coalesce(v.grace, 0) AS grace
      FROM (SELECT DISTINCT interval_start FROM changed) AS i
      LEFT JOIN LATERAL (
          SELECT version, (terms #>> '{{service_level,threshold_seconds}}')::int AS threshold,
                 (terms #>> '{{service_level,short_abandon_seconds}}')::int AS grace
            FROM contract_versions WHERE effective_from <= i.interval_start ORDER BY effective_from DESC LIMIT 1
      ) v ON true
), judged AS (
    SELECT changed.*, terms.version, terms.threshold, terms.grace FROM changed JOIN terms USING (interval_start)
)
INSERT INTO call_intervals (tenant_id, interval_start, contract_version, threshold_seconds, short_abandon_seconds,
                            @counted)
SELECT current_setting('app.tenant_id'), c.interval_start, c.version, c.threshold, c.grace, @changes
  FROM judged c
 GROUP BY c.interval_start, c.version, c.threshold, c.grace
ON CONFLICT (tenant_id, interval_start) DO UPDATE SET @added, updated_at = now()
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


def _counts(weigh: Callable[..., str], *, max_wait: str) -> list[str]:
    """The expressions of ``_COUNTED`` over calls ``c`` of one interval judged by ``c.threshold``/``c.grace``.

    ``weigh`` turns a condition into what a call adds: ``count(*) FILTER`` for a recount, a signed sum for a change.
    """
    within = [weigh(f"c.answered_at IS NOT NULL AND c.wait_seconds <= {t}") for t in STANDARD_THRESHOLDS]
    abandoned_within = [weigh(f"c.abandoned_at IS NOT NULL AND c.wait_seconds <= {t}") for t in STANDARD_THRESHOLDS]
    return [
        weigh("true"),
        weigh("c.answered_at IS NOT NULL"),
        weigh("c.answered_at IS NOT NULL AND c.wait_seconds <= c.threshold"),
        weigh("c.abandoned_at IS NOT NULL"),
        weigh("c.abandoned_at IS NOT NULL AND c.wait_seconds <= c.threshold"),
        weigh("c.abandoned_at IS NOT NULL AND c.wait_seconds <= c.grace AND c.grace > 0"),
        f"ARRAY[{', '.join(within)}]::int[]",
        f"ARRAY[{', '.join(abandoned_within)}]::int[]",
        weigh("c.answered_at IS NOT NULL", "c.wait_seconds"),
        weigh("c.abandoned_at IS NOT NULL", "c.wait_seconds"),
        max_wait,
        weigh("c.answered_at IS NOT NULL AND c.ended_at IS NOT NULL"),
        weigh("c.talk_seconds IS NOT NULL", "c.talk_seconds"),
        weigh("c.hold_seconds IS NOT NULL", "c.hold_seconds"),
        weigh("c.after_call_work_seconds IS NOT NULL", "c.after_call_work_seconds"),
    ]


def _signed(condition: str, value: str = "1") -> str:
    return f"coalesce(sum(CASE WHEN {condition} THEN c.sign * {value} END), 0)"


def _added(column: str) -> str:
    if column in ("answered_within", "abandoned_within"):
        elements = ", ".join(
            f"call_intervals.{column}[{i}] + excluded.{column}[{i}]" for i in range(1, len(STANDARD_THRESHOLDS) + 1)
        )
        return f"{column} = ARRAY[{elements}]::int[]"
    if column == "max_wait_seconds":
        return f"{column} = greatest(call_intervals.{column}, excluded.{column})"
    return f"{column} = call_intervals.{column} + excluded.{column}"


_GREATEST_NEW_WAIT = "coalesce(max(c.wait_seconds) FILTER (WHERE c.sign > 0), 0)"
_WRITE = (
    _WRITE.replace("@counted", ", ".join(_COUNTED))
    .replace("@changes", ", ".join(_counts(_signed, max_wait=_GREATEST_NEW_WAIT)))
    .replace("@added", ", ".join(_added(column) for column in _COUNTED))
)


_QUARANTINE = text(
    "INSERT INTO call_quarantine (event_id, line, event, reason)"
    " SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:lines AS text[]), CAST(:events AS jsonb[]),"
    " CAST(:reasons AS text[])) ON CONFLICT (event_id) DO NOTHING RETURNING id"
)


async def kept_and_calls(
    conn: TenantConnection, event_ids: Sequence[str], call_ids: Iterable[str]
) -> tuple[set[str], dict[str, CallState]]:
    """Those of ``event_ids`` that are kept already, and the stored state of those of ``call_ids`` that are known."""
    rows = await conn.fetch(_KEPT_AND_CALLS, list(event_ids), list(call_ids))
    states = {
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
        if row["call_id"] is not None
    }
    return set(rows[0]["kept_event_ids"]), states


async def write(
    conn: TenantConnection,
    events: Sequence[CallEvent],
    states: Sequence[CallState],
    counted_out: Sequence[CallState],
) -> None:
    """Keep the accepted events and the calls' new ``states``, each counted into its interval (if it has one), and
    count ``counted_out`` (earlier states of those calls) out of theirs: one round trip."""
    await conn.execute(
        _WRITE,
        _json([_event_row(event) for event in events]),
        _json([_state_row(state) for state in states]),
        _json([_counted_row(state) for state in counted_out]),
    )


def _event_row(event: CallEvent) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "call_id": event.call_id,
        "type": event.type,
        "at": event.at,
        "line": event.address,
        "agent": event.agent,
        "talk_seconds": event.talk_seconds,
        "hold_seconds": event.hold_seconds,
        "after_call_work_seconds": event.after_call_work_seconds,
    }


def _state_row(state: CallState) -> dict[str, Any]:
    return {
        "call_id": state.call_id,
        "line": state.line,
        "offered_at": state.offered_at,
        "answered_at": state.answered_at,
        "agent": state.agent,
        "abandoned_at": state.abandoned_at,
        "ended_at": state.ended_at,
        "interval_start": state.interval_start,
        "wait_seconds": state.wait_seconds,
        "talk_seconds": state.talk_seconds,
        "hold_seconds": state.hold_seconds,
        "after_call_work_seconds": state.after_call_work_seconds,
    }


def _counted_row(state: CallState) -> dict[str, Any]:
    """What the interval counts of a call."""
    return {
        "interval_start": state.interval_start,
        "answered_at": state.answered_at,
        "abandoned_at": state.abandoned_at,
        "ended_at": state.ended_at,
        "wait_seconds": state.wait_seconds,
        "talk_seconds": state.talk_seconds,
        "hold_seconds": state.hold_seconds,
        "after_call_work_seconds": state.after_call_work_seconds,
    }


def _json(rows: list[dict[str, Any]]) -> str:
    return orjson.dumps(rows).decode()


async def roll_up(conn: TenantConnection, intervals: Sequence[tuple[datetime, int | None, int, int]]) -> None:
    """Count ``intervals`` (start, contract version, threshold, short-abandon grace) anew from all their calls."""
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


_HELD_PAGE = text(
    "SELECT id, line, event, reason, received_at, released_at, released_to FROM call_quarantine"
    " WHERE (NOT :held OR released_at IS NULL) AND id > :after ORDER BY id LIMIT :limit"
)
# Only held events whose line is known by now (those of still unknown lines never block a release), with the
# line's tenant; ``lines`` is read across tenants, as ingest reads it.
_RELEASABLE = text(
    "SELECT DISTINCT ON (q.id) q.id, q.event, l.tenant_id FROM call_quarantine q"
    " JOIN lines l ON NOT l.removed AND l.address = q.line WHERE q.released_at IS NULL ORDER BY q.id LIMIT :limit"
)
_RELEASED = text(
    "UPDATE call_quarantine SET released_at = now(), released_to = r.tenant"
    " FROM unnest(CAST(:ids AS bigint[]), CAST(:tenants AS text[])) AS r (id, tenant) WHERE call_quarantine.id = r.id"
)


async def held_page(database: Database, *, held: bool, after: int, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` quarantined events after the id ``after``, the oldest first (only those still held if asked)."""
    async with database.transaction(None) as session:
        rows = await session.execute(_HELD_PAGE, {"held": held, "after": after, "limit": limit})
        return [dict(row) for row in rows.mappings()]


async def releasable(database: Database, *, limit: int) -> list[tuple[int, Any, str]]:
    """Held events whose line is known now: (id, the event as stored, the line's tenant), the oldest first."""
    async with database.transaction(None) as session:
        await read_across_tenants(session)
        rows = await session.execute(_RELEASABLE, {"limit": limit})
        return [(row.id, row.event, row.tenant_id) for row in rows]


async def mark_released(database: Database, released: Sequence[tuple[int, str]]) -> None:
    """Note each (quarantine id, tenant) as released to that tenant."""
    async with database.transaction(None) as session:
        await session.execute(
            _RELEASED, {"ids": [id_ for id_, _ in released], "tenants": [tenant for _, tenant in released]}
        )
