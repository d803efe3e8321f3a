"""OIDC bearer tokens of trusted issuers (a Keycloak realm of the host or of a municipality) → identity.

A credential shaped like a JWT is read without verification only to find its issuer; then the
issuer's own keys verify it (RS256 or ES256, never ``none`` or HMAC), with its exact ``iss``, our
audience in ``aud`` and ``exp``/``iat``/``nbf`` within a small leeway. Verified tokens are
remembered by digest until they expire, so a signature is checked once per token, not per request.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
import orjson

from gateway.auth import WWW_AUTHENTICATE, UnknownCredential
from gateway.demo_issuer import PREFIX as DEMO_PREFIX
from gateway.demo_issuer import DemoIssuer, load_demo_key
from gateway.jwks import IssuerKeys, JwksSource, JwksUnavailable, KeyPolicy
from gateway.oidc_config import OidcIssuer
from gateway.settings import GatewaySettings
from kit.errors import Forbidden
from kit.http import client_session
from kit.identity import Identity, Role
from kit.tenancy import is_tenant_id

log = logging.getLogger("gateway.oidc")

JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
MAX_JWKS_BYTES = 1024 * 1024
_REQUIRED = ["exp", "iat", "iss", "aud", "sub"]


class InvalidToken(UnknownCredential):
    """A token that is not valid here (RFC 6750 ``invalid_token``): 401."""

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": f'{WWW_AUTHENTICATE}, error="invalid_token"'}


class TokenNotUsable(Forbidden):
    """A valid token that grants nothing here (no role of ours, no tenant it may act for): 403."""


@dataclass(frozen=True, slots=True)
class OidcPolicy:
    """What the settings say about verifying tokens and fetching keys."""

    leeway_seconds: float = 30.0
    keys: KeyPolicy = field(default_factory=KeyPolicy)
    timeout: float = 3.0
    max_cached_tokens: int = 10_000


@dataclass(frozen=True, slots=True)
class _Trusted:
    config: OidcIssuer
    keys: IssuerKeys


class OidcTokens:
    """Resolves JWTs of the configured issuers; other credentials pass on to the next resolver."""

    def __init__(
        self,
        issuers: Sequence[OidcIssuer],
        policy: OidcPolicy,
        *,
        local_sources: Mapping[str, JwksSource] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.policy = policy
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None
        local = dict(local_sources or {})
        self._issuers = {
            issuer.issuer: _Trusted(
                issuer, IssuerKeys(issuer.issuer, local.get(issuer.issuer) or self._http_source(issuer), policy.keys)
            )
            for issuer in issuers
        }
        self._verified: dict[bytes, tuple[Identity, float]] = {}

    def __len__(self) -> int:
        return len(self._issuers)

    def keys_of(self, issuer: str) -> IssuerKeys:
        """The key cache of a configured issuer."""
        return self._issuers[issuer].keys

    async def open(self) -> None:
        """Create the client session for the identity providers (inside the running event loop)."""
        self._session = client_session(
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=self.policy.timeout),
            raise_for_status=False,
        )

    async def close(self) -> None:
        """Close the client session."""
        if self._session is not None:
            await self._session.close()

    async def resolve(self, credential: str) -> Identity | None:
        """The identity of a valid token of a trusted issuer; None for credentials that are no JWT."""
        if not self._issuers or JWT_SHAPE.fullmatch(credential) is None:
            return None
        now = self._clock()
        token_digest = hashlib.sha256(credential.encode()).digest()
        cached = self._verified.get(token_digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        trusted, algorithm, kid = self._issuer_of(credential)
        key = await trusted.keys.key(kid)
        if key is None or key.algorithm_name != algorithm:
            raise InvalidToken("The token's signing key is not known.")
        claims = self._verify(credential, trusted.config, key, algorithm)
        identity = identity_from_claims(trusted.config, claims)
        self._remember(token_digest, identity, float(claims["exp"]) + self.policy.leeway_seconds, now)
        return identity

    def _issuer_of(self, token: str) -> tuple[_Trusted, str, str]:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise InvalidToken("The token is not a readable JWT.") from None
        issuer = unverified.get("iss")
        trusted = self._issuers.get(issuer) if isinstance(issuer, str) else None
        if trusted is None:
            raise InvalidToken("The token's issuer is not trusted.")
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in trusted.config.algorithms:
            raise InvalidToken(f"The token's algorithm is not accepted (only {', '.join(trusted.config.algorithms)}).")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("The token names no signing key (kid).")
        return trusted, algorithm, kid

    def _verify(self, token: str, config: OidcIssuer, key: jwt.PyJWK, algorithm: str) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=config.audience,
                issuer=config.issuer,
                leeway=self.policy.leeway_seconds,
                options={"require": _REQUIRED},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("The token has expired.") from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("The token is not valid yet.") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken("The token is not meant for this audience.") from None
        except jwt.InvalidSignatureError:
            raise InvalidToken("The token's signature is not valid.") from None
        except jwt.PyJWTError as error:
            log.info("gateway.oidc.refused", extra={"issuer": config.issuer, "error": type(error).__name__})
            raise InvalidToken("The token is not valid.") from None

    def _remember(self, token_digest: bytes, identity: Identity, until: float, now: float) -> None:
        if len(self._verified) >= self.policy.max_cached_tokens:
            self._verified = {d: entry for d, entry in self._verified.items() if entry[1] > now}
            if len(self._verified) >= self.policy.max_cached_tokens:
                self._verified.clear()
        self._verified[token_digest] = (identity, until)

    def _http_source(self, issuer: OidcIssuer) -> JwksSource:
        async def fetch() -> Mapping[str, Any]:
            if self._session is None:
                raise RuntimeError("the OIDC key fetcher is not open")
            try:
                async with self._session.get(issuer.jwks_url, headers={"Accept": "application/json"}) as response:
                    if response.status != 200:
                        raise JwksUnavailable(f"status {response.status}")
                    document = orjson.loads(await _bounded_body(response))
            except (aiohttp.ClientError, TimeoutError, ValueError) as error:
                raise JwksUnavailable(type(error).__name__) from None
            if not isinstance(document, dict):
                raise JwksUnavailable("the key set is not an object")
            return document

        return fetch


async def _bounded_body(response: aiohttp.ClientResponse) -> bytes:
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_JWKS_BYTES:
            raise JwksUnavailable("the key set is too large")
    return bytes(body)


def claim(claims: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (``realm_access.roles``), or None."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _tenant(value: Any) -> str | None:
    # Keycloak's attribute mappers give a list when "multivalued" is ticked; one value is still one tenant.
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if value is None:
        return None
    if not isinstance(value, str) or not is_tenant_id(value):
        raise TokenNotUsable("The token's tenant claim is not one tenant id.")
    return value


def identity_from_claims(config: OidcIssuer, claims: Mapping[str, Any]) -> Identity:
    """The user identity of verified claims; 403 when they grant no role or no tenant to act for."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("The token names no subject.")
    roles = config.map_roles(_names(claim(claims, config.roles_claim)))
    tenant = _tenant(claim(claims, config.tenant_claim))
    if config.tenant is not None:
        # A municipality's own provider speaks for that municipality only, and cannot make host operators.
        roles -= {Role.OPERATOR.value}
        if tenant is not None and tenant != config.tenant:
            raise TokenNotUsable("The token names a tenant its issuer may not speak for.")
        tenant = config.tenant
    if not roles:
        raise TokenNotUsable("The token grants no role in Zentrale.")
    if tenant is None and Role.OPERATOR.value not in roles:
        raise TokenNotUsable("The token names no tenant.")
    scope = claims.get("scope")
    return Identity(
        subject=subject,
        tenant_id=tenant,
        roles=roles,
        scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
        kind="user",
    )


def oidc_from_settings(settings: GatewaySettings) -> tuple[OidcTokens, DemoIssuer | None]:
    """The OIDC resolver for the configured issuers, with the demo issuer among them when enabled."""
    issuers = settings.oidc_issuer_configs()
    sources: dict[str, JwksSource] = {}
    demo = None
    if settings.demo_tokens:
        demo = DemoIssuer(
            load_demo_key(settings.demo_token_key.get_secret_value()),
            issuer=f"http://{settings.host}:{settings.port}{DEMO_PREFIX}",
            ttl_seconds=settings.demo_token_ttl,
        )
        issuers = [*(issuer for issuer in issuers if issuer.issuer != demo.issuer), demo.config]
        sources[demo.issuer] = demo.jwks
    policy = OidcPolicy(
        leeway_seconds=settings.oidc_leeway_seconds,
        keys=KeyPolicy(
            cache_seconds=settings.oidc_jwks_cache_seconds,
            refetch_seconds=settings.oidc_jwks_refetch_seconds,
            stale_seconds=settings.oidc_jwks_stale_seconds,
        ),
        timeout=settings.oidc_jwks_timeout,
    )
    return OidcTokens(issuers, policy, local_sources=sources), demo
