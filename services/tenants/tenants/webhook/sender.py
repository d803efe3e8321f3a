"""One try of a delivery: POST the signed body and note what came back."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp

from tenants.webhook.targets import TargetPolicy, TargetRefused

EXCERPT_BYTES = 1024
USER_AGENT = "Zentrale-Webhooks/1"
_ERROR_LENGTH = 1000


@dataclass(frozen=True)
class AttemptResult:
    attempted_at: datetime
    duration_ms: int
    response_status: int | None = None
    error: str | None = None
    response_excerpt: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.error is None and self.response_status is not None and 200 <= self.response_status < 300


def _clean(text: str, limit: int) -> str:
    """PostgreSQL text holds no NUL characters."""
    return text.replace("\x00", "\ufffd")[:limit]


async def post(
    http: aiohttp.ClientSession,
    *,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    answer_within: float,
    policy: TargetPolicy,
) -> AttemptResult:
    """POST ``body`` to ``url``; every outcome (also a refused target or a timeout) becomes a result.

    Redirects are not followed: a 3xx is a failure, and it cannot lead the request to a refused target.
    """
    attempted_at = datetime.now(UTC)
    started = time.monotonic()

    def result(*, status: int | None = None, error: str | None = None, excerpt: str | None = None) -> AttemptResult:
        duration = int((time.monotonic() - started) * 1000)
        return AttemptResult(attempted_at, duration, response_status=status, error=error, response_excerpt=excerpt)

    try:
        policy.check_scheme(url)
        policy.check_literal(url)
        async with http.post(
            url,
            data=body,
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=answer_within),
        ) as response:
            excerpt = await _excerpt(response)
            status = response.status
    except TargetRefused as refused:
        return result(error=_clean(f"target refused: {refused}", _ERROR_LENGTH))
    except TimeoutError:
        return result(error=f"no answer within {answer_within:g} s")
    except aiohttp.ClientError as failure:
        return result(error=_clean(f"connection failed: {failure}", _ERROR_LENGTH))
    error = None if 200 <= status < 300 else f"HTTP {status}"
    return result(status=status, error=error, excerpt=excerpt)


async def _excerpt(response: aiohttp.ClientResponse) -> str | None:
    chunks = bytearray()
    try:
        while len(chunks) < EXCERPT_BYTES:
            chunk = await response.content.read(EXCERPT_BYTES - len(chunks))
            if not chunk:
                break
            chunks += chunk
    except (aiohttp.ClientError, TimeoutError):
        pass
    return _clean(chunks.decode(errors="replace"), EXCERPT_BYTES) if chunks else None
