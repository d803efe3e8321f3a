"""A PostgreSQL restart while the relay and a consumer run loses nothing and doubles nothing."""

from __future__ import annotations

import asyncio

import asyncpg
from nats.aio.client import Client as NATS

from kit.db.database import Database
from kit.db.provision import ServiceDatabase, provision
from kit.events import EventConsumer, OutboxRelay, Subscription, ensure_stream, service_stream
from kit.events.streams import dead_letter_stream
from kit.local.postgres import LocalPostgres
from kit.migrations import upgrade
from kit.testing.events import eventually, running

from .sample import MIGRATIONS, SERVICE, STREAM, commit_note, record_effect


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
