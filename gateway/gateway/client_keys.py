"""API keys the tenants service issued: verified there once, then answered from a cache until it expires.

A warm hit is one SHA-256, one dict look-up and one comparison of times. Entries are dropped by the
tenants service's events (``gateway.key_events``): a revoked key stops working as soon as the event
arrives. Without NATS the positive TTL is the only bound.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import aiohttp
from pydantic import BaseModel, ConfigDict, ValidationError

from gateway.tokens import TokenCache
from kit.errors import ProblemError
from kit.http import client_session
from kit.identity import Identity

log = logging.getLogger("gateway.client_keys")

VERIFY_PATH = "/v1/internal/api-keys/verify"
# The tenants service's key format (``zk_<prefix>_<secret>``); other credentials belong to other resolvers.
TENANT_KEY = re.compile(r"zk_[a-z2-7]{8}_[a-z2-7]{52}")
GATEWAY_IDENTITY = Identity(subject="gateway", tenant_id=None, roles=frozenset({"system"}), kind="system")


class KeyVerifiedV1(BaseModel):
    """The fields of the tenants service's verification answer the gateway reads."""

    model_config = ConfigDict(extra="ignore")

    tenant_id: str
    client_id: str
    scopes: list[str] = []
    roles: list[str] = []
    expires_at: datetime | None = None


class KeyVerificationUnavailable(ProblemError):
    """The tenants service could not say whose key it is: 503 naming it."""

    status = 503

    def __init__(self) -> None:
        super().__init__("The tenants service cannot verify API keys now.", service="tenants")

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "1"}


@dataclass(frozen=True, slots=True)
class _Entry:
    identity: Identity
    expires: float
    client_id: str


def digest(key: str) -> bytes:
    """The cache key of an API key: its SHA-256, so the cache holds no key."""
    return hashlib.sha256(key.encode()).digest()


class KeyCache:
    """Verified keys by digest, indexed by client and tenant; unknown keys kept apart for a short while."""

    def __init__(self, *, max_entries: int = 100_000, clock: Callable[[], float] = time.time) -> None:
        self._max_entries = max_entries
        self.clock = clock
        self._known: dict[bytes, _Entry] = {}
        self._unknown: dict[bytes, float] = {}
        self._by_client: dict[str, set[bytes]] = {}
        self._by_tenant: dict[str, set[bytes]] = {}
        # Counts invalidations: an answer fetched across one may already be stale and is not kept.
        self.epoch = 0

    def __len__(self) -> int:
        return len(self._known) + len(self._unknown)

    def get(self, key_digest: bytes) -> Identity | Literal[False] | None:
        """The identity of a fresh known key, False for a fresh unknown one, None when the cache cannot say."""
        now = self.clock()
        entry = self._known.get(key_digest)
        if entry is not None:
            if entry.expires > now:
                return entry.identity
            self._forget(key_digest)
            return None
        until = self._unknown.get(key_digest)
        if until is not None:
            if until > now:
                return False
            del self._unknown[key_digest]
        return None

    def put(self, key_digest: bytes, identity: Identity, *, client_id: str, expires: float) -> None:
        """Keep a verified key until ``expires``."""
        self._make_room(self._known)
        self._known[key_digest] = _Entry(identity, expires, client_id)
        self._by_client.setdefault(client_id, set()).add(key_digest)
        if identity.tenant_id is not None:
            self._by_tenant.setdefault(identity.tenant_id, set()).add(key_digest)

    def put_unknown(self, key_digest: bytes, *, expires: float) -> None:
        """Remember until ``expires`` that the tenants service does not know this key."""
        self._make_room(self._unknown)
        self._unknown[key_digest] = expires

    def drop_client(self, client_id: str) -> None:
        """Forget every key of an API client."""
        self.epoch += 1
        for key_digest in self._by_client.pop(client_id, ()):
            self._forget(key_digest)

    def drop_tenant(self, tenant_id: str) -> None:
        """Forget every key of a tenant, and every unknown key: some may have been the tenant's."""
        self.epoch += 1
        for key_digest in self._by_tenant.pop(tenant_id, ()):
            self._forget(key_digest)
        self._unknown.clear()

    def clear(self) -> None:
        """Forget everything."""
        self.epoch += 1
        self._known.clear()
        self._unknown.clear()
        self._by_client.clear()
        self._by_tenant.clear()

    def _forget(self, key_digest: bytes) -> None:
        entry = self._known.pop(key_digest, None)
        if entry is None:
            return
        _discard(self._by_client, entry.client_id, key_digest)
        if entry.identity.tenant_id is not None:
            _discard(self._by_tenant, entry.identity.tenant_id, key_digest)

    def _make_room(self, entries: dict[bytes, _Entry] | dict[bytes, float]) -> None:
        if len(entries) < self._max_entries:
            return
        now = self.clock()
        if entries is self._known:
            for key_digest in [d for d, entry in self._known.items() if entry.expires <= now]:
                self._forget(key_digest)
        else:
            self._unknown = {d: until for d, until in self._unknown.items() if until > now}
        if len(self._known) >= self._max_entries or len(self._unknown) >= self._max_entries:
            self.clear()


def _discard(index: dict[str, set[bytes]], name: str, key_digest: bytes) -> None:
    digests = index.get(name)
    if digests is not None:
        digests.discard(key_digest)
        if not digests:
            del index[name]


@dataclass(frozen=True, slots=True)
class VerifierConfig:
    """What the verifier needs of the settings."""

    tenants_url: str
    positive_seconds: float = 60.0
    negative_seconds: float = 5.0
    timeout: float = 2.0


class TenantKeyVerifier:
    """Resolves ``zk_`` keys through the tenants service, cached; many first requests share one call."""

    def __init__(self, config: VerifierConfig, *, tokens: TokenCache, cache: KeyCache | None = None) -> None:
        self.config = config
        self.cache = cache if cache is not None else KeyCache()
        self._tokens = tokens
        self._url = config.tenants_url.rstrip("/") + VERIFY_PATH
        self._inflight: dict[bytes, asyncio.Task[Identity | None]] = {}
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        """Create the client session for the tenants service (inside the running event loop)."""
        self._session = client_session(
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=self.config.timeout),
            raise_for_status=False,
        )

    async def close(self) -> None:
        """Wait for no verification and close the client session."""
        for task in list(self._inflight.values()):
            task.cancel()
        if self._session is not None:
            await self._session.close()

    async def resolve(self, credential: str) -> Identity | None:
        """The identity of a working tenant-issued key; None for other credentials and unknown keys."""
        if TENANT_KEY.fullmatch(credential) is None:
            return None
        key_digest = digest(credential)
        cached = self.cache.get(key_digest)
        if cached is not None:
            return cached or None
        task = self._inflight.get(key_digest)
        if task is None:
            task = asyncio.create_task(self._verify(credential, key_digest))
            self._inflight[key_digest] = task
            task.add_done_callback(lambda done: self._settled(key_digest, done))
        # One caller hanging up must not cancel the call the others wait for.
        return await asyncio.shield(task)

    def _settled(self, key_digest: bytes, task: asyncio.Task[Identity | None]) -> None:
        self._inflight.pop(key_digest, None)
        if not task.cancelled():
            task.exception()  # retrieved here, so a failure nobody awaited any more is not logged as lost

    async def _verify(self, key: str, key_digest: bytes) -> Identity | None:
        epoch = self.cache.epoch
        answer = await self._ask(key)
        now = self.cache.clock()
        keep = self.cache.epoch == epoch
        if answer is None:
            if keep:
                self.cache.put_unknown(key_digest, expires=now + self.config.negative_seconds)
            return None
        identity = Identity(
            subject=f"client:{answer.client_id}",
            tenant_id=answer.tenant_id,
            roles=frozenset(answer.roles),
            scopes=frozenset(answer.scopes),
            kind="client",
        )
        expires = now + self.config.positive_seconds
        if answer.expires_at is not None:
            expires = min(expires, answer.expires_at.timestamp())
        if keep and expires > now:
            self.cache.put(key_digest, identity, client_id=answer.client_id, expires=expires)
        return identity

    async def _ask(self, key: str) -> KeyVerifiedV1 | None:
        if self._session is None:
            raise RuntimeError("the key verifier is not open")
        headers = {
            "Authorization": self._tokens.authorization(GATEWAY_IDENTITY, None),
            "Accept": "application/json",
        }
        try:
            async with self._session.post(self._url, json={"key": key}, headers=headers) as response:
                if response.status == 404:
                    return None
                if response.status != 200:
                    log.warning("gateway.key_verification.refused", extra={"status": response.status})
                    raise KeyVerificationUnavailable()
                return KeyVerifiedV1.model_validate_json(await response.read())
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("gateway.key_verification.unreachable", extra={"error": type(error).__name__})
            raise KeyVerificationUnavailable() from None
        except ValidationError:
            log.warning("gateway.key_verification.unreadable")
            raise KeyVerificationUnavailable() from None
