"""A PostgreSQL restart: the relay and a consumer lose nothing and double nothing; reads recover."""

from __future__ import annotations

import asyncio

import asyncpg
from nats.aio.client import Client as NATS
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from kit.db.database import Database
from kit.db.provision import ServiceDatabase, provision
from kit.events import EventConsumer, OutboxRelay, Subscription, ensure_stream, service_stream
from kit.events.streams import dead_letter_stream
from kit.local.postgres import LocalPostgres
from kit.migrations import upgrade
from kit.testing.events import eventually, running

from .sample import MIGRATIONS, SERVICE, STREAM, commit_note, notes, record_effect


async def test_postgres_restart_loses_no_event(own_postgres: LocalPostgres, nats_client: NATS) -> None:
    spec = ServiceDatabase.for_service("restarts", password="restart-test")
    await provision(own_postgres.admin_url, spec)
    await asyncio.to_thread(upgrade, MIGRATIONS, spec.owner_url(own_postgres.admin_url), runtime_role=spec.runtime)
    runtime_url = spec.runtime_url(own_postgres.admin_url)
    js = nats_client.jetstream()
    await ensure_stream(js, service_stream(SERVICE))
    await ensure_stream(js, dead_letter_stream())
    database = Database(runtime_url)
    relay = OutboxRelay(service=SERVICE, database_url=runtime_url, nats=nats_client, max_backoff=0.5)
    subscription = Subscription(durable="restarts", stream=STREAM, subjects=(f"{SERVICE}.>",), handler=record_effect)
    consumer = EventConsumer(subscription, database=database, nats=nats_client, retry_base=0.05, fetch_timeout=0.5)

    async def effects() -> list[str]:
        conn = await asyncpg.connect(own_postgres.admin_url.rsplit("/", 1)[0] + f"/{spec.database}")
        try:
            return [r["body"] for r in await conn.fetch("SELECT body FROM notes WHERE body LIKE 'effect:%'")]
        finally:
            await conn.close()

    try:
        async with running(relay, consumer):
            before = [await commit_note(database, "artland", f"before {i}") for i in range(50)]
            await asyncio.to_thread(own_postgres.stop)
            await asyncio.to_thread(own_postgres.start, fsync=False)
            after = []
            for i in range(50):
                try:
                    after.append(await commit_note(database, "artland", f"after {i}"))
                except Exception:  # noqa: BLE001 - a pooled connection from before the restart fails once
                    after.append(await commit_note(database, "artland", f"after {i}"))

            async def all_applied() -> bool:
                return len(await effects()) >= 100

            await eventually(all_applied, within=60)
            await asyncio.sleep(0.5)
        applied = await effects()
    finally:
        await database.dispose()
    assert sorted(applied) == sorted(f"effect:{event.id}" for event in [*before, *after])
    assert (await js.stream_info(STREAM)).state.messages == 100


async def test_lean_reads_recover_after_a_postgres_restart(own_postgres: LocalPostgres) -> None:
    spec = ServiceDatabase.for_service("leanrestart", password="restart-test")
    await provision(own_postgres.admin_url, spec)
    await asyncio.to_thread(upgrade, MIGRATIONS, spec.owner_url(own_postgres.admin_url), runtime_role=spec.runtime)
    database = Database(spec.runtime_url(own_postgres.admin_url), pool_size=2)
    query = select(notes.c.body)
    try:
        await commit_note(database, "artland", "kept")
        await asyncio.gather(*(database.fetch_all("artland", query) for _ in range(4)))
        await asyncio.to_thread(own_postgres.stop)
        await asyncio.to_thread(own_postgres.start, fsync=False)
        lost: list[bool] = []
        for _ in range(6):
            try:
                rows = await database.fetch_all("artland", query)
            except DBAPIError as error:  # a pooled connection from before the restart fails once, then is gone
                lost.append(error.connection_invalidated)
        assert len(lost) <= 2
        assert all(lost)
        assert [row["body"] for row in rows] == ["kept"]
    finally:
        await database.dispose()
