"""Each service's readiness as the gateway sees it, asked concurrently and remembered for a moment."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

import aiohttp


class ServiceReadiness:
    """Asks every service's ``/readyz``; a service that does not answer in ``timeout`` is ``unavailable``.

    The answers are kept ``ttl`` seconds, so probes of many replicas do not multiply into the services.
    """

    def __init__(
        self,
        session: Callable[[], aiohttp.ClientSession],
        upstreams: Mapping[str, str],
        *,
        timeout: float = 1.0,
        ttl: float = 2.0,
    ) -> None:
        self._session = session
        self._urls = {name: url.rstrip("/") + "/readyz" for name, url in upstreams.items()}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._ttl = ttl
        self._known: tuple[float, dict[str, str]] | None = None

    async def report(self) -> dict[str, str]:
        """Service name → ``ready`` or ``unavailable``."""
        now = time.monotonic()
        if self._known is not None and now - self._known[0] < self._ttl:
            return self._known[1]
        names = sorted(self._urls)
        answers = await asyncio.gather(*(self._ask(self._urls[name]) for name in names))
        report = dict(zip(names, answers, strict=True))
        self._known = (now, report)
        return report

    async def _ask(self, url: str) -> str:
        try:
            async with self._session().get(url, timeout=self._timeout) as response:
                return "ready" if response.status == 200 else "unavailable"
        except (aiohttp.ClientError, TimeoutError):
            return "unavailable"
