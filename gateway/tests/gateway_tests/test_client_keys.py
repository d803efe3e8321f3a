"""Keys the tenants service issued: verified there once, cached, refused or unavailable as it answers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from gateway.client_keys import KeyCache, TenantKeyVerifier, VerifierConfig, digest
from gateway.tokens import TokenCache
from kit.identity import Identity, InternalTokenSigner

from .support import ARTLAND_KEY, KID, Clock, GatewayFactory, KeyService, SigningMaterial, tenant_key, verified

Client = TestClient[Any, Any]
CLIENT_ID = "5d2c7c1e-8d3a-4f6e-9a51-2b7e0c9d4f10"
KNOWLEDGE = "/v1/tenants/artland/knowledge/articles"


async def _gateway(make_gateway: GatewayFactory, key_service: KeyService, **overrides: Any) -> Client:
    return await make_gateway(tenants_url=key_service.url, **overrides)


async def test_a_tenant_key_is_verified_once_then_served_from_the_cache(
    make_gateway: GatewayFactory, key_service: KeyService
) -> None:
    key = tenant_key()
    key_service.answers[key] = verified("artland", CLIENT_ID)
    gateway = await _gateway(make_gateway, key_service)

    first = await gateway.get(KNOWLEDGE, headers={"Authorization": f"Bearer {key}"})
    second = await gateway.get(KNOWLEDGE, headers={"X-API-Key": key})

    assert (first.status, second.status) == (200, 200)
    assert key_service.calls == 1
    caller = key_service.callers[0]
    assert (caller.subject, caller.kind, caller.tenant_id, caller.roles) == (
        "gateway",
        "system",
        None,
        frozenset({"system"}),
    )
    identity = (await second.json())["identity"]
    assert identity["subject"] == f"client:{CLIENT_ID}"
    assert (identity["tenant"], identity["kind"]) == ("artland", "client")
    assert (identity["roles"], identity["scopes"]) == (["integration_client"], ["knowledge:read", "open311:write"])


async def test_the_configured_keys_work_beside_tenant_keys_without_asking_the_tenants_service(
    make_gateway: GatewayFactory, key_service: KeyService
) -> None:
    gateway = await _gateway(make_gateway, key_service)

    response = await gateway.get(KNOWLEDGE, headers={"X-API-Key": ARTLAND_KEY})

    assert response.status == 200
    assert key_service.calls == 0


async def test_an_unknown_key_is_refused_and_remembered_for_a_short_while(
    make_gateway: GatewayFactory, key_service: KeyService
) -> None:
    key = tenant_key()
    gateway = await _gateway(make_gateway, key_service, key_negative_cache_seconds=0.3)

    refused = [await gateway.get(KNOWLEDGE, headers={"X-API-Key": key}) for _ in range(3)]
    assert [response.status for response in refused] == [401, 401, 401]
    assert refused[0].headers["WWW-Authenticate"].startswith("Bearer")
    assert key_service.calls == 1

    key_service.answers[key] = verified("artland", CLIENT_ID)
    await asyncio.sleep(0.35)
    assert (await gateway.get(KNOWLEDGE, headers={"X-API-Key": key})).status == 200
    assert key_service.calls == 2


async def test_credentials_not_shaped_like_tenant_keys_never_reach_the_tenants_service(
    make_gateway: GatewayFactory, key_service: KeyService
) -> None:
    gateway = await _gateway(make_gateway, key_service)

    for credential in ("nope", tenant_key()[:-1], tenant_key().upper(), tenant_key() + "x"):
        assert (await gateway.get(KNOWLEDGE, headers={"X-API-Key": credential})).status == 401
    assert key_service.calls == 0


async def test_the_tenants_service_down_or_failing_answers_503_naming_it_and_is_not_cached(
    make_gateway: GatewayFactory, key_service: KeyService
) -> None:
    key = tenant_key()
    key_service.answers[key] = verified("artland", CLIENT_ID)
    key_service.status = 500
    gateway = await _gateway(make_gateway, key_service)

    failing = await gateway.get(KNOWLEDGE, headers={"X-API-Key": key})
    assert failing.status == 503
    assert failing.headers["Content-Type"] == "application/problem+json"
    assert (await failing.json())["service"] == "tenants"

    key_service.status = None
    assert (await gateway.get(KNOWLEDGE, headers={"X-API-Key": key})).status == 200
    assert key_service.calls == 2

    await key_service.stop()
    unknown = await gateway.get(KNOWLEDGE, headers={"X-API-Key": tenant_key()})
    assert unknown.status == 503
    assert "tenants" in (await unknown.json())["detail"]


async def test_a_slow_tenants_service_answers_503(make_gateway: GatewayFactory, key_service: KeyService) -> None:
    key_service.delay = 1.0
    gateway = await _gateway(make_gateway, key_service, key_verify_timeout=0.2)

    response = await gateway.get(KNOWLEDGE, headers={"X-API-Key": tenant_key()})

    assert response.status == 503
    assert (await response.json())["service"] == "tenants"


async def test_concurrent_first_requests_with_one_key_share_one_verification(
    make_gateway: GatewayFactory, key_service: KeyService
) -> None:
    key = tenant_key()
    key_service.answers[key] = verified("artland", CLIENT_ID)
    key_service.delay = 0.2
    gateway = await _gateway(make_gateway, key_service)

    responses = await asyncio.gather(*(gateway.get(KNOWLEDGE, headers={"X-API-Key": key}) for _ in range(20)))

    assert [response.status for response in responses] == [200] * 20
    assert key_service.calls == 1


def _verifier(signing: SigningMaterial, key_service: KeyService, clock: Clock, **config: Any) -> TenantKeyVerifier:
    signer = InternalTokenSigner.from_pem(signing.pem, kid=KID)
    return TenantKeyVerifier(
        VerifierConfig(tenants_url=key_service.url, **config),
        tokens=TokenCache(signer),
        cache=KeyCache(clock=clock),
    )


async def test_a_cached_key_is_asked_again_after_the_positive_ttl(
    signing: SigningMaterial, key_service: KeyService
) -> None:
    key = tenant_key()
    key_service.answers[key] = verified("artland", CLIENT_ID)
    clock = Clock()
    verifier = _verifier(signing, key_service, clock, positive_seconds=60)
    await verifier.open()
    try:
        assert await verifier.resolve(key) is not None
        clock.now += 59
        assert await verifier.resolve(key) is not None
        assert key_service.calls == 1
        clock.now += 2
        assert await verifier.resolve(key) is not None
        assert key_service.calls == 2
    finally:
        await verifier.close()


async def test_a_rotated_key_is_cached_no_longer_than_it_works(
    signing: SigningMaterial, key_service: KeyService
) -> None:
    key = tenant_key()
    clock = Clock()
    ends = datetime.fromtimestamp(clock.now, UTC) + timedelta(seconds=10)
    key_service.answers[key] = verified("artland", CLIENT_ID, expires_at=ends.isoformat())
    verifier = _verifier(signing, key_service, clock, positive_seconds=60)
    await verifier.open()
    try:
        assert await verifier.resolve(key) is not None
        clock.now += 9
        assert await verifier.resolve(key) is not None
        assert key_service.calls == 1

        del key_service.answers[key]
        clock.now += 2
        assert await verifier.resolve(key) is None
        assert key_service.calls == 2
    finally:
        await verifier.close()


def _identity(tenant: str, client: str) -> Identity:
    return Identity(subject=f"client:{client}", tenant_id=tenant, kind="client")


def test_dropping_a_client_or_a_tenant_leaves_the_others_cached() -> None:
    clock = Clock()
    cache = KeyCache(clock=clock)
    keys = {name: digest(tenant_key()) for name in ("a1", "a2", "b1", "o1", "unknown")}
    cache.put(keys["a1"], _identity("artland", "a"), client_id="a", expires=clock.now + 60)
    cache.put(keys["a2"], _identity("artland", "a"), client_id="a", expires=clock.now + 60)
    cache.put(keys["b1"], _identity("artland", "b"), client_id="b", expires=clock.now + 60)
    cache.put(keys["o1"], _identity("oldenburg", "o"), client_id="o", expires=clock.now + 60)
    cache.put_unknown(keys["unknown"], expires=clock.now + 5)

    cache.drop_client("a")
    assert cache.get(keys["a1"]) is None
    assert cache.get(keys["a2"]) is None
    assert cache.get(keys["b1"]) == _identity("artland", "b")
    assert cache.get(keys["unknown"]) is False

    cache.drop_tenant("artland")
    assert cache.get(keys["b1"]) is None
    assert cache.get(keys["o1"]) == _identity("oldenburg", "o")
    # A suspended tenant made active again must not wait out its keys' refusals.
    assert cache.get(keys["unknown"]) is None


def test_a_full_cache_makes_room_by_dropping_expired_entries_first() -> None:
    clock = Clock()
    cache = KeyCache(max_entries=2, clock=clock)
    old, kept, new = (digest(tenant_key()) for _ in range(3))
    cache.put(old, _identity("artland", "a"), client_id="a", expires=clock.now + 1)
    cache.put(kept, _identity("artland", "b"), client_id="b", expires=clock.now + 60)
    clock.now += 2

    cache.put(new, _identity("artland", "c"), client_id="c", expires=clock.now + 60)

    assert cache.get(kept) is not None
    assert cache.get(new) is not None
    assert len(cache) == 2
