"""Serve the gateway: its application behind the fast front, until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Any

from aiohttp import web

from gateway.app import BROWSER, PROXY
from gateway.front import Front

SHUTDOWN_SECONDS = 10.0


class GatewayRunner(web.AppRunner):
    """An aiohttp runner whose sites listen through the fast front, which hands what it leaves to aiohttp."""

    def __init__(self, app: web.Application, *, shutdown_timeout: float = SHUTDOWN_SECONDS, **kwargs: Any) -> None:
        super().__init__(app, shutdown_timeout=shutdown_timeout, **kwargs)
        self._drain_seconds = shutdown_timeout
        self._front: Front | None = None

    @property
    def server(self) -> Front | None:  # type: ignore[override]  # the sites only call it, as protocol factory
        """The listening sockets' protocol factory: the front, once the application is set up."""
        application_server = super().server
        if application_server is None:
            return None
        if self._front is None:
            app = self.app
            proxy = app[PROXY]
            self._front = Front(proxy, app[BROWSER], application_server, max_body=proxy.config.max_body_bytes)
        return self._front

    async def shutdown(self) -> None:
        """Let the front's requests under way finish (bounded), then the application's shutdown."""
        if self._front is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._drain_seconds):
                    await self._front.close()
            self._front.abort()
        await super().shutdown()


async def serve(app: web.Application, *, host: str, port: int, shutdown_timeout: float = SHUTDOWN_SECONDS) -> None:
    """Serve ``app`` on ``host:port`` until SIGINT or SIGTERM; then finish what is under way and close."""
    runner = GatewayRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()
