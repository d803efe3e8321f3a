"""Rate limits per caller and per tenant in fixed windows, decided locally from counts shared by all replicas.

The hot path is a dict look-up and an integer add: a request is admitted against what this replica
admitted in the window plus what the other replicas last reported. ``gateway.rate_limit_store`` shares
this replica's counts through NATS key-value in the background and brings the others' back. Headers follow
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
PUBLIC = "public"
_MAX_SUBJECTS = 65_536

HeaderPairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Limits:
    """Requests one caller and one tenant may make per window, and the policy header that announces them."""

    client: int
    tenant: int
    window: int
    public: int = 3000
    client_policy: str = field(init=False)
    tenant_policy: str = field(init=False)
    public_policy: str = field(init=False)

    def __post_init__(self) -> None:
        # Built once: every response carries them.
        object.__setattr__(self, "client_policy", f'"{CLIENT}";q={self.client};w={self.window}')
        object.__setattr__(
            self, "tenant_policy", f"{self.client_policy}, " + f'"{TENANT}";q={self.tenant};w={self.window}'
        )
        object.__setattr__(
            self, "public_policy", f"{self.client_policy}, " + f'"{PUBLIC}";q={self.public};w={self.window}'
        )


@dataclass(frozen=True, slots=True)
class RateLimitConfig:
    """The default limits, per-tenant overrides and how the counts are shared."""

    client: int
    tenant: int
    window: int
    overrides: Mapping[str, tuple[int | None, int | None]] = field(default_factory=dict)
    public: int = 3000
    flush_interval: float = 0.2
    bucket: str = "ZENTRALE_RATELIMITS"
    replicas: int = 1

    def limits(self) -> tuple[Limits, dict[str, Limits]]:
        """The default limits and those of each tenant with an override."""
        default = Limits(self.client, self.tenant, self.window, self.public)
        per_tenant = {
            tenant: Limits(client or self.client, tenant_limit or self.tenant, self.window, self.public)
            for tenant, (client, tenant_limit) in self.overrides.items()
        }
        return default, per_tenant


class RateLimited(ProblemError):
    """A caller or its tenant used up the window's requests: 429 naming the limit, with when to retry."""

    status = 429

    def __init__(self, limit: str, *, quota: int, window: int, retry_after: int, headers: HeaderPairs) -> None:
        who = {CLIENT: "This caller", TENANT: "This caller's tenant", PUBLIC: "The public of this tenant"}[limit]
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
    """Requests of one limit key in one window: this replica's own, and the other replicas' last reported."""

    __slots__ = ("key", "others", "own", "window")

    def __init__(self, key: str, window: int, others: int = 0) -> None:
        self.key = key
        self.window = window
        self.own = 0
        self.others = others

    @property
    def used(self) -> int:
        """Requests counted in this window, as far as this replica knows."""
        return self.own + self.others


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


class RateLimiter:
    """Admits or refuses requests against the limits; never waits on the network."""

    def __init__(self, config: RateLimitConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self._default, self._per_tenant = config.limits()
        self._window = config.window
        self.clock = clock
        self._counters: dict[str, Counter] = {}
        self._others: dict[tuple[int, str], int] = {}
        self._subjects: dict[str, str] = {}

    def limits_for(self, tenant: str | None) -> Limits:
        """The limits that apply to callers of ``tenant`` (operators: the defaults)."""
        if tenant is None:
            return self._default
        return self._per_tenant.get(tenant, self._default)

    def admit(self, identity: Identity) -> HeaderPairs:
        """Count one request of ``identity``, or raise ``RateLimited``; return the headers to answer with."""
        now = self.clock()
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
            client.own += 1
            state = f'"{CLIENT}";r={client_left - 1};t={reset}'
            return (("RateLimit-Policy", limits.client_policy), ("RateLimit", state))
        # The public reading a tenant's public routes has a budget of its own, so it cannot use up the staff's.
        group, quota, policy = (
            (PUBLIC, limits.public, limits.public_policy)
            if identity.kind == "anonymous"
            else (TENANT, limits.tenant, limits.tenant_policy)
        )
        shared = self._counter(f"{group}.{tenant}", start)
        tenant_left = quota - shared.used
        if client_left <= 0 or tenant_left <= 0:
            state = f'"{CLIENT}";r={max(client_left, 0)};t={reset}, "{group}";r={max(tenant_left, 0)};t={reset}'
            hit, hit_quota = (CLIENT, limits.client) if client_left <= 0 else (group, quota)
            raise self._refused(hit, hit_quota, limits, reset, state, policy=policy)
        client.own += 1
        shared.own += 1
        state = f'"{CLIENT}";r={client_left - 1};t={reset}, "{group}";r={tenant_left - 1};t={reset}'
        return (("RateLimit-Policy", policy), ("RateLimit", state))

    def counters(self) -> Iterator[Counter]:
        """The counters of the current window; those of past windows are dropped."""
        start = window_start(self.clock(), self._window)
        stale = [key for key, counter in self._counters.items() if counter.window != start]
        for key in stale:
            del self._counters[key]
        return iter(list(self._counters.values()))

    def own_counts(self) -> tuple[int, dict[str, int]]:
        """The current window's start and what this replica admitted in it, per limit key."""
        start = window_start(self.clock(), self._window)
        return start, {counter.key: counter.own for counter in self.counters() if counter.own}

    def add_others(self, window: int, key: str, change: int) -> None:
        """Add to what the other replicas together admitted for ``key`` in the window beginning at ``window``."""
        if window < window_start(self.clock(), self._window):
            return
        total = self._others[(window, key)] = self._others.get((window, key), 0) + change
        counter = self._counters.get(key)
        if counter is not None and counter.window == window:
            counter.others = total

    def forget_before(self, window: int) -> None:
        """Drop what the others reported for windows before ``window``."""
        self._others = {slot: total for slot, total in self._others.items() if slot[0] >= window}

    def _counter(self, key: str, start: int) -> Counter:
        counter = self._counters.get(key)
        if counter is None or counter.window != start:
            counter = Counter(key, start, self._others.get((start, key), 0))
            self._counters[key] = counter
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
