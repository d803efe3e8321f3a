"""Rate limits per caller and per tenant in fixed windows, decided locally from counts shared by all replicas.

The hot path is a dict look-up and an integer add: a request is admitted against the shared count last
read from the store plus what this replica admitted since. ``gateway.rate_limit_store`` sends those
local increments to NATS key-value in the background and reads the shared count back. Headers follow
draft-ietf-httpapi-ratelimit-headers (``RateLimit-Policy: "client";q=600;w=60``,
``RateLimit: "client";r=599;t=17``).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from kit.errors import ProblemError
from kit.identity import Identity

CLIENT = "client"
TENANT = "tenant"
_MAX_SUBJECTS = 65_536

HeaderPairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Limits:
    """Requests one caller and one tenant may make per window, and the policy header that announces them."""

    client: int
    tenant: int
    window: int
    client_policy: str = field(init=False)
    tenant_policy: str = field(init=False)

    def __post_init__(self) -> None:
        # Built once: every response carries them.
        object.__setattr__(self, "client_policy", f'"{CLIENT}";q={self.client};w={self.window}')
        object.__setattr__(
            self, "tenant_policy", f"{self.client_policy}, " + f'"{TENANT}";q={self.tenant};w={self.window}'
        )


@dataclass(frozen=True, slots=True)
class RateLimitConfig:
    """The default limits, per-tenant overrides and how the counts are shared."""

    client: int
    tenant: int
    window: int
    overrides: Mapping[str, tuple[int | None, int | None]] = field(default_factory=dict)
    flush_interval: float = 0.2
    bucket: str = "ZENTRALE_RATELIMITS"
    replicas: int = 1

    def limits(self) -> tuple[Limits, dict[str, Limits]]:
        """The default limits and those of each tenant with an override."""
        default = Limits(self.client, self.tenant, self.window)
        per_tenant = {
            tenant: Limits(client or self.client, tenant_limit or self.tenant, self.window)
            for tenant, (client, tenant_limit) in self.overrides.items()
        }
        return default, per_tenant


class RateLimited(ProblemError):
    """A caller or its tenant used up the window's requests: 429 naming the limit, with when to retry."""

    status = 429

    def __init__(self, limit: str, *, quota: int, window: int, retry_after: int, headers: HeaderPairs) -> None:
        who = "This API client" if limit == CLIENT else "This client's tenant"
        super().__init__(
            f"{who} has made {quota} requests in {window} s, the most allowed. Retry in {retry_after} s.",
            limit=limit,
            quota=quota,
            window=window,
        )
        self.retry_after = retry_after
        self._headers = headers

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after), **dict(self._headers)}


class Counter:
    """Requests of one limit key in one window: the shared count last read, and what this replica added."""

    __slots__ = ("key", "local", "revision", "sending", "shared", "window")

    def __init__(self, key: str, window: int) -> None:
        self.key = key
        self.window = window
        self.local = 0
        self.sending = 0
        self.shared = 0
        self.revision = 0

    @property
    def used(self) -> int:
        """Requests counted in this window, as far as this replica knows."""
        return self.shared + self.sending + self.local


def subject_key(subject: str) -> str:
    """The key part of a caller: a digest, since subjects may hold characters key-value keys may not."""
    return f"{CLIENT}.{hashlib.sha256(subject.encode()).hexdigest()[:32]}"


def window_start(now: float, window: int) -> int:
    """The start (epoch seconds) of the fixed window that holds ``now``: the same on every replica."""
    second = int(now)
    return second - second % window


def seconds_left(now: float, start: int, window: int) -> int:
    """Whole seconds until the window that began at ``start`` ends, at least 1."""
    return max(1, math.ceil(start + window - now))


def store_key(prefix: str, start: int) -> str:
    """The key-value key of a limit key in the window beginning at ``start``."""
    return f"{prefix}.{start}"


class RateLimiter:
    """Admits or refuses requests against the limits; never waits on the network."""

    def __init__(self, config: RateLimitConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self._default, self._per_tenant = config.limits()
        self._window = config.window
        self._clock = clock
        self._counters: dict[str, Counter] = {}
        self._subjects: dict[str, str] = {}

    def limits_for(self, tenant: str | None) -> Limits:
        """The limits that apply to callers of ``tenant`` (operators: the defaults)."""
        if tenant is None:
            return self._default
        return self._per_tenant.get(tenant, self._default)

    def admit(self, identity: Identity) -> HeaderPairs:
        """Count one request of ``identity``, or raise ``RateLimited``; return the headers to answer with."""
        now = self._clock()
        window = self._window
        start = window_start(now, window)
        tenant = identity.tenant_id
        limits = self._per_tenant.get(tenant, self._default) if tenant is not None else self._default
        prefix = self._subjects.get(identity.subject)
        if prefix is None:
            prefix = self._remember(identity.subject)
        client = self._counter(prefix, start)
        client_left = limits.client - client.used
        reset = seconds_left(now, start, window)
        if tenant is None:
            if client_left <= 0:
                raise self._refused(CLIENT, limits.client, limits, reset, f'"{CLIENT}";r=0;t={reset}')
            client.local += 1
            state = f'"{CLIENT}";r={client_left - 1};t={reset}'
            return (("RateLimit-Policy", limits.client_policy), ("RateLimit", state))
        shared = self._counter(f"{TENANT}.{tenant}", start)
        tenant_left = limits.tenant - shared.used
        if client_left <= 0 or tenant_left <= 0:
            state = f'"{CLIENT}";r={max(client_left, 0)};t={reset}, "{TENANT}";r={max(tenant_left, 0)};t={reset}'
            hit, quota = (CLIENT, limits.client) if client_left <= 0 else (TENANT, limits.tenant)
            raise self._refused(hit, quota, limits, reset, state, policy=limits.tenant_policy)
        client.local += 1
        shared.local += 1
        state = f'"{CLIENT}";r={client_left - 1};t={reset}, "{TENANT}";r={tenant_left - 1};t={reset}'
        return (("RateLimit-Policy", limits.tenant_policy), ("RateLimit", state))

    def counters(self) -> Iterator[Counter]:
        """The counters of the current window; those of past windows are dropped."""
        start = window_start(self._clock(), self._window)
        stale = [key for key, counter in self._counters.items() if counter.window != start]
        for key in stale:
            del self._counters[key]
        return iter(list(self._counters.values()))

    def _counter(self, prefix: str, start: int) -> Counter:
        counter = self._counters.get(prefix)
        if counter is None or counter.window != start:
            # The past window's unsent increments no longer matter: its key counts for nothing now.
            counter = Counter(store_key(prefix, start), start)
            self._counters[prefix] = counter
        return counter

    def _remember(self, subject: str) -> str:
        if len(self._subjects) >= _MAX_SUBJECTS:
            self._subjects.clear()
        prefix = self._subjects[subject] = subject_key(subject)
        return prefix

    def _refused(
        self, limit: str, quota: int, limits: Limits, reset: int, state: str, *, policy: str | None = None
    ) -> RateLimited:
        headers = (("RateLimit-Policy", policy or limits.client_policy), ("RateLimit", state))
        return RateLimited(limit, quota=quota, window=limits.window, retry_after=reset, headers=headers)
