"""The identity a request carries, taken only from a short-lived token that the gateway signs.

The gateway signs with an Ed25519 private key (EdDSA); services hold only the public keys, as a
JWKS whose ``kid`` lets the gateway rotate its key without downtime.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, get_args

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

from kit.errors import Unauthorized

ISSUER = "zentrale-gateway"
AUDIENCE = "zentrale-services"
ALGORITHM = "EdDSA"
SYSTEM_SUBJECT = "system"

# anonymous: a request without any credential, reading a tenant's public route (role ``public``).
PrincipalKind = Literal["user", "client", "system", "anonymous"]
PRINCIPAL_KINDS: frozenset[str] = frozenset(get_args(PrincipalKind))


class Role(StrEnum):
    """The roles a principal may hold; what each may do is decided by the service that owns the data."""

    OPERATOR = "operator"
    AGENT = "agent"
    KNOWLEDGE_EDITOR = "knowledge_editor"
    TENANT_ADMIN = "tenant_admin"
    BACK_OFFICE = "back_office"
    INTEGRATION_CLIENT = "integration_client"
    PUBLIC = "public"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Identity:
    """Who acts, in which roles, for which tenant (None: no tenant, e.g. an operator listing tenants).

    ``delegated`` says that the principal acts for a tenant it does not belong to: a host agent through a
    grant (``home_tenant_id`` is its own tenant), or an operator (no home tenant). Services audit what such
    principals read of a tenant's personal data.
    """

    subject: str
    tenant_id: str | None
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    kind: PrincipalKind = "user"
    delegated: bool = False
    home_tenant_id: str | None = None

    @classmethod
    def system(cls, tenant_id: str) -> Identity:
        """The identity of an event handler acting for the event's tenant."""
        return cls(subject=SYSTEM_SUBJECT, tenant_id=tenant_id, roles=frozenset({Role.SYSTEM.value}), kind="system")

    def has_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)


def generate_signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_signing_key(pem: str | bytes) -> Ed25519PrivateKey:
    """The Ed25519 private key in ``pem`` (unencrypted PKCS#8, as ``private_key_pem`` writes it)."""
    key = serialization.load_pem_private_key(pem.encode() if isinstance(pem, str) else pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the internal signing key must be an Ed25519 private key")
    return key


def public_jwk(key: Ed25519PublicKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(key))
    return {**jwk, "kid": kid, "alg": ALGORITHM, "use": "sig"}


def jwks(keys: Mapping[str, Ed25519PublicKey]) -> dict[str, Any]:
    return {"keys": [public_jwk(key, kid) for kid, key in keys.items()]}


def load_text_or_file(value: str) -> str:
    """Accept either the content itself or a path to a file holding it."""
    stripped = value.strip()
    if stripped.startswith(("{", "-----")):
        return stripped
    return Path(stripped).read_text()


class InternalTokenSigner:
    """Signs the gateway's identity tokens for the services."""

    def __init__(self, private_key: Ed25519PrivateKey, *, kid: str, ttl_seconds: int = 60) -> None:
        self._key = private_key
        self.kid = kid
        self.ttl_seconds = ttl_seconds

    @classmethod
    def from_pem(cls, pem: str, *, kid: str, ttl_seconds: int = 60) -> InternalTokenSigner:
        return cls(load_signing_key(pem), kid=kid, ttl_seconds=ttl_seconds)

    def sign(self, identity: Identity, *, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": identity.subject,
            "iat": issued,
            "exp": issued + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
            "kind": identity.kind,
            "roles": sorted(identity.roles),
            "scope": " ".join(sorted(identity.scopes)),
        }
        if identity.tenant_id is not None:
            claims["tenant"] = identity.tenant_id
        if identity.delegated:
            claims["home"] = identity.home_tenant_id or ""
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self.kid})


class InternalTokenVerifier:
    """Verifies the gateway's tokens; verified tokens are remembered until they expire."""

    def __init__(self, public_keys: Mapping[str, Ed25519PublicKey], *, leeway_seconds: int = 5) -> None:
        self._keys = dict(public_keys)
        self._leeway = leeway_seconds
        self._cache: dict[str, tuple[float, Identity]] = {}

    @classmethod
    def from_jwks(cls, document: str | Mapping[str, Any]) -> InternalTokenVerifier:
        data = json.loads(load_text_or_file(document)) if isinstance(document, str) else document
        keys: dict[str, Ed25519PublicKey] = {}
        for jwk in data.get("keys", []):
            key = OKPAlgorithm.from_jwk(jwk)
            if isinstance(key, Ed25519PublicKey):
                keys[jwk["kid"]] = key
        return cls(keys)

    @property
    def key_ids(self) -> Iterable[str]:
        return self._keys.keys()

    def verify(self, token: str, *, now: float | None = None) -> Identity:
        moment = now if now is not None else time.time()
        cached = self._cache.get(token)
        if cached is not None and cached[0] + self._leeway > moment:
            return cached[1]
        identity, expires = self._decode(token)
        if len(self._cache) > 10_000:
            self._cache = {t: v for t, v in self._cache.items() if v[0] + self._leeway > moment}
        self._cache[token] = (expires, identity)
        return identity

    def _decode(self, token: str) -> tuple[Identity, float]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise Unauthorized("unknown signing key")
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise Unauthorized(f"invalid internal token: {error}") from None
        tenant = claims.get("tenant")
        home = claims.get("home")
        kind = claims.get("kind", "user")
        if kind not in PRINCIPAL_KINDS:
            raise Unauthorized("invalid internal token: unknown principal kind")
        identity = Identity(
            subject=str(claims["sub"]),
            tenant_id=str(tenant) if tenant is not None else None,
            roles=frozenset(claims.get("roles", [])),
            scopes=frozenset(str(claims.get("scope", "")).split()),
            kind=kind,
            delegated=home is not None,
            home_tenant_id=str(home) if home else None,
        )
        return identity, float(claims["exp"])
