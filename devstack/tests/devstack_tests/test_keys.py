"""Passwords, the signing key and the demo API keys are made once per state folder and then reused."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from devstack.demo import CLIENTS
from devstack.keys import ApiClient, database_passwords, ensure_api_keys, ensure_signing_key
from kit.identity import Identity, InternalTokenSigner, InternalTokenVerifier, Role


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_passwords_are_generated_once_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    first = database_passwords(path, ["tenants", "tickets"])
    assert len(set(first.values())) == 2
    assert all(len(password) >= 30 for password in first.values())
    assert mode(path) == 0o600
    assert database_passwords(path, ["tenants", "tickets"]) == first


def test_a_new_service_gets_a_password_and_the_others_keep_theirs(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    first = database_passwords(path, ["tenants"])
    second = database_passwords(path, ["tenants", "metrics"])
    assert second["tenants"] == first["tenants"]
    assert json.loads(path.read_text()) == second


def test_the_signing_key_is_created_once_and_its_public_half_verifies_its_tokens(tmp_path: Path) -> None:
    pem, jwks_path = tmp_path / "keys" / "signing.pem", tmp_path / "keys" / "jwks.json"
    key = ensure_signing_key(pem, jwks_path, kid="local-1")
    assert mode(pem) == 0o600
    content = pem.read_bytes()
    again = ensure_signing_key(pem, jwks_path, kid="local-1")
    assert pem.read_bytes() == content
    assert again.private_bytes_raw() == key.private_bytes_raw()
    token = InternalTokenSigner.from_pem(content.decode(), kid="local-1").sign(Identity("me", "artland"))
    assert InternalTokenVerifier.from_jwks(str(jwks_path)).verify(token).tenant_id == "artland"
    assert "PRIVATE" not in jwks_path.read_text()
    assert serialization.load_pem_private_key(content, password=None)


def test_demo_api_keys_are_made_once_start_with_demo_and_have_the_gateway_form(tmp_path: Path) -> None:
    path = tmp_path / "api-keys.json"
    keys = ensure_api_keys(path, CLIENTS)
    assert mode(path) == 0o600
    assert set(keys) == {
        "operator",
        "oldenburg-agent",
        "oldenburg-editor",
        "oldenburg-back-office",
        "artland-agent",
        "artland-admin",
        "artland-back-office",
        "artland-integration",
        "rheine-agent",
        "rheine-back-office",
    }
    assert all(key.startswith("demo-") for key in keys.values())
    assert ensure_api_keys(path, CLIENTS) == keys
    document = json.loads(path.read_text())
    assert document[keys["operator"]] == {
        "subject": "demo-operator",
        "tenant": None,
        "roles": ["operator"],
        "scopes": [],
        "kind": "user",
    }
    assert document[keys["artland-agent"]] == {
        "subject": "demo-artland-agent",
        "tenant": "artland",
        "roles": ["agent"],
        "scopes": [],
        "kind": "user",
    }
    integration = document[keys["artland-integration"]]
    assert (integration["roles"], "kind" in integration) == (["integration_client"], False)
    assert "tickets:read" in integration["scopes"]
    assert document[keys["oldenburg-agent"]]["tenant"] == "oldenburg"
    # One key per role a person or an integration may hold (the public needs none).
    roles = {role for entry in document.values() for role in entry["roles"]}
    assert roles == {role.value for role in Role} - {"public", "system"}


def test_a_new_demo_client_is_added_beside_the_keys_already_given_out(tmp_path: Path) -> None:
    path = tmp_path / "api-keys.json"
    path.write_text(json.dumps({"my-own-key": {"subject": "me", "tenant": None, "roles": [], "scopes": []}}))
    first = ensure_api_keys(path, CLIENTS[:1])
    both = ensure_api_keys(path, [*CLIENTS[:1], ApiClient("clerk", "a clerk", "artland", ("agent",))])
    assert both["operator"] == first["operator"]
    assert set(json.loads(path.read_text())) == {"my-own-key", first["operator"], both["clerk"]}
