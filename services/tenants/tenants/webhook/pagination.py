"""Opaque cursors over lists ordered newest first by (created_at, id)."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime

import orjson

from tenants.webhook.errors import InvalidCursor

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class Cursor:
    """The last item of a page: the next page starts after it."""

    created_at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        raw = orjson.dumps([self.created_at.isoformat(), str(self.id)])
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            created_at, item_id = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            cursor = cls(datetime.fromisoformat(created_at), uuid.UUID(item_id))
        except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
            raise InvalidCursor() from None
        if cursor.created_at.tzinfo is None:
            raise InvalidCursor()
        return cursor


def next_cursor(rows: list[dict[str, object]], limit: int) -> str | None:
    """The cursor after the page, if a further row was read beyond ``limit``."""
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    created_at, item_id = last["created_at"], last["id"]
    assert isinstance(created_at, datetime)
    assert isinstance(item_id, uuid.UUID)
    return Cursor(created_at, item_id).encode()
