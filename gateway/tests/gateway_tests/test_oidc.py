"""OIDC tokens through the gateway: a real key set on loopback verifies them, the service sees the mapped identity."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from .oidc_support import FakeIdp, b64, new_ec, new_rsa
from .support import ARTLAND_KEY, EchoUpstream, GatewayFactory, closed_url

Client = TestClient[Any, Any]
KNOWLEDGE = "/v1/tenants/artland/knowledge/articles"
OLDENBURG = "/v1/tenants/oldenburg/knowledge/articles"


@pytest.fixture
async def idp() -> AsyncIterator[FakeIdp]:
    provider = await FakeIdp.with_keys().start()
    yield provider
    await provider.stop()


async def _gateway(make_gateway: GatewayFactory, *issuers: dict[str, Any], **overrides: Any) -> Client:
    return await make_gateway(oidc_issuers=json.dumps(list(issuers)), **overrides)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _refused(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status
    assert response.headers["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = await response.json()
    assert body["status"] == status
    return body


@pytest.mark.parametrize("kid", ["rsa-1", "ec-1"])
async def test_a_keycloak_token_passes_with_its_roles_mapped_and_the_service_sees_the_gateways_token(
    make_gateway: GatewayFactory, idp: FakeIdp, upstreams: dict[str, EchoUpstream], kid: str
) -> None:
    gateway = await _gateway(make_gateway, idp.config())
    token = idp.token(kid, roles=["callcenter-agent", "editor", "offline_access", "uma_authorization"])

    response = await gateway.get(KNOWLEDGE, headers=_bearer(token))

    assert response.status == 200
    identity = (await response.json())["identity"]
    assert identity["subject"] == "f3a1c2d4-0000-4000-8000-00000000a9e1"
    assert (identity["tenant"], identity["kind"]) == ("artland", "user")
    assert identity["roles"] == ["agent", "knowledge_editor"]
    assert identity["scopes"] == ["email", "openid", "profile"]
    forwarded = upstreams["knowledge"].calls[-1].headers["authorization"]
    assert token not in forwarded
    assert forwarded == f"Bearer {identity['token']}"
    assert idp.fetches == 1


async def test_keys_are_fetched_once_for_many_tokens(make_gateway: GatewayFactory, idp: FakeIdp) -> None:
    gateway = await _gateway(make_gateway, idp.config())

    responses = await asyncio.gather(
        *(gateway.get(KNOWLEDGE, headers=_bearer(idp.token(kid))) for kid in ["rsa-1", "ec-1"] * 5)
    )

    assert [response.status for response in responses] == [200] * 10
    assert idp.fetches == 1


async def test_an_operator_token_without_tenant_acts_for_the_tenant_in_the_url(
    make_gateway: GatewayFactory, idp: FakeIdp
) -> None:
    gateway = await _gateway(make_gateway, idp.config())
    token = idp.token(roles=["host-operator"], tenant=None)

    response = await gateway.get(OLDENBURG, headers=_bearer(token))

    assert response.status == 200
    identity = (await response.json())["identity"]
    assert (identity["tenant"], identity["roles"]) == ("oldenburg", ["operator"])


async def test_a_tenants_token_on_another_tenants_url_is_not_found(make_gateway: GatewayFactory, idp: FakeIdp) -> None:
    gateway = await _gateway(make_gateway, idp.config())

    await _refused(await gateway.get(OLDENBURG, headers=_bearer(idp.token())), 404)


def _expired(idp: FakeIdp) -> str:
    now = int(time.time())
    return idp.token(iat=now - 900, exp=now - 120)


def _not_yet_valid(idp: FakeIdp) -> str:
    return idp.token(nbf=int(time.time()) + 600)


def _issued_in_the_future(idp: FakeIdp) -> str:
    now = int(time.time())
    return idp.token(iat=now + 600, exp=now + 900)


def _wrong_audience(idp: FakeIdp) -> str:
    return idp.token(aud="account")


def _unknown_issuer(idp: FakeIdp) -> str:
    return idp.token(iss="https://login.example.org/realms/other")


def _without_expiry(idp: FakeIdp) -> str:
    claims = idp.claims()
    del claims["exp"]
    return idp.token(claims=claims)


def _tampered(idp: FakeIdp) -> str:
    header, _, signature = idp.token().split(".")
    forged = idp.token(roles=["host-operator"], tenant=None).split(".")[1]
    return f"{header}.{forged}.{signature}"


def _rsa_kid_with_es256(idp: FakeIdp) -> str:
    _, payload, signature = idp.token("ec-1").split(".")
    return f"{_header({'alg': 'ES256', 'kid': 'rsa-1'})}.{payload}.{signature}"


def _header(header: dict[str, Any]) -> str:
    return b64(json.dumps(header).encode())


def _signed_by_a_stranger(idp: FakeIdp) -> str:
    stranger = FakeIdp(keys={"rsa-1": new_rsa()})
    stranger.server = idp.server
    return stranger.token("rsa-1")


REFUSALS: dict[str, tuple[Callable[[FakeIdp], str], str]] = {
    "expired": (_expired, "expired"),
    "not yet valid": (_not_yet_valid, "not valid yet"),
    "issued in the future": (_issued_in_the_future, "not valid yet"),
    "wrong audience": (_wrong_audience, "audience"),
    "unknown issuer": (_unknown_issuer, "issuer is not trusted"),
    "no expiry": (_without_expiry, "not valid"),
    "tampered": (_tampered, "signature"),
    "signed by another key with the same kid": (_signed_by_a_stranger, "signature"),
    "HS256 keyed with the public key": (FakeIdp.hs256_with_public_key, "algorithm"),
    "alg none": (FakeIdp.alg_none, "algorithm"),
    "an EC signature under an RSA kid": (_rsa_kid_with_es256, "signing key is not known"),
}


@pytest.mark.parametrize("case", REFUSALS)
async def test_an_invalid_token_is_refused_with_401_and_never_reaches_a_service(
    make_gateway: GatewayFactory, idp: FakeIdp, upstreams: dict[str, EchoUpstream], case: str
) -> None:
    make, detail = REFUSALS[case]
    gateway = await _gateway(make_gateway, idp.config())

    response = await gateway.get(KNOWLEDGE, headers=_bearer(make(idp)))

    body = await _refused(response, 401)
    assert detail in body["detail"]
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert upstreams["knowledge"].calls == []


async def test_a_token_of_one_trusted_issuer_claiming_another_is_refused(
    make_gateway: GatewayFactory, idp: FakeIdp
) -> None:
    other = await FakeIdp(keys={"other-1": new_rsa()}).start()
    try:
        gateway = await _gateway(make_gateway, idp.config(), {**other.config(), "issuer": other.issuer})
        posing = idp.token(iss=other.issuer)

        body = await _refused(await gateway.get(KNOWLEDGE, headers=_bearer(posing)), 401)

        assert "signing key is not known" in body["detail"]
        assert (await gateway.get(KNOWLEDGE, headers=_bearer(other.token("other-1")))).status == 200
    finally:
        await other.stop()


async def test_an_unknown_kid_asks_the_provider_once_then_refuses(make_gateway: GatewayFactory, idp: FakeIdp) -> None:
    gateway = await _gateway(make_gateway, idp.config())
    assert (await gateway.get(KNOWLEDGE, headers=_bearer(idp.token()))).status == 200
    idp.keys["forged-1"] = new_rsa()
    forged = idp.token("forged-1")
    del idp.keys["forged-1"]

    for _ in range(3):
        await _refused(await gateway.get(KNOWLEDGE, headers=_bearer(forged)), 401)

    assert idp.fetches == 1  # the refetch interval has not passed since the first fetch


async def test_a_key_rotated_at_the_provider_is_picked_up_through_the_unknown_kid(
    make_gateway: GatewayFactory, idp: FakeIdp
) -> None:
    gateway = await _gateway(make_gateway, idp.config(), oidc_jwks_refetch_seconds=0.2)
    assert (await gateway.get(KNOWLEDGE, headers=_bearer(idp.token("rsa-1")))).status == 200
    await asyncio.sleep(0.25)

    idp.keys = {"rsa-2": new_rsa(), "ec-2": new_ec()}
    rotated = [await gateway.get(KNOWLEDGE, headers=_bearer(idp.token(kid))) for kid in ("rsa-2", "ec-2")]

    assert [response.status for response in rotated] == [200, 200]
    assert idp.fetches == 2


async def test_a_valid_token_without_any_of_our_roles_is_forbidden(make_gateway: GatewayFactory, idp: FakeIdp) -> None:
    gateway = await _gateway(make_gateway, idp.config())

    body = await _refused(await gateway.get(KNOWLEDGE, headers=_bearer(idp.token(roles=["offline_access"]))), 403)

    assert "no role" in body["detail"]


async def test_a_token_without_tenant_is_forbidden_unless_it_is_an_operators(
    make_gateway: GatewayFactory, idp: FakeIdp
) -> None:
    gateway = await _gateway(make_gateway, idp.config())

    body = await _refused(await gateway.get(KNOWLEDGE, headers=_bearer(idp.token(tenant=None))), 403)
    assert "no tenant" in body["detail"]
    bad = await _refused(await gateway.get(KNOWLEDGE, headers=_bearer(idp.token(tenant="Not A Tenant"))), 403)
    assert "tenant claim" in bad["detail"]


async def test_a_municipalitys_own_provider_speaks_for_that_municipality_only(
    make_gateway: GatewayFactory, idp: FakeIdp
) -> None:
    gateway = await _gateway(make_gateway, idp.config(tenant="artland"))

    own = await gateway.get(KNOWLEDGE, headers=_bearer(idp.token(tenant=None)))
    assert own.status == 200
    assert (await own.json())["identity"]["tenant"] == "artland"
    other = await gateway.get(KNOWLEDGE, headers=_bearer(idp.token(tenant="oldenburg")))
    await _refused(other, 403)
    operator = await gateway.get(OLDENBURG, headers=_bearer(idp.token(roles=["host-operator"], tenant=None)))
    await _refused(operator, 403)


async def test_the_provider_down_answers_503_naming_it_and_is_not_remembered(
    make_gateway: GatewayFactory, idp: FakeIdp
) -> None:
    gateway = await _gateway(make_gateway, idp.config())
    idp.status = 500

    body = await _refused(await gateway.get(KNOWLEDGE, headers=_bearer(idp.token())), 503)
    assert body["identity_provider"] == idp.issuer
    assert idp.issuer in body["detail"]

    idp.status = 200
    assert (await gateway.get(KNOWLEDGE, headers=_bearer(idp.token()))).status == 200
    assert idp.fetches == 2


async def test_an_unreachable_key_set_answers_503(make_gateway: GatewayFactory, idp: FakeIdp) -> None:
    gateway = await _gateway(make_gateway, idp.config(jwks_url=closed_url() + "/certs"), oidc_jwks_timeout=1.0)

    response = await gateway.get(KNOWLEDGE, headers=_bearer(idp.token()))

    await _refused(response, 503)
    assert "Retry-After" in response.headers


async def test_api_keys_still_work_beside_tokens_and_other_credentials_stay_401(
    make_gateway: GatewayFactory, idp: FakeIdp
) -> None:
    gateway = await _gateway(make_gateway, idp.config())

    assert (await gateway.get(KNOWLEDGE, headers={"X-API-Key": ARTLAND_KEY})).status == 200
    await _refused(await gateway.get(KNOWLEDGE, headers=_bearer("not.a-token")), 401)
    assert idp.fetches == 0
