"""Route classes: the scope a client needs per method, the public's reads, and who passes untouched."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from gateway.auth import MissingCredentials
from gateway.authorization import (
    ClientsNotAllowed,
    ScopeMissing,
    authorize,
    public_reader,
    rate_limited_as,
    required_scope,
)
from gateway.routes import Route, RouteMatch, RouteTable
from kit.errors import ProblemError
from kit.identity import Identity

TABLE = RouteTable()
TICKETS = Route("/v1/tenants/{tenant}/tickets", "tickets", read_scope="tickets:read", write_scope="tickets:write")
ANNA = Identity(subject="anna", tenant_id="artland", roles=frozenset({"agent"}))


def _client(*scopes: str) -> Identity:
    return Identity(
        subject="client:1",
        tenant_id="artland",
        roles=frozenset({"integration_client"}),
        scopes=frozenset(scopes),
        kind="client",
    )


def _match(path: str) -> RouteMatch:
    match = TABLE.match(path)
    assert match is not None
    return match


def _headers(values: dict[str, str] | None = None) -> CIMultiDictProxy[str]:
    return CIMultiDictProxy(CIMultiDict(values or {}))


@pytest.mark.parametrize(
    ("method", "scope"),
    [
        ("GET", "tickets:read"),
        ("HEAD", "tickets:read"),
        ("OPTIONS", "tickets:read"),
        ("POST", "tickets:write"),
        ("PUT", "tickets:write"),
        ("PATCH", "tickets:write"),
        ("DELETE", "tickets:write"),
    ],
)
def test_reads_need_the_read_scope_and_every_other_method_the_write_scope(method: str, scope: str) -> None:
    assert required_scope(TICKETS, method) == scope


def test_a_route_without_a_write_scope_lets_clients_only_read() -> None:
    knowledge = _match("/v1/tenants/artland/knowledge/articles").route

    assert (required_scope(knowledge, "GET"), required_scope(knowledge, "POST")) == ("knowledge:read", None)


def test_a_client_with_the_scope_passes() -> None:
    authorize(_client("tickets:write"), _match("/v1/tenants/artland/tickets/7"), "PATCH")


def test_a_client_without_the_scope_is_told_which_one_it_needs() -> None:
    with pytest.raises(ScopeMissing) as refused:
        authorize(_client("tickets:read", "contacts:write"), _match("/v1/tenants/artland/tickets/7"), "PATCH")

    problem = refused.value.to_problem()
    assert (problem["status"], problem["detail"], problem["scope"]) == (
        403,
        "This needs the scope tickets:write.",
        "tickets:write",
    )


def test_administration_is_closed_to_clients_whatever_their_scopes() -> None:
    every = _client("contacts:read", "contacts:write", "knowledge:read", "tickets:read", "tickets:write")
    for path in ("/v1/tenants", "/v1/tenants/artland/contract", "/v1/lines/resolve"):
        with pytest.raises(ClientsNotAllowed, match=r"^API clients cannot use this route\.$"):
            authorize(every, _match(path), "GET")


def test_a_read_only_route_refuses_a_clients_write_by_its_method() -> None:
    with pytest.raises(ClientsNotAllowed, match=r"^API clients cannot POST here\.$"):
        authorize(_client("knowledge:read"), _match("/v1/tenants/artland/knowledge/articles"), "POST")


@pytest.mark.parametrize("path", ["/v1/tenants", "/v1/tenants/artland/tickets/7", "/v1/tenants/artland/public/a"])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_people_pass_for_the_services_to_judge_their_roles(path: str, method: str) -> None:
    authorize(ANNA, _match(path), method)


@pytest.mark.parametrize(
    "path", ["/v1/tenants/artland/public/articles", "/v1/tenants/artland/open311/v2/services.json"]
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_without_a_credential_the_public_reads_a_public_route_for_the_tenant_in_the_url(path: str, method: str) -> None:
    public = public_reader(_match(path), method, _headers({"Accept": "application/json"}))

    assert public == Identity(subject="anonymous", tenant_id="artland", roles=frozenset({"public"}), kind="anonymous")
    authorize(public, _match(path), method)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/tenants/artland/open311/v2/requests.json"),
        ("OPTIONS", "/v1/tenants/artland/public/articles"),
        ("GET", "/v1/tenants/artland/knowledge/articles"),
        ("GET", "/v1/tenants/artland"),
        ("GET", "/v1/tenants"),
    ],
)
def test_without_a_credential_nothing_else_is_public(method: str, path: str) -> None:
    assert public_reader(_match(path), method, _headers()) is None


@pytest.mark.parametrize(
    "headers", [{"X-API-Key": "nobody"}, {"Authorization": "Basic YTpi"}, {"authorization": "Bearer "}]
)
def test_any_credential_header_is_judged_as_a_credential_even_on_a_public_read(headers: dict[str, str]) -> None:
    assert public_reader(_match("/v1/tenants/artland/public/articles"), "GET", _headers(headers)) is None


def test_the_public_is_refused_with_401_beyond_a_public_read() -> None:
    public = Identity(subject="anonymous", tenant_id="artland", roles=frozenset({"public"}), kind="anonymous")

    with pytest.raises(MissingCredentials) as refused:
        authorize(public, _match("/v1/tenants/artland/open311/v2/requests.json"), "POST")

    assert isinstance(refused.value, ProblemError)
    assert refused.value.status == 401
    assert refused.value.headers()["WWW-Authenticate"].startswith("Bearer")


def test_the_public_is_counted_per_client_address_and_everyone_else_as_themselves() -> None:
    public = Identity(subject="anonymous", tenant_id="artland", roles=frozenset({"public"}), kind="anonymous")

    counted = rate_limited_as(public, "192.0.2.7")

    assert (counted.subject, counted.tenant_id) == ("anonymous:192.0.2.7", "artland")
    assert rate_limited_as(public, None).subject == "anonymous:unknown"
    assert rate_limited_as(ANNA, "192.0.2.7") is ANNA
