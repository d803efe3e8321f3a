"""The retention sweep: callers' data go when the tenant's own contract says, not before, never in between."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from kit.db.database import Database
from kit.testing.events import eventually
from kit.testing.infra import ScratchDatabase
from kit.worker import Worker
from tickets.personal.sweep import RetentionSweep, retention_sweep
from tickets.settings import TicketsSettings

from .support import TENANTS, add_contact, add_contract, add_note, add_ticket, know_tenants

NOW = datetime.now(UTC)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


async def contact(admin: asyncpg.Connection, tenant_id: str, *, ended_days_ago: float) -> uuid.UUID:
    return await add_contact(
        admin,
        tenant_id,
        ended_at=ago(ended_days_ago),
        agent="agent-kruse",
        summary="Sperrmüll vor dem Haus",
        caller_name="Erika Mustermann",
        caller_phone="+4954311800",
        caller_email="erika@example.org",
        caller_address="Hauptstraße 5",
    )


async def ticket(
    admin: asyncpg.Connection,
    tenant_id: str,
    contact_id: uuid.UUID,
    *,
    status: str,
    answered_days_ago: float | None = None,
    closed_days_ago: float | None = None,
) -> uuid.UUID:
    answered_at = None if answered_days_ago is None else ago(answered_days_ago)
    ticket_id = await add_ticket(
        admin,
        tenant_id,
        contact_id=contact_id,
        forwarded_at=ago(60),
        status=status,
        subject="Sperrmüll bei Mustermann",
        answered_at=answered_at,
        answer=None if answered_at is None else "Abholung am Montag",
        closed_at=None if closed_days_ago is None else ago(closed_days_ago),
        address="Hauptstraße 5",
    )
    await add_note(admin, tenant_id, ticket_id, author="office", body="Ruft an")
    return ticket_id


async def anonymised(admin: asyncpg.Connection) -> set[uuid.UUID]:
    rows = await admin.fetch("SELECT id FROM contacts WHERE anonymised_at IS NOT NULL")
    return {row["id"] for row in rows}


async def test_old_contacts_lose_their_data_under_each_tenants_period_but_not_recent_or_open_ones(
    database: Database, admin: asyncpg.Connection
) -> None:
    await know_tenants(admin, TENANTS | {"hannover": "Landeshauptstadt Hannover"})
    await add_contract(admin, "artland", version=1, effective_from=ago(400), personal_data_retention_days=365)
    await add_contract(admin, "artland", version=2, effective_from=ago(100), personal_data_retention_days=30)
    await add_contract(
        admin, "artland", version=3, effective_from=NOW + timedelta(days=10), personal_data_retention_days=1
    )
    await add_contract(admin, "oldenburg", version=1, effective_from=ago(500), personal_data_retention_days=365)
    await add_contract(
        admin, "hannover", version=1, effective_from=NOW + timedelta(days=1), personal_data_retention_days=1
    )
    old = await contact(admin, "artland", ended_days_ago=40)
    also_old = await contact(admin, "artland", ended_days_ago=31)
    recent = await contact(admin, "artland", ended_days_ago=10)
    waiting = await contact(admin, "artland", ended_days_ago=50)
    await ticket(admin, "artland", waiting, status="waiting")
    lately_closed = await contact(admin, "artland", ended_days_ago=50)
    await ticket(admin, "artland", lately_closed, status="closed", answered_days_ago=40, closed_days_ago=5)
    lately_answered = await contact(admin, "artland", ended_days_ago=50)
    await ticket(admin, "artland", lately_answered, status="answered", answered_days_ago=20)
    long_closed = await contact(admin, "artland", ended_days_ago=50)
    closed_ticket = await ticket(
        admin, "artland", long_closed, status="closed", answered_days_ago=35, closed_days_ago=31
    )
    oldenburg_recent = await contact(admin, "oldenburg", ended_days_ago=40)
    oldenburg_old = await contact(admin, "oldenburg", ended_days_ago=400)
    await contact(admin, "muenchen", ended_days_ago=1000)
    await contact(admin, "hannover", ended_days_ago=1000)
    sweep = RetentionSweep(database=database, every=3600, batch_size=2)

    swept = await sweep.run_once()
    again = await sweep.run_once()

    assert (swept, again) == (4, 0)
    assert await anonymised(admin) == {old, also_old, long_closed, oldenburg_old}
    kept = await admin.fetch(
        "SELECT caller_name, caller_phone, summary FROM contacts WHERE id = ANY($1::uuid[])",
        [recent, waiting, lately_closed, lately_answered, oldenburg_recent],
    )
    assert [tuple(row.values()) for row in kept] == [("Erika Mustermann", "+4954311800", "Sperrmüll vor dem Haus")] * 5
    assert await admin.fetchval("SELECT count(*) FROM contacts WHERE tenant_id IN ('muenchen', 'hannover')") == 2
    assert await admin.fetchval("SELECT count(*) FROM contacts WHERE caller_name IS NULL") == 4
    [gone] = await admin.fetch(
        "SELECT channel, agent, outcome, ended_at, caller_name, caller_phone, caller_email, caller_address, summary"
        " FROM contacts WHERE id = $1",
        long_closed,
    )
    assert dict(gone) == {
        "channel": "phone",
        "agent": "agent-kruse",
        "outcome": "forwarded",
        "ended_at": ago(50),
        "caller_name": None,
        "caller_phone": None,
        "caller_email": None,
        "caller_address": None,
        "summary": None,
    }
    [closed] = await admin.fetch(
        "SELECT status, subject, answer, address, answered_at, closed_at FROM tickets WHERE id = $1", closed_ticket
    )
    assert dict(closed) == {
        "status": "closed",
        "subject": "Anonymisiert",
        "answer": None,
        "address": None,
        "answered_at": ago(35),
        "closed_at": ago(31),
    }
    assert await admin.fetchval("SELECT body FROM ticket_notes WHERE ticket_id = $1", closed_ticket) == "Anonymisiert"
    assert await admin.fetchval("SELECT count(*) FROM ticket_notes WHERE body = 'Ruft an'") == 3


async def test_a_tenant_without_a_contract_in_force_is_left_alone(
    database: Database, admin: asyncpg.Connection
) -> None:
    await know_tenants(admin, {"artland": "Samtgemeinde Artland"})
    await add_contract(admin, "artland", effective_from=ago(10), personal_data_retention_days=None)
    old = await contact(admin, "artland", ended_days_ago=4000)

    swept = await RetentionSweep(database=database, every=3600).run_once()

    assert swept == 0
    assert await admin.fetchval("SELECT caller_name FROM contacts WHERE id = $1", old) == "Erika Mustermann"


async def test_the_worker_runs_the_sweep_every_period_until_it_is_stopped(
    database: Database, admin: asyncpg.Connection, scratch: ScratchDatabase
) -> None:
    await know_tenants(admin, {"artland": "Samtgemeinde Artland"})
    await add_contract(admin, "artland", effective_from=ago(100), personal_data_retention_days=30)
    first = await contact(admin, "artland", ended_days_ago=40)
    settings = TicketsSettings(environment="test", database_url=scratch.runtime_url, retention_sweep_seconds=0.05)
    sweep = retention_sweep(Worker(service="tickets", settings=settings, database=database))
    running = asyncio.create_task(sweep.run())

    async def swept(contact_ids: set[uuid.UUID]) -> bool:
        return contact_ids <= await anonymised(admin)

    await eventually(lambda: swept({first}))
    second = await contact(admin, "artland", ended_days_ago=35)
    await eventually(lambda: swept({first, second}))
    sweep.stop()
    await asyncio.wait_for(running, timeout=5)

    assert sweep.name == "tickets-retention-sweep"
    assert running.done()
