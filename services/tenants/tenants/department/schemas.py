"""The department's schema family: a back-office unit that answers forwarded concerns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

Email = Annotated[
    str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254, examples=["buergerbuero@artland.de"])
]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 ()/-]{2,29}$", examples=["+49 5431 1820"])]
LeikaKey = Annotated[str, Field(pattern=r"^[0-9]{14}$", description="LeiKa service key", examples=["99085001012000"])]


class EscalationContact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    email: Email | None = None
    phone: Phone | None = None


def _distinct(keys: list[str]) -> list[str]:
    if len(set(keys)) != len(keys):
        raise ValueError("each LeiKa key once")
    return keys


class DepartmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    email: Email | None = None
    phone: Phone | None = None
    leika_keys: list[LeikaKey] = Field(default=[], description="The services this unit answers for")
    escalation_contact: EscalationContact | None = None

    _distinct_keys = field_validator("leika_keys")(_distinct)


class DepartmentUpdate(BaseModel):
    """The fields to change; the others stay. ``null`` clears an optional field."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: Email | None = None
    phone: Phone | None = None
    leika_keys: list[LeikaKey] | None = None
    escalation_contact: EscalationContact | None = None

    @field_validator("leika_keys")
    @classmethod
    def _distinct_keys(cls, keys: list[str] | None) -> list[str] | None:
        return None if keys is None else _distinct(keys)


class DepartmentRead(BaseModel):
    id: UUID
    tenant_id: str
    name: str
    email: str | None
    phone: str | None
    leika_keys: list[str]
    escalation_contact: EscalationContact | None
    version: int
    created_at: datetime
    updated_at: datetime


class DepartmentList(BaseModel):
    items: list[DepartmentRead]
