"""Call events from the telephony's NATS subject: counted once, acknowledged after the commit, junk dead-lettered."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import orjson
from nats.aio.client import Client as NATS
from nats.js.errors import NotFoundError

from kit.db.database import Database
from kit.events import ensure_stream
from kit.events.deadletters import list_dead_letters
from kit.events.streams import dead_letter_stream
from kit.testing.events import eventually, running
from kit.testing.infra import ScratchDatabase
from metrics.calls.feed import DURABLE, SUBJECT, CallFeed, telephony_stream

from .support import abandoned_call, answered_call, calls

OFFERED = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


async def test_events_published_on_the_subject_count_once_and_junk_is_dead_lettered(
    served: ScratchDatabase, database: Database, nats_client: NATS, admin: asyncpg.Connection
) -> None:
    js = nats_client.jetstream()
    await ensure_stream(js, telephony_stream())
    await ensure_stream(js, dead_letter_stream())
    whole_call = answered_call("feed-1", OFFERED)
    await js.publish(SUBJECT, orjson.dumps({"events": whole_call}))
    for event in abandoned_call("feed-2", OFFERED):
        await js.publish(SUBJECT, orjson.dumps(event))
    await js.publish(SUBJECT, b'{"events": [{"call_id": "no event id"}]}')
    await js.publish(SUBJECT, orjson.dumps({"events": whole_call}))

    feed = CallFeed(database=database, nats=nats_client, fetch_timeout=0.2)
    async with running(feed):

        async def settled() -> bool:
            try:
                info = await js.consumer_info("TELEPHONY", DURABLE)
            except NotFoundError:  # the feed has not declared its consumer yet
                return False
            return bool(info.num_pending == 0 and info.num_ack_pending == 0)

        await eventually(settled)

    stored = await calls(admin, "oldenburg")
    assert sorted(
        (row["call_id"], row["answered_at"] is not None, row["abandoned_at"] is not None) for row in stored
    ) == [
        ("feed-1", True, False),
        ("feed-2", False, True),
    ]
    letters = [letter for letter in await list_dead_letters(js) if letter.consumer == DURABLE]
    assert len(letters) == 1
    assert "event_id" in letters[0].error
