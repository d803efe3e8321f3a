"""HTTP endpoints of the back office: list, read, claim, wait, answer, close, reopen, merge, notes, history."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status

from kit.concurrency import etag
from kit.db.database import TenantConnection
from kit.identity import Identity
from kit.pagination import DEFAULT_LIMIT
from kit.web.deps import CursorQuery, LimitQuery
from kit.web.problems import problem_responses
from tickets.contact.schemas import Caller
from tickets.deps import IfMatch, RequestId, StaffScope
from tickets.events.published import Priority
from tickets.personal.service import record_personal_read
from tickets.ticket import repository, service
from tickets.ticket.repository import OPEN_STATUSES, TicketFilter
from tickets.ticket.schemas import (
    Answer,
    ChangeList,
    ChangeRead,
    Claim,
    Merge,
    NoteCreate,
    NoteList,
    NoteRead,
    Reason,
    TicketList,
    TicketRead,
    TicketUpdate,
)

router = APIRouter(tags=["tickets"])
TICKETS = "/tenants/{tenant_id}/tickets"
TICKET = f"{TICKETS}/{{ticket_id}}"
StatusFilter = Literal["forwarded", "in_progress", "waiting", "answered", "closed", "open"]


def ticket_read(row: Mapping[str, Any], *, caller: Mapping[str, Any] | None = None) -> TicketRead:
    overdue = row["status"] in OPEN_STATUSES and row["due_at"] is not None and row["due_at"] < datetime.now(UTC)
    return TicketRead.model_validate(
        {**row, "overdue": overdue, "caller": Caller.model_construct(**caller) if caller else None}
    )


def _statuses(values: list[StatusFilter] | None) -> tuple[str, ...]:
    chosen: set[str] = set()
    for value in values or ():
        chosen |= set(OPEN_STATUSES) if value == "open" else {value}
    return tuple(sorted(chosen))


@router.get(TICKETS, response_model=TicketList, responses=problem_responses(400, 401, 403, 404, 422))
async def list_tickets(
    scope: StaffScope,
    status_: Annotated[
        list[StatusFilter] | None, Query(alias="status", description="Repeat for several; `open` = not answered")
    ] = None,
    department_id: uuid.UUID | None = None,
    unassigned: Annotated[
        bool, Query(description="Only concerns no department is responsible for yet (e.g. from Open311)")
    ] = False,
    due_before: datetime | None = None,
    overdue: bool | None = None,
    priority: Priority | None = None,
    claimed_by: Annotated[str | None, Query(max_length=200)] = None,
    contact_id: uuid.UUID | None = None,
    sort: Annotated[Literal["due", "newest"], Query(description="Soonest due first, or newest first")] = "due",
    include_total: bool = False,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> TicketList:
    """List the municipality's tickets (a department's work list, the overdue ones…), without callers' data."""
    filters = TicketFilter(
        statuses=_statuses(status_),
        department_id=department_id,
        unassigned=unassigned,
        due_before=due_before,
        overdue=overdue,
        priority=priority,
        claimed_by=claimed_by,
        contact_id=contact_id,
    )
    async with scope.database.lean_transaction(scope.tenant_id) as conn:
        rows, next_cursor, total = await service.list_page(
            conn, filters, by_due=sort == "due", cursor=cursor, limit=limit, with_total=include_total
        )
    return TicketList(items=[ticket_read(row) for row in rows], next_cursor=next_cursor, total=total)


@router.get(TICKET, response_model=TicketRead, responses=problem_responses(401, 403, 404, 422))
async def get_ticket(
    scope: StaffScope, ticket_id: uuid.UUID, response: Response, request_id: RequestId = None
) -> TicketRead:
    """Read a ticket with the caller's data and the answer; a read by the host's staff is audited."""
    async with scope.database.lean_transaction(scope.tenant_id) as conn:
        ticket = await service.get(conn, ticket_id)
        caller = await repository.caller_of(conn, ticket["contact_id"])
        if caller is not None:
            await record_personal_read(
                conn, scope.identity, contact_ids=[ticket["contact_id"]], ticket_id=ticket_id, request_id=request_id
            )
    response.headers["ETag"] = etag(ticket["version"])
    return ticket_read(ticket, caller=caller)


Action = Callable[[TenantConnection, Identity], Awaitable[dict[str, Any]]]


async def _act(scope: StaffScope, response: Response, action: Action) -> TicketRead:
    async with scope.database.lean_transaction(scope.tenant_id) as conn:
        ticket = await action(conn, scope.identity)
    response.headers["ETag"] = etag(ticket["version"])
    return ticket_read(ticket)


_CHANGES = problem_responses(400, 401, 403, 404, 409, 412, 422)


@router.patch(TICKET, response_model=TicketRead, responses=problem_responses(400, 401, 403, 404, 409, 412, 422, 428))
async def update_ticket(
    data: TicketUpdate, scope: StaffScope, ticket_id: uuid.UUID, response: Response, if_match: IfMatch = None
) -> TicketRead:
    """Change a ticket's subject, priority or department (If-Match required)."""
    return await _act(
        scope,
        response,
        lambda conn, who: service.update(conn, who, ticket_id=ticket_id, data=data, if_match=if_match),
    )


@router.post(f"{TICKET}/claim", response_model=TicketRead, responses=_CHANGES)
async def claim_ticket(
    scope: StaffScope, ticket_id: uuid.UUID, response: Response, data: Claim | None = None, if_match: IfMatch = None
) -> TicketRead:
    """Take the concern on (now, or when you did, with `claimed_at`); it is then in progress, by you."""
    return await _act(
        scope,
        response,
        lambda conn, who: service.claim(conn, who, ticket_id=ticket_id, data=data or Claim(), if_match=if_match),
    )


@router.post(f"{TICKET}/wait", response_model=TicketRead, responses=_CHANGES)
async def wait_for_citizen(
    scope: StaffScope, ticket_id: uuid.UUID, response: Response, data: Reason | None = None, if_match: IfMatch = None
) -> TicketRead:
    """Wait for the citizen (e.g. a missing document): the deadline's clock stops in business time."""
    return await _act(
        scope,
        response,
        lambda conn, who: service.wait(conn, who, ticket_id=ticket_id, data=data or Reason(), if_match=if_match),
    )


@router.post(f"{TICKET}/resume", response_model=TicketRead, responses=_CHANGES)
async def resume_ticket(
    scope: StaffScope, ticket_id: uuid.UUID, response: Response, if_match: IfMatch = None
) -> TicketRead:
    """The citizen came back: the clock runs again with the business time that was left."""
    return await _act(
        scope, response, lambda conn, who: service.resume(conn, who, ticket_id=ticket_id, if_match=if_match)
    )


@router.post(f"{TICKET}/answer", response_model=TicketRead, responses=_CHANGES)
async def answer_ticket(
    data: Answer, scope: StaffScope, ticket_id: uuid.UUID, response: Response, if_match: IfMatch = None
) -> TicketRead:
    """Record that the citizen got the answer, how (callback, e-mail, letter) and, with `answered_at`, when."""
    return await _act(
        scope,
        response,
        lambda conn, who: service.answer(conn, who, ticket_id=ticket_id, data=data, if_match=if_match),
    )


@router.post(f"{TICKET}/close", response_model=TicketRead, responses=_CHANGES)
async def close_ticket(
    scope: StaffScope, ticket_id: uuid.UUID, response: Response, data: Reason | None = None, if_match: IfMatch = None
) -> TicketRead:
    """Close the concern: nothing more is to be done."""
    return await _act(
        scope,
        response,
        lambda conn, who: service.close(conn, who, ticket_id=ticket_id, data=data or Reason(), if_match=if_match),
    )


@router.post(f"{TICKET}/reopen", response_model=TicketRead, responses=_CHANGES)
async def reopen_ticket(
    scope: StaffScope, ticket_id: uuid.UUID, response: Response, data: Reason | None = None, if_match: IfMatch = None
) -> TicketRead:
    """Open an answered or closed concern again, with a new deadline from now."""
    return await _act(
        scope,
        response,
        lambda conn, who: service.reopen(conn, who, ticket_id=ticket_id, data=data or Reason(), if_match=if_match),
    )


@router.post(f"{TICKET}/merge", response_model=TicketRead, responses=_CHANGES)
async def merge_ticket(
    data: Merge, scope: StaffScope, ticket_id: uuid.UUID, response: Response, if_match: IfMatch = None
) -> TicketRead:
    """Close this ticket as a duplicate of another, which carries the concern on."""
    return await _act(
        scope, response, lambda conn, who: service.merge(conn, who, ticket_id=ticket_id, data=data, if_match=if_match)
    )


@router.post(
    f"{TICKET}/notes",
    status_code=status.HTTP_201_CREATED,
    response_model=NoteRead,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def add_note(data: NoteCreate, scope: StaffScope, ticket_id: uuid.UUID) -> NoteRead:
    """Add an internal note, or a public one the citizen sees through Open311."""
    async with scope.database.lean_transaction(scope.tenant_id) as conn:
        note = await service.add_note(conn, scope.identity, ticket_id=ticket_id, data=data)
    return NoteRead.model_validate(note)


@router.get(f"{TICKET}/notes", response_model=NoteList, responses=problem_responses(401, 403, 404, 422))
async def list_notes(scope: StaffScope, ticket_id: uuid.UUID) -> NoteList:
    """List a ticket's notes, oldest first."""
    async with scope.database.lean_transaction(scope.tenant_id) as conn:
        rows = await service.notes(conn, ticket_id=ticket_id)
    return NoteList(items=[NoteRead.model_validate(row) for row in rows])


@router.get(f"{TICKET}/history", response_model=ChangeList, responses=problem_responses(401, 403, 404, 422))
async def ticket_history(scope: StaffScope, ticket_id: uuid.UUID) -> ChangeList:
    """Every change of the ticket: who, when, what it was before and after."""
    async with scope.database.lean_transaction(scope.tenant_id) as conn:
        rows = await service.history(conn, ticket_id=ticket_id)
    return ChangeList(items=[ChangeRead.model_validate(row) for row in rows])
