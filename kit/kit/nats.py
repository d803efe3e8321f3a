"""One NATS connection per process, reconnecting forever."""

from __future__ import annotations

import asyncio
import logging

import nats
from nats.aio.client import Client as NATS
from nats.errors import NoServersError

log = logging.getLogger("kit.nats")


async def _on_error(error: Exception) -> None:
    log.warning("nats.error", extra={"error": repr(error)})


async def _on_disconnected() -> None:
    log.warning("nats.disconnected")


async def _on_reconnected() -> None:
    log.info("nats.reconnected")


async def connect(url: str, *, name: str, max_wait: float = 1.0) -> NATS:
    """Connect, waiting as long as it takes for the server to come up, then reconnect after any loss."""
    attempt = 0
    while True:
        try:
            return await nats.connect(
                url,
                name=name,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                connect_timeout=2,
                drain_timeout=5,
                error_cb=_on_error,
                disconnected_cb=_on_disconnected,
                reconnected_cb=_on_reconnected,
            )
        except (NoServersError, OSError, TimeoutError) as error:
            attempt += 1
            log.warning("nats.connect_failed", extra={"url": url, "attempt": attempt, "error": repr(error)})
            await asyncio.sleep(min(max_wait, 0.1 * attempt))
