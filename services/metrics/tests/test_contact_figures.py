"""Contacts by outcome and forwarded concerns by deadline, learnt from the tickets service's events: each kept
once, for its tenant only, the latest state of a concern whatever the order; and figured per local day into
first-contact resolution and callback-deadline compliance."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from nats.aio.client import Client as NATS

from kit.db.database import Database
from kit.events import CloudEvent, EventConsumer, ensure_stream, new_event, service_stream
from kit.events.streams import dead_letter_stream
from kit.testing.events import running_subscription
from kit.testing.keys import SigningKeys
from metrics.events.handlers import SUBSCRIPTIONS

from .support import TERMS, admin_rows, consume, dead_letters, insert

consuming_contacts = pytest.mark.parametrize("directory_consumer", ["metrics-contacts"], indirect=True)
consuming_concerns = pytest.mark.parametrize("directory_consumer", ["metrics-concerns"], indirect=True)

# Monday 2 November 2026 in Berlin (UTC+1): its local day runs from 1 Nov 23:00 to 2 Nov 23:00 UTC.
MONDAY = datetime(2026, 11, 2, tzinfo=UTC)
TUESDAY = MONDAY + timedelta(days=1)
FORWARDED_AT = MONDAY - timedelta(days=3)


def _event(event_type: str, tenant_id: str, data: dict[str, Any]) -> CloudEvent:
    return new_event(service="tickets", type=event_type, tenant_id=tenant_id, data=data)


def _contact(tenant_id: str, outcome: str, started_at: datetime, *, contact_id: uuid.UUID | None = None) -> CloudEvent:
    """``tickets.contact.recorded.v1`` as the tickets service publishes it."""
    data: dict[str, Any] = {
        "id": str(contact_id or uuid.uuid4()),
        "channel": "phone",
        "outcome": outcome,
        "description_ids": [],
        "leika_key": "99085001012000",
        "started_at": started_at.isoformat(),
        "ended_at": (started_at + timedelta(minutes=4)).isoformat(),
        "agent": "agent-anna",
        "ticket_id": str(uuid.uuid4()) if outcome in ("forwarded", "callback") else None,
    }
    return _event("tickets.contact.recorded.v1", tenant_id, data)


@dataclass(frozen=True)
class Ticket:
    """A forwarded concern whose events a test publishes, one version after the other."""

    tenant_id: str
    id: uuid.UUID

    def event(
        self,
        verb: str,
        *,
        version: int,
        status: str,
        due_at: datetime | None,
        answered_at: datetime | None = None,
        merged_into: uuid.UUID | None = None,
        updated_at: datetime | None = None,
    ) -> CloudEvent:
        """``tickets.ticket.<verb>.v1`` with the ticket's whole state after the change."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "contact_id": str(uuid.uuid4()),
            "department_id": str(uuid.uuid4()),
            "source": "contact",
            "status": status,
            "priority": "normal",
            "description_ids": [],
            "leika_key": None,
            "forwarded_at": FORWARDED_AT.isoformat(),
            "due_at": due_at.isoformat() if due_at else None,
            "contract_version": 1,
            "claimed_by": None,
            "claimed_at": None,
            "answered_at": answered_at.isoformat() if answered_at else None,
            "answer_channel": "callback" if answered_at else None,
            "closed_at": None,
            "reopen_count": 0,
            "merged_into": str(merged_into) if merged_into else None,
            "version": version,
            "updated_at": (updated_at or FORWARDED_AT + timedelta(hours=version)).isoformat(),
        }
        return _event(f"tickets.ticket.{verb}.v1", self.tenant_id, data)


def _ticket(tenant_id: str = "artland") -> Ticket:
    return Ticket(tenant_id, uuid.uuid4())


async def _facts(database: Database, tenant_id: str, table: str) -> list[dict[str, Any]]:
    """A tenant's facts as the service (the runtime role) sees them in the tenant's transaction."""
    async with database.lean_transaction(tenant_id) as conn:
        rows = await conn.fetch(f"SELECT * FROM {table} ORDER BY 2")
    return [dict(row.items()) for row in rows]


def _state(row: dict[str, Any], *columns: str) -> tuple[Any, ...]:
    return tuple(row[column] for column in columns)


@consuming_contacts
async def test_a_contact_is_counted_once_and_only_for_its_tenant(
    database: Database, admin: asyncpg.Connection, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    contact_id = uuid.uuid4()
    recorded = _contact("artland", "solved", MONDAY + timedelta(hours=8), contact_id=contact_id)
    await consume(nats_client, directory_consumer, recorded, _contact("oldenburg", "referred", MONDAY))
    first = await _facts(database, "artland", "contact_facts")

    # The same contact again, also as a new message of changed content: a recorded contact stays as it was.
    changed = _contact("artland", "forwarded", MONDAY, contact_id=contact_id)
    await consume(nats_client, directory_consumer, recorded, changed)

    assert [_state(row, "tenant_id", "contact_id", "channel", "outcome", "started_at") for row in first] == [
        ("artland", contact_id, "phone", "solved", MONDAY + timedelta(hours=8))
    ]
    assert await _facts(database, "artland", "contact_facts") == first
    assert [row["outcome"] for row in await _facts(database, "oldenburg", "contact_facts")] == ["referred"]
    assert await _facts(database, "muenchen", "contact_facts") == []
    assert len(await admin_rows(admin, "SELECT * FROM contact_facts")) == 2
    assert await dead_letters(nats_client, directory_consumer) == []


@consuming_contacts
async def test_a_contact_without_an_outcome_is_dead_lettered(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    data = dict(_contact("artland", "solved", MONDAY).data)
    del data["outcome"]
    unreadable = _event("tickets.contact.recorded.v1", "artland", data)

    await consume(nats_client, directory_consumer, unreadable, _contact("artland", "callback", MONDAY))

    [letter] = await dead_letters(nats_client, directory_consumer)
    assert "outcome: Field required" in letter.error
    assert [row["outcome"] for row in await _facts(database, "artland", "contact_facts")] == ["callback"]


@consuming_concerns
async def test_the_latest_version_of_a_concern_wins_whatever_order_the_events_arrive_in(
    database: Database, admin: asyncpg.Connection, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    ticket, due_at, answered_at = _ticket(), MONDAY + timedelta(hours=16), MONDAY + timedelta(hours=10)
    answered = ticket.event("answered", version=3, status="answered", due_at=due_at, answered_at=answered_at)
    events = (
        ticket.event("forwarded", version=1, status="forwarded", due_at=due_at),
        answered,
        ticket.event("claimed", version=2, status="in_progress", due_at=due_at),
    )
    await consume(nats_client, directory_consumer, *events)
    [first] = await _facts(database, "artland", "concern_facts")

    await consume(nats_client, directory_consumer, answered, events[0])

    columns = ("tenant_id", "ticket_id", "status", "forwarded_at", "due_at", "answered_at", "reopened_at", "version")
    assert _state(first, *columns) == ("artland", ticket.id, "answered", FORWARDED_AT, due_at, answered_at, None, 3)
    assert await _facts(database, "artland", "concern_facts") == [first]
    assert await _facts(database, "oldenburg", "concern_facts") == []
    assert len(await admin_rows(admin, "SELECT * FROM concern_facts")) == 1
    assert await dead_letters(nats_client, directory_consumer) == []


@consuming_concerns
@pytest.mark.parametrize("in_order", [True, False], ids=["in order", "reopening last"])
async def test_a_reopened_concern_has_its_new_deadline_and_no_answer_until_answered_again(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer, in_order: bool
) -> None:
    ticket, first_due, new_due = _ticket(), MONDAY + timedelta(hours=16), TUESDAY + timedelta(hours=16)
    answered_at = MONDAY + timedelta(hours=10)
    reopened_at = MONDAY + timedelta(hours=12)
    reopened = ticket.event(
        "reopened", version=3, status="in_progress", due_at=new_due, answered_at=answered_at, updated_at=reopened_at
    )
    # Closed after the reopening without a new answer: the event still carries the earlier answer's time.
    closed = ticket.event(
        "closed", version=4, status="closed", due_at=new_due, answered_at=answered_at, updated_at=TUESDAY
    )
    later = (reopened, closed) if in_order else (closed, reopened)
    await consume(
        nats_client,
        directory_consumer,
        ticket.event("forwarded", version=1, status="forwarded", due_at=first_due),
        ticket.event("answered", version=2, status="answered", due_at=first_due, answered_at=answered_at),
        later[0],
    )
    [between] = await _facts(database, "artland", "concern_facts")
    await consume(nats_client, directory_consumer, later[1])
    [after] = await _facts(database, "artland", "concern_facts")

    answered_again = TUESDAY + timedelta(hours=9)
    await consume(
        nats_client,
        directory_consumer,
        ticket.event(
            "reopened",
            version=5,
            status="in_progress",
            due_at=new_due,
            answered_at=answered_at,
            updated_at=TUESDAY + timedelta(hours=1),
        ),
        ticket.event("answered", version=6, status="answered", due_at=new_due, answered_at=answered_again),
    )
    [again] = await _facts(database, "artland", "concern_facts")

    columns = ("status", "due_at", "answered_at", "version")
    expected_between = ("in_progress", new_due, None, 3) if in_order else ("closed", new_due, answered_at, 4)
    assert _state(between, *columns) == expected_between
    assert _state(after, *columns, "reopened_at") == ("closed", new_due, None, 4, reopened_at)
    assert _state(again, *columns) == ("answered", new_due, answered_again, 6)
    assert await dead_letters(nats_client, directory_consumer) == []


_DURABLES = ("metrics-contacts", "metrics-concerns")


@pytest.fixture
async def tickets_consumers(database: Database, nats_client: NATS) -> AsyncIterator[tuple[EventConsumer, ...]]:
    """The contacts' and the concerns' subscriptions, under names of their own, consuming in the background."""
    js = nats_client.jetstream()
    await ensure_stream(js, service_stream("tickets"))
    await ensure_stream(js, dead_letter_stream())
    contacts, concerns = (next(s for s in SUBSCRIPTIONS if s.durable == name) for name in _DURABLES)
    async with (
        running_subscription(contacts, database=database, nats=nats_client) as on_contacts,
        running_subscription(concerns, database=database, nats=nats_client) as on_concerns,
    ):
        yield on_contacts, on_concerns


async def _kpis(
    client: httpx.AsyncClient, keys: SigningKeys, tenant_id: str, start: date, end: date, granularity: str = "day"
) -> dict[str, Any]:
    answer = await client.get(
        f"/v1/tenants/{tenant_id}/figures/kpis",
        params={"from": start.isoformat(), "to": end.isoformat(), "granularity": granularity},
        headers=keys.headers_for(tenant_id, "tenant_admin"),
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _concerns(figures: dict[str, Any]) -> tuple[Any, ...]:
    return (
        figures["concerns_due"],
        figures["concerns_answered_in_time"],
        figures["concerns_answered_late"],
        figures["concerns_overdue"],
        figures["deadline_compliance_percent"],
    )


async def test_first_contact_resolution_and_deadline_compliance_per_local_day(
    client: httpx.AsyncClient,
    keys: SigningKeys,
    admin: asyncpg.Connection,
    nats_client: NATS,
    tickets_consumers: tuple[EventConsumer, ...],
) -> None:
    on_contacts, on_concerns = tickets_consumers
    await insert(
        admin,
        "contract_versions",
        tenant_id="artland",
        version=2,
        effective_from=datetime(2026, 10, 1, tzinfo=UTC),
        terms=orjson.dumps(TERMS | {"first_contact_resolution_target_percent": 65.0}).decode(),
    )
    nine, late_evening = MONDAY + timedelta(hours=8), MONDAY + timedelta(hours=22, minutes=30)
    # Monday local: 00:30 in Berlin is still Sunday in UTC, 23:30 in Berlin is Monday in both.
    monday = [
        _contact("artland", outcome, at)
        for outcome, at in (
            ("solved", MONDAY - timedelta(minutes=30)),
            ("solved", nine),
            ("solved", late_evening),
            ("forwarded", nine),
            ("callback", nine),
            ("referred", nine),
        )
    ]
    tuesday = [_contact("artland", outcome, TUESDAY + timedelta(hours=9)) for outcome in ("solved", *["forwarded"] * 3)]
    elsewhere = [_contact("oldenburg", "solved", nine), _contact("oldenburg", "solved", nine)]
    await consume(nats_client, on_contacts, *monday, *tuesday, *elsewhere)

    monday_due, tuesday_due = MONDAY + timedelta(hours=15), TUESDAY + timedelta(hours=15)
    in_time, late, still_open, merged, waiting, next_day, reopened = (_ticket() for _ in range(7))
    await consume(
        nats_client,
        on_concerns,
        in_time.event("answered", version=2, status="answered", due_at=monday_due, answered_at=monday_due),
        late.event("answered", version=4, status="closed", due_at=monday_due, answered_at=TUESDAY + timedelta(hours=8)),
        still_open.event("claimed", version=2, status="in_progress", due_at=monday_due),
        merged.event("merged", version=2, status="closed", due_at=monday_due, merged_into=still_open.id),
        waiting.event("waiting", version=2, status="waiting", due_at=monday_due),
        next_day.event("answered", version=3, status="answered", due_at=tuesday_due, answered_at=tuesday_due),
        # Answered on Monday, reopened due Tuesday and closed without a new answer: not answered in time.
        reopened.event("answered", version=2, status="answered", due_at=monday_due, answered_at=MONDAY),
        reopened.event(
            "reopened",
            version=3,
            status="forwarded",
            due_at=tuesday_due,
            answered_at=MONDAY,
            updated_at=MONDAY + timedelta(hours=1),
        ),
        reopened.event("closed", version=4, status="closed", due_at=tuesday_due, answered_at=MONDAY),
        _ticket("oldenburg").event("claimed", version=2, status="in_progress", due_at=monday_due),
    )
    assert await dead_letters(nats_client, on_contacts) == await dead_letters(nats_client, on_concerns) == []

    kpis = await _kpis(client, keys, "artland", date(2026, 11, 2), date(2026, 11, 4))

    first, second = kpis["buckets"]
    assert kpis["contract"]["first_contact_resolution_target_percent"] == 65.0
    assert first["contacts"] == {"solved": 3, "forwarded": 1, "callback": 1, "referred": 1, "total": 6}
    assert first["first_contact_resolution_percent"] == pytest.approx(50.0)
    assert second["contacts"] == {"solved": 1, "forwarded": 3, "callback": 0, "referred": 0, "total": 4}
    assert second["first_contact_resolution_percent"] == pytest.approx(25.0)
    assert kpis["total"]["contacts"]["total"] == 10
    assert kpis["total"]["first_contact_resolution_percent"] == pytest.approx(40.0)
    assert _concerns(first) == (3, 1, 1, 1, pytest.approx(100 / 3))
    assert _concerns(second) == (2, 1, 0, 0, pytest.approx(50.0))
    assert _concerns(kpis["total"]) == (5, 2, 1, 1, pytest.approx(40.0))
    assert (first["offered"], first["service_level_contract"]) == (0, None)

    oldenburg = await _kpis(client, keys, "oldenburg", date(2026, 11, 2), date(2026, 11, 4))
    assert oldenburg["total"]["contacts"]["solved"] == oldenburg["total"]["contacts"]["total"] == 2
    assert _concerns(oldenburg["total"]) == (1, 0, 0, 1, pytest.approx(0.0))
    foreign = await client.get(
        "/v1/tenants/oldenburg/figures/kpis",
        params={"from": "2026-11-02", "to": "2026-11-04"},
        headers=keys.headers_for("artland", "tenant_admin"),
    )
    assert foreign.status_code == 404

    # By quarter hour in UTC: the four contacts of 09:00 in Berlin begin in the quarter hour of 08:00 UTC.
    quarters = await _kpis(client, keys, "artland", date(2026, 11, 2), date(2026, 11, 3), "interval")
    counted = {
        bucket["start"]: bucket["contacts"]["total"] for bucket in quarters["buckets"] if bucket["contacts"]["total"]
    }
    assert counted == {"2026-11-01T23:30:00Z": 1, "2026-11-02T08:00:00Z": 4, "2026-11-02T22:30:00Z": 1}
    weeks = await _kpis(client, keys, "artland", date(2026, 11, 2), date(2026, 11, 4), "week")
    assert _concerns(weeks["buckets"][0]) == _concerns(kpis["total"])


async def test_a_concern_counts_as_due_only_once_its_due_time_has_passed(
    client: httpx.AsyncClient, keys: SigningKeys, nats_client: NATS, tickets_consumers: tuple[EventConsumer, ...]
) -> None:
    _, on_concerns = tickets_consumers
    now = datetime.now(UTC)
    hour = timedelta(hours=1)
    await consume(
        nats_client,
        on_concerns,
        _ticket().event("answered", version=2, status="answered", due_at=now + hour, answered_at=now - hour),
        _ticket().event("claimed", version=2, status="in_progress", due_at=now + hour),
        _ticket().event("claimed", version=2, status="in_progress", due_at=now - hour),
    )

    today = now.date()
    kpis = await _kpis(client, keys, "artland", today - timedelta(days=1), today + timedelta(days=2))

    assert _concerns(kpis["total"]) == (1, 0, 0, 1, pytest.approx(0.0))
