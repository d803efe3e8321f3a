"""The route table: which service answers which path, and for which tenant the request acts.

Matching walks path segments (a trie, longest prefix wins); a ``{tenant}`` segment matches only a
valid tenant id, so the tenant the gateway checks is exactly the one the service will read. Each route
also names its class for ``gateway.authorization``: the scopes API clients need, and whether anyone may
read it without a credential.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from kit.tenancy import is_tenant_id

TENANT = "{tenant}"


@dataclass(frozen=True, slots=True)
class Route:
    """``pattern`` → ``service``; a prefix route also answers every path below its pattern.

    ``read_scope`` is what an API client needs for GET, HEAD and OPTIONS, ``write_scope`` for any other
    method; None keeps clients from that method altogether. ``public_read`` lets a request without any
    credential GET or HEAD the route for the tenant its URL names.
    """

    pattern: str
    service: str
    prefix: bool = True
    read_scope: str | None = None
    write_scope: str | None = None
    public_read: bool = False


ROUTES: tuple[Route, ...] = (
    # Administration is for people: no scope lets an API client in.
    Route("/v1/tenants", "tenants", prefix=False),
    Route("/v1/tenants/{tenant}", "tenants"),
    Route("/v1/lines", "tenants"),
    Route("/v1/tenants/{tenant}/knowledge", "knowledge", read_scope="knowledge:read"),
    # The shared base of descriptions, kept by the host's knowledge editors (the service decides who may write).
    Route("/v1/knowledge/base", "knowledge", read_scope="knowledge:read"),
    # Published knowledge for the municipalities' web sites.
    Route("/v1/tenants/{tenant}/public", "knowledge", read_scope="knowledge:read", public_read=True),
    Route("/v1/tenants/{tenant}/contacts", "tickets", read_scope="contacts:read", write_scope="contacts:write"),
    Route("/v1/tenants/{tenant}/tickets", "tickets", read_scope="tickets:read", write_scope="tickets:write"),
    # Open311 GeoReport v2: services and requests are public to read; posting a request needs a key.
    Route(
        "/v1/tenants/{tenant}/open311",
        "tickets",
        read_scope="open311:read",
        write_scope="open311:write",
        public_read=True,
    ),
    Route("/v1/tenants/{tenant}/figures", "metrics", read_scope="figures:read"),
)


@dataclass(frozen=True, slots=True)
class RouteMatch:
    """The route a path matched and the tenant its ``{tenant}`` segment names (None: no tenant)."""

    route: Route
    tenant: str | None

    @property
    def service(self) -> str:
        """The service that answers the matched path."""
        return self.route.service


class _Node:
    __slots__ = ("exact", "literals", "prefix", "tenant")

    def __init__(self) -> None:
        self.literals: dict[str, _Node] = {}
        self.tenant: _Node | None = None
        self.exact: Route | None = None
        self.prefix: Route | None = None


class RouteTable:
    """Longest-prefix matching over path segments; a literal segment wins over ``{tenant}``."""

    def __init__(self, routes: Iterable[Route] = ROUTES) -> None:
        self.routes = tuple(routes)
        self._root = _Node()
        for route in self.routes:
            self._add(route)

    @property
    def services(self) -> frozenset[str]:
        """Every service some route names."""
        return frozenset(route.service for route in self.routes)

    def _add(self, route: Route) -> None:
        if not route.pattern.startswith("/"):
            raise ValueError(f"a route pattern starts with '/': {route.pattern!r}")
        node = self._root
        for segment in route.pattern.split("/")[1:]:
            if segment == TENANT:
                node.tenant = node.tenant or _Node()
                node = node.tenant
            elif segment.startswith("{"):
                raise ValueError(f"only {TENANT} may be a placeholder: {route.pattern!r}")
            else:
                node = node.literals.setdefault(segment, _Node())
        if (node.prefix if route.prefix else node.exact) is not None:
            raise ValueError(f"two routes for {route.pattern!r}")
        if route.prefix:
            node.prefix = route
        else:
            node.exact = route

    def match(self, path: str) -> RouteMatch | None:
        """The route for a request path (without its query), or None."""
        return self._walk(path, template=False)

    def match_template(self, template: str) -> RouteMatch | None:
        """The route for an OpenAPI path template, where any ``{name}`` segment may stand for the tenant."""
        return self._walk(template, template=True)

    def _walk(self, path: str, *, template: bool) -> RouteMatch | None:
        segments = path.split("/")
        if segments[0]:
            return None
        node = self._root
        tenant: str | None = None
        best: RouteMatch | None = None
        for segment in segments[1:]:
            if node.prefix is not None:
                best = RouteMatch(node.prefix, tenant)
            child = node.literals.get(segment)
            if child is None:
                if node.tenant is None or not _is_tenant_segment(segment, template=template):
                    return best
                child = node.tenant
                tenant = segment
            node = child
        route = node.exact or node.prefix
        return RouteMatch(route, tenant) if route is not None else best


def _is_tenant_segment(segment: str, *, template: bool) -> bool:
    if template:
        return segment.startswith("{") and segment.endswith("}")
    return is_tenant_id(segment)


def is_canonical(path: str) -> bool:
    """Refuse dot segments and encoded slashes, which a service behind us might resolve differently."""
    if "%" not in path and "." not in path and "\\" not in path:
        return True
    for segment in path.split("/"):
        decoded = unquote(segment) if "%" in segment else segment
        if decoded in (".", "..") or "/" in decoded or "\\" in decoded or "\x00" in decoded:
            return False
    return True
