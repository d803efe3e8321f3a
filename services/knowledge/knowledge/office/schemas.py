"""The office's schema family: where people go for a service, when it is open and whom to ask."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

Email = Annotated[
    str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254, examples=["buergerbuero@artland.de"])
]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 ()/-]{2,29}$", examples=["+49 5431 1820"])]
PostalCode = Annotated[str, Field(pattern=r"^[0-9]{5}$", examples=["49610"])]
ClockTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM", examples=["08:00"])]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Note = Annotated[str, Field(max_length=1000, examples=["Termine nach Vereinbarung"])]


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")

    street: Name
    postal_code: PostalCode
    city: Name


class OpeningHours(BaseModel):
    """One opening period on a weekday; a day with a lunch break has two."""

    model_config = ConfigDict(extra="forbid")

    weekday: Weekday
    opens: ClockTime
    closes: ClockTime

    @field_validator("closes")
    @classmethod
    def _after_opening(cls, closes: str, info: ValidationInfo) -> str:
        # Zero-padded HH:MM compares like the time of day.
        opens = info.data.get("opens")
        if opens is not None and closes <= opens:
            raise ValueError("must be later than opens")
        return closes


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    role: Name | None = None
    phone: Phone | None = None
    email: Email | None = None


class OfficeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    address: Address | None = None
    opening_hours: list[OpeningHours] = Field(default=[], max_length=50)
    opening_hours_note: Note | None = None
    phone: Phone | None = None
    email: Email | None = None
    contacts: list[Contact] = Field(default=[], max_length=50)


class OfficeUpdate(BaseModel):
    """The fields to change; the others stay. ``null`` clears an optional field."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    address: Address | None = None
    opening_hours: list[OpeningHours] | None = Field(default=None, max_length=50)
    opening_hours_note: Note | None = None
    phone: Phone | None = None
    email: Email | None = None
    contacts: list[Contact] | None = Field(default=None, max_length=50)


class OfficeRead(BaseModel):
    id: UUID
    tenant_id: str
    name: str
    address: Address | None
    opening_hours: list[OpeningHours]
    opening_hours_note: str | None
    phone: str | None
    email: str | None
    contacts: list[Contact]
    version: int
    created_at: datetime
    updated_at: datetime


class OfficeList(BaseModel):
    items: list[OfficeRead]


class ResponsibilityRead(BaseModel):
    description_id: UUID


class ResponsibilityList(BaseModel):
    items: list[ResponsibilityRead]
