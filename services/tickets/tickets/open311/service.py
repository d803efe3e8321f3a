"""Rules of Open311: the municipality's jurisdiction, its services, and requests taken as contacts with a ticket.

A posted request is a web contact forwarded at once: the caller's data stay on the contact (personal data,
kept as the contract allows), the ticket gets the service, the place and the answers to the service's
questions, and is routed by the service's LeiKa key (unassigned if no department is responsible).
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from kit.db.database import TenantConnection
from kit.identity import Identity
from tickets.contact import repository as contacts
from tickets.contact import service as contact_service
from tickets.contact.errors import IdempotencyKeyReused
from tickets.contact.schemas import LEIKA_KEY, Caller, ContactCreate, Forwarding
from tickets.directory.terms import SERVED_STATUSES
from tickets.open311 import repository
from tickets.open311.errors import Invalid, JurisdictionNotFound, RequestNotFound, ServiceCodeNotFound, TokenNotFound
from tickets.open311.repository import RequestFilter
from tickets.open311.schemas import RequestCreate, request_id
from tickets.ticket.repository import OPEN_STATUSES

# The default and widest window of ``GET requests``, and the most requests one answer lists.
WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000
CLOSED_STATUSES = ("answered", "closed")
_TEXT_LIMITS = {"string": 500, "text": 4000}
_SUBJECT_PART = 80
_INTEGER = re.compile(r"[+-]?\d{1,18}", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """The municipality as an Open311 jurisdiction."""

    name: str
    jurisdiction_id: str
    zone: ZoneInfo
    known_since: datetime


async def jurisdiction(conn: TenantConnection, *, jurisdiction_id: str | None) -> Jurisdiction:
    """The connection's tenant as a jurisdiction; 404 if it offers no Open311 or ``jurisdiction_id`` is another."""
    row = await repository.tenant(conn)
    if row is None or row["open311_jurisdiction_id"] is None or row["status"] not in SERVED_STATUSES:
        raise JurisdictionNotFound()
    if jurisdiction_id is not None and jurisdiction_id != row["open311_jurisdiction_id"]:
        raise JurisdictionNotFound()
    return Jurisdiction(
        name=row["name"],
        jurisdiction_id=row["open311_jurisdiction_id"],
        zone=ZoneInfo(row["time_zone"]),
        known_since=row["received_at"],
    )


async def changeset(conn: TenantConnection, place: Jurisdiction) -> datetime:
    """When what the endpoint offers last changed: its services, else the jurisdiction itself."""
    changed = await repository.services_changed_at(conn)
    return max(changed, place.known_since) if changed is not None else place.known_since


async def services(conn: TenantConnection) -> list[dict[str, Any]]:
    return await repository.services(conn)


async def service(conn: TenantConnection, *, code: str) -> dict[str, Any]:
    found = await repository.service(conn, code)
    if found is None:
        raise ServiceCodeNotFound()
    return found


async def get_request(conn: TenantConnection, *, service_request_id: str) -> dict[str, Any]:
    ticket_id = request_id(service_request_id)
    found = await repository.request(conn, ticket_id) if ticket_id is not None else None
    if found is None:
        raise RequestNotFound()
    return found


async def resolve_token(conn: TenantConnection, *, token: str) -> uuid.UUID:
    """The request a token stands for: requests are taken at once, so the token is the request's id."""
    ticket_id = request_id(token)
    if ticket_id is None or await repository.request(conn, ticket_id) is None:
        raise TokenNotFound()
    return ticket_id


async def list_requests(
    conn: TenantConnection,
    *,
    ids: Sequence[str],
    service_codes: Sequence[str],
    statuses: Sequence[str],
    start: datetime | None,
    end: datetime | None,
) -> list[dict[str, Any]]:
    """Requests, the latest first: those named by id (nothing else then counts), else those of the filters."""
    if ids:
        if len(ids) > MAX_REQUESTS:
            raise Invalid([("service_request_id", f"names {MAX_REQUESTS} requests at most")])
        known = [ticket_id for ticket_id in map(request_id, ids) if ticket_id is not None]
        if not known:
            return []
        return await repository.requests(conn, RequestFilter(ids=known), limit=MAX_REQUESTS)
    unknown = sorted(set(statuses) - {"open", "closed"})
    if unknown:
        raise Invalid([("status", f"open or closed, not {', '.join(unknown)}")])
    until = end if end is not None else (start + WINDOW if start is not None else _now())
    since = start if start is not None else until - WINDOW
    if until < since:
        raise Invalid([("end_date", "lies before start_date")])
    if until - since > WINDOW:
        raise Invalid([("end_date", "spans more than 90 days from start_date")])
    wanted = set(statuses)
    ticket_statuses = (
        [*(OPEN_STATUSES if "open" in wanted else ()), *(CLOSED_STATUSES if "closed" in wanted else ())]
        if wanted
        else []
    )
    filters = RequestFilter(
        service_codes=service_codes, statuses=ticket_statuses, requested_from=since, requested_until=until
    )
    return await repository.requests(conn, filters, limit=MAX_REQUESTS)


async def create_request(
    conn: TenantConnection, identity: Identity, *, data: RequestCreate, idempotency_key: str | None
) -> tuple[uuid.UUID, bool]:
    """Take a request as a web contact forwarded as a ticket; its id, and whether it is a repeated request."""
    await jurisdiction(conn, jurisdiction_id=data.jurisdiction_id)
    kind = await service(conn, code=data.service_code)
    answers, problems = _answers(kind["attributes"], data.attributes)
    problems = _location_problems(data) + problems
    if problems:
        raise Invalid(problems)
    started_at = ended_at = _now()
    if idempotency_key is not None and (prior := await contacts.by_idempotency_key(conn, idempotency_key)):
        # The same request again is the same contact, down to its times.
        started_at, ended_at = prior["started_at"], prior["ended_at"]
    posted = {
        "service_code": kind["code"],
        "latitude": data.lat,
        "longitude": data.long,
        "address": data.address_string,
        "address_id": data.address_id,
        "attributes": answers,
        "media_url": data.media_url,
    }
    contact, replayed = await contact_service.record(
        conn,
        identity,
        data=_contact(data, kind, started_at=started_at, ended_at=ended_at),
        idempotency_key=idempotency_key,
        ticket_extras={**posted, "source": "open311", "attributes": orjson.dumps(answers).decode()},
        unassigned_ok=True,
    )
    ticket_id: uuid.UUID | None = contact["ticket_id"]
    if ticket_id is None or (replayed and await repository.details(conn, ticket_id) != posted):
        raise IdempotencyKeyReused()
    return ticket_id, replayed


def _contact(
    data: RequestCreate, kind: Mapping[str, Any], *, started_at: datetime, ended_at: datetime
) -> ContactCreate:
    name = " ".join(part for part in (data.first_name, data.last_name) if part) or None
    caller = None
    if name is not None or data.phone is not None or data.email is not None:
        caller = Caller(name=name, phone=data.phone, email=data.email)
    leika_key = kind["leika_key"]
    return ContactCreate(
        channel="web",
        started_at=started_at,
        ended_at=ended_at,
        leika_key=leika_key if leika_key is not None and re.fullmatch(LEIKA_KEY, leika_key) else None,
        summary=data.description or None,
        outcome="forwarded",
        caller=caller,
        forward=Forwarding(
            subject=_subject(kind["name"], data.description),
            reply_by="email" if data.email is not None else "callback" if data.phone is not None else None,
        ),
    )


def _subject(name: str, description: str | None) -> str:
    """The service's name, and the start of the description for the back office's list."""
    line = next((line.strip() for line in (description or "").splitlines() if line.strip()), "")
    if len(line) > _SUBJECT_PART:
        line = line[: _SUBJECT_PART - 1] + "…"
    subject = f"{name}: {line}" if line else name
    return subject if len(subject) <= 200 else subject[:199] + "…"


def _location_problems(data: RequestCreate) -> list[tuple[str, str]]:
    if (data.lat is None) != (data.long is None):
        return [("long" if data.long is None else "lat", "required with " + ("lat" if data.long is None else "long"))]
    if data.lat is None and data.address_string is None and data.address_id is None:
        return [("lat", "a location is required: lat and long, address_string or address_id")]
    return []


def _answers(
    questions: Sequence[Mapping[str, Any]], given: Mapping[str, Sequence[str]]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The answers to the service's questions as they are kept, and the problems with them, by field."""
    answers: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    asked = {question["code"]: question for question in questions}
    problems.extend((f"attribute[{code}]", "not a question of this service") for code in given if code not in asked)
    for code, question in asked.items():
        field = f"attribute[{code}]"
        values = given.get(code, [])
        if not values:
            if question.get("required"):
                problems.append((field, "required"))
            continue
        answer, problem = _answer(question, values)
        if problem is not None:
            problems.append((field, problem))
        else:
            answers[code] = answer
    return answers, problems


def _answer(question: Mapping[str, Any], values: Sequence[str]) -> tuple[Any, str | None]:
    """One question's answer as it is kept, or what is wrong with it."""
    datatype = question["datatype"]
    keys = [value["key"] for value in question.get("values") or []]
    if datatype == "multivaluelist":
        strange = [value for value in values if value not in keys]
        if strange:
            return None, f"{', '.join(strange)} not among {', '.join(keys)}"
        return list(dict.fromkeys(values)), None
    if len(values) > 1:
        return None, "takes one value"
    value = values[0]
    if datatype == "singlevaluelist":
        return (value, None) if value in keys else (None, f"{value} not among {', '.join(keys)}")
    if datatype == "number":
        return _number(value)
    if datatype == "datetime":
        return _moment(value)
    limit = _TEXT_LIMITS.get(datatype, _TEXT_LIMITS["text"])
    return (value, None) if len(value) <= limit else (None, f"{limit} characters at most")


def _number(text: str) -> tuple[int | float | None, str | None]:
    if _INTEGER.fullmatch(text):
        return int(text), None
    if not _DECIMAL.fullmatch(text) or not math.isfinite(number := float(text)):
        return None, "a number"
    return number, None


def _moment(text: str) -> tuple[str | None, str | None]:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None, "an ISO 8601 date and time with its offset (2026-11-24T09:30:00+01:00)"
    if moment.tzinfo is None:
        return None, "needs its offset from UTC (Z or +01:00)"
    return moment.isoformat(), None
