"""Fixed windows, limits per caller and tenant, per-tenant overrides, and the headers that announce them."""

from __future__ import annotations

import re

import pytest

from gateway.rate_limit_store import ReplicaCounts, parse_counts
from gateway.rate_limits import (
    RateLimitConfig,
    RateLimited,
    RateLimiter,
    seconds_left,
    subject_key,
    window_start,
)
from gateway.settings import parse_rate_limit_overrides
from kit.identity import Identity

from .support import Clock, SigningMaterial, closed_url, gateway_settings

KV_KEY = re.compile(r"^[-/_=.a-zA-Z0-9]+$")
T0 = 1_800_000_000.0  # a window boundary for windows of 60 s


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


def test_limit_keys_name_no_subject_and_are_valid_key_value_tokens() -> None:
    key = subject_key("user:anna.müller@artland.de *>")
    assert KV_KEY.fullmatch(key)
    assert key.startswith("client.")
    assert "anna" not in key
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
    limiter = _limiter(Clock(T0))
    for subject in ("app-1", "app-2"):
        for _ in range(2):
            limiter.admit(_client(subject, "artland"))
    limiter.admit(_client("app-3", "artland"))
    with pytest.raises(RateLimited) as refused:
        limiter.admit(_client("app-3", "artland"))
    assert refused.value.extensions["limit"] == "tenant"
    assert dict(limiter.admit(_client("burg-app", "burg")))["RateLimit"] == '"client";r=2;t=60, "tenant";r=4;t=60'


def test_a_refused_request_is_not_counted() -> None:
    limiter = _limiter(Clock(T0), client=1)
    caller = _client("app", "artland")
    limiter.admit(caller)
    for _ in range(3):
        with pytest.raises(RateLimited):
            limiter.admit(caller)
    assert dict(limiter.admit(_client("other", "artland")))["RateLimit"].endswith('"tenant";r=3;t=60')


def test_operators_are_limited_per_client_only() -> None:
    limiter = _limiter(Clock(T0))
    operator = _client("ops-console", None)
    headers = dict(limiter.admit(operator))
    assert headers == {"RateLimit-Policy": '"client";q=3;w=60', "RateLimit": '"client";r=2;t=60'}
    limiter.admit(operator)
    limiter.admit(operator)
    with pytest.raises(RateLimited) as refused:
        limiter.admit(operator)
    assert refused.value.headers()["RateLimit"] == '"client";r=0;t=60'


def test_a_tenant_override_replaces_only_the_limits_it_names() -> None:
    limiter = _limiter(Clock(T0), overrides={"artland": (10, None), "burg": (None, 1)})
    assert dict(limiter.admit(_client("app", "artland")))["RateLimit-Policy"] == '"client";q=10;w=60, "tenant";q=5;w=60'
    limiter.admit(_client("app", "burg"))
    with pytest.raises(RateLimited) as refused:
        limiter.admit(_client("other", "burg"))
    assert refused.value.extensions["limit"] == "tenant"


def test_a_new_window_starts_from_zero_and_drops_the_old_counters() -> None:
    clock = Clock(T0)
    limiter = _limiter(clock)
    caller = _client("app", "artland")
    for _ in range(3):
        limiter.admit(caller)
    clock.now += 60
    assert dict(limiter.admit(caller))["RateLimit"] == '"client";r=2;t=60, "tenant";r=4;t=60'
    assert {counter.window for counter in limiter.counters()} == {int(T0) + 60}


def test_what_the_other_replicas_admitted_counts_against_the_limit() -> None:
    limiter = _limiter(Clock(T0))
    caller = _client("app", "artland")
    limiter.admit(caller)
    limiter.add_others(int(T0), subject_key("app"), 1)

    limiter.admit(caller)
    with pytest.raises(RateLimited):
        limiter.admit(caller)
    assert limiter.own_counts() == (int(T0), {subject_key("app"): 2, "tenant.artland": 2})


def test_the_others_documents_are_summed_as_totals_so_a_repeated_or_replaced_one_counts_once() -> None:
    clock = Clock(T0)
    limiter = _limiter(clock, client=100, tenant=100)
    others = ReplicaCounts(limiter, replica="me")
    window = int(T0)

    others.receive(f"{window}.a", {"tenant.artland": 3})
    others.receive(f"{window}.b", {"tenant.artland": 4, "tenant.burg": 1})
    others.receive(f"{window}.a", {"tenant.artland": 5})
    others.receive(f"{window}.a", {"tenant.artland": 5})
    others.receive(f"{window}.me", {"tenant.artland": 50})
    others.receive(f"{window - 60}.c", {"tenant.artland": 50})

    headers = dict(limiter.admit(_client("app", "artland")))
    assert headers["RateLimit"] == '"client";r=99;t=60, "tenant";r=90;t=60'
    clock.now += 60
    others.receive(f"{window + 60}.a", {"tenant.burg": 2})
    headers = dict(limiter.admit(_client("app", "artland")))
    assert headers["RateLimit"] == '"client";r=99;t=60, "tenant";r=99;t=60'


def test_a_document_that_is_not_counts_counts_for_nothing() -> None:
    assert parse_counts(b'{"tenant.artland": 3, "x": "many", "y": -1}') == {"tenant.artland": 3}
    assert parse_counts(b"[1, 2]") == {}
    assert parse_counts(b"not json") == {}
    assert parse_counts(None) == {}


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
