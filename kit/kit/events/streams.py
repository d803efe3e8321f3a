"""JetStream streams and durable consumers, declared idempotently at start with drift detected."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError

log = logging.getLogger("kit.events.streams")

DEFAULT_DUPLICATE_WINDOW = 2 * 60 * 60.0
DEAD_LETTER_STREAM = "DEADLETTERS"
DEAD_LETTER_PREFIX = "deadletter"


class DeclarationDrift(RuntimeError):
    """A stream or consumer exists with settings that cannot be changed in place."""


@dataclass(frozen=True)
class StreamSpec:
    """A business stream: file storage, limits retention, no age or size limit, explicit dedupe window."""

    name: str
    subjects: tuple[str, ...]
    replicas: int = 1
    duplicate_window: float = DEFAULT_DUPLICATE_WINDOW

    def config(self) -> StreamConfig:
        return StreamConfig(
            name=self.name,
            subjects=list(self.subjects),
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            num_replicas=self.replicas,
            duplicate_window=self.duplicate_window,
            max_age=0,
            max_msgs=-1,
            max_bytes=-1,
        )


def service_stream(service: str, *, replicas: int = 1) -> StreamSpec:
    """The one stream a service publishes to: ``TENANTS`` holds ``tenants.>``."""
    return StreamSpec(name=service.upper(), subjects=(f"{service}.>",), replicas=replicas)


def dead_letter_stream(*, replicas: int = 1) -> StreamSpec:
    return StreamSpec(name=DEAD_LETTER_STREAM, subjects=(f"{DEAD_LETTER_PREFIX}.>",), replicas=replicas)


@dataclass(frozen=True)
class ConsumerSpec:
    """A durable pull consumer with explicit acks and a bounded number of deliveries."""

    stream: str
    durable: str
    subjects: tuple[str, ...]
    max_deliver: int = 5
    ack_wait: float = 30.0
    max_ack_pending: int = 1000
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def server_max_deliver(self) -> int:
        """Two deliveries more than we try: a crash during the last try still reaches the dead letters."""
        return self.max_deliver + 2

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self.ack_wait,
            max_deliver=self.server_max_deliver,
            max_ack_pending=self.max_ack_pending,
            filter_subjects=list(self.subjects),
            **self.extra,
        )


_STREAM_FIELDS = ("subjects", "retention", "storage", "num_replicas", "duplicate_window", "max_age")
_STREAM_FIXED = ("retention", "storage")
_CONSUMER_FIELDS = ("filter_subjects", "ack_policy", "deliver_policy", "ack_wait", "max_deliver", "max_ack_pending")
_CONSUMER_FIXED = ("ack_policy", "deliver_policy")


def _normalise(value: Any) -> Any:
    if isinstance(value, list):
        return sorted(value)
    if isinstance(value, float):
        return round(value, 3)
    return value


def drift(actual: Any, wanted: Any, fields: tuple[str, ...]) -> dict[str, tuple[Any, Any]]:
    """Field → (actual, wanted) for every declared field that differs."""
    out: dict[str, tuple[Any, Any]] = {}
    for name in fields:
        have, want = _normalise(getattr(actual, name)), _normalise(getattr(wanted, name))
        if name == "filter_subjects" and not have:
            have = _normalise([actual.filter_subject] if actual.filter_subject else [])
        if have != want:
            out[name] = (have, want)
    return out


async def ensure_stream(js: JetStreamContext, spec: StreamSpec) -> dict[str, tuple[Any, Any]]:
    """Create the stream, or bring it to ``spec``; returns the drift that was found."""
    wanted = spec.config()
    try:
        info = await js.stream_info(spec.name)
    except NotFoundError:
        await js.add_stream(wanted)
        log.info("events.stream.created", extra={"stream": spec.name})
        return {}
    found = drift(info.config, wanted, _STREAM_FIELDS)
    if found:
        log.warning("events.stream.drift", extra={"stream": spec.name, "drift": repr(found)})
        if fixed := [name for name in _STREAM_FIXED if name in found]:
            raise DeclarationDrift(f"stream {spec.name}: {', '.join(fixed)} cannot change in place")
        await js.update_stream(wanted)
    return found


async def ensure_consumer(js: JetStreamContext, spec: ConsumerSpec) -> dict[str, tuple[Any, Any]]:
    """Create the durable consumer, or bring it to ``spec``; returns the drift that was found."""
    wanted = spec.config()
    try:
        info = await js.consumer_info(spec.stream, spec.durable)
    except NotFoundError:
        await js.add_consumer(spec.stream, wanted)
        log.info("events.consumer.created", extra={"stream": spec.stream, "consumer": spec.durable})
        return {}
    found = drift(info.config, wanted, _CONSUMER_FIELDS)
    if found:
        log.warning("events.consumer.drift", extra={"consumer": spec.durable, "drift": repr(found)})
        if fixed := [name for name in _CONSUMER_FIXED if name in found]:
            raise DeclarationDrift(f"consumer {spec.durable}: {', '.join(fixed)} cannot change in place")
        await js.add_consumer(spec.stream, wanted)
    return found
