"""Who calls: API keys → identity; and which tenant a request may act for.

Keys are kept only as SHA-256 digests and looked up by digest, so neither the comparison's timing
nor a memory dump reveals a key. Keys the tenants service issued are resolved by
``gateway.client_keys``, OIDC bearer tokens by ``gateway.oidc``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import ClassVar, Protocol

from multidict import CIMultiDictProxy

from gateway.routes import RouteMatch
from gateway.settings import ApiKeyGrant
from kit.errors import NotFound, Unauthorized
from kit.identity import Identity

WWW_AUTHENTICATE = 'Bearer realm="zentrale"'


class CredentialResolver(Protocol):
    """Something that knows some credentials: API keys now, OIDC tokens later."""

    async def resolve(self, credential: str) -> Identity | None:
        """The identity behind ``credential``, or None if this resolver does not know it."""
        ...


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


class ApiKeys:
    """API keys as SHA-256 digests → the identity each stands for (a client unless the key says a person)."""

    def __init__(self, grants: Mapping[str, ApiKeyGrant]) -> None:
        self._by_digest = {
            _digest(key): Identity(
                subject=grant.subject,
                tenant_id=grant.tenant,
                roles=frozenset(grant.roles),
                scopes=frozenset(grant.scopes),
                kind=grant.kind,
            )
            for key, grant in grants.items()
        }

    def __len__(self) -> int:
        return len(self._by_digest)

    async def resolve(self, credential: str) -> Identity | None:
        """The identity of a known key, else None."""
        return self._by_digest.get(_digest(credential))


class MissingCredentials(Unauthorized):
    """No credential, or one nobody knows: 401 with the challenge that names the scheme."""

    # Whether the request carried a credential: Open311 tells a missing key from a wrong one.
    presented: ClassVar[bool] = False

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": WWW_AUTHENTICATE}


class UnknownCredential(MissingCredentials):
    """A credential that no resolver knows: 401 as for none."""

    presented = True


def credential_from(headers: CIMultiDictProxy[str]) -> str | None:
    """The presented credential: ``Authorization: Bearer …``, else ``X-API-Key``."""
    authorization = headers.get("Authorization")
    if authorization is not None:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    api_key = headers.get("X-API-Key")
    return api_key.strip() if api_key else None


class Authenticator:
    """Turns a request's credential into an identity; refuses with 401 otherwise."""

    def __init__(self, resolvers: Sequence[CredentialResolver]) -> None:
        self._resolvers = tuple(resolvers)

    async def authenticate(self, headers: CIMultiDictProxy[str]) -> Identity:
        """The caller's identity; raises ``MissingCredentials`` (401) otherwise."""
        credential = credential_from(headers)
        if credential is None:
            raise MissingCredentials("An API key or token is required (Authorization: Bearer … or X-API-Key).")
        for resolver in self._resolvers:
            identity = await resolver.resolve(credential)
            if identity is not None:
                return identity
        raise UnknownCredential("The API key is not valid.")


def acting_tenant(identity: Identity, match: RouteMatch) -> str | None:
    """The tenant the request acts for; another tenant's URL does not exist for a tenant-bound caller."""
    if identity.tenant_id is None:
        return match.tenant
    if match.tenant is not None and match.tenant != identity.tenant_id:
        raise NotFound()
    return identity.tenant_id
