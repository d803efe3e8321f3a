"""The gateway's internal tokens: signed with Ed25519, verified with the public key only."""

from __future__ import annotations

import json
import time

import jwt
import pytest

from kit.errors import Unauthorized
from kit.identity import (
    ALGORITHM,
    AUDIENCE,
    ISSUER,
    Identity,
    InternalTokenSigner,
    InternalTokenVerifier,
    generate_signing_key,
    jwks,
)

AGENT = Identity(subject="anna", tenant_id="artland", roles=frozenset({"agent"}), scopes=frozenset({"contacts:write"}))


def _pair(kid: str = "k1") -> tuple[InternalTokenSigner, InternalTokenVerifier]:
    key = generate_signing_key()
    return InternalTokenSigner(key, kid=kid), InternalTokenVerifier.from_jwks(jwks({kid: key.public_key()}))


def test_identity_survives_the_round_trip() -> None:
    signer, verifier = _pair()
    assert verifier.verify(signer.sign(AGENT)) == AGENT


def test_delegation_and_home_tenant_round_trip() -> None:
    signer, verifier = _pair()
    host_agent = Identity(
        subject="anna", tenant_id="artland", roles=frozenset({"agent"}), delegated=True, home_tenant_id="oldenburg"
    )
    operator = Identity(subject="otto", tenant_id="artland", roles=frozenset({"operator"}), delegated=True)

    assert verifier.verify(signer.sign(host_agent)) == host_agent
    assert verifier.verify(signer.sign(operator)) == operator
    assert verifier.verify(signer.sign(AGENT)).delegated is False


def test_operator_without_tenant_round_trips() -> None:
    signer, verifier = _pair()
    operator = Identity(subject="otto", tenant_id=None, roles=frozenset({"operator"}))
    assert verifier.verify(signer.sign(operator)).tenant_id is None


def test_expired_token_is_refused() -> None:
    signer, verifier = _pair()
    token = signer.sign(AGENT, now=time.time() - 3600)
    with pytest.raises(Unauthorized, match="expired"):
        verifier.verify(token)


def test_token_from_an_unknown_key_is_refused() -> None:
    signer, _ = _pair("k1")
    _, other = _pair("k1")
    with pytest.raises(Unauthorized):
        other.verify(signer.sign(AGENT))


def test_tampered_claims_are_refused() -> None:
    signer, verifier = _pair()
    header, payload, signature = signer.sign(AGENT).split(".")
    forged_payload = payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB")
    with pytest.raises(Unauthorized):
        verifier.verify(f"{header}.{forged_payload}.{signature}")


def test_rotation_accepts_old_and_new_keys() -> None:
    old, new = generate_signing_key(), generate_signing_key()
    verifier = InternalTokenVerifier.from_jwks(json.dumps(jwks({"old": old.public_key(), "new": new.public_key()})))
    for kid, key in (("old", old), ("new", new)):
        assert verifier.verify(InternalTokenSigner(key, kid=kid).sign(AGENT)) == AGENT


def test_system_identity_acts_for_the_events_tenant() -> None:
    system = Identity.system("artland")
    assert system.tenant_id == "artland"
    assert system.kind == "system"


def test_the_public_reading_anonymously_round_trips() -> None:
    signer, verifier = _pair()
    public = Identity(subject="anonymous", tenant_id="artland", roles=frozenset({"public"}), kind="anonymous")
    assert verifier.verify(signer.sign(public)) == public


def test_a_token_of_an_unknown_principal_kind_is_refused() -> None:
    key = generate_signing_key()
    verifier = InternalTokenVerifier.from_jwks(jwks({"k1": key.public_key()}))
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "iat": now, "exp": now + 60, "kind": "wizard"}
    token = jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": "k1"})
    with pytest.raises(Unauthorized, match="principal kind"):
        verifier.verify(token)
