"""Inbound lines: the phone numbers and queues whose calls belong to a municipality."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

LineKind = Literal["number", "queue"]
_E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
_QUEUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_PUNCTUATION = str.maketrans("", "", " ()/-.")


def normalized_address(kind: LineKind, address: str) -> str:
    """The canonical form: E.164 for numbers (spaces and punctuation dropped, 00 → +), queue ids as given.

    Raises ``ValueError`` for what is not a valid number or queue id.
    """
    if kind == "queue":
        if not _QUEUE.fullmatch(address):
            raise ValueError("a queue id is 1–64 letters, digits and . _ : -")
        return address
    number = address.translate(_PUNCTUATION)
    if number.startswith("00"):
        number = "+" + number[2:]
    if not _E164.fullmatch(number):
        raise ValueError("an international number in E.164 form, e.g. +49 441 2350")
    return number


class LineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: LineKind
    address: str = Field(max_length=64, description="E.164 number (e.g. +494412350) or queue id")
    label: str | None = Field(default=None, max_length=200)

    @field_validator("address")
    @classmethod
    def _normalize(cls, address: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        return address if kind is None else normalized_address(kind, address)


class LineRead(BaseModel):
    id: UUID
    tenant_id: str
    kind: LineKind
    address: str
    label: str | None
    created_at: datetime


class LineList(BaseModel):
    items: list[LineRead]


class Resolution(BaseModel):
    """Which municipality a call on this number or queue is for."""

    tenant_id: str
    line_id: UUID
    kind: LineKind
    address: str
