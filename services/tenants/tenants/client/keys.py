"""API keys: ``zk_<prefix>_<secret>``, generated from the OS's randomness and kept only as a SHA-256 digest.

The prefix (8 base32 characters, 40 bits) is public: lists show it and it finds the key's row. The
secret carries 256 random bits, so a plain SHA-256 is as good as a slow password hash here: nobody
can guess a preimage, and verification stays one fast hash. Base32 in lower case keeps the key one
word for a double click and safe in headers, URLs and shells; ``zk_`` lets secret scanners spot it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

SCHEME = "zk"
PREFIX_BYTES = 5
SECRET_BYTES = 32
KEY_PATTERN = re.compile(r"zk_([a-z2-7]{8})_[a-z2-7]{52}")
PREFIX_PATTERN = r"^[a-z2-7]{8}$"


def _base32(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new key: ``key`` goes to the caller once and is then forgotten; ``prefix`` and ``digest`` are stored."""

    key: str = field(repr=False)
    prefix: str
    digest: bytes = field(repr=False)


def digest(key: str) -> bytes:
    """The SHA-256 digest under which a key is stored."""
    return hashlib.sha256(key.encode("ascii", errors="replace")).digest()


def issue() -> IssuedKey:
    """A fresh random key."""
    prefix = _base32(secrets.token_bytes(PREFIX_BYTES))
    key = f"{SCHEME}_{prefix}_{_base32(secrets.token_bytes(SECRET_BYTES))}"
    return IssuedKey(key=key, prefix=prefix, digest=digest(key))


def prefix_of(key: str) -> str | None:
    """The public prefix of a well-formed key; None for anything that cannot be one of ours."""
    match = KEY_PATTERN.fullmatch(key)
    return match.group(1) if match else None


def same_digest(presented: bytes, stored: bytes) -> bool:
    """Compare digests in constant time."""
    return hmac.compare_digest(presented, stored)
