"""Which event types a subscription wants: exact types, or a prefix ending in ``.*``; none means all."""

from __future__ import annotations

import re
from collections.abc import Sequence

from kit.events.envelope import EVENT_TYPE_PATTERN

WILDCARD_PATTERN = re.compile(r"^[a-z]+(\.[a-z_]+){0,2}\.\*$")
# The webhook domain's own events never go out as webhooks: a failed delivery announced to a failing
# endpoint would announce its own failure again, for ever.
NEVER_DELIVERED_PREFIX = "tenants.webhook."


def is_event_type_filter(pattern: str) -> bool:
    """Whether ``pattern`` is ``tickets.ticket.forwarded.v1`` or one of ``tickets.*``, ``tickets.ticket.*``,
    ``tickets.ticket.forwarded.*``."""
    return EVENT_TYPE_PATTERN.fullmatch(pattern) is not None or WILDCARD_PATTERN.fullmatch(pattern) is not None


def wants(filters: Sequence[str], event_type: str) -> bool:
    """Whether a subscription with ``filters`` receives events of ``event_type``."""
    if event_type.startswith(NEVER_DELIVERED_PREFIX):
        return False
    if not filters:
        return True
    return any(
        event_type.startswith(pattern[:-1]) if pattern.endswith(".*") else event_type == pattern for pattern in filters
    )
