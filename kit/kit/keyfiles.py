"""The gateway's signing key and the services' key set (JWKS) as files, for Secrets and for the local stack.

Rotation: a new key is added beside the keys the services already trust; once every service has the new
set, the gateway switches to the new key (``GATEWAY_SIGNING_KEY_ID`` names it), and later the old key
leaves the set.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kit.identity import generate_signing_key, load_signing_key, private_key_pem, public_jwk

SIGNING_KEY_FILE = "signing-key.pem"
JWKS_FILE = "internal-jwks.json"


def write_private(path: Path, content: str | bytes) -> None:
    """Write a file only its owner can read, replacing it atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode() if isinstance(content, str) else content
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.replace(partial, path)


def read_signing_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM file at ``path``."""
    try:
        return load_signing_key(path.read_bytes())
    except (ValueError, TypeError):
        raise ValueError(f"{path} does not hold an Ed25519 private key") from None


def read_jwks(path: Path) -> dict[str, Any]:
    """The key set in ``path``; its keys are kept as they are."""
    document = json.loads(path.read_text())
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError(f"{path} is not a JWKS: a JSON object with a list of keys")
    return document


def jwks_text(kid: str, key: Ed25519PublicKey, *, trusted: Mapping[str, Any] | None = None) -> str:
    """A JWKS with ``key`` under ``kid``, after the keys of ``trusted`` (whose ids it must not repeat)."""
    keys = list(trusted["keys"]) if trusted is not None else []
    if any(isinstance(entry, Mapping) and entry.get("kid") == kid for entry in keys):
        raise ValueError(f"the key set already holds a key {kid!r}: choose a new key id")
    return json.dumps({"keys": [*keys, public_jwk(key, kid)]}, indent=2) + "\n"


def create_signing_key(out: Path, *, kid: str, trusted: Path | None = None) -> tuple[Path, Path]:
    """Write a new signing key and its key set (with the keys of ``trusted``) into ``out``; return both paths.

    Refuses to replace a signing key, or a key set other than ``trusted`` itself: keys that are in use
    must not disappear by accident.
    """
    pem_path, jwks_path = out / SIGNING_KEY_FILE, out / JWKS_FILE
    if pem_path.exists():
        raise FileExistsError(f"{pem_path} exists: write the new key into another folder")
    if jwks_path.exists() and (trusted is None or trusted.resolve() != jwks_path.resolve()):
        raise FileExistsError(f"{jwks_path} exists: pass it as --jwks to add the new key, or use another folder")
    key = generate_signing_key()
    document = jwks_text(kid, key.public_key(), trusted=read_jwks(trusted) if trusted is not None else None)
    write_private(pem_path, private_key_pem(key))
    write_private(jwks_path, document)
    return pem_path, jwks_path
