"""Events: CloudEvents envelope, transactional outbox, relay, idempotent consumers, dead letters.

The names load their modules on first use: a process that only builds envelopes (the gateway) does not
import the database layer that the outbox and the consumers need.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kit.events.consumer import EventConsumer, PermanentEventError, Subscription, read_data, require_same_tenant
    from kit.events.envelope import CloudEvent, every_tenant, new_event, subject_for
    from kit.events.outbox import record_event, record_events
    from kit.events.relay import OutboxRelay
    from kit.events.streams import ConsumerSpec, StreamSpec, ensure_consumer, ensure_stream, service_stream

_MODULE_OF = {
    "EventConsumer": "consumer",
    "PermanentEventError": "consumer",
    "Subscription": "consumer",
    "read_data": "consumer",
    "require_same_tenant": "consumer",
    "CloudEvent": "envelope",
    "new_event": "envelope",
    "every_tenant": "envelope",
    "subject_for": "envelope",
    "record_event": "outbox",
    "record_events": "outbox",
    "OutboxRelay": "relay",
    "ConsumerSpec": "streams",
    "StreamSpec": "streams",
    "ensure_consumer": "streams",
    "ensure_stream": "streams",
    "service_stream": "streams",
}

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
    "every_tenant",
    "new_event",
    "read_data",
    "record_event",
    "record_events",
    "require_same_tenant",
    "service_stream",
    "subject_for",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"kit.events.{module}"), name)
