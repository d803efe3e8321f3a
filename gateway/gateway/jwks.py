"""An identity provider's signing keys (JWKS): fetched when needed, kept for a while, asked again sparingly.

Each issuer has its own cache and lock, so a slow provider delays only its own tokens. A key id that
is not in the set makes the gateway ask once (key rotation), but not more often than every
``refetch_seconds``, so forged key ids cannot hammer the provider. When a refresh fails the keys it
had stay usable for ``stale_seconds``: an outage of the provider does not log out every agent at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from kit.errors import ProblemError

log = logging.getLogger("gateway.jwks")

SUPPORTED_ALGORITHMS = frozenset({"RS256", "ES256"})
# Symmetric ("oct") keys are never taken from a key set: they would let anyone holding it sign.
_KEY_TYPES = frozenset({"RSA", "EC"})

JwksSource = Callable[[], Awaitable[Mapping[str, Any]]]


class JwksUnavailable(Exception):
    """A key set could not be fetched or read."""


class IdentityProviderUnavailable(ProblemError):
    """The issuer's keys cannot be fetched: 503 naming the identity provider."""

    status = 503

    def __init__(self, issuer: str) -> None:
        super().__init__(f"The identity provider {issuer} cannot be reached now.", identity_provider=issuer)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "5"}


@dataclass(frozen=True, slots=True)
class KeyPolicy:
    """How long keys are kept and how often the provider is asked."""

    cache_seconds: float = 600.0
    refetch_seconds: float = 10.0
    stale_seconds: float = 3600.0


def parse_jwks(document: Mapping[str, Any]) -> dict[str, jwt.PyJWK]:
    """Key id → signing key, for the RSA and P-256 keys of a JWKS that may sign RS256 or ES256."""
    keys: dict[str, jwt.PyJWK] = {}
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise JwksUnavailable("the document has no key list")
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("kty") not in _KEY_TYPES or entry.get("use", "sig") != "sig":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid:
            continue
        try:
            key = jwt.PyJWK(entry)
        except jwt.PyJWTError:
            continue  # one key we cannot use must not cost the others
        if key.algorithm_name in SUPPORTED_ALGORITHMS:
            keys[kid] = key
    return keys


class IssuerKeys:
    """One issuer's signing keys by key id."""

    def __init__(
        self,
        issuer: str,
        source: JwksSource,
        policy: KeyPolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self._source = source
        self._policy = policy
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched = -float("inf")
        self._attempted = -float("inf")
        self._attempts = 0
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def key(self, kid: str) -> jwt.PyJWK | None:
        """The key with ``kid``; None if the provider does not publish it; 503 if it cannot be asked."""
        now = self._clock()
        attempts = self._attempts
        if not self._usable(now):
            await self._refresh(attempts)
            return self._keys.get(kid)
        found = self._keys.get(kid)
        fresh = now - self._fetched < self._policy.cache_seconds
        if found is not None and fresh:
            return found
        if now - self._attempted < self._policy.refetch_seconds:
            return found
        await self._refresh(attempts)
        return self._keys.get(kid)

    def _usable(self, now: float) -> bool:
        return now - self._fetched < self._policy.cache_seconds + self._policy.stale_seconds

    async def _refresh(self, attempts: int) -> None:
        async with self._lock:
            # Whoever waited for the lock uses the attempt made meanwhile instead of asking again.
            # An attempt counts once it ended: a cancelled one leaves the next waiter to ask.
            if self._attempts == attempts:
                self._attempted = self._clock()
                self.fetches += 1
                try:
                    keys = parse_jwks(await self._source())
                except JwksUnavailable as error:
                    log.warning("gateway.jwks.unavailable", extra={"issuer": self.issuer, "error": str(error)})
                else:
                    self._keys, self._fetched = keys, self._attempted
                    log.info("gateway.jwks.fetched", extra={"issuer": self.issuer, "keys": len(keys)})
                self._attempts += 1
            if not self._usable(self._clock()):
                raise IdentityProviderUnavailable(self.issuer)
