"""The route table: longest prefix on path segments, ``{tenant}`` only for valid tenant ids."""

from __future__ import annotations

import pytest

from gateway.routes import Route, RouteTable, is_canonical

TABLE = RouteTable()


@pytest.mark.parametrize(
    ("path", "service", "tenant"),
    [
        ("/v1/tenants", "tenants", None),
        ("/v1/tenants/artland", "tenants", "artland"),
        ("/v1/tenants/artland/contract", "tenants", "artland"),
        ("/v1/tenants/artland/knowledge", "knowledge", "artland"),
        ("/v1/tenants/artland/knowledge/articles/42", "knowledge", "artland"),
        ("/v1/tenants/artland/contacts/7", "tickets", "artland"),
        ("/v1/tenants/artland/tickets", "tickets", "artland"),
        ("/v1/tenants/artland/figures/sla", "metrics", "artland"),
        ("/v1/tenants/artland/knowledgebase", "tenants", "artland"),
        ("/v1/lines/resolve", "tenants", None),
        ("/v1/knowledge/base/descriptions", "knowledge", None),
    ],
)
def test_paths_go_to_the_most_specific_route(path: str, service: str, tenant: str | None) -> None:
    match = TABLE.match(path)

    assert match is not None
    assert (match.service, match.tenant) == (service, tenant)


@pytest.mark.parametrize(
    "path",
    ["/", "", "v1/tenants", "/v1", "/v1/tenant", "/v1/tenants/", "/v1/tenantsx", "/v1/tenants/Artland", "/v2/tenants"],
)
def test_unknown_paths_match_nothing(path: str) -> None:
    assert TABLE.match(path) is None


def test_tenant_placeholder_accepts_only_tenant_ids() -> None:
    assert TABLE.match("/v1/tenants/a%2Fb/knowledge") is None
    assert TABLE.match("/v1/tenants/../knowledge") is None


def test_exact_route_does_not_answer_paths_below_it() -> None:
    table = RouteTable([Route("/v1/tenants", "tenants", prefix=False)])

    assert table.match("/v1/tenants/artland") is None


def test_templates_match_like_paths() -> None:
    match = TABLE.match_template("/v1/tenants/{tenant_id}/knowledge/articles/{article_id}")

    assert match is not None
    assert match.service == "knowledge"
    assert TABLE.match_template("/v1/other/{x}") is None


def test_two_routes_for_one_pattern_are_refused() -> None:
    with pytest.raises(ValueError, match="two routes"):
        RouteTable([Route("/v1/x", "a"), Route("/v1/x", "b")])


def test_only_the_tenant_placeholder_is_allowed() -> None:
    with pytest.raises(ValueError, match="placeholder"):
        RouteTable([Route("/v1/{other}", "a")])


@pytest.mark.parametrize(
    ("path", "canonical"),
    [
        ("/v1/tenants/artland/knowledge/file.pdf", True),
        ("/v1/tenants/artland/a%20b", True),
        ("/v1/tenants/artland/../oldenburg", False),
        ("/v1/tenants/artland/./x", False),
        ("/v1/tenants/artland/%2e%2E/oldenburg", False),
        ("/v1/tenants/artland%2Foldenburg", False),
        ("/v1/tenants/artland%5C..", False),
        ("/v1/tenants/artland/%00", False),
    ],
)
def test_non_canonical_paths_are_recognised(path: str, canonical: bool) -> None:
    assert is_canonical(path) is canonical
