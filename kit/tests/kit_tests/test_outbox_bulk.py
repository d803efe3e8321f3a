"""Many events in one statement: all written with the transaction, none without it, never for another tenant."""

from __future__ import annotations

import asyncpg
import pytest

from kit.db.database import Database
from kit.events import record_events
from kit.events.outbox import EventTenantMismatch
from kit.testing.infra import ScratchDatabase

from .sample import note_added


async def _outbox(sample_db: ScratchDatabase) -> list[tuple[str, str, str]]:
    conn = await asyncpg.connect(sample_db.admin_url)
    try:
        rows = await conn.fetch("SELECT tenant_id, event_id::text, subject FROM outbox ORDER BY id")
    finally:
        await conn.close()
    return [(row["tenant_id"], row["event_id"], row["subject"]) for row in rows]


async def test_events_written_together_are_kept_in_order_with_the_transaction(
    database: Database, sample_db: ScratchDatabase
) -> None:
    events = [note_added("artland", f"note {n}") for n in range(3)]
    async with database.transaction("artland") as session:
        await record_events(session, events)
        await record_events(session, [])

    assert await _outbox(sample_db) == [("artland", event.id, event.nats_subject) for event in events]


async def _failing_change(database: Database) -> None:
    async with database.transaction("artland") as session:
        await record_events(session, [note_added("artland", "lost")])
        raise RuntimeError("the change failed")


async def _with_another_tenants_event(database: Database) -> None:
    async with database.transaction("artland") as session:
        await record_events(session, [note_added("artland", "mine"), note_added("oldenburg", "theirs")])


async def test_nothing_is_written_when_the_transaction_fails_or_an_event_is_another_tenants(
    database: Database, sample_db: ScratchDatabase
) -> None:
    with pytest.raises(RuntimeError):
        await _failing_change(database)
    with pytest.raises(EventTenantMismatch):
        await _with_another_tenants_event(database)

    assert await _outbox(sample_db) == []


async def test_a_lean_transaction_writes_them_in_one_statement_too(
    database: Database, sample_db: ScratchDatabase
) -> None:
    events = [note_added("artland", f"note {n}") for n in range(2)]
    async with database.lean_transaction("artland") as conn:
        await record_events(conn, events)
    with pytest.raises(EventTenantMismatch):
        async with database.lean_transaction("artland") as conn:
            await record_events(conn, [note_added("oldenburg", "theirs")])

    assert await _outbox(sample_db) == [("artland", event.id, event.nats_subject) for event in events]
