"""What a municipality's web site reads: published descriptions and offices, without anything internal.

Each model is validated from an internal view (the agent's merged description, an office row) and keeps
only the fields it declares: working texts, layers and origins, versions, timestamps of edits and the
offices' contact persons never leave the service through these models.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from knowledge.office.schemas import Address, OpeningHours


class PublicOffice(BaseModel):
    """An office as the public sees it: where it is, when it is open and how to reach it.

    The contact persons are left out: they are staff members' names and direct lines, and nothing marks
    which of them a municipality wants published.
    """

    id: UUID
    name: str
    address: Address | None
    opening_hours: list[OpeningHours]
    opening_hours_note: str | None
    phone: str | None
    email: str | None


class PublicOfficeList(BaseModel):
    items: list[PublicOffice]


class PublicDescription(BaseModel):
    """The published text of a service in this municipality: the shared text with its own parts laid over it."""

    id: UUID
    leika_key: str | None
    name: str
    modules: dict[str, str] = Field(description="The XZuFi text modules by the names the API uses")
    fees: list[dict[str, Any]] | None = None
    deadlines: list[dict[str, Any]] | None = None
    processing_time: dict[str, Any] | None = None
    synonyms: list[str]
    online_service_url: str | None = None
    approval: dict[str, Any] | None = Field(default=None, description="Who released the text, and when")
    source: str | None = None


class PublicDescriptionRead(PublicDescription):
    """A published description with the offices responsible for it here."""

    offices: list[PublicOffice]


class PublicDescriptionList(BaseModel):
    items: list[PublicDescription]
    next_cursor: str | None
