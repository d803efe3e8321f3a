"""Municipalities, lines, contracts and call events the metrics tests work with; rows written as the superuser."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from nats.aio.client import Client as NATS

from kit.events import CloudEvent, EventConsumer
from kit.events.deadletters import DeadLetter, list_dead_letters
from kit.testing.events import consumer_settled, eventually, publish_copy
from kit.testing.keys import SigningKeys

TENANTS = {"oldenburg": "Stadt Oldenburg", "artland": "Samtgemeinde Artland", "muenchen": "Landeshauptstadt München"}
# Each municipality's main number as the tenants service keeps it, and as a telephony system writes it.
LINES = {"oldenburg": "+494412350", "artland": "+495431180"}
DIALLED = {"oldenburg": "+49 (441) 235-0", "artland": "+49 5431 18-0"}
UNKNOWN_DIALLED, UNKNOWN_LINE = "+49 4471 / 15.0", "+494471150"
# The thresholds every interval counts besides the contract's (``metrics.calls.repository.STANDARD_THRESHOLDS``).
STANDARD_THRESHOLDS = (10, 15, 20, 30, 45, 60, 90, 120)
SERVICE_LEVEL: dict[str, Any] = {
    "target_percent": 80.0,
    "threshold_seconds": 20,
    "variant": 2,
    "short_abandon_seconds": 10,
}
# The terms as the tenants service publishes them (the metrics service reads the service level and the price).
TERMS: dict[str, Any] = {
    "term": {"start": "2026-01-01", "end": None, "trial_end": None, "notice_period_months": 6},
    "channels": ["phone", "email"],
    "scope": "all_first_contact",
    "service_level": SERVICE_LEVEL,
    "max_average_speed_of_answer_seconds": None,
    "first_contact_resolution_target_percent": None,
    "price": {"model": "per_minute", "cents_per_minute": 115, "annual_base_fee_cents": 0},
    "personal_data_retention_days": 90,
}
CALL_EVENTS = "/v1/telephony/call-events"
QUARANTINE = "/v1/telephony/quarantine"
RELEASE = "/v1/telephony/quarantine/release"


async def insert(admin: asyncpg.Connection, table: str, **values: Any) -> None:
    """Write one row as the superuser, whatever its tenant."""
    placeholders = ", ".join(f"${n}" for n in range(1, len(values) + 1))
    await admin.execute(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({placeholders})", *values.values())


async def admin_rows(admin: asyncpg.Connection, query: str, *args: Any) -> list[dict[str, Any]]:
    """Rows as the superuser sees them: what was really written, whatever the tenant."""
    return [dict(row.items()) for row in await admin.fetch(query, *args)]


async def know_tenants(admin: asyncpg.Connection, tenants: dict[str, str] = TENANTS) -> None:
    """Put municipalities into the service's directory."""
    for tenant_id, name in tenants.items():
        await insert(
            admin,
            "known_tenants",
            tenant_id=tenant_id,
            name=name,
            created_at=datetime.now(UTC),
            time_zone="Europe/Berlin",
            status="active",
            version=1,
        )


async def add_contract(
    admin: asyncpg.Connection,
    tenant_id: str,
    *,
    version: int = 1,
    effective_from: datetime = datetime(2026, 1, 1, tzinfo=UTC),
    **service_level: Any,
) -> None:
    """A contract version in force from ``effective_from``: ``TERMS`` with ``service_level`` changed."""
    terms = TERMS | {"service_level": SERVICE_LEVEL | service_level}
    await insert(
        admin,
        "contract_versions",
        tenant_id=tenant_id,
        version=version,
        effective_from=effective_from,
        terms=orjson.dumps(terms).decode(),
    )


async def add_line(
    admin: asyncpg.Connection, tenant_id: str, address: str, *, kind: str = "number", removed: bool = False
) -> uuid.UUID:
    """A line whose calls count for ``tenant_id``, as the line events left it."""
    line_id = uuid.uuid4()
    await insert(admin, "lines", tenant_id=tenant_id, id=line_id, kind=kind, address=address, removed=removed)
    return line_id


async def add_grant(
    admin: asyncpg.Connection,
    tenant_id: str,
    *,
    grantee: str,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    removed: bool = False,
) -> uuid.UUID:
    """``grantee`` (the host) serves ``tenant_id`` from ``valid_from`` (a day ago unless given)."""
    grant_id = uuid.uuid4()
    await insert(
        admin,
        "grants",
        tenant_id=tenant_id,
        id=grant_id,
        grantee_tenant=grantee,
        valid_from=valid_from or datetime.now(UTC) - timedelta(days=1),
        valid_until=valid_until,
        removed=removed,
    )
    return grant_id


def operator(keys: SigningKeys) -> dict[str, str]:
    return keys.headers_for(None, "operator", subject="op-olaf")


def integration_client(keys: SigningKeys, tenant_id: str | None) -> dict[str, str]:
    """The telephony system of ``tenant_id``, reporting through its API client."""
    return keys.headers_for(tenant_id, "integration_client", subject=f"client-{tenant_id}-telephony")


def admin_of(keys: SigningKeys, tenant_id: str) -> dict[str, str]:
    """A tenant admin of ``tenant_id``: who sees the municipality's money (bills, reports)."""
    return keys.headers_for(tenant_id, "tenant_admin")


# Who may read what a municipality pays (bills and reports of oldenburg): its admins, its integrations and the
# operators; its other staff are refused, another municipality's admin finds nothing, nobody is not signed in.
MONEY_READERS = pytest.mark.parametrize(
    ("headers", "status"),
    [
        (lambda keys: keys.headers_for("oldenburg", "tenant_admin"), 200),
        (lambda keys: keys.headers_for("oldenburg", "operator"), 200),
        (lambda keys: integration_client(keys, "oldenburg"), 200),
        (lambda keys: keys.headers_for("oldenburg", "back_office"), 403),
        (lambda keys: keys.headers_for("oldenburg", "agent"), 403),
        (lambda keys: keys.headers_for("artland", "tenant_admin"), 404),
        (lambda keys: {}, 401),
    ],
    ids=["admin", "operator", "integration", "back_office", "agent", "other_tenant", "nobody"],
)


def event(
    kind: str,
    call_id: str,
    at: datetime,
    *,
    line: str = DIALLED["oldenburg"],
    event_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A call event as the telephony reports it (its id: the call's and its type, unless given)."""
    return {
        "event_id": event_id or f"{call_id}-{kind}",
        "call_id": call_id,
        "type": kind,
        "at": at.isoformat(),
        "line": line,
        **fields,
    }


def answered_call(
    call_id: str,
    offered_at: datetime,
    *,
    wait: float = 12,
    talk: int = 180,
    hold: int = 20,
    after_call_work: int = 40,
    line: str = DIALLED["oldenburg"],
) -> list[dict[str, Any]]:
    """A call answered after ``wait`` seconds and ended after talking and holding: offered, answered, ended."""
    answered_at = offered_at + timedelta(seconds=wait)
    return [
        event("offered", call_id, offered_at, line=line),
        event("answered", call_id, answered_at, line=line, agent="agent-anna"),
        event(
            "ended",
            call_id,
            answered_at + timedelta(seconds=talk + hold),
            line=line,
            talk_seconds=talk,
            hold_seconds=hold,
            after_call_work_seconds=after_call_work,
        ),
    ]


def abandoned_call(
    call_id: str, offered_at: datetime, *, wait: float = 8, line: str = DIALLED["oldenburg"]
) -> list[dict[str, Any]]:
    """A caller who hung up after ``wait`` seconds in the queue: offered, abandoned."""
    return [
        event("offered", call_id, offered_at, line=line),
        event("abandoned", call_id, offered_at + timedelta(seconds=wait), line=line),
    ]


async def report(
    client: httpx.AsyncClient, headers: dict[str, str], events: Iterable[dict[str, Any]]
) -> httpx.Response:
    """POST a batch of call events."""
    return await client.post(CALL_EVENTS, json={"events": list(events)}, headers=headers)


async def reported(
    client: httpx.AsyncClient, headers: dict[str, str], events: Iterable[dict[str, Any]]
) -> dict[str, Any]:
    """POST a batch of call events that must be taken (200), and return the ingest report."""
    response = await report(client, headers, events)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def release(client: httpx.AsyncClient, keys: SigningKeys) -> dict[str, Any]:
    """Release the quarantine as an operator, and return the ingest report."""
    response = await client.post(RELEASE, headers=operator(keys))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def calls(admin: asyncpg.Connection, tenant_id: str) -> list[dict[str, Any]]:
    """A tenant's calls as stored, by call id."""
    return await admin_rows(admin, "SELECT * FROM calls WHERE tenant_id = $1 ORDER BY call_id", tenant_id)


async def intervals(admin: asyncpg.Connection, tenant_id: str) -> list[dict[str, Any]]:
    """A tenant's interval rollups as stored, the earliest first."""
    return await admin_rows(
        admin, "SELECT * FROM call_intervals WHERE tenant_id = $1 ORDER BY interval_start", tenant_id
    )


async def stored_event_ids(admin: asyncpg.Connection) -> list[tuple[str, str]]:
    """Every kept call event: (tenant, event id)."""
    rows = await admin.fetch("SELECT tenant_id, event_id FROM call_events ORDER BY tenant_id, event_id")
    return [(row["tenant_id"], row["event_id"]) for row in rows]


async def held(admin: asyncpg.Connection) -> list[dict[str, Any]]:
    """The quarantine as stored, the oldest first."""
    return await admin_rows(admin, "SELECT * FROM call_quarantine ORDER BY id")


async def everything(admin: asyncpg.Connection) -> dict[str, list[dict[str, Any]]]:
    """Every row ingest writes, whatever the tenant (timestamps included: a rewrite shows)."""
    tables = ("call_events", "calls", "call_intervals", "call_quarantine")
    return {table: await admin_rows(admin, f"SELECT * FROM {table} ORDER BY 1, 2") for table in tables}


def figures(row: dict[str, Any], *columns: str) -> dict[str, Any]:
    """``columns`` of an interval's row."""
    return {column: row[column] for column in columns}


async def consume(nats: NATS, consumer: EventConsumer, *events: CloudEvent) -> None:
    """Publish copies of ``events`` and wait until ``consumer`` has settled every one."""
    info = await nats.jetstream().stream_info(consumer.subscription.stream)
    for each in events:
        await publish_copy(nats, each)
    last = (info.state.last_seq or 0) + len(events)
    await eventually(lambda: consumer_settled(nats, consumer, last))


async def dead_letters(nats: NATS, consumer: EventConsumer) -> list[DeadLetter]:
    """The messages ``consumer`` gave up on, oldest first."""
    return [letter for letter in await list_dead_letters(nats.jetstream()) if letter.consumer == consumer.name]


async def add_terms(
    admin: asyncpg.Connection,
    tenant_id: str,
    *,
    version: int = 1,
    effective_from: datetime = datetime(2026, 1, 1, tzinfo=UTC),
    **changes: Any,
) -> None:
    """A contract version in force from ``effective_from``: ``TERMS`` with top-level ``changes`` (price, hours…)."""
    await insert(
        admin,
        "contract_versions",
        tenant_id=tenant_id,
        version=version,
        effective_from=effective_from,
        terms=orjson.dumps(TERMS | changes).decode(),
    )


# A quarter hour in which nothing happened: each helper below fills in only the counts it is about.
_EMPTY_INTERVAL: dict[str, Any] = {
    "threshold_seconds": SERVICE_LEVEL["threshold_seconds"],
    "short_abandon_seconds": 0,
    "offered": 0,
    "answered": 0,
    "answered_within_threshold": 0,
    "abandoned": 0,
    "abandoned_within_threshold": 0,
    "short_abandons": 0,
    "wait_seconds": 0.0,
    "abandoned_wait_seconds": 0.0,
    "max_wait_seconds": 0.0,
    "handled": 0,
    "talk_seconds": 0,
    "hold_seconds": 0,
    "after_call_work_seconds": 0,
}


async def add_interval(
    admin: asyncpg.Connection,
    tenant_id: str,
    start: datetime,
    *,
    offered: int = 0,
    answered: int = 0,
    handled: int = 0,
    talk_seconds: int = 0,
    hold_seconds: int = 0,
    after_call_work_seconds: int = 0,
) -> None:
    """A quarter hour's rollup as ingest would have left it, with the counts that matter for volumes only."""
    counts = {
        "offered": offered,
        "answered": answered,
        "abandoned": offered - answered,
        "handled": handled,
        "talk_seconds": talk_seconds,
        "hold_seconds": hold_seconds,
        "after_call_work_seconds": after_call_work_seconds,
    }
    await insert(admin, "call_intervals", tenant_id=tenant_id, interval_start=start, **(_EMPTY_INTERVAL | counts))


async def add_rollup(
    admin: asyncpg.Connection,
    tenant_id: str,
    start: datetime,
    *,
    answered: int = 0,
    answered_within: int = 0,
    abandoned: int = 0,
    abandoned_within: int = 0,
    short_abandons: int = 0,
    wait_seconds: float = 0.0,
    max_wait_seconds: float = 0.0,
    threshold_seconds: int = SERVICE_LEVEL["threshold_seconds"],
    contract_version: int | None = 1,
) -> None:
    """A quarter hour's rollup with the counts a service level and an average speed of answer are judged by."""
    counts = {
        "contract_version": contract_version,
        "threshold_seconds": threshold_seconds,
        "offered": answered + abandoned,
        "answered": answered,
        "answered_within_threshold": answered_within,
        "abandoned": abandoned,
        "abandoned_within_threshold": abandoned_within,
        "short_abandons": short_abandons,
        "wait_seconds": wait_seconds,
        "max_wait_seconds": max_wait_seconds,
        "handled": answered,
    }
    await insert(admin, "call_intervals", tenant_id=tenant_id, interval_start=start, **(_EMPTY_INTERVAL | counts))


async def add_contact_fact(admin: asyncpg.Connection, tenant_id: str, outcome: str, started_at: datetime) -> None:
    """A contact as the tickets service's ``tickets.contact.recorded.v1`` left it."""
    await insert(
        admin,
        "contact_facts",
        tenant_id=tenant_id,
        contact_id=uuid.uuid4(),
        channel="phone",
        outcome=outcome,
        started_at=started_at,
    )


async def add_concern_fact(
    admin: asyncpg.Connection,
    tenant_id: str,
    *,
    forwarded_at: datetime,
    due_at: datetime,
    answered_at: datetime | None = None,
    merged_into: uuid.UUID | None = None,
) -> None:
    """A forwarded concern as the ticket events left it: answered (at ``answered_at``) or still open."""
    await insert(
        admin,
        "concern_facts",
        tenant_id=tenant_id,
        ticket_id=uuid.uuid4(),
        status="answered" if answered_at is not None else "in_progress",
        forwarded_at=forwarded_at,
        due_at=due_at,
        answered_at=answered_at,
        merged_into=merged_into,
        version=2,
        updated_at=answered_at or forwarded_at,
    )


async def outbox_events(admin: asyncpg.Connection) -> list[tuple[str, str, dict[str, Any]]]:
    """The outbox as the superuser sees it, in the order written: (row tenant, NATS subject, event)."""
    rows = await admin.fetch("SELECT tenant_id, subject, payload FROM outbox ORDER BY id")
    return [(row["tenant_id"], row["subject"], orjson.loads(row["payload"])) for row in rows]
