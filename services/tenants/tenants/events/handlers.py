"""The tenants service's handler table: which events it consumes, and with what."""

from __future__ import annotations

from kit.events import Subscription
from tenants.webhook.deliveries import queue_event

# Every service's events, for the tenants' webhook subscriptions: one durable consumer per stream.
WEBHOOK_SOURCES = ("tenants", "knowledge", "tickets", "metrics")
WEBHOOK_SUBSCRIPTIONS: tuple[Subscription, ...] = tuple(
    Subscription(
        durable=f"tenants-webhooks-{source}", stream=source.upper(), subjects=(f"{source}.*.>",), handler=queue_event
    )
    for source in WEBHOOK_SOURCES
)

SUBSCRIPTIONS: tuple[Subscription, ...] = (*WEBHOOK_SUBSCRIPTIONS,)
