"""The events the knowledge service publishes; it owns their contract (the data models below).

A shared description belongs to every tenant: its events are published under the host's tenant with
``layer`` ``shared``. A tenant's supplement of one is published under that tenant with ``layer``
``supplement`` and the shared description's id.

A request type (Open311) is carried for the tenant's own layer only: a municipality decides itself which
services it accepts requests for. Its ``name`` is always set: its own, else the description's name as agents
see it (for a supplement without a name of its own, the shared description's).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel

from kit.events import CloudEvent, new_event
from knowledge.settings import SERVICE

DESCRIPTION_PUBLISHED = "knowledge.description.published.v1"
DESCRIPTION_UPDATED = "knowledge.description.updated.v1"
DESCRIPTION_ARCHIVED = "knowledge.description.archived.v1"

Layer = Literal["shared", "local", "supplement"]


class RequestValueV1(BaseModel):
    key: str
    name: str


class RequestAttributeV1(BaseModel):
    """A question asked with each request (an Open311 service attribute)."""

    code: str
    description: str
    datatype: str
    required: bool
    datatype_description: str | None
    order: int | None
    values: list[RequestValueV1]


class RequestTypeV1(BaseModel):
    """The Open311 service citizens can send requests for."""

    code: str
    name: str
    description: str | None
    group: str | None
    keywords: list[str]
    attributes: list[RequestAttributeV1]


class DescriptionStateV1(BaseModel):
    """A description as agents see it after the change (for a supplement: what the supplement says)."""

    id: UUID
    layer: Layer
    leika_key: str | None
    name: str | None
    online_service_url: str | None
    published_version: int | None
    changed_by: str
    changed_at: datetime
    request_type: RequestTypeV1 | None = None


class DescriptionPublishedV1(DescriptionStateV1):
    """``knowledge.description.published.v1``: agents see a description they did not see before."""


class DescriptionUpdatedV1(DescriptionStateV1):
    """``knowledge.description.updated.v1``: a new version of a published description was published."""


class DescriptionArchivedV1(DescriptionStateV1):
    """``knowledge.description.archived.v1``: a description was withdrawn from agents."""


PUBLISHED: dict[str, type[BaseModel]] = {
    DESCRIPTION_PUBLISHED: DescriptionPublishedV1,
    DESCRIPTION_UPDATED: DescriptionUpdatedV1,
    DESCRIPTION_ARCHIVED: DescriptionArchivedV1,
}


def _request_type(stored: dict[str, Any], *, name: str | None) -> RequestTypeV1:
    """The stored request type with every field set, named ``name`` unless it has a name of its own."""
    attributes = [
        RequestAttributeV1.model_validate(
            {"required": False, "datatype_description": None, "order": None, "values": [], **attribute}
        )
        for attribute in stored.get("attributes", [])
    ]
    defaults: dict[str, Any] = {"description": None, "group": None, "keywords": []}
    return RequestTypeV1.model_validate(
        {**defaults, **stored, "name": stored.get("name") or name, "attributes": attributes}
    )


def description_event(
    event_type: str,
    row: dict[str, Any],
    *,
    tenant_id: str,
    content: dict[str, Any],
    base_name: str | None = None,
) -> CloudEvent:
    """The event of ``event_type`` about the description (or supplement) in ``row``, as it is now.

    ``base_name`` is the shared description's name for a supplement's event: the name agents see unless the
    supplement renames it.
    """
    is_supplement = row.get("base_id") is not None
    layer: Layer = "supplement" if is_supplement else ("local" if "tenant_id" in row else "shared")
    description_id = row["base_id"] if is_supplement else row["id"]
    wanted = content.get("request_type") if layer != "shared" else None
    data = PUBLISHED[event_type](
        id=description_id,
        layer=layer,
        leika_key=row["leika_key"],
        name=content.get("name"),
        online_service_url=content.get("online_service_url"),
        published_version=row["published_version"],
        changed_by=row["updated_by"],
        changed_at=row["updated_at"],
        request_type=None if wanted is None else _request_type(wanted, name=content.get("name") or base_name),
    )
    return new_event(
        service=SERVICE,
        type=event_type,
        tenant_id=tenant_id,
        subject=f"descriptions/{description_id}",
        data=data.model_dump(mode="json"),
    )
