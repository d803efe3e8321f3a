"""The tenants service's handler table: which events it consumes, and with what."""

from __future__ import annotations

from kit.events import Subscription

SUBSCRIPTIONS: tuple[Subscription, ...] = ()
