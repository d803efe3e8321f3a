"""Every kind of caller against every class of route, through real gateways in front of echoing services.

Two gateways share the services: one knows Artland's grant to Oldenburg (in the role agent), the other
knows no grant. Artland and Oldenburg both appear in URLs; a principal's home decides which one is its
own. A forwarded request shows the tenant, roles and kind the service reads from the internal token.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient

from gateway.app import PROXY
from gateway.routes import ROUTES, RouteTable
from kit.errors import PROBLEM_JSON

from .support import EchoUpstream, SigningMaterial, app_of, demo_token, echo_upstreams, grant, start_gateway

# One pair of gateways serves the whole matrix: its tests share the module's event loop.
in_module_loop = pytest.mark.asyncio(loop_scope="module")

Client = TestClient[Any, Any]
SERVICES = ("tenants", "knowledge", "tickets", "metrics")
GRANTED_ROLES = ("agent",)
TENANTS = ("artland", "oldenburg")

# What each class of route allows: the scope a client needs to GET, to POST, and whether the public may GET.
CLASSES: dict[str, tuple[str | None, str | None, bool]] = {
    "/v1/tenants": (None, None, False),
    "/v1/tenants/{tenant}": (None, None, False),
    "/v1/lines": (None, None, False),
    "/v1/tenants/{tenant}/knowledge": ("knowledge:read", None, False),
    "/v1/knowledge/base": ("knowledge:read", None, False),
    "/v1/tenants/{tenant}/public": ("knowledge:read", None, True),
    "/v1/tenants/{tenant}/contacts": ("contacts:read", "contacts:write", False),
    "/v1/tenants/{tenant}/tickets": ("tickets:read", "tickets:write", False),
    "/v1/tenants/{tenant}/open311": ("open311:read", "open311:write", True),
    "/v1/tenants/{tenant}/figures": ("figures:read", None, False),
    "/v1/figures": (None, None, False),
    "/v1/telephony": (None, "calls:write", False),
}
# A path each route answers.
PATHS = {
    "/v1/tenants": "/v1/tenants",
    "/v1/tenants/{tenant}": "/v1/tenants/{tenant}/contract",
    "/v1/lines": "/v1/lines/resolve",
    "/v1/tenants/{tenant}/knowledge": "/v1/tenants/{tenant}/knowledge/articles",
    "/v1/knowledge/base": "/v1/knowledge/base/descriptions",
    "/v1/tenants/{tenant}/public": "/v1/tenants/{tenant}/public/articles",
    "/v1/tenants/{tenant}/contacts": "/v1/tenants/{tenant}/contacts",
    "/v1/tenants/{tenant}/tickets": "/v1/tenants/{tenant}/tickets",
    "/v1/tenants/{tenant}/open311": "/v1/tenants/{tenant}/open311/v2/requests.json",
    "/v1/tenants/{tenant}/figures": "/v1/tenants/{tenant}/figures/sla",
    "/v1/figures": "/v1/figures/kpis",
    "/v1/telephony": "/v1/telephony/call-events",
}
# Speaks Open311: its refusals are Open311's errors, and a missing or unknown credential is 403 there.
OPEN311 = "/v1/tenants/{tenant}/open311"
OPEN311_JSON = "application/json; charset=utf-8"
UNROUTED = (("GET", "/v1/nowhere"), ("GET", "/v1/internal/grants"), ("POST", "/v1/internal/api-keys/verify"))
SCOPES = sorted({scope for read, write, _ in CLASSES.values() for scope in (read, write) if scope is not None})


@dataclass(frozen=True)
class Principal:
    name: str
    home: str | None
    roles: tuple[str, ...]
    kind: Literal["user", "client", "anonymous"]
    # Asks the gateway that knows Artland's grant to Oldenburg.
    granted: bool = False
    # A client: holds the scope each request needs (else every scope but that one).
    holds_scope: bool = True
    # Signs in with a demo token (an OIDC token of the gateway's own issuer) instead of an API key.
    demo: bool = False


PRINCIPALS = (
    Principal("operator", None, ("operator",), "user"),
    Principal("host_agent", "oldenburg", ("agent", "back_office"), "user"),
    Principal("host_agent_granted", "oldenburg", ("agent", "back_office"), "user", granted=True),
    Principal("partner_agent", "artland", ("agent",), "user"),
    Principal("knowledge_editor", "artland", ("knowledge_editor",), "user", demo=True),
    Principal("tenant_admin", "artland", ("tenant_admin",), "user"),
    Principal("back_office", "artland", ("back_office",), "user"),
    Principal("client_with_scope", "artland", ("integration_client",), "client"),
    Principal("client_without_scope", "artland", ("integration_client",), "client", holds_scope=False),
    Principal("anonymous", None, (), "anonymous"),
)


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    route: str | None
    tenant: str | None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def scope(self) -> str | None:
        """The scope a client needs for this request (None: no scope lets it)."""
        if self.route is None:
            return None
        read, write, _ = CLASSES[self.route]
        return read if self.method == "GET" else write


def _cases() -> Iterator[Case]:
    for route, path in PATHS.items():
        for method in ("GET", "POST"):
            for tenant in TENANTS if "{tenant}" in route else (None,):
                yield Case(method, path.format(tenant=tenant), route, tenant)
    for method, path in UNROUTED:
        yield Case(method, path, None, None)


CASES = tuple(_cases())


@dataclass(frozen=True)
class Forwarded:
    """What the service sees of a request the gateway let through."""

    service: str
    tenant: str | None
    roles: tuple[str, ...]
    kind: str


def expected(who: Principal, case: Case) -> Forwarded | int:
    """The service's view of the request, or the status the gateway refuses it with."""
    if case.route is None:
        return 404
    service = next(route.service for route in ROUTES if route.pattern == case.route)
    if who.kind == "anonymous":
        public = CLASSES[case.route][2] and case.method == "GET"
        return Forwarded(service, case.tenant, ("public",), "anonymous") if public else 401
    roles = who.roles
    if who.home is not None and case.tenant is not None and case.tenant != who.home:
        if not (who.granted and case.tenant == "artland"):
            return 404
        roles = tuple(role for role in roles if role in GRANTED_ROLES)
    if who.kind == "client" and (case.scope is None or not who.holds_scope):
        return 403
    return Forwarded(service, case.tenant or who.home, roles, who.kind)


def _key(name: str) -> str:
    return f"{name}-key-0123456789"


def _client_key(case: Case, *, holds_scope: bool) -> str:
    if case.scope is None:
        return _key("every-scope" if holds_scope else "no-scope")
    return _key(f"only-{case.scope}" if holds_scope else f"all-but-{case.scope}")


def _api_keys() -> dict[str, dict[str, Any]]:
    keys: dict[str, dict[str, Any]] = {
        _key(who.name): {"subject": who.name, "tenant": who.home, "roles": list(who.roles), "kind": "user"}
        for who in PRINCIPALS
        if who.kind == "user" and not who.demo
    }
    client = {"tenant": "artland", "roles": ["integration_client"], "kind": "client"}
    for scope in SCOPES:
        keys[_key(f"only-{scope}")] = {**client, "subject": f"only-{scope}", "scopes": [scope]}
        others = [other for other in SCOPES if other != scope]
        keys[_key(f"all-but-{scope}")] = {**client, "subject": f"all-but-{scope}", "scopes": others}
    keys[_key("every-scope")] = {**client, "subject": "every-scope", "scopes": SCOPES}
    keys[_key("no-scope")] = {**client, "subject": "no-scope", "scopes": []}
    return keys


@dataclass
class Setup:
    gateways: dict[bool, Client]
    upstreams: list[EchoUpstream]
    demo_tokens: dict[str, str]

    def gateway(self, who: Principal) -> Client:
        return self.gateways[who.granted]

    def calls(self) -> int:
        return sum(len(upstream.calls) for upstream in self.upstreams)

    def headers(self, who: Principal, case: Case) -> dict[str, str]:
        if who.kind == "anonymous":
            return {}
        if who.demo:
            return {"Authorization": f"Bearer {self.demo_tokens[who.name]}"}
        if who.kind == "client":
            return {"X-API-Key": _client_key(case, holds_scope=who.holds_scope)}
        return {"X-API-Key": _key(who.name)}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def setup(signing: SigningMaterial) -> AsyncIterator[Setup]:
    async with (
        echo_upstreams(signing.verifier, SERVICES) as services,
        echo_upstreams(signing.verifier, ("tenants",)) as granting,
    ):
        granting["tenants"].grants = [grant("artland", "oldenburg", GRANTED_ROLES)]
        urls = {name: upstream.url for name, upstream in services.items()}
        settings: dict[str, Any] = {"api_keys": json.dumps(_api_keys()), "demo_tokens": True}
        gateways = {
            False: await start_gateway(signing, urls, **settings),
            True: await start_gateway(signing, {**urls, "tenants": granting["tenants"].url}, **settings),
        }
        try:
            for gateway in gateways.values():
                grants = app_of(gateway)[PROXY].grants
                assert grants is not None
                await asyncio.wait_for(grants.loaded.wait(), 10)
            # Each gateway issues demo tokens with its own key: ask the one the principal calls.
            tokens = {
                who.name: await demo_token(
                    gateways[who.granted], subject=who.name, tenant=who.home, roles=list(who.roles)
                )
                for who in PRINCIPALS
                if who.demo
            }
            yield Setup(gateways, [*services.values(), granting["tenants"]], tokens)
        finally:
            for gateway in gateways.values():
                await gateway.close()


def test_the_matrix_covers_the_route_table_as_it_is() -> None:
    table = RouteTable()

    assert {route.pattern: (route.read_scope, route.write_scope, route.public_read) for route in ROUTES} == CLASSES
    for route, path in PATHS.items():
        match = table.match(path.format(tenant="artland"))
        assert match is not None
        assert match.route.pattern == route
    for _, path in UNROUTED:
        assert table.match(path) is None


@in_module_loop
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
@pytest.mark.parametrize("who", PRINCIPALS, ids=[who.name for who in PRINCIPALS])
async def test_every_principal_against_every_class_of_route(setup: Setup, who: Principal, case: Case) -> None:
    before = setup.calls()

    response = await setup.gateway(who).request(case.method, case.path, headers=setup.headers(who, case))

    body = await response.json(content_type=None)
    outcome = expected(who, case)
    if isinstance(outcome, Forwarded):
        assert response.status == 200, body
        seen = body["identity"]
        assert (body["service"], seen["tenant"], tuple(seen["roles"]), seen["kind"]) == (
            outcome.service,
            outcome.tenant,
            outcome.roles,
            outcome.kind,
        )
    elif case.route == OPEN311:
        status = 403 if outcome == 401 else outcome
        assert (response.status, [error["code"] for error in body]) == (status, [status]), body
        assert response.headers["Content-Type"] == OPEN311_JSON
        assert setup.calls() == before
    else:
        assert (response.status, body["status"]) == (outcome, outcome), body
        assert response.headers["Content-Type"] == PROBLEM_JSON
        assert setup.calls() == before


@in_module_loop
async def test_the_public_reads_as_nobody_in_particular(setup: Setup) -> None:
    response = await setup.gateways[False].get("/v1/tenants/oldenburg/open311/v2/services.json")

    seen = (await response.json())["identity"]
    assert (seen["subject"], seen["tenant"], seen["scopes"]) == ("anonymous", "oldenburg", [])


@in_module_loop
@pytest.mark.parametrize(
    "headers",
    [{"X-API-Key": "nobody-knows-this-key"}, {"Authorization": "Bearer not-a-key"}, {"Authorization": "Basic YTpi"}],
    ids=["unknown-key", "unknown-token", "other-scheme"],
)
async def test_a_credential_nobody_knows_is_401_even_where_the_public_may_read(
    setup: Setup, headers: dict[str, str]
) -> None:
    before = setup.calls()

    response = await setup.gateways[False].get("/v1/tenants/artland/public/articles", headers=headers)

    assert response.status == 401
    assert response.headers["Content-Type"] == PROBLEM_JSON
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert setup.calls() == before


@in_module_loop
async def test_the_public_may_head_but_not_ask_options_or_delete(setup: Setup) -> None:
    gateway = setup.gateways[False]
    path = "/v1/tenants/artland/public/articles"

    head = await gateway.head(path)
    options = await gateway.options(path)
    delete = await gateway.delete(path)

    assert (head.status, options.status, delete.status) == (200, 401, 401)


@in_module_loop
@pytest.mark.parametrize(
    ("method", "path", "key", "detail"),
    [
        ("POST", "/v1/tenants/artland/tickets", "all-but-tickets:write", "This needs the scope tickets:write."),
        (
            "GET",
            "/v1/tenants/artland/open311/v2/services.json",
            "only-open311:write",
            "This needs the scope open311:read.",
        ),
        ("PATCH", "/v1/tenants/artland", "every-scope", "API clients cannot use this route."),
        ("DELETE", "/v1/tenants/artland/figures/sla", "every-scope", "API clients cannot DELETE here."),
    ],
)
async def test_a_refused_client_is_told_why(setup: Setup, method: str, path: str, key: str, detail: str) -> None:
    response = await setup.gateways[False].request(method, path, headers={"X-API-Key": _key(key)})

    body = await response.json(content_type=None)
    told = body[0]["description"] if "/open311/" in path else body["detail"]
    assert (response.status, told) == (403, detail)


@in_module_loop
async def test_the_publics_reads_stay_out_of_the_access_audit(setup: Setup) -> None:
    gateway = setup.gateways[False]
    audit = app_of(gateway)[PROXY].audit
    assert audit is not None
    path = "/v1/tenants/artland/public/articles"

    before = len(audit)
    assert (await gateway.get(path)).status == 200
    after_public = len(audit)
    assert (await gateway.get(path, headers={"X-API-Key": _key("partner_agent")})).status == 200

    assert (after_public, len(audit)) == (before, before + 1)
