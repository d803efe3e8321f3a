"""Settings refuse placeholder secrets outside development, and the app refuses an unusable key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from gateway.app import create_app
from gateway.settings import GatewaySettings

from .support import SigningMaterial

REAL_KEYS = json.dumps({"k7P2vQ9xRr4LmZ8sT1wY": {"subject": "artland-app", "tenant": "artland", "roles": ["agent"]}})
DEMO_KEYS = json.dumps({"demo-artland": {"subject": "artland-app", "tenant": "artland"}})


def test_missing_signing_key_is_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="signing_key"):
        GatewaySettings(environment="production", signing_key="", api_keys=REAL_KEYS)


def test_demo_api_keys_are_refused_outside_development(signing: SigningMaterial) -> None:
    with pytest.raises(ValidationError, match="api key 1 \\(artland-app\\)") as raised:
        GatewaySettings(environment="production", signing_key=signing.pem, api_keys=DEMO_KEYS)

    assert "demo-artland" not in str(raised.value)


def test_demo_api_keys_are_accepted_in_development(signing: SigningMaterial) -> None:
    settings = GatewaySettings(environment="development", signing_key=signing.pem, api_keys=DEMO_KEYS)

    assert set(settings.api_key_grants()) == {"demo-artland"}


def test_real_secrets_are_accepted_in_production(signing: SigningMaterial) -> None:
    settings = GatewaySettings(environment="production", signing_key=signing.pem, api_keys=REAL_KEYS)

    assert settings.api_key_grants()["k7P2vQ9xRr4LmZ8sT1wY"].tenant == "artland"


def test_keys_and_grants_are_read_from_files(signing: SigningMaterial, tmp_path: Path) -> None:
    key_file = tmp_path / "signing.pem"
    key_file.write_text(signing.pem)
    grants_file = tmp_path / "api-keys.json"
    grants_file.write_text(REAL_KEYS)

    settings = GatewaySettings(environment="production", signing_key=str(key_file), api_keys=str(grants_file))

    assert create_app(settings) is not None
    assert settings.api_key_grants()["k7P2vQ9xRr4LmZ8sT1wY"].subject == "artland-app"


def test_grants_with_an_invalid_tenant_are_refused(signing: SigningMaterial) -> None:
    bad = json.dumps({"k7P2vQ9xRr4LmZ8sT1wY": {"subject": "x", "tenant": "Not A Tenant"}})

    with pytest.raises(ValidationError, match="tenant: String should match pattern") as raised:
        GatewaySettings(environment="test", signing_key=signing.pem, api_keys=bad)

    assert "k7P2vQ9xRr4LmZ8sT1wY" not in str(raised.value)


def test_app_refuses_to_start_without_a_usable_signing_key() -> None:
    with pytest.raises(ValueError, match="GATEWAY_SIGNING_KEY is not set"):
        create_app(GatewaySettings(environment="development"))
    with pytest.raises(ValueError, match="not a usable Ed25519 private key"):
        create_app(GatewaySettings(environment="development", signing_key="-----BEGIN PRIVATE KEY-----\nxx\n"))
