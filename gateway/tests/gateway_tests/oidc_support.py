"""A real identity provider on loopback standing in for Keycloak: an RSA and an EC key, its JWKS, its tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from .support import StandIn

REALM = "/realms/zentrale"
CERTS = REALM + "/protocol/openid-connect/certs"
AUDIENCE = "zentrale-gateway"
ROLE_MAP = {"callcenter-agent": "agent", "host-operator": "operator", "editor": "knowledge_editor"}

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def new_rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def new_ec() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(key: SigningKey, kid: str) -> dict[str, Any]:
    """The public half of ``key`` as Keycloak lists it (with ``kid``, ``alg`` and ``use``)."""
    if isinstance(key, rsa.RSAPrivateKey):
        jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
        return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}
    jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "alg": "ES256", "use": "sig"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """The first two parts of a JWS, for tokens no library would make."""
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"


@dataclass
class FakeIdp(StandIn):
    """Serves its key set at Keycloak's certs path; can rotate keys, fail, or stop."""

    keys: dict[str, SigningKey] = field(default_factory=dict)
    status: int = 200
    fetches: int = 0
    server: TestServer | None = None

    @classmethod
    def with_keys(cls) -> FakeIdp:
        return cls(keys={"rsa-1": new_rsa(), "ec-1": new_ec()})

    @property
    def issuer(self) -> str:
        return self.url + REALM

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(CERTS, self._certs)
        return app

    def jwks(self) -> dict[str, Any]:
        return {"keys": [public_jwk(key, kid) for kid, key in self.keys.items()]}

    async def _certs(self, request: web.Request) -> web.StreamResponse:
        self.fetches += 1
        if self.status != 200:
            return web.json_response({"error": "unavailable"}, status=self.status)
        return web.json_response(self.jwks())

    def config(self, **overrides: Any) -> dict[str, Any]:
        """This provider as an entry of ``GATEWAY_OIDC_ISSUERS``."""
        return {"issuer": self.issuer, "audience": AUDIENCE, "role_map": ROLE_MAP, **overrides}

    def claims(
        self, *, roles: list[str] | None = None, tenant: str | None = "artland", **overrides: Any
    ) -> dict[str, Any]:
        """Claims shaped like a Keycloak access token."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": [AUDIENCE, "account"],
            "sub": "f3a1c2d4-0000-4000-8000-00000000a9e1",
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
            "typ": "Bearer",
            "azp": "zentrale-console",
            "realm_access": {"roles": roles if roles is not None else ["callcenter-agent", "offline_access"]},
            "scope": "openid profile email",
        }
        if tenant is not None:
            claims["tenant"] = tenant
        claims.update(overrides)
        return claims

    def token(self, kid: str = "rsa-1", claims: dict[str, Any] | None = None, **overrides: Any) -> str:
        """A token signed with the key ``kid`` (RS256 for RSA keys, ES256 for EC keys)."""
        key = self.keys[kid]
        algorithm = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
        payload = claims if claims is not None else self.claims(**overrides)
        return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid})

    def hs256_with_public_key(self, kid: str = "rsa-1") -> str:
        """The classic confusion attack: HMAC keyed with the published RSA key's PEM."""
        public = self.keys[kid].public_key()
        secret = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        signing_input = unsigned({"alg": "HS256", "typ": "JWT", "kid": kid}, self.claims())
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{b64(signature)}"

    def alg_none(self, kid: str = "rsa-1") -> str:
        """A token that claims to need no signature (the signature part empty or a dummy)."""
        return unsigned({"alg": "none", "typ": "JWT", "kid": kid}, self.claims()) + ".AAAA"
