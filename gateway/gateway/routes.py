"""The route table: which service answers which path, and for which tenant the request acts.

Matching walks path segments (a trie, longest prefix wins); a ``{tenant}`` segment matches only a
valid tenant id, so the tenant the gateway checks is exactly the one the service will read. Each route
also names its class for ``gateway.authorization`` (the scopes API clients need, and whether anyone may
read it without a credential) and the paths below it that take larger request bodies than the default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

from kit.tenancy import is_tenant_id

TENANT = "{tenant}"
MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Route:
    """``pattern`` → ``service``; a prefix route also answers every path below its pattern.

    ``read_scope`` is what an API client needs for GET, HEAD and OPTIONS, ``write_scope`` for any other
    method; None keeps clients from that method altogether. ``public_read`` lets a request without any
    credential GET or HEAD the route for the tenant its URL names.

    ``large_bodies`` maps paths below the pattern (``"/imports"``: exactly that path) to the request body
    limit they take in bytes, where it is above the gateway's default.

    ``open311`` makes the route speak Open311 GeoReport v2 (``gateway.open311``): the ``api_key`` parameter
    counts as a credential, and the gateway's own errors are rendered as Open311's.
    """

    pattern: str
    service: str
    prefix: bool = True
    read_scope: str | None = None
    write_scope: str | None = None
    public_read: bool = False
    large_bodies: Mapping[str, int] = field(default_factory=dict, hash=False)
    open311: bool = False


ROUTES: tuple[Route, ...] = (
    # Administration is for people: no scope lets an API client in.
    Route("/v1/tenants", "tenants", prefix=False),
    Route("/v1/tenants/{tenant}", "tenants"),
    Route("/v1/lines", "tenants"),
    # An XZuFi import is a municipality's whole export: typically a few MB, up to about 50 MB.
    Route(
        "/v1/tenants/{tenant}/knowledge",
        "knowledge",
        read_scope="knowledge:read",
        large_bodies={"/imports": 64 * MIB},
    ),
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
        open311=True,
    ),
    Route("/v1/tenants/{tenant}/figures", "metrics", read_scope="figures:read"),
    # Figures across municipalities are the host's operators' alone.
    Route("/v1/figures", "metrics"),
    # The host's telephony reports call events; the service checks which municipalities' lines it may report.
    Route("/v1/telephony", "metrics", write_scope="calls:write"),
)


@dataclass(frozen=True, slots=True)
class RouteMatch:
    """The route a path matched and the tenant its ``{tenant}`` segment names (None: no tenant).

    ``max_body_bytes`` is the larger body limit the route names for this very path (None: the default).
    """

    route: Route
    tenant: str | None
    max_body_bytes: int | None = None

    @property
    def service(self) -> str:
        """The service that answers the matched path."""
        return self.route.service


class _Node:
    __slots__ = ("exact", "literals", "max_body_bytes", "prefix", "tenant")

    def __init__(self) -> None:
        self.literals: dict[str, _Node] = {}
        self.tenant: _Node | None = None
        self.exact: Route | None = None
        self.prefix: Route | None = None
        self.max_body_bytes: int | None = None


class RouteTable:
    """Longest-prefix matching over path segments; a literal segment wins over ``{tenant}``."""

    def __init__(self, routes: Iterable[Route] = ROUTES) -> None:
        self.routes = tuple(routes)
        self._root = _Node()
        for route in self.routes:
            self._add(route)
        for route in self.routes:
            for path, limit in route.large_bodies.items():
                self._limit(route, path, limit)
        # Longest pattern first: the most specific route a path resembles.
        self._patterns = sorted(
            ((route.pattern.split("/"), route) for route in self.routes), key=lambda entry: -len(entry[0])
        )

    @property
    def services(self) -> frozenset[str]:
        """Every service some route names."""
        return frozenset(route.service for route in self.routes)

    def _add(self, route: Route) -> None:
        node = _descend(self._root, route.pattern)
        if (node.prefix if route.prefix else node.exact) is not None:
            raise ValueError(f"two routes for {route.pattern!r}")
        if route.prefix:
            node.prefix = route
        else:
            node.exact = route

    def _limit(self, route: Route, path: str, limit: int) -> None:
        """Mark ``path`` below ``route`` with its body limit, without changing which route any path finds."""
        if not path.startswith("/"):
            raise ValueError(f"a path below a route starts with '/': {path!r}")
        whole = route.pattern + path
        found = self._walk(whole, template=True)
        if found is None or found.route is not route:
            raise ValueError(f"another route answers {whole!r}")
        node = _descend(self._root, whole, hide_tenant=False)
        if node.max_body_bytes is not None:
            raise ValueError(f"two body limits for {whole!r}")
        node.max_body_bytes = limit

    def match(self, path: str) -> RouteMatch | None:
        """The route for a request path (without its query), or None."""
        return self._walk(path, template=False)

    def match_template(self, template: str) -> RouteMatch | None:
        """The route for an OpenAPI path template, where any ``{name}`` segment may stand for the tenant."""
        return self._walk(template, template=True)

    def resembled(self, path: str) -> Route | None:
        """The route a path that matched none would have if ``{tenant}`` took any segment; None if none.

        Only to answer such a path in the format of the API it was meant for, never to route it.
        """
        segments = path.split("/")
        for pattern, route in self._patterns:
            if len(segments) < len(pattern) or (not route.prefix and len(segments) != len(pattern)):
                continue
            if all(want == have or (want == TENANT and have) for want, have in zip(pattern, segments, strict=False)):
                return route
        return None

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
        if route is not None:
            return RouteMatch(route, tenant, node.max_body_bytes)
        if best is not None and node.max_body_bytes is not None:
            return RouteMatch(best.route, best.tenant, node.max_body_bytes)
        return best


def _descend(node: _Node, path: str, *, hide_tenant: bool = True) -> _Node:
    """The node for ``path`` below ``node``, made as needed; a new literal beside ``{tenant}`` takes its paths."""
    if not path.startswith("/"):
        raise ValueError(f"a route pattern starts with '/': {path!r}")
    for segment in path.split("/")[1:]:
        if segment == TENANT:
            node.tenant = node.tenant or _Node()
            node = node.tenant
        elif segment.startswith("{"):
            raise ValueError(f"only {TENANT} may be a placeholder: {path!r}")
        else:
            child = node.literals.get(segment)
            if child is None:
                if node.tenant is not None and not hide_tenant:
                    raise ValueError(f"{segment!r} would take the paths of {TENANT} in {path!r}")
                child = node.literals[segment] = _Node()
            node = child
    return node


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
