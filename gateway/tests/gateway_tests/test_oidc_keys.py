"""An issuer's key set on a clock: kept, refreshed, asked again sparingly, served stale through an outage."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from gateway.jwks import IdentityProviderUnavailable, IssuerKeys, JwksUnavailable, KeyPolicy, parse_jwks
from gateway.oidc import identity_from_claims
from gateway.oidc_config import OidcIssuer, parse_oidc_issuers

from .oidc_support import new_ec, new_rsa, public_jwk
from .support import Clock

ISSUER = "https://login.example.org/realms/artland"
POLICY = KeyPolicy(cache_seconds=600, refetch_seconds=10, stale_seconds=3600)


class Provider:
    """A key set source that counts its calls and can fail or be slow."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = {"keys": [public_jwk(new_rsa(), "rsa-1")]}
        self.failing = False
        self.delay = 0.0
        self.calls = 0

    async def __call__(self) -> Mapping[str, Any]:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failing:
            raise JwksUnavailable("down")
        return self.document


def _keys(provider: Provider, clock: Clock) -> IssuerKeys:
    return IssuerKeys(ISSUER, provider, POLICY, clock=clock)


async def test_unknown_kids_ask_again_at_most_once_per_refetch_interval() -> None:
    provider, clock = Provider(), Clock(1000.0)
    keys = _keys(provider, clock)

    assert await keys.key("rsa-1") is not None
    assert [await keys.key(f"forged-{n}") for n in range(50)] == [None] * 50
    assert provider.calls == 1

    clock.now += 10
    provider.document["keys"].append(public_jwk(new_ec(), "ec-2"))
    assert await keys.key("ec-2") is not None
    assert provider.calls == 2


async def test_keys_are_refreshed_after_the_cache_time() -> None:
    provider, clock = Provider(), Clock(1000.0)
    keys = _keys(provider, clock)
    await keys.key("rsa-1")

    clock.now += 599
    await keys.key("rsa-1")
    assert provider.calls == 1
    clock.now += 2
    provider.document = {"keys": [public_jwk(new_rsa(), "rsa-2")]}
    assert await keys.key("rsa-1") is None
    assert provider.calls == 2


async def test_an_outage_serves_the_old_keys_for_the_stale_time_then_answers_503() -> None:
    provider, clock = Provider(), Clock(1000.0)
    keys = _keys(provider, clock)
    await keys.key("rsa-1")
    provider.failing = True

    clock.now += 601
    assert await keys.key("rsa-1") is not None
    assert await keys.key("rsa-1") is not None
    assert provider.calls == 2  # during the outage the provider is asked once per refetch interval

    clock.now += 3600
    with pytest.raises(IdentityProviderUnavailable):
        await keys.key("rsa-1")
    with pytest.raises(IdentityProviderUnavailable):
        await keys.key("rsa-1")
    assert provider.calls == 4  # with nothing to serve, every request asks again


async def test_concurrent_requests_share_one_fetch() -> None:
    provider, clock = Provider(), Clock(1000.0)
    provider.delay = 0.05
    keys = _keys(provider, clock)

    found = await asyncio.gather(*(keys.key("rsa-1") for _ in range(20)))

    assert all(key is not None for key in found)
    assert provider.calls == 1


async def test_a_slow_provider_does_not_hold_up_another_issuers_keys() -> None:
    slow, fast, clock = Provider(), Provider(), Clock(1000.0)
    slow.delay = 1.0
    slow_keys, fast_keys = _keys(slow, clock), IssuerKeys("https://other", fast, POLICY, clock=clock)

    pending = asyncio.create_task(slow_keys.key("rsa-1"))
    await asyncio.sleep(0)
    assert await asyncio.wait_for(fast_keys.key("rsa-1"), timeout=0.5) is not None
    pending.cancel()


def test_a_key_set_yields_only_asymmetric_signing_keys() -> None:
    document = {
        "keys": [
            public_jwk(new_rsa(), "rsa-1"),
            public_jwk(new_ec(), "ec-1"),
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0", "alg": "HS256"},
            {**public_jwk(new_rsa(), "enc-1"), "use": "enc", "alg": "RSA-OAEP"},
            {**public_jwk(new_rsa(), "ps-1"), "alg": "PS256"},
            {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
            {**public_jwk(new_rsa(), "no-kid"), "kid": ""},
        ]
    }

    assert sorted(parse_jwks(document)) == ["ec-1", "rsa-1"]
    with pytest.raises(JwksUnavailable):
        parse_jwks({"error": "no keys"})


def _config(**overrides: Any) -> OidcIssuer:
    return OidcIssuer(issuer=ISSUER, audience="zentrale", **overrides)


def test_the_jwks_url_defaults_to_keycloaks_certs_endpoint() -> None:
    assert _config().jwks_url == ISSUER + "/protocol/openid-connect/certs"
    assert _config(jwks_url="https://keys.example.org/jwks").jwks_url == "https://keys.example.org/jwks"


def test_without_a_role_map_only_our_own_role_names_count_and_never_system() -> None:
    claims = {"sub": "u1", "tenant": "artland", "realm_access": {"roles": ["agent", "system", "admin"]}}

    identity = identity_from_claims(_config(), claims)

    assert identity.roles == frozenset({"agent"})


def test_roles_may_be_a_space_separated_string_at_any_dotted_path() -> None:
    claims = {"sub": "u1", "tenant": ["artland"], "resource_access": {"zentrale": {"roles": "agent back_office"}}}

    identity = identity_from_claims(_config(roles_claim="resource_access.zentrale.roles"), claims)

    assert (identity.roles, identity.tenant_id) == (frozenset({"agent", "back_office"}), "artland")


def test_issuer_settings_refuse_a_map_to_system_duplicates_and_other_algorithms() -> None:
    base = {"issuer": ISSUER, "audience": "zentrale"}
    with pytest.raises(ValueError, match="system"):
        parse_oidc_issuers(f'[{{"issuer": "{ISSUER}", "audience": "z", "role_map": {{"admin": "system"}}}}]')
    with pytest.raises(ValueError, match="twice"):
        parse_oidc_issuers(str([base, base]).replace("'", '"'))
    with pytest.raises(ValueError, match="algorithms"):
        parse_oidc_issuers(f'[{{"issuer": "{ISSUER}", "audience": "z", "algorithms": ["HS256"]}}]')
    assert parse_oidc_issuers("") == []
