"""Rules of the contact and concern facts learnt from the tickets service's events.

A contact counts once with the outcome it was recorded with. A concern keeps its latest state by the ticket's
version, whatever order the events arrive in; it counts as answered only while it is answered or closed, and
only by an answer given after its latest reopening. Every function works in the caller's transaction.
"""

from __future__ import annotations

from kit.db.database import TenantConnection
from metrics.contacts import repository
from metrics.contacts.repository import Concern
from metrics.events.consumed import ContactRecordedV1, TicketStateV1

# A concern whose status is one of these is done with; any other status means it is open (again).
SETTLED = frozenset({"answered", "closed"})


async def contact_recorded(conn: TenantConnection, *, contact: ContactRecordedV1) -> None:
    """Count a contact by its outcome, once."""
    await repository.add_contact(
        conn, contact_id=contact.id, channel=contact.channel, outcome=contact.outcome, started_at=contact.started_at
    )


async def concern_changed(conn: TenantConnection, *, ticket: TicketStateV1, reopened: bool) -> None:
    """Keep a concern's deadline, answer and status; a reopening (``reopened``) sets the answer aside."""
    # The tickets service keeps the earlier answer's time when it reopens a concern; here it no longer counts.
    answered_at = ticket.answered_at if ticket.status in SETTLED else None
    concern = Concern(
        ticket_id=ticket.id,
        status=ticket.status,
        forwarded_at=ticket.forwarded_at,
        due_at=ticket.due_at,
        answered_at=answered_at,
        merged_into=ticket.merged_into,
        reopened_at=ticket.updated_at if reopened else None,
        version=ticket.version,
        updated_at=ticket.updated_at,
    )
    await repository.upsert_concern(conn, concern)
