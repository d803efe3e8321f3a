"""Municipalities, contracts, departments and records the tickets tests work with, written as the superuser."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson
from nats.aio.client import Client as NATS

from kit.events import CloudEvent, EventConsumer
from kit.events.deadletters import DeadLetter, list_dead_letters
from kit.testing.events import consumer_settled, eventually, publish_copy
from kit.testing.keys import SigningKeys

TENANTS = {"oldenburg": "Stadt Oldenburg", "artland": "Samtgemeinde Artland", "muenchen": "Landeshauptstadt München"}
STATES = {"oldenburg": "NI", "artland": "NI", "muenchen": "BY"}
OFFICE_HOURS = [{"start": "08:00", "end": "18:00"}]
# The terms as the tenants service publishes them. Those that matter here: Mon–Fri 8–18, a reply within
# 24 service hours (115), 90 days of personal data.
TERMS: dict[str, Any] = {
    "term": {"start": "2026-01-01", "end": None, "trial_end": None, "notice_period_months": 6},
    "channels": ["phone", "email"],
    "scope": "all_first_contact",
    "service_level": {"target_percent": 75.0, "threshold_seconds": 30, "variant": 2, "short_abandon_seconds": 0},
    "max_average_speed_of_answer_seconds": None,
    "first_contact_resolution_target_percent": None,
    "forwarding_deadline": {"rule": "business_hours", "hours": 24},
    "reachability": dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday"), OFFICE_HOURS),
    "closure_days": [{"first": "2026-12-24", "last": "2027-01-01", "reason": None}],
    "price": {"model": "per_minute", "cents_per_minute": 115, "annual_base_fee_cents": 0},
    "personal_data_retention_days": 90,
}
PASSPORT_KEY = "99085001012000"


async def insert(admin: asyncpg.Connection, table: str, **values: Any) -> None:
    """Write one row as the superuser, whatever its tenant."""
    placeholders = ", ".join(f"${n}" for n in range(1, len(values) + 1))
    await admin.execute(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({placeholders})", *values.values())


async def admin_rows(admin: asyncpg.Connection, query: str, *args: Any) -> list[dict[str, Any]]:
    """Rows as the superuser sees them: what was really written, whatever the tenant."""
    return [dict(row.items()) for row in await admin.fetch(query, *args)]


async def know_tenants(
    admin: asyncpg.Connection, tenants: dict[str, str] = TENANTS, *, state: str | None = None
) -> None:
    """Put municipalities into the service's directory, each with its Open311 jurisdiction.

    Each in its state of ``STATES`` (else Lower Saxony) unless ``state`` is given for all of them.
    """
    for tenant_id, name in tenants.items():
        await insert(
            admin,
            "known_tenants",
            tenant_id=tenant_id,
            name=name,
            created_at=datetime.now(UTC),
            state=state or STATES.get(tenant_id, "NI"),
            open311_jurisdiction_id=f"{tenant_id}.de",
            version=1,
        )


async def add_contract(
    admin: asyncpg.Connection,
    tenant_id: str,
    *,
    version: int = 1,
    effective_from: datetime = datetime(2026, 1, 1, tzinfo=UTC),
    **changes: Any,
) -> None:
    """A contract version in force from ``effective_from``: ``TERMS`` with ``changes``."""
    await insert(
        admin,
        "contract_versions",
        tenant_id=tenant_id,
        version=version,
        effective_from=effective_from,
        terms=orjson.dumps(TERMS | changes).decode(),
    )


async def served_since_2020(admin: asyncpg.Connection, tenant_id: str, **changes: Any) -> None:
    """A municipality of Lower Saxony under ``TERMS`` with ``changes`` since 2020, for contacts long past."""
    await know_tenants(admin, {tenant_id: tenant_id.title()})
    await add_contract(admin, tenant_id, effective_from=datetime(2020, 1, 1, tzinfo=UTC), **changes)


async def add_department(
    admin: asyncpg.Connection, tenant_id: str, name: str, *, leika_keys: tuple[str, ...] = ()
) -> uuid.UUID:
    """A department responsible for ``leika_keys``, as its latest event left it."""
    department_id = uuid.uuid4()
    await insert(
        admin,
        "departments",
        tenant_id=tenant_id,
        id=department_id,
        name=name,
        leika_keys=list(leika_keys),
        version=1,
        updated_at=datetime.now(UTC),
    )
    return department_id


async def add_contact(admin: asyncpg.Connection, tenant_id: str, *, ended_at: datetime, **columns: Any) -> uuid.UUID:
    """A forwarded phone call of four minutes that ended at ``ended_at``, with ``columns`` as given."""
    contact_id = uuid.uuid4()
    await insert(
        admin,
        "contacts",
        **{
            "tenant_id": tenant_id,
            "id": contact_id,
            "channel": "phone",
            "started_at": ended_at - timedelta(minutes=4),
            "ended_at": ended_at,
            "agent": "agent-kruse",
            "outcome": "forwarded",
        }
        | columns,
    )
    return contact_id


async def add_ticket(
    admin: asyncpg.Connection,
    tenant_id: str,
    *,
    forwarded_at: datetime,
    contact_id: uuid.UUID | None = None,
    ticket_id: uuid.UUID | None = None,
    **columns: Any,
) -> uuid.UUID:
    """A concern forwarded at ``forwarded_at`` with ``columns`` as given, from ``contact_id`` (else from a call
    that ended then)."""
    contact_id = contact_id or await add_contact(admin, tenant_id, ended_at=forwarded_at)
    ticket_id = ticket_id or uuid.uuid4()
    await insert(
        admin,
        "tickets",
        **{
            "tenant_id": tenant_id,
            "id": ticket_id,
            "contact_id": contact_id,
            "status": "forwarded",
            "subject": "Anliegen",
            "forwarded_at": forwarded_at,
            "forwarded_by": "agent-kruse",
        }
        | columns,
    )
    return ticket_id


async def add_note(admin: asyncpg.Connection, tenant_id: str, ticket_id: uuid.UUID, *, author: str, body: str) -> None:
    await insert(
        admin, "ticket_notes", tenant_id=tenant_id, id=uuid.uuid4(), ticket_id=ticket_id, author=author, body=body
    )


async def outbox(admin: asyncpg.Connection) -> list[tuple[str, dict[str, Any]]]:
    """The events written so far, oldest first: (subject, CloudEvent as JSON)."""
    rows = await admin.fetch("SELECT subject, payload FROM outbox ORDER BY id")
    return [(row["subject"], orjson.loads(row["payload"])) for row in rows]


async def count(admin: asyncpg.Connection, table: str) -> int:
    return int(await admin.fetchval(f"SELECT count(*) FROM {table}"))


async def consume(nats: NATS, consumer: EventConsumer, *events: CloudEvent) -> None:
    """Publish copies of ``events`` and wait until ``consumer`` has settled every one."""
    info = await nats.jetstream().stream_info(consumer.subscription.stream)
    for event in events:
        await publish_copy(nats, event)
    last = (info.state.last_seq or 0) + len(events)
    await eventually(lambda: consumer_settled(nats, consumer, last))


async def dead_letters(nats: NATS, consumer: EventConsumer) -> list[DeadLetter]:
    """The messages ``consumer`` gave up on, oldest first."""
    return [letter for letter in await list_dead_letters(nats.jetstream()) if letter.consumer == consumer.name]


def agent(keys: SigningKeys, tenant_id: str, subject: str = "agent-anna") -> dict[str, str]:
    return keys.headers_for(tenant_id, "agent", subject=subject)


def back_office(keys: SigningKeys, tenant_id: str, subject: str = "bo-bernd") -> dict[str, str]:
    return keys.headers_for(tenant_id, "back_office", subject=subject)


def host_agent(keys: SigningKeys, tenant_id: str) -> dict[str, str]:
    """An Oldenburg agent acting for ``tenant_id`` through a grant."""
    return keys.headers_for(tenant_id, "agent", subject="host-agent-olga", home="oldenburg")


def phone_call(**changes: Any) -> dict[str, Any]:
    """A solved phone call about a passport, as an agent records it."""
    return {
        "channel": "phone",
        "started_at": "2026-11-24T09:00:00+01:00",
        "ended_at": "2026-11-24T09:04:00+01:00",
        "leika_key": PASSPORT_KEY,
        "summary": "Fragt nach Unterlagen für den Reisepass",
        "outcome": "solved",
    } | changes


def forwarded_call(department_id: uuid.UUID | None = None, **changes: Any) -> dict[str, Any]:
    """A phone call forwarded to the back office, with the caller's data."""
    forward: dict[str, Any] = {"subject": "Rückruf zum Reisepass", "reply_by": "callback"}
    if department_id is not None:
        forward["department_id"] = str(department_id)
    return (
        phone_call(
            outcome="forwarded",
            summary="Reisepass eilt, Rückfrage zum Expresspass",
            caller={"name": "Erika Mustermann", "phone": "+49 5431 123-456", "email": "erika@example.org"},
            forward=forward,
        )
        | changes
    )
