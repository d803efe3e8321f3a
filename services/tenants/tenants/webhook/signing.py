"""Secrets and signatures as the Standard Webhooks specification has them (what Svix and others send).

A partner verifies a delivery with any Standard Webhooks library, e.g. ``Webhook(secret).verify(body, headers)``.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix, not a secret
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signed_headers(*, message_id: str, body: bytes, keys: Sequence[str], at: datetime) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` (one ``v1,…`` per key) for ``body``."""
    moment = at.astimezone(UTC)
    text = body.decode()
    signatures = " ".join(Webhook(secret).sign(message_id, moment, text) for secret in keys)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signatures,
    }
