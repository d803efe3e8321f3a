"""The deadline watch: due warnings and escalations become events once, in their ticket's tenant only."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson
import pytest

from kit.db.database import Database
from kit.testing.events import eventually
from kit.testing.infra import ScratchDatabase
from tickets.deadlines.repository import DueWatch
from tickets.deadlines.watch import DeadlineWatch

from .support import add_ticket, insert

DUE_SOON = "tickets.ticket.due_soon.v1"
OVERDUE = "tickets.ticket.overdue.v1"
NOW = datetime.now(UTC)
PAST = NOW - timedelta(minutes=5)
LATER = NOW + timedelta(days=1)


async def _ticket(
    admin: asyncpg.Connection,
    tenant_id: str,
    *,
    status: str = "forwarded",
    watches: dict[str, datetime],
    ticket_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """A ticket forwarded a day ago, due at its escalation (else tomorrow), watched at ``watches``."""
    forwarded_at = NOW - timedelta(days=1)
    ticket_id = await add_ticket(
        admin,
        tenant_id,
        forwarded_at=forwarded_at,
        ticket_id=ticket_id,
        status=status,
        subject="Sperrmüll nicht abgeholt",
        due_at=watches.get("escalation", LATER),
        warn_at=watches.get("warning"),
    )
    for kind, at in watches.items():
        await insert(admin, "deadline_watch", tenant_id=tenant_id, ticket_id=ticket_id, kind=kind, at=at)
    return ticket_id


async def _events(admin: asyncpg.Connection) -> list[tuple[str, str, str, uuid.UUID]]:
    """The outbox's events as (tenant row, event tenant, type, ticket id), in the order they were written."""
    rows = await admin.fetch("SELECT tenant_id, payload FROM outbox ORDER BY id")
    events: list[tuple[str, dict[str, Any]]] = [(row["tenant_id"], orjson.loads(row["payload"])) for row in rows]
    return [(tenant, event["tenantid"], event["type"], uuid.UUID(event["data"]["id"])) for tenant, event in events]


async def _state(admin: asyncpg.Connection, tenant_id: str, ticket_id: uuid.UUID) -> asyncpg.Record:
    return await admin.fetchrow(
        "SELECT warned_at, escalated_at, version, updated_at FROM tickets WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        ticket_id,
    )


async def _watched(admin: asyncpg.Connection) -> set[tuple[str, uuid.UUID, str]]:
    rows = await admin.fetch("SELECT tenant_id, ticket_id, kind FROM deadline_watch")
    return {(row["tenant_id"], row["ticket_id"], row["kind"]) for row in rows}


class _FindingTogether:
    """A worker's ``due`` whose first batch is handed back only once every worker has found its own."""

    def __init__(self, due: Callable[..., Awaitable[list[DueWatch]]], barrier: asyncio.Barrier) -> None:
        self._due = due
        self._barrier = barrier
        self._first = True

    async def __call__(self, *, skip: set[DueWatch]) -> list[DueWatch]:
        rows = await self._due(skip=skip)
        if self._first:
            self._first = False
            await self._barrier.wait()
        return rows


@pytest.fixture
def watch(database: Database) -> DeadlineWatch:
    return DeadlineWatch(database=database, every=0.1)


@pytest.fixture
async def other_database(scratch: ScratchDatabase) -> AsyncIterator[Database]:
    """A second worker's pool on the same database."""
    db = Database(scratch.runtime_url, pool_size=2)
    yield db
    await db.dispose()


async def test_a_due_warning_is_announced_once_and_noted_on_the_ticket(
    admin: asyncpg.Connection, watch: DeadlineWatch
) -> None:
    ticket = await _ticket(admin, "artland", watches={"warning": PAST, "escalation": LATER})
    before = await _state(admin, "artland", ticket)

    first = await watch.run_once()
    again = await watch.run_once()

    after = await _state(admin, "artland", ticket)
    history = await admin.fetch("SELECT actor, action, before, after FROM ticket_changes WHERE ticket_id = $1", ticket)
    assert (first, again) == (1, 0)
    assert await _events(admin) == [("artland", "artland", DUE_SOON, ticket)]
    assert after["warned_at"] is not None
    assert (after["escalated_at"], after["version"], after["updated_at"]) == (None, 1, before["updated_at"])
    assert [(row["actor"], row["action"]) for row in history] == [("system", "warned")]
    assert orjson.loads(history[0]["before"]) == {"warned_at": None}
    assert datetime.fromisoformat(orjson.loads(history[0]["after"])["warned_at"]) == after["warned_at"]
    assert await _watched(admin) == {("artland", ticket, "escalation")}


async def test_a_due_escalation_announces_the_ticket_overdue(admin: asyncpg.Connection, watch: DeadlineWatch) -> None:
    ticket = await _ticket(admin, "artland", status="in_progress", watches={"escalation": PAST})

    recorded = await watch.run_once()

    state = await _state(admin, "artland", ticket)
    history = await admin.fetch("SELECT actor, action FROM ticket_changes WHERE ticket_id = $1", ticket)
    assert recorded == 1
    assert await _events(admin) == [("artland", "artland", OVERDUE, ticket)]
    assert state["escalated_at"] is not None
    assert (state["warned_at"], state["version"]) == (None, 1)
    assert [(row["actor"], row["action"]) for row in history] == [("system", "escalated")]
    assert await _watched(admin) == set()


async def test_a_warning_and_escalation_due_together_come_in_that_order(
    admin: asyncpg.Connection, watch: DeadlineWatch
) -> None:
    ticket = await _ticket(admin, "artland", watches={"warning": PAST, "escalation": PAST})

    assert await watch.run_once() == 2

    assert [(event[2], event[3]) for event in await _events(admin)] == [(DUE_SOON, ticket), (OVERDUE, ticket)]


@pytest.mark.parametrize("status", ["answered", "closed"])
async def test_a_ticket_no_longer_open_gets_no_event_and_loses_its_watch(
    admin: asyncpg.Connection, watch: DeadlineWatch, status: str
) -> None:
    ticket = await _ticket(admin, "artland", status=status, watches={"warning": PAST, "escalation": PAST})

    recorded = await watch.run_once()

    state = await _state(admin, "artland", ticket)
    assert recorded == 0
    assert await _events(admin) == []
    assert (state["warned_at"], state["escalated_at"]) == (None, None)
    assert await admin.fetch("SELECT 1 FROM ticket_changes") == []
    assert await _watched(admin) == set()


async def test_a_watch_not_yet_due_is_left(admin: asyncpg.Connection, watch: DeadlineWatch) -> None:
    soon = datetime.now(UTC) + timedelta(minutes=5)
    ticket = await _ticket(admin, "artland", watches={"warning": soon, "escalation": LATER})

    assert await watch.run_once() == 0

    assert await _events(admin) == []
    assert await _watched(admin) == {("artland", ticket, "warning"), ("artland", ticket, "escalation")}


async def test_two_workers_at_once_announce_each_due_watch_once(
    admin: asyncpg.Connection, database: Database, other_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    tickets = [
        await _ticket(admin, tenant, watches={"warning": PAST - timedelta(minutes=n), "escalation": PAST})
        for n, tenant in enumerate(["artland", "muenchen", "artland", "oldenburg"])
    ]
    workers = [DeadlineWatch(database=db, every=0.1, batch_size=3) for db in (database, other_database)]
    together = asyncio.Barrier(len(workers))
    for worker in workers:
        monkeypatch.setattr(worker, "due", _FindingTogether(worker.due, together))

    recorded = await asyncio.gather(*(worker.run_once() for worker in workers))

    events = await _events(admin)
    assert sum(recorded) == 8
    assert sorted((event[2], event[3]) for event in events) == sorted(
        (kind, ticket) for ticket in tickets for kind in (DUE_SOON, OVERDUE)
    )
    assert all(row_tenant == event_tenant for row_tenant, event_tenant, _, _ in events)
    assert await _watched(admin) == set()


async def test_each_tenant_gets_only_its_own_ticket_marked_and_announced(
    admin: asyncpg.Connection, watch: DeadlineWatch
) -> None:
    # The same ticket id in two tenants: only the tenant of each watch row may be touched.
    shared = uuid.uuid4()
    await _ticket(admin, "artland", ticket_id=shared, watches={"warning": PAST, "escalation": LATER})
    await _ticket(admin, "muenchen", ticket_id=shared, watches={"escalation": PAST})

    assert await watch.run_once() == 2

    artland, muenchen = await _state(admin, "artland", shared), await _state(admin, "muenchen", shared)
    changes = await admin.fetch("SELECT tenant_id, action FROM ticket_changes ORDER BY tenant_id")
    assert sorted(await _events(admin)) == [
        ("artland", "artland", DUE_SOON, shared),
        ("muenchen", "muenchen", OVERDUE, shared),
    ]
    assert (artland["warned_at"] is not None, artland["escalated_at"]) == (True, None)
    assert (muenchen["escalated_at"] is not None, muenchen["warned_at"]) == (True, None)
    assert [(row["tenant_id"], row["action"]) for row in changes] == [("artland", "warned"), ("muenchen", "escalated")]
    assert await _watched(admin) == {("artland", shared, "escalation")}


async def test_a_tenant_that_fails_leaves_its_watch_due_and_the_others_go_on(
    admin: asyncpg.Connection, database: Database
) -> None:
    # Batches of one: the failing row comes first in every batch unless the round passes over it.
    watch = DeadlineWatch(database=database, every=0.1, batch_size=1)
    failing = await _ticket(admin, "muenchen", watches={"warning": PAST - timedelta(hours=1)})
    working = [
        await _ticket(admin, "artland", watches={"warning": PAST}),
        await _ticket(admin, "artland", watches={"escalation": PAST + timedelta(minutes=1)}),
    ]
    await admin.execute(
        """
        CREATE FUNCTION refuse_muenchen() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.tenant_id = 'muenchen' THEN RAISE EXCEPTION 'muenchen is down'; END IF;
            RETURN NEW;
        END $$
        """,
    )
    await admin.execute(
        "CREATE TRIGGER refuse BEFORE UPDATE ON tickets FOR EACH ROW EXECUTE FUNCTION refuse_muenchen()"
    )

    during = await asyncio.wait_for(watch.run_once(), timeout=10.0)
    events_during = await _events(admin)
    watched_during = await _watched(admin)
    failing_during = await _state(admin, "muenchen", failing)
    await admin.execute("DROP TRIGGER refuse ON tickets")
    after = await watch.run_once()

    assert (during, after) == (2, 1)
    assert events_during == [("artland", "artland", DUE_SOON, working[0]), ("artland", "artland", OVERDUE, working[1])]
    assert watched_during == {("muenchen", failing, "warning")}
    assert failing_during["warned_at"] is None
    assert (await _events(admin))[2:] == [("muenchen", "muenchen", DUE_SOON, failing)]
    assert await _watched(admin) == set()


async def test_the_loop_acts_at_once_and_stops_promptly(admin: asyncpg.Connection, database: Database) -> None:
    ticket = await _ticket(admin, "artland", watches={"escalation": PAST})
    loop = DeadlineWatch(database=database, every=3600.0)
    running = asyncio.create_task(loop.run())

    async def announced() -> bool:
        return await _events(admin) == [("artland", "artland", OVERDUE, ticket)]

    try:
        await eventually(announced, within=10.0)
    finally:
        loop.stop()
        await asyncio.wait_for(running, timeout=2.0)
