"""The simulator's HTTP client of the gateway: retries what may pass, waits out rate limits, counts requests.

Connection errors and 502, 503, 504 are tried again with a growing pause for up to ``patience`` seconds (a
service or NATS restarting); a 429 pauses every request that counts against the same limit (the caller's own,
or its tenant's) until the ``Retry-After`` the gateway named, and does not use up that patience: waiting for
the next window is how a client keeps within its budget, not a fault.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

RETRIED = frozenset({502, 503, 504})
# The longest a request waits for rate-limit windows in all before it gives up.
THROTTLE_LIMIT_SECONDS = 600.0


class Refused(RuntimeError):
    """The gateway answered with a status that was not expected (or never answered within the patience)."""

    def __init__(self, method: str, path: str, status: int | None, body: Any) -> None:
        self.method, self.path, self.status, self.body = method, path, status, body
        shown = "no answer" if status is None else f"{status}"
        super().__init__(f"{method} {path} answered {shown}: {str(body)[:300]}")


@dataclass
class Credential:
    """A key or token and whose budgets it counts against: its own, and its home tenant's (None: operators)."""

    name: str
    secret: str
    home: str | None
    refresh: Callable[[], Awaitable[str]] | None = None


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    retried: bool


@dataclass
class Counts:
    """What the client sent: requests answered as expected, all attempts, retries and rate-limit refusals."""

    requests: int = 0
    attempts: int = 0
    retries: int = 0
    throttled: int = 0


@dataclass
class Client:
    """Sends JSON requests to the gateway with the retry and rate-limit rules above."""

    session: aiohttp.ClientSession
    base_url: str
    patience: float = 60.0
    counts: Counts = field(default_factory=Counts)
    _gates: dict[str, float] = field(default_factory=dict)

    async def send(
        self,
        credential: Credential | None,
        method: str,
        path: str,
        *,
        payload: Any = None,
        headers: Mapping[str, str] | None = None,
        accept: Collection[int] = (200, 201),
        done_when_retried: Collection[int] = (),
    ) -> Answer:
        """Send until an answer in ``accept`` (or, on a retry, in ``done_when_retried``: the first try landed).

        Raise ``Refused`` for any other answer, or when retrying took longer than the patience.
        """
        failing_since: float | None = None
        throttled = 0.0
        pause = 0.2
        refreshed = False
        retried = False
        while True:
            throttled += await self._wait_gates(credential)
            status, body, retry_after = await self._once(credential, method, path, payload, headers)
            self.counts.attempts += 1
            if status is not None and (status in accept or (retried and status in done_when_retried)):
                self.counts.requests += 1
                return Answer(status, body, retried)
            if status == 429 and throttled < THROTTLE_LIMIT_SECONDS:
                self.counts.throttled += 1
                self._close_gate(credential, body, retry_after)
                continue
            if status == 401 and credential is not None and credential.refresh is not None and not refreshed:
                credential.secret = await credential.refresh()
                refreshed = True
                continue
            if status is not None and status not in RETRIED:
                raise Refused(method, path, status, body)
            now = time.monotonic()
            failing_since = failing_since if failing_since is not None else now
            if now - failing_since > self.patience:
                raise Refused(method, path, status, body)
            self.counts.retries += 1
            retried = True
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)

    async def _once(
        self,
        credential: Credential | None,
        method: str,
        path: str,
        payload: Any,
        headers: Mapping[str, str] | None,
    ) -> tuple[int | None, Any, float]:
        sent = dict(headers or {})
        if credential is not None:
            sent["Authorization"] = f"Bearer {credential.secret}"
        data = None
        if payload is not None:
            data = json.dumps(payload).encode()
            sent["Content-Type"] = "application/json"
        try:
            async with self.session.request(method, self.base_url + path, data=data, headers=sent) as response:
                raw = await response.read()
                return response.status, _json(raw), _seconds(response.headers.get("Retry-After"))
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            return None, str(error) or type(error).__name__, 0.0

    def _keys(self, credential: Credential | None) -> tuple[str, ...]:
        if credential is None:
            return ()
        own = f"client:{credential.name}"
        return (own, f"tenant:{credential.home}") if credential.home else (own,)

    async def _wait_gates(self, credential: Credential | None) -> float:
        """Wait while a rate limit this credential counts against is used up; return the seconds waited."""
        waited = 0.0
        keys = self._keys(credential)
        while keys:
            left = max(self._gates.get(key, 0.0) for key in keys) - time.monotonic()
            if left <= 0:
                break
            await asyncio.sleep(left)
            waited += left
        return waited

    def _close_gate(self, credential: Credential | None, body: Any, retry_after: float) -> None:
        if credential is None:
            return
        limit = body.get("limit") if isinstance(body, dict) else None
        key = f"tenant:{credential.home}" if limit == "tenant" and credential.home else f"client:{credential.name}"
        until = time.monotonic() + max(retry_after, 0.5)
        self._gates[key] = max(self._gates.get(key, 0.0), until)


def _seconds(value: str | None) -> float:
    try:
        return float(value) if value else 1.0
    except ValueError:
        return 1.0


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def session(concurrency: int) -> aiohttp.ClientSession:
    """A client session with enough connections for ``concurrency`` requests in flight."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency + 4),
        timeout=aiohttp.ClientTimeout(total=90, connect=5),
    )
