"""An interval's counts, changed call by call as events arrive, equal a recount of its calls from scratch."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from kit.db.database import Database
from kit.testing.keys import SigningKeys
from metrics.calls import repository
from metrics.calls.service import judged_by
from metrics.directory.repository import contract_versions

from .support import DIALLED, abandoned_call, answered_call, intervals, operator, reported

START = datetime(2026, 11, 2, 7, 50, tzinfo=UTC)


def _day_of_calls(rng: random.Random) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for number in range(120):
        offered = START + timedelta(seconds=rng.uniform(0, 3 * 3600))
        line = DIALLED[rng.choice(("oldenburg", "artland"))]
        if rng.random() < 0.2:
            events += abandoned_call(f"c-{number}", offered, wait=rng.uniform(0, 60), line=line)
        else:
            events += answered_call(f"c-{number}", offered, wait=rng.expovariate(1 / 20), line=line)
    return events


async def test_counts_changed_batch_by_batch_equal_a_recount(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection, database: Database
) -> None:
    rng = random.Random(115)
    events = _day_of_calls(rng)
    rng.shuffle(events)
    for first in range(0, len(events), 37):
        await reported(client, operator(keys), events[first : first + 37])

    await _assert_counts_equal_a_recount(admin, database)


async def test_batches_taken_at_the_same_time_count_each_call_once(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection, database: Database
) -> None:
    rng = random.Random(441)
    events = _day_of_calls(rng)
    rng.shuffle(events)
    # Each call's steps spread over batches that are taken together: a tenant's calls are merged by one
    # transaction at a time, whichever batch comes first.
    answers = await asyncio.gather(
        *(reported(client, operator(keys), events[first : first + 23]) for first in range(0, len(events), 23))
    )

    assert sum(answer["accepted"] for answer in answers) == len(events)
    await _assert_counts_equal_a_recount(admin, database)


async def _assert_counts_equal_a_recount(admin: asyncpg.Connection, database: Database) -> None:
    counted = {tenant: await intervals(admin, tenant) for tenant in ("oldenburg", "artland")}

    for tenant in counted:
        async with database.lean_transaction(tenant) as conn:
            starts = [row["interval_start"] for row in await conn.fetch("SELECT DISTINCT interval_start FROM calls")]
            versions = await contract_versions(conn)
            await conn.execute("DELETE FROM call_intervals")
            await repository.roll_up(conn, [judged_by(start, versions) for start in starts])
    recounted = {tenant: await intervals(admin, tenant) for tenant in counted}

    def comparable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                key: round(value, 6) if isinstance(value, float) else value
                for key, value in row.items()
                if key != "updated_at"
            }
            for row in rows
        ]

    assert all(counted.values())
    assert {t: comparable(rows) for t, rows in counted.items()} == {
        t: comparable(rows) for t, rows in recounted.items()
    }
