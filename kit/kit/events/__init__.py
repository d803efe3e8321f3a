"""Events: CloudEvents envelope, transactional outbox, relay, idempotent consumers, dead letters."""

from kit.events.consumer import EventConsumer, PermanentEventError, Subscription, read_data
from kit.events.envelope import CloudEvent, new_event, subject_for
from kit.events.outbox import record_event
from kit.events.relay import OutboxRelay
from kit.events.streams import ConsumerSpec, StreamSpec, ensure_consumer, ensure_stream, service_stream

__all__ = [
    "CloudEvent",
    "ConsumerSpec",
    "EventConsumer",
    "OutboxRelay",
    "PermanentEventError",
    "StreamSpec",
    "Subscription",
    "ensure_consumer",
    "ensure_stream",
    "new_event",
    "read_data",
    "record_event",
    "service_stream",
    "subject_for",
]
