"""Demo tokens for local development: the gateway as its own small OIDC issuer, off unless enabled.

``POST /auth/demo/token`` signs an ES256 token for any subject, tenant and roles asked for, and
``GET /auth/demo/jwks.json`` publishes its key. The tokens are verified like any provider's: the
demo issuer is one more trusted issuer whose key set is handed over in-process instead of fetched.
Settings refuse it outside development, since whoever reaches it may become anyone.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

import jwt
import orjson
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gateway.oidc_config import GRANTABLE_ROLES, OidcIssuer
from gateway.problems import MethodNotAllowed, error_response
from kit.errors import BadRequest, ProblemError, UnprocessableContent, field_error
from kit.identity import Role, load_text_or_file
from kit.tenancy import TenantId

PREFIX = "/auth/demo"
AUDIENCE = "zentrale"
ALGORITHM = "ES256"


class DemoTokenRequest(BaseModel):
    """Who the demo token is for."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=200)
    tenant: TenantId | None = None
    roles: list[Role] = Field(min_length=1)
    scopes: list[str] = []

    @model_validator(mode="after")
    def _grantable(self) -> DemoTokenRequest:
        if any(role not in GRANTABLE_ROLES for role in self.roles):
            raise ValueError("roles: 'system' is not granted to people")
        if self.tenant is None and Role.OPERATOR not in self.roles:
            raise ValueError("tenant: required unless the roles include operator")
        return self


def load_demo_key(value: str) -> ec.EllipticCurvePrivateKey:
    """The demo signing key from PEM text or a path; a fresh one when none is given."""
    if not value.strip():
        return ec.generate_private_key(ec.SECP256R1())
    key = serialization.load_pem_private_key(load_text_or_file(value).encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("the demo token key must be a P-256 private key")
    return key


def _thumbprint(jwk: Mapping[str, Any]) -> str:
    # RFC 7638: the same key gets the same id after a restart.
    canonical = json.dumps({name: jwk[name] for name in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).decode().rstrip("=")


class DemoIssuer:
    """Signs demo tokens and publishes the key that verifies them."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, *, issuer: str, ttl_seconds: int = 3600) -> None:
        self._key = key
        self.issuer = issuer
        self.ttl_seconds = ttl_seconds
        public: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(key.public_key()))
        self.kid = _thumbprint(public)
        self._jwks = {"keys": [{**public, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}]}

    @property
    def config(self) -> OidcIssuer:
        """The demo issuer as a trusted issuer: flat ``roles`` and ``tenant`` claims named like ours."""
        return OidcIssuer(
            issuer=self.issuer,
            audience=AUDIENCE,
            jwks_url=f"{self.issuer}/jwks.json",
            roles_claim="roles",
            tenant_claim="tenant",
            algorithms=(ALGORITHM,),
        )

    async def jwks(self) -> Mapping[str, Any]:
        """The key set, handed to the verifier in-process."""
        return self._jwks

    def issue(self, request: DemoTokenRequest, *, now: float | None = None) -> dict[str, Any]:
        """A signed token for the request, as an OAuth token response."""
        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": request.subject,
            "iat": issued,
            "exp": issued + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
            "roles": [role.value for role in request.roles],
            "scope": " ".join(request.scopes),
        }
        if request.tenant is not None:
            claims["tenant"] = request.tenant
        token = jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self.kid})
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.ttl_seconds}

    def add_routes(self, app: web.Application) -> None:
        """Serve the key set and the token endpoint (before the proxy's catch-all route)."""
        app.router.add_route("*", f"{PREFIX}/jwks.json", self._jwks_endpoint)
        app.router.add_route("*", f"{PREFIX}/token", self._token_endpoint)

    async def _jwks_endpoint(self, request: web.Request) -> web.StreamResponse:
        """Publish the demo issuer's public key."""
        if request.method not in ("GET", "HEAD"):
            return error_response(MethodNotAllowed("GET, HEAD"), request.path)
        return web.json_response(self._jwks, headers={"Cache-Control": "public, max-age=300"})

    async def _token_endpoint(self, request: web.Request) -> web.StreamResponse:
        """Issue a demo token for ``{subject, tenant, roles, scopes}``."""
        if request.method != "POST":
            return error_response(MethodNotAllowed("POST"), request.path)
        try:
            answer = self.issue(_token_request(await request.read()))
        except ProblemError as error:
            return error_response(error, request.path)
        return web.json_response(answer, headers={"Cache-Control": "no-store"})


def _token_request(body: bytes) -> DemoTokenRequest:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest("The body is not JSON.") from None
    try:
        return DemoTokenRequest.model_validate(data)
    except ValidationError as error:
        errors = [_field_error(e["loc"], e["msg"]) for e in error.errors(include_url=False)]
        detail = "; ".join(f"{e['field']}: {e['detail']}" for e in errors)
        raise UnprocessableContent(detail, errors=errors) from None


def _field_error(location: tuple[int | str, ...], message: str) -> dict[str, str]:
    # Model-level rules say their field in the message ("tenant: required …").
    name, _, rest = message.removeprefix("Value error, ").partition(": ")
    if not location and rest:
        return field_error(name, rest)
    return field_error(".".join(map(str, location)) or "body", message)
