"""The tenants service's handler table: which events it consumes, and with what."""

from __future__ import annotations

from kit.events import Subscription
from tenants.audit import service as audit
from tenants.webhook.deliveries import queue_event

# Every service's events, for the tenants' webhook subscriptions: one durable consumer per stream.
WEBHOOK_SOURCES = ("tenants", "knowledge", "tickets", "metrics")
WEBHOOK_SUBSCRIPTIONS: tuple[Subscription, ...] = tuple(
    Subscription(
        durable=f"tenants-webhooks-{source}", stream=source.upper(), subjects=(f"{source}.*.>",), handler=queue_event
    )
    for source in WEBHOOK_SOURCES
)

# The gateway keeps no database: it publishes each access to a tenant's data, and the tenant reads it here.
ACCESS_AUDIT = Subscription(
    durable="tenants-access-audit",
    stream="GATEWAY",
    subjects=("gateway.*.accesses.recorded.v1",),
    lean_handler=audit.record,
)

SUBSCRIPTIONS: tuple[Subscription, ...] = (*WEBHOOK_SUBSCRIPTIONS, ACCESS_AUDIT)
