"""What Open311 GeoReport v2 documents are on the wire, and how a posted request is read.

The field names are the specification's (``lat``/``long``, ``service_request_id``…). Requests as the public
reads them carry no caller data and no free text of the citizen: only the service, the place, the status
and the notes the municipality chose to publish.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError

from tickets.contact.schemas import Email, Phone
from tickets.open311.errors import Invalid
from tickets.ticket.repository import OPEN_STATUSES

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"json": "application/json", "xml": "text/xml"}
Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
Status = Literal["open", "closed"]
# ``attribute[code]`` or, for one of several values of a multivaluelist, ``attribute[code][]``.
_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")


class Service(BaseModel):
    """A request type citizens can send (``GET services``)."""

    service_code: str
    service_name: str
    description: str | None
    metadata: bool = Field(description="Whether the service asks questions (see its service definition)")
    type: Literal["realtime", "batch", "blackbox"] = "realtime"
    keywords: str | None = Field(description="Comma-separated")
    group: str | None


class AttributeValue(BaseModel):
    key: str
    name: str


class ServiceAttribute(BaseModel):
    """A question a request of the service answers (``attribute[code]`` when posting)."""

    variable: bool = True
    code: str
    datatype: Datatype
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[AttributeValue]


class ServiceDefinition(BaseModel):
    """A service with its questions (``GET services/{service_code}``)."""

    service_code: str
    attributes: list[ServiceAttribute]


class RequestCreated(BaseModel):
    """The answer to ``POST requests``, one item in a list; requests are taken at once, so no token."""

    service_request_id: str
    service_notice: str | None = None
    account_id: str | None = None


class ServiceRequest(BaseModel):
    """A request as anyone may read it: open or closed, where, by when, and the municipality's public notes."""

    service_request_id: str
    status: Status
    status_notes: str | None
    service_name: str | None
    service_code: str | None
    agency_responsible: str | None
    service_notice: str | None = None
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime | None
    address: str | None
    address_id: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class TokenAnswer(BaseModel):
    service_request_id: str
    token: str


class Endpoint(BaseModel):
    specification: str = SPECIFICATION
    url: str
    changeset: datetime
    type: Literal["production", "test"] = "production"
    formats: list[str] = list(FORMATS.values())


class Discovery(BaseModel):
    """Where the municipality's GeoReport v2 endpoint is and what it speaks (``GET discovery``)."""

    changeset: datetime
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class Open311Error(BaseModel):
    code: int
    description: str


class Open311Errors(RootModel[list[Open311Error]]):
    """Open311's error list: ``[{code, description}]``, in XML ``<errors><error>…</error></errors>``."""


class RequestCreate(BaseModel):
    """A posted request as the specification names its fields; ``api_key`` and unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    jurisdiction_id: str | None = Field(default=None, max_length=200)
    service_code: str = Field(min_length=1, max_length=64)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    long: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    address_string: str | None = Field(default=None, min_length=1, max_length=500)
    address_id: str | None = Field(default=None, min_length=1, max_length=200)
    email: Email | None = None
    device_id: str | None = Field(default=None, max_length=200)
    account_id: str | None = Field(default=None, max_length=200)
    first_name: str | None = Field(default=None, max_length=99)
    last_name: str | None = Field(default=None, max_length=99)
    phone: Phone | None = None
    description: str | None = Field(default=None, max_length=4000)
    media_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://\S+$")
    attributes: dict[str, list[str]] = Field(default={}, description="``attribute[code]``: the values given")


def request_fields(pairs: Sequence[tuple[str, Any]]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The fields of a posted request from its ``(name, value)`` pairs, and the names that cannot be read.

    Attributes come as ``attribute[code]=value``, several values of one as ``attribute[code][]=…``; an empty
    value counts as not given. Any other field may come once; ``api_key`` is the gateway's (who calls is in
    its signed token).
    """
    fields: dict[str, Any] = {}
    attributes: dict[str, list[str]] = {}
    problems: list[tuple[str, str]] = []
    for name, value in pairs:
        if name == "api_key" or value is None or (isinstance(value, str) and not value.strip()):
            continue
        attribute = _ATTRIBUTE_KEY.match(name)
        if attribute is not None:
            attributes.setdefault(attribute.group(1), []).extend(_texts(value))
        elif name in ("attribute", "attributes") and isinstance(value, Mapping):
            for code, given in value.items():
                attributes.setdefault(str(code), []).extend(_texts(given))
        elif name in fields:
            problems.append((name, "given more than once"))
        else:
            fields[name] = value
    fields["attributes"] = {code: values for code, values in attributes.items() if values}
    return fields, problems


def posted_request(pairs: Sequence[tuple[str, Any]]) -> RequestCreate:
    """Read a posted request from its ``(name, value)`` pairs; 400 naming every field that is wrong."""
    fields, problems = request_fields(pairs)
    try:
        data = RequestCreate.model_validate(fields)
    except ValidationError as error:
        problems.extend(
            (
                ".".join(str(part) for part in problem["loc"]) or "request",
                "required" if problem["type"] == "missing" else problem["msg"],
            )
            for problem in error.errors()
        )
    if problems:
        raise Invalid(problems)
    return data


def _texts(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(item).strip() for item in values if item is not None and str(item).strip()]


def open311_status(status: str) -> Status:
    return "open" if status in OPEN_STATUSES else "closed"


def local(moment: datetime, zone: ZoneInfo) -> datetime:
    """``moment`` in the municipality's time zone, to the second (ISO 8601 with its offset on the wire)."""
    return moment.astimezone(zone).replace(microsecond=0)


def service(row: Mapping[str, Any]) -> Service:
    keywords = row["keywords"] or []
    return Service(
        service_code=row["code"],
        service_name=row["name"],
        description=row["description"],
        metadata=bool(row["attributes"]),
        keywords=", ".join(keywords) if keywords else None,
        group=row["group_name"],
    )


def service_definition(code: str, attributes: Sequence[Mapping[str, Any]]) -> ServiceDefinition:
    """The definition of service ``code``; attributes without an order follow the others, in their given order."""
    ranked = sorted(
        enumerate(attributes), key=lambda item: (item[1].get("order") is None, item[1].get("order") or 0, item[0])
    )
    return ServiceDefinition(
        service_code=code,
        attributes=[
            ServiceAttribute(
                code=attribute["code"],
                datatype=attribute["datatype"],
                required=bool(attribute.get("required")),
                datatype_description=attribute.get("datatype_description"),
                order=rank,
                description=attribute["description"],
                values=[
                    AttributeValue(key=value["key"], name=value["name"]) for value in attribute.get("values") or []
                ],
            )
            for rank, (_, attribute) in enumerate(ranked, start=1)
        ],
    )


def service_request(row: Mapping[str, Any], zone: ZoneInfo) -> ServiceRequest:
    return ServiceRequest(
        service_request_id=str(row["id"]),
        status=open311_status(row["status"]),
        status_notes=row["status_notes"],
        service_name=row["service_name"],
        service_code=row["service_code"],
        agency_responsible=row["agency_responsible"],
        requested_datetime=local(row["forwarded_at"], zone),
        updated_datetime=local(row["updated_at"], zone),
        expected_datetime=local(row["due_at"], zone) if row["due_at"] is not None else None,
        address=row["address"],
        address_id=row["address_id"],
        lat=row["latitude"],
        long=row["longitude"],
        media_url=row["media_url"],
    )


def request_id(text: str) -> uuid.UUID | None:
    """The ticket a ``service_request_id`` (or token) names, if it can name one."""
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
