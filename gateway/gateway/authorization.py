"""Who may use which class of route: API clients by their scopes, the public by reading public routes.

People (kind ``user``) pass: what their roles allow is decided by the service that owns the data. An
API client needs the route's read scope for GET, HEAD and OPTIONS and its write scope for every other
method; a route without that scope is closed to clients. A request that carries no credential at all
may GET or HEAD a public route for the tenant its URL names, as that tenant's public. The proxy checks
the tenant before calling ``authorize``, so another tenant's URL stays 404 and never reveals a 403.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from gateway.auth import MissingCredentials
from gateway.routes import Route, RouteMatch
from kit.errors import Forbidden
from kit.identity import Identity, Role

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_METHODS = frozenset({"GET", "HEAD"})
CREDENTIAL_HEADERS = ("Authorization", "X-API-Key")
ANONYMOUS = "anonymous"
_PUBLIC_ROLES = frozenset({Role.PUBLIC.value})


class ScopeMissing(Forbidden):
    """An API client without the scope this request needs: 403 naming the scope."""

    def __init__(self, scope: str) -> None:
        super().__init__(f"This needs the scope {scope}.", scope=scope)


class ClientsNotAllowed(Forbidden):
    """A route, or a method on it, that no scope opens to API clients: 403."""

    def __init__(self, route: Route, method: str) -> None:
        closed = route.read_scope is None and route.write_scope is None
        super().__init__("API clients cannot use this route." if closed else f"API clients cannot {method} here.")


def required_scope(route: Route, method: str) -> str | None:
    """The scope an API client needs for ``method`` on ``route``; None: clients may not do it at all."""
    return route.read_scope if method in READ_METHODS else route.write_scope


def is_public(route: Route, method: str) -> bool:
    """Whether ``method`` on ``route`` needs no credential."""
    return route.public_read and method in PUBLIC_METHODS


def public_reader(match: RouteMatch, method: str, headers: Mapping[str, str]) -> Identity | None:
    """The tenant's public, for a request without any credential that reads a public route; else None.

    ``headers`` are looked up case-insensitively, as aiohttp's are. Any credential header, even one that
    names no usable scheme, means the request is judged by its credential.
    """
    if not is_public(match.route, method) or match.tenant is None:
        return None
    if any(name in headers for name in CREDENTIAL_HEADERS):
        return None
    return Identity(subject=ANONYMOUS, tenant_id=match.tenant, roles=_PUBLIC_ROLES, kind="anonymous")


def rate_limited_as(identity: Identity, address: str | None) -> Identity:
    """Whom the rate limiter counts: the public per client address (and its tenant), everyone else as is."""
    if identity.kind != "anonymous":
        return identity
    return replace(identity, subject=f"{ANONYMOUS}:{address or 'unknown'}")


def authorize(identity: Identity, match: RouteMatch, method: str) -> None:
    """Refuse what the route's class does not allow ``identity``: 403 for clients, 401 for the public."""
    if identity.kind == "client":
        scope = required_scope(match.route, method)
        if scope is None:
            raise ClientsNotAllowed(match.route, method)
        if scope not in identity.scopes:
            raise ScopeMissing(scope)
    elif identity.kind == "anonymous" and not is_public(match.route, method):
        raise MissingCredentials("An API key or token is required (Authorization: Bearer … or X-API-Key).")
