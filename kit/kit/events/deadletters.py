"""The dead-letter stream: where a message ends after its last delivery, for operators to list and replay.

A dead letter keeps the original payload and headers and adds why it died. Its subject is
``deadletter.<consumer>.<tenant>`` so one consumer's or one tenant's dead letters can be listed.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from kit.events.streams import DEAD_LETTER_PREFIX, DEAD_LETTER_STREAM

ORIGINAL_SUBJECT = "Zentrale-Original-Subject"
CONSUMER = "Zentrale-Consumer"
ERROR = "Zentrale-Error"
DELIVERIES = "Zentrale-Deliveries"


@dataclass(frozen=True)
class DeadLetter:
    sequence: int
    subject: str
    original_subject: str
    consumer: str
    error: str
    deliveries: int
    headers: dict[str, str]
    payload: bytes

    def as_dict(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "original_subject": self.original_subject,
            "consumer": self.consumer,
            "error": self.error,
            "deliveries": self.deliveries,
            "payload": _printable(self.payload),
        }


def _printable(payload: bytes) -> str:
    try:
        return payload.decode()
    except UnicodeDecodeError:
        return base64.b64encode(payload).decode()


async def send_to_dead_letters(js: JetStreamContext, msg: Msg, *, consumer: str, error: str) -> None:
    """Copy ``msg`` into the dead-letter stream with the reason; idempotent per consumer and message."""
    tenant = msg.subject.split(".")[1] if msg.subject.count(".") >= 1 else "unknown"
    original = dict(msg.headers or {})
    message_id = original.get("Nats-Msg-Id", f"seq-{msg.metadata.sequence.stream}")
    headers = {
        **{k: v for k, v in original.items() if not k.startswith("Nats-")},
        "Nats-Msg-Id": f"{consumer}:{message_id}",
        ORIGINAL_SUBJECT: msg.subject,
        CONSUMER: consumer,
        ERROR: " ".join(error.split())[:1000],
        DELIVERIES: str(msg.metadata.num_delivered),
    }
    await js.publish(f"{DEAD_LETTER_PREFIX}.{consumer}.{tenant}", msg.data, headers=headers)


async def list_dead_letters(js: JetStreamContext, *, limit: int = 100) -> list[DeadLetter]:
    """The oldest ``limit`` dead letters still in the stream."""
    letters: list[DeadLetter] = []
    try:
        info = await js.stream_info(DEAD_LETTER_STREAM)
    except NotFoundError:
        return letters
    if info.state.messages == 0:
        return letters
    sequence = max(1, info.state.first_seq)
    while sequence <= info.state.last_seq and len(letters) < limit:
        try:
            raw = await js.get_msg(DEAD_LETTER_STREAM, seq=sequence)
        except NotFoundError:
            sequence += 1
            continue
        headers = dict(raw.headers or {})
        letters.append(
            DeadLetter(
                sequence=sequence,
                subject=raw.subject or "",
                original_subject=headers.get(ORIGINAL_SUBJECT, ""),
                consumer=headers.get(CONSUMER, ""),
                error=headers.get(ERROR, ""),
                deliveries=int(headers.get(DELIVERIES, "0")),
                headers=headers,
                payload=raw.data or b"",
            )
        )
        sequence += 1
    return letters


async def count_dead_letters(js: JetStreamContext) -> int:
    try:
        info = await js.stream_info(DEAD_LETTER_STREAM)
    except NotFoundError:
        return 0
    return info.state.messages


async def replay_dead_letter(js: JetStreamContext, sequence: int) -> str:
    """Publish a dead letter again to its original subject and remove it; returns that subject.

    The replay gets a new message id so the stream's duplicate window does not swallow it; consumers
    that had processed the event already skip it through their inbox.
    """
    raw = await js.get_msg(DEAD_LETTER_STREAM, seq=sequence)
    headers = dict(raw.headers or {})
    original_subject = str(headers.pop(ORIGINAL_SUBJECT))
    for name in (CONSUMER, ERROR, DELIVERIES, "Nats-Msg-Id"):
        headers.pop(name, None)
    headers["Nats-Msg-Id"] = f"replay:{sequence}:{headers.get('Ce-Id', '')}"
    await js.publish(original_subject, raw.data or b"", headers=headers)
    await js.delete_msg(DEAD_LETTER_STREAM, sequence)
    return original_subject


async def _main(argv: list[str] | None = None) -> int:
    import argparse
    import json
    import os

    import nats

    parser = argparse.ArgumentParser(
        prog="python -m kit.events.deadletters", description="List or replay the dead-letter stream."
    )
    parser.add_argument("--nats-url", default=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"))
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="print the oldest dead letters as JSON lines")
    listing.add_argument("--limit", type=int, default=100)
    replay = commands.add_parser("replay", help="publish dead letters again to their original subjects")
    replay.add_argument("sequences", type=int, nargs="+")
    args = parser.parse_args(argv)

    client = await nats.connect(args.nats_url)
    try:
        js = client.jetstream()
        if args.command == "list":
            for letter in await list_dead_letters(js, limit=args.limit):
                print(json.dumps(letter.as_dict(), ensure_ascii=False))
        else:
            for sequence in args.sequences:
                print(f"{sequence} → {await replay_dead_letter(js, sequence)}")
    finally:
        await client.close()
    return 0


if __name__ == "__main__":
    import asyncio
    import sys

    sys.exit(asyncio.run(_main()))
