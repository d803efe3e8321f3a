"""Outbox → relay → JetStream → consumer: nothing lost, nothing applied twice."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import asyncpg
import pytest
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from sqlalchemy import text

from kit.db.database import Database, TenantConnection, TenantSession
from kit.events import CloudEvent, EventConsumer, OutboxRelay, Subscription, ensure_stream, service_stream
from kit.events import relay as relay_module
from kit.events.consumer import Handler, LeanHandler
from kit.events.deadletters import list_dead_letters, replay_dead_letter
from kit.events.streams import dead_letter_stream
from kit.local.nats import LocalNats
from kit.nats import connect
from kit.testing.events import eventually, running
from kit.testing.infra import InfraServers, ScratchDatabase

from .sample import SERVICE, STREAM, add_note, commit_note, note_added, record_effect, record_effect_lean


async def _effects(db: ScratchDatabase) -> list[str]:
    conn = await asyncpg.connect(db.admin_url)
    try:
        rows = await conn.fetch("SELECT body FROM notes WHERE body LIKE 'effect:%'")
    finally:
        await conn.close()
    return [row["body"] for row in rows]


async def _stream_count(nc: NATS) -> int:
    info = await nc.jetstream().stream_info(STREAM)
    return info.state.messages


async def _declare(nc: NATS) -> None:
    js = nc.jetstream()
    await ensure_stream(js, service_stream(SERVICE))
    await ensure_stream(js, dead_letter_stream())


def _relay(db: ScratchDatabase, nc: NATS) -> OutboxRelay:
    return OutboxRelay(service=SERVICE, database_url=db.runtime_url, nats=nc, publish_timeout=1.0, max_backoff=0.5)


def _consumer(
    database: Database,
    nc: NATS,
    *,
    handler: Handler | None = record_effect,
    lean_handler: LeanHandler | None = None,
    ack_wait: float = 30.0,
) -> EventConsumer:
    subscription = Subscription(
        durable="kit-effects",
        stream=STREAM,
        subjects=(f"{SERVICE}.*.note.added.v1",),
        handler=None if lean_handler else handler,
        lean_handler=lean_handler,
        max_deliver=3,
        ack_wait=ack_wait,
    )
    return EventConsumer(subscription, database=database, nats=nc, retry_base=0.05, fetch_timeout=0.5)


async def test_events_committed_while_nats_is_down_all_arrive_once(
    sample_db: ScratchDatabase, database: Database, own_nats: LocalNats
) -> None:
    nc = await connect(own_nats.url, name="test")
    await _declare(nc)
    async with running(_relay(sample_db, nc), _consumer(database, nc)):
        own_nats.stop()
        committed = [await commit_note(database, ("artland", "oldenburg")[i % 2], f"change {i}") for i in range(500)]
        await asyncio.sleep(1.0)
        own_nats.start()

        async def all_applied() -> bool:
            return len(await _effects(sample_db)) >= 500

        await eventually(all_applied, within=60)
        await asyncio.sleep(0.5)
        effects = await _effects(sample_db)
        stored = await _stream_count(nc)
    await nc.close()
    assert sorted(effects) == sorted(f"effect:{event.id}" for event in committed)
    assert stored == 500


async def test_transactions_committing_in_reverse_id_order_are_both_published(
    sample_db: ScratchDatabase, database: Database, nats_client: NATS
) -> None:
    await _declare(nats_client)
    relay = _relay(sample_db, nats_client)
    async with database.session("artland") as early, early.begin():
        first = await add_note(early, "begun first, committed last")
        second = await commit_note(database, "artland", "begun second, committed first")
        assert await relay.relay_once() == 1
    assert await relay.relay_once() == 1
    assert await relay.relay_once() == 0

    js = nats_client.jetstream()
    published = {(await js.get_msg(STREAM, seq=seq)).headers["Nats-Msg-Id"] for seq in (1, 2)}  # type: ignore[index]
    assert published == {first.id, second.id}


class _RoundCountingRelay(OutboxRelay):
    """The kit's relay, noting how many events each round that published any sent."""

    rounds: list[int]

    async def relay_once(self) -> int:
        sent = await super().relay_once()
        if sent:
            self.rounds.append(sent)
        return sent


async def test_commits_within_the_linger_are_published_in_one_round(
    sample_db: ScratchDatabase, database: Database, nats_client: NATS
) -> None:
    await _declare(nats_client)
    relay = _RoundCountingRelay(service=SERVICE, database_url=sample_db.runtime_url, nats=nats_client, linger=1.0)
    relay.rounds = []
    async with running(relay):
        await asyncio.sleep(0.3)  # the relay has found the outbox empty and waits for a commit
        await commit_note(database, "artland", "first")
        await commit_note(database, "oldenburg", "second, while the relay lingers")

        async def both_published() -> bool:
            return sum(relay.rounds) == 2

        await eventually(both_published)
    assert relay.rounds == [2]
    assert await _stream_count(nats_client) == 2


async def test_relay_killed_between_publish_and_mark_causes_no_duplicate(
    sample_db: ScratchDatabase, database: Database, nats_client: NATS, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _declare(nats_client)
    events = [await commit_note(database, "artland", f"change {i}") for i in range(20)]
    relay = _relay(sample_db, nats_client)
    with monkeypatch.context() as patch:
        patch.setattr(relay_module, "_MARK_SENT", "SELECT pg_terminate_backend(pg_backend_pid()), $1::bigint[]")
        with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError, OSError)):
            await relay.relay_once()
    assert await _stream_count(nats_client) == 20

    relay = _relay(sample_db, nats_client)
    assert await relay.relay_once() == 20
    assert await _stream_count(nats_client) == 20
    async with running(_consumer(database, nats_client)):

        async def applied() -> bool:
            return len(await _effects(sample_db)) >= 20

        await eventually(applied)
        await asyncio.sleep(0.3)
    assert sorted(await _effects(sample_db)) == sorted(f"effect:{event.id}" for event in events)


@pytest.mark.parametrize("lean", [False, True], ids=["orm-handler", "lean-handler"])
async def test_consumer_killed_between_effect_and_ack_applies_nothing_twice(
    sample_db: ScratchDatabase, database: Database, nats_client: NATS, monkeypatch: pytest.MonkeyPatch, lean: bool
) -> None:
    await _declare(nats_client)
    event = await commit_note(database, "artland", "once")
    await _relay(sample_db, nats_client).relay_once()
    real_ack = Msg.ack
    acks: list[str] = []

    async def crash_on_first_ack(msg: Msg) -> None:
        acks.append(msg.subject)
        if len(acks) == 1:
            raise ConnectionError("killed before the ack")
        await real_ack(msg)

    monkeypatch.setattr(Msg, "ack", crash_on_first_ack)
    consumer = _consumer(database, nats_client, lean_handler=record_effect_lean if lean else None, ack_wait=1.0)
    async with running(consumer):

        async def acked_again() -> bool:
            return len(acks) >= 2

        await eventually(acked_again, within=15)
    assert await _effects(sample_db) == [f"effect:{event.id}"]


async def test_poison_message_ends_in_dead_letters_and_consumer_carries_on(
    sample_db: ScratchDatabase, database: Database, nats_client: NATS
) -> None:
    await _declare(nats_client)
    attempts: list[str] = []
    healed = False

    async def fragile(session: TenantSession, event: CloudEvent) -> None:
        if event.data["body"] == "poison" and not healed:
            attempts.append(event.id)
            raise RuntimeError("cannot handle this one")
        await record_effect(session, event)

    poison = await commit_note(database, "artland", "poison")
    good = await commit_note(database, "artland", "good")
    await _relay(sample_db, nats_client).relay_once()
    consumer = _consumer(database, nats_client, handler=fragile)
    js = nats_client.jetstream()
    async with running(consumer):

        async def dead_lettered() -> bool:
            return len(await list_dead_letters(js)) == 1

        await eventually(dead_lettered)
        assert await _effects(sample_db) == [f"effect:{good.id}"]
        assert set(attempts) == {poison.id}
        letter = (await list_dead_letters(js))[0]
        assert letter.deliveries == 3
        assert letter.consumer == "kit-effects"
        assert "cannot handle this one" in letter.error

        healed = True
        await replay_dead_letter(js, letter.sequence)

        async def replayed() -> bool:
            return len(await _effects(sample_db)) == 2

        await eventually(replayed)
    assert await list_dead_letters(js) == []


async def test_event_whose_tenant_contradicts_its_subject_is_dead_lettered(
    sample_db: ScratchDatabase, database: Database, nats_client: NATS
) -> None:
    await _declare(nats_client)
    forged = note_added("oldenburg", "forged")
    js = nats_client.jetstream()
    await js.publish(f"{SERVICE}.artland.note.added.v1", forged.to_json(), headers={"Nats-Msg-Id": forged.id})
    await js.publish(f"{SERVICE}.artland.note.added.v1", b"{not json", headers={"Nats-Msg-Id": "garbage"})
    async with running(_consumer(database, nats_client)):

        async def both_dead() -> bool:
            return len(await list_dead_letters(js)) == 2

        await eventually(both_dead)
    assert await _effects(sample_db) == []


async def test_operators_list_and_replay_dead_letters_from_the_command_line(
    sample_db: ScratchDatabase, database: Database, nats_client: NATS, servers: InfraServers
) -> None:
    await _declare(nats_client)
    js = nats_client.jetstream()
    await js.publish(f"{SERVICE}.artland.note.added.v1", b"{broken", headers={"Nats-Msg-Id": "broken"})
    async with running(_consumer(database, nats_client)):

        async def dead() -> bool:
            return len(await list_dead_letters(js)) == 1

        await eventually(dead)

    command = [sys.executable, "-m", "kit.events.deadletters", "--nats-url", servers.nats_url]
    listed = await asyncio.to_thread(subprocess.run, [*command, "list"], capture_output=True, text=True, check=True)
    letter = json.loads(listed.stdout.splitlines()[0])
    assert letter["consumer"] == "kit-effects"
    assert letter["original_subject"] == f"{SERVICE}.artland.note.added.v1"
    assert letter["payload"] == "{broken"

    await asyncio.to_thread(subprocess.run, [*command, "replay", str(letter["sequence"])], check=True)
    assert await list_dead_letters(js) == []
    assert (await _stream_count(nats_client)) == 2


async def test_one_fetch_of_several_tenants_keeps_each_tenants_order(
    sample_db: ScratchDatabase, database: Database, nats_client: NATS
) -> None:
    await _declare(nats_client)
    tenants = ("artland", "oldenburg", "bersenbrueck")
    committed = [await commit_note(database, tenants[i % 3], f"{tenants[i % 3]} {i}") for i in range(60)]
    await _relay(sample_db, nats_client).relay_once()
    seen: dict[str, list[str]] = {tenant: [] for tenant in tenants}

    async def in_order(session: TenantSession, event: CloudEvent) -> None:
        seen[event.tenantid].append(event.id)
        await record_effect(session, event)

    async with running(_consumer(database, nats_client, handler=in_order)):

        async def all_applied() -> bool:
            return len(await _effects(sample_db)) == 60

        await eventually(all_applied)
    for tenant in tenants:
        assert seen[tenant] == [event.id for event in committed if event.tenantid == tenant]


async def test_events_arriving_within_the_batch_wait_share_one_transaction(
    sample_db: ScratchDatabase, database: Database, nats_client: NATS
) -> None:
    await _declare(nats_client)
    relay = _relay(sample_db, nats_client)
    transactions: list[int] = []

    async def note_transaction(session: TenantSession, event: CloudEvent) -> None:
        transactions.append(int((await session.execute(text("SELECT txid_current()"))).scalar_one()))
        await record_effect(session, event)

    subscription = Subscription(
        durable="kit-grouped", stream=STREAM, subjects=(f"{SERVICE}.*.note.added.v1",), handler=note_transaction
    )
    # Long enough that the second event arrives within it on a loaded machine as well.
    consumer = EventConsumer(subscription, database=database, nats=nats_client, batch_wait=3.0, fetch_timeout=0.5)
    async with running(consumer):
        await commit_note(database, "artland", "first")
        await relay.relay_once()
        await asyncio.sleep(0.1)
        await commit_note(database, "artland", "second")
        await relay.relay_once()

        async def both_applied() -> bool:
            return len(await _effects(sample_db)) == 2

        await eventually(both_applied)
    assert len(transactions) == 2
    assert transactions[0] == transactions[1]


async def test_a_lean_handlers_events_of_one_tenant_share_one_transaction(
    sample_db: ScratchDatabase, database: Database, nats_client: NATS
) -> None:
    await _declare(nats_client)
    for body in ("first", "second", "third"):
        await commit_note(database, "artland", body)
    await commit_note(database, "oldenburg", "elsewhere")
    await _relay(sample_db, nats_client).relay_once()
    transactions: dict[str, list[int]] = {}

    async def note_transaction(connection: TenantConnection, event: CloudEvent) -> None:
        row = await connection.fetchrow("SELECT txid_current() AS txid, current_setting('app.tenant_id') AS tenant")
        assert row is not None
        assert row["tenant"] == event.tenantid
        transactions.setdefault(event.tenantid, []).append(row["txid"])
        await record_effect_lean(connection, event)

    async with running(_consumer(database, nats_client, lean_handler=note_transaction)):

        async def all_applied() -> bool:
            return len(await _effects(sample_db)) == 4

        await eventually(all_applied)
    assert len(transactions["artland"]) == 3
    assert len(set(transactions["artland"])) == 1
    assert transactions["oldenburg"] != transactions["artland"][:1]


def test_a_subscription_names_exactly_one_handler() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Subscription(
            durable="both", stream=STREAM, subjects=("x",), handler=record_effect, lean_handler=record_effect_lean
        )
    with pytest.raises(ValueError, match="exactly one"):
        Subscription(durable="neither", stream=STREAM, subjects=("x",))
