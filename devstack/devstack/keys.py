"""Secrets made once per state folder: database passwords, the gateway's signing key, demo API keys."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kit.identity import generate_signing_key, private_key_pem
from kit.keyfiles import jwks_text, read_signing_key, write_private


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object")
    return data


def database_passwords(path: Path, services: Iterable[str]) -> dict[str, str]:
    """Return each service's database password, generating (and keeping) those not made yet."""
    stored = _read_json(path)
    missing = [service for service in services if not isinstance(stored.get(service), str)]
    if missing:
        stored.update({service: secrets.token_urlsafe(24) for service in missing})
        write_private(path, json.dumps(stored, indent=2) + "\n")
    return {service: str(stored[service]) for service in services}


def ensure_signing_key(pem_path: Path, jwks_path: Path, *, kid: str) -> Ed25519PrivateKey:
    """Load the gateway's signing key, creating it on first use, and publish its public half as JWKS."""
    if pem_path.exists():
        key = read_signing_key(pem_path)
    else:
        key = generate_signing_key()
        write_private(pem_path, private_key_pem(key))
    document = jwks_text(kid, key.public_key())
    if not jwks_path.exists() or jwks_path.read_text() != document:
        write_private(jwks_path, document)
    return key


@dataclass(frozen=True)
class ApiClient:
    """A demo caller of the gateway: who it is and what it may do."""

    name: str
    who: str
    tenant: str | None
    roles: tuple[str, ...]
    # "user": the key stands for a person at a desk, who may act for partners through their grants.
    kind: str = "client"
    scopes: tuple[str, ...] = ()

    @property
    def subject(self) -> str:
        return f"demo-{self.name}"

    def entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "subject": self.subject,
            "tenant": self.tenant,
            "roles": list(self.roles),
            "scopes": list(self.scopes),
        }
        return entry if self.kind == "client" else {**entry, "kind": self.kind}


def ensure_api_keys(path: Path, clients: Iterable[ApiClient]) -> dict[str, str]:
    """Return client name → API key, adding a key for each client that has none yet.

    Keys start with ``demo-`` so that the gateway refuses them outside development.
    """
    stored = _read_json(path)
    by_subject = {entry.get("subject"): key for key, entry in stored.items() if isinstance(entry, Mapping)}
    result: dict[str, str] = {}
    changed = False
    for client in clients:
        key = by_subject.get(client.subject)
        if key is None:
            key = f"{client.subject}-{secrets.token_urlsafe(12)}"
        # A demo key given out earlier keeps its value and takes on what the demo client is now.
        if stored.get(key) != client.entry():
            stored[key] = client.entry()
            changed = True
        result[client.name] = key
    if changed:
        write_private(path, json.dumps(stored, indent=2) + "\n")
    return result
