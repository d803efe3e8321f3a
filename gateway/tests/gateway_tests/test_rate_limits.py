"""Fixed windows, limits per caller and tenant, per-tenant overrides, and the headers that announce them."""

from __future__ import annotations

import re

import pytest

from gateway.rate_limits import (
    RateLimitConfig,
    RateLimited,
    RateLimiter,
    seconds_left,
    store_key,
    subject_key,
    window_start,
)
from gateway.settings import parse_rate_limit_overrides
from kit.identity import Identity

from .support import SigningMaterial, closed_url, gateway_settings

KV_KEY = re.compile(r"^[-/_=.a-zA-Z0-9]+$")
T0 = 1_800_000_000.0  # a window boundary for windows of 60 s


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _client(subject: str, tenant: str | None) -> Identity:
    return Identity(subject=subject, tenant_id=tenant, roles=frozenset(), scopes=frozenset(), kind="client")


def _limiter(clock: Clock, **overrides: object) -> RateLimiter:
    values: dict[str, object] = {"client": 3, "tenant": 5, "window": 60, **overrides}
    return RateLimiter(RateLimitConfig(**values), clock=clock)  # type: ignore[arg-type]


def test_windows_are_aligned_to_the_epoch_so_every_replica_counts_the_same_window() -> None:
    assert window_start(T0, 60) == T0
    assert window_start(T0 + 59.999, 60) == T0
    assert window_start(T0 + 60, 60) == T0 + 60
    assert seconds_left(T0 + 42.2, int(T0), 60) == 18
    assert seconds_left(T0 + 59.9, int(T0), 60) == 1


def test_store_keys_are_valid_key_value_keys_whatever_the_subject_holds() -> None:
    key = store_key(subject_key("user:anna.müller@artland.de *>"), int(T0))
    assert KV_KEY.fullmatch(key)
    assert key.startswith("client.")
    assert key.endswith(f".{int(T0)}")
    assert subject_key("a") != subject_key("b")


def test_a_client_gets_its_quota_then_429_naming_the_client_limit_with_retry_after() -> None:
    clock = Clock(T0 + 17.5)
    limiter = _limiter(clock)
    caller = _client("artland-app", "artland")
    answers = [dict(limiter.admit(caller)) for _ in range(3)]
    assert answers[0]["RateLimit-Policy"] == '"client";q=3;w=60, "tenant";q=5;w=60'
    assert [a["RateLimit"] for a in answers] == [
        '"client";r=2;t=43, "tenant";r=4;t=43',
        '"client";r=1;t=43, "tenant";r=3;t=43',
        '"client";r=0;t=43, "tenant";r=2;t=43',
    ]
    with pytest.raises(RateLimited) as refused:
        limiter.admit(caller)
    error = refused.value
    assert error.status == 429
    assert error.headers() == {
        "Retry-After": "43",
        "RateLimit-Policy": '"client";q=3;w=60, "tenant";q=5;w=60',
        "RateLimit": '"client";r=0;t=43, "tenant";r=2;t=43',
    }
    document = error.to_problem(instance="/v1/x")
    assert document["status"] == 429
    assert (document["limit"], document["quota"], document["window"]) == ("client", 3, 60)


def test_the_tenant_limit_holds_across_its_clients_and_spares_other_tenants() -> None:
    limiter = _limiter(Clock())
    for subject in ("app-1", "app-2"):
        for _ in range(2):
            limiter.admit(_client(subject, "artland"))
    limiter.admit(_client("app-3", "artland"))
    with pytest.raises(RateLimited) as refused:
        limiter.admit(_client("app-3", "artland"))
    assert refused.value.extensions["limit"] == "tenant"
    assert dict(limiter.admit(_client("burg-app", "burg")))["RateLimit"] == '"client";r=2;t=60, "tenant";r=4;t=60'


def test_a_refused_request_is_not_counted() -> None:
    limiter = _limiter(Clock(), client=1)
    caller = _client("app", "artland")
    limiter.admit(caller)
    for _ in range(3):
        with pytest.raises(RateLimited):
            limiter.admit(caller)
    assert dict(limiter.admit(_client("other", "artland")))["RateLimit"].endswith('"tenant";r=3;t=60')


def test_operators_are_limited_per_client_only() -> None:
    limiter = _limiter(Clock())
    operator = _client("ops-console", None)
    headers = dict(limiter.admit(operator))
    assert headers == {"RateLimit-Policy": '"client";q=3;w=60', "RateLimit": '"client";r=2;t=60'}
    limiter.admit(operator)
    limiter.admit(operator)
    with pytest.raises(RateLimited) as refused:
        limiter.admit(operator)
    assert refused.value.headers()["RateLimit"] == '"client";r=0;t=60'


def test_a_tenant_override_replaces_only_the_limits_it_names() -> None:
    limiter = _limiter(Clock(), overrides={"artland": (10, None), "burg": (None, 1)})
    assert dict(limiter.admit(_client("app", "artland")))["RateLimit-Policy"] == '"client";q=10;w=60, "tenant";q=5;w=60'
    limiter.admit(_client("app", "burg"))
    with pytest.raises(RateLimited) as refused:
        limiter.admit(_client("other", "burg"))
    assert refused.value.extensions["limit"] == "tenant"


def test_a_new_window_starts_from_zero_and_drops_the_old_counters() -> None:
    clock = Clock()
    limiter = _limiter(clock)
    caller = _client("app", "artland")
    for _ in range(3):
        limiter.admit(caller)
    clock.now += 60
    assert dict(limiter.admit(caller))["RateLimit"] == '"client";r=2;t=60, "tenant";r=4;t=60'
    assert {counter.window for counter in limiter.counters()} == {int(T0) + 60}


def test_the_shared_count_and_what_is_being_sent_count_against_the_limit() -> None:
    limiter = _limiter(Clock())
    caller = _client("app", "artland")
    limiter.admit(caller)
    for counter in limiter.counters():
        counter.shared, counter.sending = 1, counter.local
        counter.local = 0
    limiter.admit(caller)
    with pytest.raises(RateLimited):
        limiter.admit(caller)


def test_settings_read_overrides_and_refuse_unknown_fields_or_tenants(signing: SigningMaterial) -> None:
    settings = gateway_settings(
        signing,
        {"tenants": closed_url()},
        rate_limit_client=100,
        rate_limit_overrides='{"artland": {"client": 7}, "burg": {"tenant": 9}}',
    )
    config = settings.rate_limit_config()
    assert (config.client, config.tenant, config.window) == (100, 3000, 60)
    assert config.overrides == {"artland": (7, None), "burg": (None, 9)}
    assert parse_rate_limit_overrides("") == {}
    with pytest.raises(ValueError, match="client"):
        parse_rate_limit_overrides('{"artland": {"client": 0}}')
    with pytest.raises(ValueError, match="invalid rate-limit overrides"):
        parse_rate_limit_overrides('{"Not A Tenant": {"client": 5}}')
    with pytest.raises(ValueError, match="requests"):
        parse_rate_limit_overrides('{"artland": {"requests": 5}}')
