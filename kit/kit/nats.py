"""One NATS connection per process, reconnecting forever."""

from __future__ import annotations

import logging

import nats
from nats.aio.client import Client as NATS

log = logging.getLogger("kit.nats")


async def _on_error(error: Exception) -> None:
    log.warning("nats.error", extra={"error": repr(error)})


async def _on_disconnected() -> None:
    log.warning("nats.disconnected")


async def _on_reconnected() -> None:
    log.info("nats.reconnected")


async def connect(url: str, *, name: str) -> NATS:
    """Connect (waiting for the server to come up) and keep reconnecting after any loss."""
    return await nats.connect(
        url,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        retry_on_failed_connect=True,
        connect_timeout=2,
        error_cb=_on_error,
        disconnected_cb=_on_disconnected,
        reconnected_cb=_on_reconnected,
    )
