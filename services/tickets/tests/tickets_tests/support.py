"""Municipalities, contracts and departments the tickets tests work with, as the tenants events would bring them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys

TENANTS = {"oldenburg": "Stadt Oldenburg", "artland": "Samtgemeinde Artland", "muenchen": "Landeshauptstadt München"}
STATES = {"oldenburg": "NI", "artland": "NI", "muenchen": "BY"}
OFFICE_HOURS = [{"start": "08:00", "end": "18:00"}]
# The terms that matter here: Mon–Fri 8–18, a reply within 24 service hours (115), 90 days of personal data.
TERMS: dict[str, Any] = {
    "term": {"start": "2026-01-01", "notice_period_months": 6},
    "channels": ["phone", "email"],
    "scope": "all_first_contact",
    "service_level": {"target_percent": 75, "threshold_seconds": 30, "variant": 2},
    "forwarding_deadline": {"rule": "business_hours", "hours": 24},
    "reachability": dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday"), OFFICE_HOURS),
    "closure_days": [{"first": "2026-12-24", "last": "2027-01-01"}],
    "price": {"model": "per_minute", "cents_per_minute": 115},
    "personal_data_retention_days": 90,
}
PASSPORT_KEY = "99085001012000"


async def _admin(database: ScratchDatabase, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database.admin_url)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def admin_rows(database: ScratchDatabase, query: str, *args: Any) -> list[asyncpg.Record]:
    """Rows as the superuser sees them: what was really written, whatever the tenant."""
    return await _admin(database, query, *args)


async def know_tenants(database: ScratchDatabase, tenants: dict[str, str] = TENANTS) -> None:
    """Put municipalities into the service's directory, each with its Open311 jurisdiction."""
    for tenant_id, name in tenants.items():
        await _admin(
            database,
            "INSERT INTO known_tenants (tenant_id, name, created_at, state, open311_jurisdiction_id, version)"
            " VALUES ($1, $2, now(), $3, $4, 1)",
            tenant_id,
            name,
            STATES.get(tenant_id, "NI"),
            f"{tenant_id}.de",
        )


async def add_contract(
    database: ScratchDatabase,
    tenant_id: str,
    *,
    version: int = 1,
    effective_from: datetime = datetime(2026, 1, 1, tzinfo=UTC),
    **changes: Any,
) -> None:
    """A contract version in force from ``effective_from``: ``TERMS`` with ``changes``."""
    await _admin(
        database,
        "INSERT INTO contract_versions (tenant_id, version, effective_from, terms) VALUES ($1, $2, $3, $4::jsonb)",
        tenant_id,
        version,
        effective_from,
        orjson.dumps(TERMS | changes).decode(),
    )


async def add_department(
    database: ScratchDatabase, tenant_id: str, name: str, *, leika_keys: tuple[str, ...] = ()
) -> uuid.UUID:
    department_id = uuid.uuid4()
    await _admin(
        database,
        "INSERT INTO departments (tenant_id, id, name, leika_keys, version, updated_at)"
        " VALUES ($1, $2, $3, $4, 1, now())",
        tenant_id,
        department_id,
        name,
        list(leika_keys),
    )
    return department_id


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


async def outbox(database: ScratchDatabase) -> list[tuple[str, dict[str, Any]]]:
    """The events written so far, oldest first: (subject, CloudEvent as JSON)."""
    rows = await admin_rows(database, "SELECT subject, payload FROM outbox ORDER BY id")
    return [(row["subject"], orjson.loads(row["payload"])) for row in rows]


async def count(database: ScratchDatabase, table: str) -> int:
    rows = await admin_rows(database, f"SELECT count(*) AS n FROM {table}")
    return int(rows[0]["n"])
