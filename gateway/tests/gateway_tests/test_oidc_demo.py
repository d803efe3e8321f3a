"""Demo tokens: off unless enabled, refused outside development, verified like any provider's when on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives import serialization
from pydantic import ValidationError

from gateway.demo_issuer import DemoIssuer, load_demo_key
from gateway.settings import GatewaySettings

from .oidc_support import new_ec
from .support import GatewayFactory, SigningMaterial, demo_token

Client = TestClient[Any, Any]
KNOWLEDGE = "/v1/tenants/artland/knowledge/articles"
TOKEN = "/auth/demo/token"
JWKS = "/auth/demo/jwks.json"


async def test_demo_tokens_are_off_by_default(gateway: Client) -> None:
    for response in (
        await gateway.get(JWKS),
        await gateway.post(TOKEN, json={"subject": "a", "tenant": "artland", "roles": ["agent"]}),
    ):
        assert response.status == 404
        assert response.headers["Content-Type"] == "application/problem+json"


async def test_a_demo_token_acts_for_its_tenant_with_its_roles(make_gateway: GatewayFactory) -> None:
    gateway = await make_gateway(demo_tokens=True)
    token = await demo_token(gateway, subject="erika", tenant="artland", roles=["agent"], scopes=["tickets:read"])

    response = await gateway.get(KNOWLEDGE, headers={"Authorization": f"Bearer {token}"})

    assert response.status == 200
    identity = (await response.json())["identity"]
    assert (identity["subject"], identity["tenant"], identity["kind"]) == ("erika", "artland", "user")
    assert (identity["roles"], identity["scopes"]) == (["agent"], ["tickets:read"])
    jwks = await (await gateway.get(JWKS)).json()
    assert [(key["kty"], key["crv"], key["alg"]) for key in jwks["keys"]] == [("EC", "P-256", "ES256")]


async def test_a_demo_token_for_one_tenant_on_another_tenants_url_is_not_found(make_gateway: GatewayFactory) -> None:
    gateway = await make_gateway(demo_tokens=True)
    token = await demo_token(gateway, subject="erika", tenant="artland", roles=["agent"])

    response = await gateway.get("/v1/tenants/oldenburg/knowledge/articles", headers={"X-API-Key": token})

    assert response.status == 404


async def test_an_operator_demo_token_needs_no_tenant(make_gateway: GatewayFactory) -> None:
    gateway = await make_gateway(demo_tokens=True)
    token = await demo_token(gateway, subject="ops", roles=["operator"])

    response = await gateway.get("/v1/tenants/oldenburg", headers={"Authorization": f"Bearer {token}"})

    assert response.status == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": "erika", "tenant": "artland", "roles": ["superuser"]}, "roles.0"),
        ({"subject": "erika", "tenant": "artland", "roles": ["system"]}, "roles"),
        ({"subject": "erika", "roles": ["agent"]}, "tenant"),
        ({"subject": "erika", "tenant": "Artland!", "roles": ["agent"]}, "tenant"),
        ({"subject": "", "tenant": "artland", "roles": ["agent"]}, "subject"),
        ({"subject": "erika", "tenant": "artland", "roles": []}, "roles"),
    ],
)
async def test_a_demo_token_request_is_checked_field_by_field(
    make_gateway: GatewayFactory, body: dict[str, Any], field: str
) -> None:
    gateway = await make_gateway(demo_tokens=True)

    response = await gateway.post(TOKEN, json=body)

    assert response.status == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in (await response.json())["errors"]] == [field]


async def test_the_token_endpoint_takes_only_json_posts(make_gateway: GatewayFactory) -> None:
    gateway = await make_gateway(demo_tokens=True)

    assert (await gateway.get(TOKEN)).status == 405
    assert (await gateway.post(TOKEN, data=b"subject=erika")).status == 400


def test_demo_tokens_are_refused_outside_development(signing: SigningMaterial) -> None:
    with pytest.raises(ValidationError, match="development only"):
        GatewaySettings(environment="production", signing_key=signing.pem, demo_tokens=True)


def test_a_demo_key_from_a_file_keeps_its_key_id_across_restarts(tmp_path: Path) -> None:
    pem = new_ec().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = tmp_path / "demo.pem"
    path.write_bytes(pem)

    first, second = (DemoIssuer(load_demo_key(str(path)), issuer="http://x/auth/demo") for _ in range(2))

    assert first.kid == second.kid
    assert DemoIssuer(load_demo_key(""), issuer="http://x/auth/demo").kid != first.kid
