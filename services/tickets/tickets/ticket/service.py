"""Rules of a forwarded concern's life: forwarded → in progress → answered → closed, with waiting and reopening.

Every change is one transaction: the ticket, its history row (who, when, before and after), the deadline
watch and the event. Services never commit; the caller's transaction does.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from kit.concurrency import check_if_match
from kit.db.database import TenantConnection
from kit.events import CloudEvent, record_event
from kit.identity import Identity
from kit.pagination import Cursor, page
from tickets.directory.terms import TermsInForce, terms_in_force
from tickets.events import published
from tickets.settings import get_settings
from tickets.ticket import deadline, repository
from tickets.ticket.errors import (
    AlreadyClaimed,
    InstantOutOfOrder,
    NoContractInForce,
    TicketNotFound,
    TicketStateConflict,
    UnknownDepartment,
    UnknownTicket,
)
from tickets.ticket.repository import OPEN_STATUSES, TicketFilter
from tickets.ticket.schemas import Answer, Claim, Merge, NoteCreate, Reason, TicketUpdate

# A given instant up to this far ahead of the server's clock is taken as now; further ahead it is refused.
CLOCK_SKEW = timedelta(seconds=5)
# The status changes the ticket's row keeps no instant of once they are over; their history rows do.
_STATUS_CHANGES = {"waiting": "put to waiting", "resumed": "resumed", "reopened": "reopened"}


def _now() -> datetime:
    return datetime.now(UTC)


def _lead() -> timedelta:
    return timedelta(minutes=get_settings().warning_lead_business_minutes)


async def _terms(conn: TenantConnection, at: datetime) -> TermsInForce:
    terms = await terms_in_force(conn, at)
    if terms is None:
        raise NoContractInForce()
    return terms


def forwarded(
    identity: Identity,
    tenant_id: str,
    values: Mapping[str, Any],
    *,
    terms: TermsInForce,
    forwarded_at: datetime,
    now: datetime,
) -> tuple[dict[str, Any], CloudEvent]:
    """A new ticket from ``values`` (contact, department, subject, topics…), due under ``terms``, and its event.

    The row as it is to be stored (``now`` its first version's instant); the caller inserts it with its deadline
    watch and the first line of its history (``repository.forwarding_ctes``) and records the event with them.
    """
    plan = deadline.schedule(terms.calendar, terms.rule, forwarded_at, lead=_lead())
    ticket = {
        **repository.UNTOUCHED,
        **values,
        "id": uuid.uuid4(),
        "status": "forwarded",
        "forwarded_at": forwarded_at,
        "forwarded_by": identity.subject,
        "contract_version": terms.contract_version,
        "deadline_rule": terms.rule_label,
        "due_at": plan.due_at.astimezone(UTC),
        "warn_at": plan.warn_at.astimezone(UTC),
        "version": 1,
        "updated_at": now,
    }
    return ticket, published.ticket_event(published.TICKET_FORWARDED, tenant_id, ticket)


async def get(conn: TenantConnection, ticket_id: uuid.UUID, *, lock: bool = False) -> dict[str, Any]:
    ticket = await repository.get(conn, ticket_id, lock=lock)
    if ticket is None:
        raise TicketNotFound()
    return ticket


async def list_page(
    conn: TenantConnection,
    filters: TicketFilter,
    *,
    by_due: bool,
    cursor: str | None,
    limit: int,
    with_total: bool,
) -> tuple[list[dict[str, Any]], str | None, int | None]:
    """A page of tickets, the cursor of the next, and (if asked) how many match in all."""
    after = Cursor.decode(cursor) if cursor is not None else None
    rows = await repository.page(conn, filters, by_due=by_due, after=after, limit=limit + 1)
    shown, next_cursor = page(rows, limit, at="due_at" if by_due else "forwarded_at")
    total = await repository.count(conn, filters) if with_total else None
    return shown, next_cursor, total


async def _change(
    conn: TenantConnection,
    identity: Identity,
    current: Mapping[str, Any],
    *,
    action: str,
    changes: Mapping[str, Any],
    event_type: str,
) -> dict[str, Any]:
    """Apply ``changes``; write who did what, before and after; publish ``event_type``."""
    ticket = await repository.update(conn, current["id"], changes)
    changed = [key for key in changes if key != "answer" and current[key] != ticket[key]]
    await repository.record_change(
        conn,
        ticket["id"],
        actor=identity.subject,
        action=action,
        before={key: current[key] for key in changed},
        after={key: ticket[key] for key in changed},
    )
    await record_event(conn, published.ticket_event(event_type, conn.tenant_id, ticket))
    return ticket


async def _current(
    conn: TenantConnection, ticket_id: uuid.UUID, if_match: str | None, *, required: bool = False
) -> dict[str, Any]:
    ticket = await get(conn, ticket_id, lock=True)
    if if_match is not None or required:
        check_if_match(if_match, ticket["version"])
    return ticket


def _open(ticket: Mapping[str, Any], action: str) -> None:
    if ticket["status"] not in OPEN_STATUSES:
        raise TicketStateConflict(action, ticket["status"])


async def update(
    conn: TenantConnection, identity: Identity, *, ticket_id: uuid.UUID, data: TicketUpdate, if_match: str | None
) -> dict[str, Any]:
    """Change subject, priority or department; the If-Match header is required."""
    current = await _current(conn, ticket_id, if_match, required=True)
    changes = data.model_dump(exclude_unset=True)
    if "department_id" in changes:
        department_id = changes["department_id"]
        if department_id is None or not await repository.department_usable(conn, department_id):
            raise UnknownDepartment("department_id")
    changes = {key: value for key, value in changes.items() if current[key] != value}
    if not changes:
        return current
    return await _change(
        conn, identity, current, action="updated", changes=changes, event_type=published.TICKET_UPDATED
    )


async def _given_instant(
    conn: TenantConnection, current: Mapping[str, Any], *, field: str, given: datetime | None
) -> datetime:
    """When the change happened: now, or ``given`` (a few seconds ahead of the clock count as now).

    A back office may report a change it made earlier (its own system syncing, a letter posted yesterday), but
    not one in the future, nor one before the ticket's latest status instant: figures could otherwise be moved
    ahead, and the history would tell a claim before the forwarding.
    """
    now = _now()
    if given is None:
        return now
    if given > now + CLOCK_SKEW:
        raise InstantOutOfOrder(field, "lies in the future")
    given = min(given, now)
    label, latest = await _latest_status(conn, current)
    if given < latest:
        raise InstantOutOfOrder(field, f"lies before {label} ({latest.isoformat()})")
    return given


async def _latest_status(conn: TenantConnection, current: Mapping[str, Any]) -> tuple[str, datetime]:
    """The latest instant the ticket's status changed, and what it was (the row's column, or the change)."""
    candidates = [
        (column, current[column])
        for column in ("forwarded_at", "claimed_at", "paused_at")
        if current[column] is not None
    ]
    change = await repository.last_change(conn, current["id"], tuple(_STATUS_CHANGES))
    if change is not None:
        action, at = change
        candidates.append((f"the instant it was {_STATUS_CHANGES[action]}", at))
    return max(candidates, key=lambda candidate: candidate[1])


async def claim(
    conn: TenantConnection, identity: Identity, *, ticket_id: uuid.UUID, data: Claim, if_match: str | None
) -> dict[str, Any]:
    """Take the concern on (now, or at ``data.claimed_at``): it is in progress, by the caller."""
    current = await _current(conn, ticket_id, if_match)
    _open(current, "claimed")
    if current["claimed_by"] == identity.subject:
        return current
    if current["claimed_by"] is not None:
        raise AlreadyClaimed(current["claimed_by"])
    claimed_at = await _given_instant(conn, current, field="claimed_at", given=data.claimed_at)
    status = "in_progress" if current["status"] == "forwarded" else current["status"]
    changes = {"status": status, "claimed_by": identity.subject, "claimed_at": claimed_at}
    return await _change(
        conn, identity, current, action="claimed", changes=changes, event_type=published.TICKET_CLAIMED
    )


async def wait(
    conn: TenantConnection, identity: Identity, *, ticket_id: uuid.UUID, data: Reason, if_match: str | None
) -> dict[str, Any]:
    """Wait for the citizen: the clock stops, in business time, until the concern is resumed."""
    current = await _current(conn, ticket_id, if_match)
    if current["status"] == "waiting":
        return current
    _open(current, "put to waiting")
    paused_at = _now()
    left = timedelta(0)
    if current["due_at"] is not None:
        terms = await _terms(conn, paused_at)
        left = deadline.remaining(terms.calendar, paused_at, current["due_at"])
    await repository.unwatch(conn, ticket_id)
    ticket = await _change(
        conn,
        identity,
        current,
        action="waiting",
        changes={"status": "waiting", "paused_at": paused_at, "paused_remaining": left},
        event_type=published.TICKET_WAITING,
    )
    await _note_reason(conn, identity, ticket_id, data.reason)
    return ticket


async def resume(
    conn: TenantConnection, identity: Identity, *, ticket_id: uuid.UUID, if_match: str | None
) -> dict[str, Any]:
    """The citizen answered: the clock runs again with the business time that was left."""
    current = await _current(conn, ticket_id, if_match)
    if current["status"] != "waiting":
        raise TicketStateConflict("resumed", current["status"])
    now = _now()
    terms = await _terms(conn, now)
    plan = deadline.resumed(
        terms.calendar, now, current["paused_remaining"] or timedelta(0), due_at=current["due_at"], lead=_lead()
    )
    changes = {
        "status": "in_progress" if current["claimed_by"] is not None else "forwarded",
        "paused_at": None,
        "paused_remaining": None,
        "due_at": plan.due_at,
        "warn_at": plan.warn_at,
    }
    ticket = await _change(
        conn, identity, current, action="resumed", changes=changes, event_type=published.TICKET_RESUMED
    )
    await _rewatch(conn, ticket)
    return ticket


async def _rewatch(conn: TenantConnection, ticket: Mapping[str, Any]) -> None:
    """Watch what is still to come: a warning or escalation already sent is not sent again."""
    await repository.unwatch(conn, ticket["id"])
    if ticket["escalated_at"] is None and ticket["due_at"] is not None:
        warn_at = ticket["warn_at"] if ticket["warned_at"] is None else None
        await repository.watch(conn, ticket["id"], warn_at=warn_at, due_at=ticket["due_at"])


async def answer(
    conn: TenantConnection, identity: Identity, *, ticket_id: uuid.UUID, data: Answer, if_match: str | None
) -> dict[str, Any]:
    """The citizen got the answer (by callback, e-mail or letter; now, or at ``data.answered_at``).

    An unclaimed concern counts as claimed at the same instant.
    """
    current = await _current(conn, ticket_id, if_match)
    _open(current, "answered")
    answered_at = await _given_instant(conn, current, field="answered_at", given=data.answered_at)
    changes: dict[str, Any] = {
        "status": "answered",
        "answered_at": answered_at,
        "answered_by": identity.subject,
        "answer_channel": data.channel,
        "answer": data.text,
        "paused_at": None,
        "paused_remaining": None,
    }
    if current["claimed_by"] is None:
        changes |= {"claimed_by": identity.subject, "claimed_at": answered_at}
    await repository.unwatch(conn, ticket_id)
    return await _change(
        conn, identity, current, action="answered", changes=changes, event_type=published.TICKET_ANSWERED
    )


async def close(
    conn: TenantConnection, identity: Identity, *, ticket_id: uuid.UUID, data: Reason, if_match: str | None
) -> dict[str, Any]:
    """Nothing more is to be done (answered, or not to be answered: say why)."""
    current = await _current(conn, ticket_id, if_match)
    if current["status"] == "closed":
        raise TicketStateConflict("closed", "closed", "The ticket is closed already.")
    await repository.unwatch(conn, ticket_id)
    ticket = await _change(
        conn,
        identity,
        current,
        action="closed",
        changes={"status": "closed", "closed_at": _now(), "closed_by": identity.subject, "paused_at": None},
        event_type=published.TICKET_CLOSED,
    )
    await _note_reason(conn, identity, ticket_id, data.reason)
    return ticket


async def reopen(
    conn: TenantConnection, identity: Identity, *, ticket_id: uuid.UUID, data: Reason, if_match: str | None
) -> dict[str, Any]:
    """Open an answered or closed concern again, with a new deadline from now under the contract in force."""
    current = await _current(conn, ticket_id, if_match)
    if current["status"] in OPEN_STATUSES:
        raise TicketStateConflict("reopened", current["status"], "The ticket is open.")
    if current["merged_into"] is not None:
        raise TicketStateConflict(
            "reopened", current["status"], "A merged duplicate is not reopened; reopen the other."
        )
    now = _now()
    terms = await _terms(conn, now)
    plan = deadline.schedule(terms.calendar, terms.rule, now, lead=_lead())
    changes = {
        "status": "in_progress" if current["claimed_by"] is not None else "forwarded",
        "closed_at": None,
        "closed_by": None,
        "reopen_count": current["reopen_count"] + 1,
        "contract_version": terms.contract_version,
        "deadline_rule": terms.rule_label,
        "due_at": plan.due_at,
        "warn_at": plan.warn_at,
        "warned_at": None,
        "escalated_at": None,
    }
    ticket = await _change(
        conn, identity, current, action="reopened", changes=changes, event_type=published.TICKET_REOPENED
    )
    await repository.watch(conn, ticket_id, warn_at=plan.warn_at, due_at=plan.due_at)
    await _note_reason(conn, identity, ticket_id, data.reason)
    return ticket


async def merge(
    conn: TenantConnection, identity: Identity, *, ticket_id: uuid.UUID, data: Merge, if_match: str | None
) -> dict[str, Any]:
    """Close this ticket as a duplicate of ``data.into``, which carries the concern on."""
    current = await _current(conn, ticket_id, if_match)
    if data.into == ticket_id:
        raise TicketStateConflict("merged", current["status"], "A ticket is not merged into itself.")
    if current["status"] == "closed":
        raise TicketStateConflict("merged", "closed")
    target = await repository.get(conn, data.into, lock=True)
    if target is None:
        raise UnknownTicket("into")
    if target["merged_into"] is not None:
        raise TicketStateConflict("merged into", "merged", "The other ticket is itself a merged duplicate.")
    await repository.unwatch(conn, ticket_id)
    ticket = await _change(
        conn,
        identity,
        current,
        action="merged",
        changes={"status": "closed", "closed_at": _now(), "closed_by": identity.subject, "merged_into": data.into},
        event_type=published.TICKET_MERGED,
    )
    await repository.add_note(
        conn,
        data.into,
        author=identity.subject,
        body=f"Duplikat {ticket_id} wurde hierher zusammengeführt.",
        public=False,
    )
    return ticket


async def _note_reason(conn: TenantConnection, identity: Identity, ticket_id: uuid.UUID, reason: str | None) -> None:
    if reason is not None:
        await repository.add_note(conn, ticket_id, author=identity.subject, body=reason, public=False)


async def add_note(
    conn: TenantConnection, identity: Identity, *, ticket_id: uuid.UUID, data: NoteCreate
) -> dict[str, Any]:
    """Add a note: internal for the back office, or public (the citizen sees it through Open311)."""
    await get(conn, ticket_id)
    note = await repository.add_note(conn, ticket_id, author=identity.subject, body=data.body, public=data.public)
    await repository.record_change(
        conn, ticket_id, actor=identity.subject, action="noted", before=None, after={"note_id": note["id"]}
    )
    return note


async def notes(conn: TenantConnection, *, ticket_id: uuid.UUID) -> list[dict[str, Any]]:
    await get(conn, ticket_id)
    return await repository.notes(conn, ticket_id)


async def history(conn: TenantConnection, *, ticket_id: uuid.UUID) -> list[dict[str, Any]]:
    await get(conn, ticket_id)
    return await repository.changes(conn, ticket_id)
