"""API keys → identity, and the tenant a request may act for."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from gateway.auth import ApiKeys, Authenticator, acting_tenant, credential_from
from gateway.routes import RouteMatch, RouteTable
from gateway.settings import ApiKeyGrant
from kit.errors import NotFound, Unauthorized

KEYS = ApiKeys(
    {
        "artland-secret": ApiKeyGrant(subject="artland-app", tenant="artland", roles=("agent",)),
        "ops-secret": ApiKeyGrant(subject="ops", roles=("operator",), scopes=("tenants:write",)),
    }
)
ROUTES = RouteTable()


def _match(path: str) -> RouteMatch:
    match = ROUTES.match(path)
    assert match is not None
    return match


def _headers(**values: str) -> CIMultiDictProxy[str]:
    return CIMultiDictProxy(CIMultiDict({name.replace("_", "-"): value for name, value in values.items()}))


def test_bearer_and_x_api_key_both_carry_the_key() -> None:
    assert credential_from(_headers(Authorization="Bearer abc")) == "abc"
    assert credential_from(_headers(authorization="bearer  abc ")) == "abc"
    assert credential_from(_headers(X_API_Key="abc")) == "abc"
    assert credential_from(_headers(Authorization="Basic Zm9vOmJhcg==", X_API_Key="abc")) == "abc"
    assert credential_from(_headers()) is None


async def test_known_key_becomes_a_client_identity() -> None:
    identity = await Authenticator([KEYS]).authenticate(_headers(X_API_Key="ops-secret"))

    assert identity.subject == "ops"
    assert identity.tenant_id is None
    assert identity.kind == "client"
    assert identity.roles == frozenset({"operator"})
    assert identity.scopes == frozenset({"tenants:write"})


async def test_missing_or_unknown_key_is_unauthorized() -> None:
    authenticator = Authenticator([KEYS])

    for headers in (_headers(), _headers(X_API_Key="nope"), _headers(Authorization="Bearer ")):
        with pytest.raises(Unauthorized) as raised:
            await authenticator.authenticate(headers)
        assert "WWW-Authenticate" in raised.value.headers()


def test_keys_are_held_only_as_digests() -> None:
    assert "artland-secret" not in repr(vars(KEYS))


async def test_tenant_bound_caller_acts_only_for_its_tenant() -> None:
    identity = await Authenticator([KEYS]).authenticate(_headers(X_API_Key="artland-secret"))
    own = _match("/v1/tenants/artland/tickets")
    other = _match("/v1/tenants/oldenburg/tickets")
    no_tenant = _match("/v1/tenants")

    assert acting_tenant(identity, own) == "artland"
    assert acting_tenant(identity, no_tenant) == "artland"
    with pytest.raises(NotFound):
        acting_tenant(identity, other)


async def test_operator_acts_for_the_tenant_in_the_url() -> None:
    identity = await Authenticator([KEYS]).authenticate(_headers(X_API_Key="ops-secret"))
    other = _match("/v1/tenants/oldenburg/tickets")
    no_tenant = _match("/v1/tenants")

    assert acting_tenant(identity, other) == "oldenburg"
    assert acting_tenant(identity, no_tenant) is None
