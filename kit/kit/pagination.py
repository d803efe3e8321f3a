"""Keyset pagination: lists ordered newest first by (an instant, an id), and the opaque cursor between pages."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import orjson

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
RowT = TypeVar("RowT", bound=Mapping[str, Any])


@dataclass(frozen=True, slots=True)
class Cursor:
    """The last item of a page (its instant and id): the next page starts after it."""

    at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        raw = orjson.dumps([self.at.isoformat(), str(self.id)])
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """The position ``text`` stands for; ``ValueError`` if no list returned it."""
        try:
            at, item_id = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            cursor = cls(datetime.fromisoformat(at), uuid.UUID(item_id))
        except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
            raise ValueError("not a cursor this list returned") from None
        if cursor.at.tzinfo is None:
            raise ValueError("not a cursor this list returned")
        return cursor


def page(rows: Sequence[RowT], limit: int, *, at: str = "created_at") -> tuple[list[RowT], str | None]:
    """The first ``limit`` rows and the cursor after them, if the query read one row beyond (``limit + 1``)."""
    shown = list(rows[:limit])
    if len(rows) <= limit:
        return shown, None
    last = shown[-1]
    return shown, Cursor(last[at], last["id"]).encode()
