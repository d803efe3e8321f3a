"""Internal tokens are signed once per identity and tenant and reused for half their life."""

from __future__ import annotations

import jwt
import pytest

from gateway.tokens import TokenCache
from kit.errors import Unauthorized
from kit.identity import Identity, InternalTokenSigner, generate_signing_key

from .support import Clock, SigningMaterial

OPERATOR = Identity(subject="ops", tenant_id=None, roles=frozenset({"operator"}), kind="client")


def _cache(signing: SigningMaterial, clock: Clock) -> TokenCache:
    return TokenCache(InternalTokenSigner.from_pem(signing.pem, kid="gateway-test", ttl_seconds=60), clock=clock)


def test_token_is_reused_until_half_its_life(signing: SigningMaterial) -> None:
    clock = Clock()
    cache = _cache(signing, clock)

    first = cache.authorization(OPERATOR, "artland")
    clock.now += 29
    again = cache.authorization(OPERATOR, "artland")
    clock.now += 2
    renewed = cache.authorization(OPERATOR, "artland")

    assert first == again
    assert renewed != first
    claims = jwt.decode(renewed.removeprefix("Bearer "), options={"verify_signature": False})
    assert claims["iat"] == int(clock.now)
    assert claims["tenant"] == "artland"


def test_each_acting_tenant_gets_its_own_token(signing: SigningMaterial) -> None:
    cache = _cache(signing, Clock())

    artland = cache.authorization(OPERATOR, "artland").removeprefix("Bearer ")
    nobody = cache.authorization(OPERATOR, None).removeprefix("Bearer ")

    assert signing.verifier.verify(artland).tenant_id == "artland"
    assert signing.verifier.verify(nobody).tenant_id is None


def test_a_principal_acting_for_another_tenant_is_marked_delegated_with_its_home(signing: SigningMaterial) -> None:
    cache = _cache(signing, Clock())
    host_agent = Identity(subject="anna", tenant_id="oldenburg", roles=frozenset({"agent"}))

    for_partner = signing.verifier.verify(cache.authorization(host_agent, "artland").removeprefix("Bearer "))
    at_home = signing.verifier.verify(cache.authorization(host_agent, "oldenburg").removeprefix("Bearer "))
    operator = signing.verifier.verify(cache.authorization(OPERATOR, "artland").removeprefix("Bearer "))

    assert (for_partner.tenant_id, for_partner.delegated, for_partner.home_tenant_id) == ("artland", True, "oldenburg")
    assert (at_home.delegated, at_home.home_tenant_id) == (False, None)
    assert (operator.delegated, operator.home_tenant_id) == (True, None)


def test_cache_stays_bounded(signing: SigningMaterial) -> None:
    cache = TokenCache(InternalTokenSigner(generate_signing_key(), kid="k"), max_entries=3)

    for number in range(10):
        cache.authorization(OPERATOR, f"tenant-{number}")

    assert len(cache._entries) <= 3


def test_tokens_from_another_key_are_refused(signing: SigningMaterial) -> None:
    foreign = TokenCache(InternalTokenSigner(generate_signing_key(), kid="gateway-test"))
    token = foreign.authorization(OPERATOR, "artland").removeprefix("Bearer ")

    with pytest.raises(Unauthorized):
        signing.verifier.verify(token)
