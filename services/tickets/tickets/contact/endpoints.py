"""HTTP endpoints for contacts: recorded by agents and integrations, read by the municipality's staff."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from kit.pagination import DEFAULT_LIMIT
from kit.web.deps import CursorQuery, LimitQuery
from kit.web.problems import problem_responses
from tickets.contact import service
from tickets.contact.repository import ContactFilter
from tickets.contact.schemas import Caller, ContactCreate, ContactList, ContactRead, TicketSummary
from tickets.deps import IdempotencyKey, RecorderScope, RequestId, StaffScope
from tickets.events.published import Channel, Outcome
from tickets.personal.service import record_personal_read

router = APIRouter(tags=["contacts"])
CONTACTS = "/tenants/{tenant_id}/contacts"


def contact_read(row: Mapping[str, Any], *, with_caller: bool) -> ContactRead:
    caller = None
    if with_caller and service.has_caller_data(row):
        caller = Caller.model_construct(
            name=row["caller_name"], phone=row["caller_phone"], email=row["caller_email"], address=row["caller_address"]
        )
    ticket = None
    if row["ticket_id"] is not None:
        ticket = TicketSummary(
            id=row["ticket_id"],
            status=row["ticket_status"],
            department_id=row["ticket_department_id"],
            due_at=row["ticket_due_at"],
        )
    return ContactRead.model_validate(
        {**row, "caller": caller, "has_caller_data": service.has_caller_data(row), "ticket": ticket}
    )


@router.post(
    CONTACTS,
    status_code=status.HTTP_201_CREATED,
    response_model=ContactRead,
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
async def record_contact(
    data: ContactCreate, scope: RecorderScope, response: Response, idempotency_key: IdempotencyKey = None
) -> ContactRead:
    """Record a contact and how it ended; a concern not solved at once is forwarded as a ticket with a deadline."""
    async with scope.database.lean_transaction(scope.tenant_id) as conn:
        contact, replayed = await service.record(conn, scope.identity, data=data, idempotency_key=idempotency_key)
    response.headers["Location"] = f"/v1/tenants/{scope.tenant_id}/contacts/{contact['id']}"
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return contact_read(contact, with_caller=True)


@router.get(CONTACTS, response_model=ContactList, responses=problem_responses(400, 401, 403, 404, 422))
async def list_contacts(
    scope: StaffScope,
    channel: Channel | None = None,
    outcome: Outcome | None = None,
    agent: Annotated[str | None, Query(max_length=200)] = None,
    started_from: datetime | None = None,
    started_before: datetime | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ContactList:
    """List contacts, the latest first; without the callers' personal data (read one contact for that)."""
    filters = ContactFilter(
        channel=channel, outcome=outcome, agent=agent, started_from=started_from, started_before=started_before
    )
    async with scope.database.lean_transaction(scope.tenant_id) as conn:
        rows, next_cursor = await service.list_page(conn, filters, cursor=cursor, limit=limit)
    return ContactList(items=[contact_read(row, with_caller=False) for row in rows], next_cursor=next_cursor)


@router.get(f"{CONTACTS}/{{contact_id}}", response_model=ContactRead, responses=problem_responses(401, 403, 404, 422))
async def get_contact(scope: StaffScope, contact_id: uuid.UUID, request_id: RequestId = None) -> ContactRead:
    """Read a contact with the caller's data; a read by the host's staff is written to the tenant's audit."""
    async with scope.database.lean_transaction(scope.tenant_id) as conn:
        contact = await service.get(conn, contact_id=contact_id)
        if service.has_caller_data(contact):
            await record_personal_read(conn, scope.identity, contact_ids=[contact_id], request_id=request_id)
    return contact_read(contact, with_caller=True)
