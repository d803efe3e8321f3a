"""Contract versions: kept as published, once; the one in force at an instant gives the calendar and the rule."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from nats.aio.client import Client as NATS
from sqlalchemy import select

from businesstime import BusinessHours, NextWorkingDayEnd
from kit.db.database import Database
from kit.events import CloudEvent, EventConsumer, new_event
from tickets.directory.models import ContractVersion
from tickets.directory.terms import TermsInForce, terms_in_force

from .support import TERMS, add_contract, consume, dead_letters, know_tenants

consuming_contracts = pytest.mark.parametrize("directory_consumer", ["tickets-contracts"], indirect=True)

# TERMS forward within 24 business hours; the other rule:
NEXT_WORKING_DAY = {"rule": "next_working_day_end"}
ARTLAND = {"artland": "Samtgemeinde Artland"}


def _contract(tenant_id: str, version: int, effective_from: datetime, terms: dict[str, Any]) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "version": version,
        "effective_from": effective_from.isoformat(),
        "terms": terms,
        "created_at": "2025-12-01T10:00:00+00:00",
        "created_by": "host-admin",
    }


def _version_added(tenant_id: str, data: dict[str, Any]) -> CloudEvent:
    return new_event(service="tenants", type="tenants.contract.version_added.v1", tenant_id=tenant_id, data=data)


async def _versions(database: Database, tenant_id: str) -> list[dict[str, Any]]:
    columns = (
        ContractVersion.tenant_id,
        ContractVersion.version,
        ContractVersion.effective_from,
        ContractVersion.terms,
    )
    return [dict(row) for row in await database.fetch_all(tenant_id, select(*columns))]


async def _in_force(database: Database, tenant_id: str, at: datetime) -> TermsInForce | None:
    async with database.lean_transaction(tenant_id) as conn:
        return await terms_in_force(conn, at)


@consuming_contracts
async def test_a_contract_version_is_kept_as_published_once_and_only_for_its_tenant(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    event = _version_added("artland", _contract("artland", 1, datetime(2026, 1, 1, tzinfo=UTC), TERMS))
    changed = _contract(
        "artland", 1, datetime(2026, 2, 1, tzinfo=UTC), TERMS | {"forwarding_deadline": NEXT_WORKING_DAY}
    )

    await consume(nats_client, directory_consumer, event)
    await consume(nats_client, directory_consumer, event, _version_added("artland", changed))

    assert await _versions(database, "artland") == [
        {"tenant_id": "artland", "version": 1, "effective_from": datetime(2026, 1, 1, tzinfo=UTC), "terms": TERMS}
    ]
    assert await _versions(database, "oldenburg") == []


@consuming_contracts
async def test_a_contract_for_another_tenant_or_with_unreadable_terms_is_dead_lettered(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    effective = datetime(2026, 1, 1, tzinfo=UTC)
    next_working_day = TERMS | {"forwarding_deadline": NEXT_WORKING_DAY}
    weekly = TERMS | {"forwarding_deadline": {"rule": "weekly"}}
    await consume(
        nats_client,
        directory_consumer,
        _version_added("artland", _contract("oldenburg", 1, effective, next_working_day)),
        _version_added("artland", _contract("artland", 1, effective, weekly)),
        _version_added("artland", _contract("artland", 2, effective, next_working_day)),
    )

    letters = await dead_letters(nats_client, directory_consumer)
    assert [letter.original_subject for letter in letters] == ["tenants.artland.contract.version_added.v1"] * 2
    assert "data names oldenburg" in letters[0].error
    assert "terms.forwarding_deadline" in letters[1].error
    assert [row["version"] for row in await _versions(database, "artland")] == [2]
    assert await _versions(database, "oldenburg") == []


async def test_the_version_in_force_at_an_instant_is_the_latest_that_took_effect_by_then(
    database: Database, admin: asyncpg.Connection
) -> None:
    first, second = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)
    await know_tenants(admin, ARTLAND)
    await add_contract(
        admin,
        "artland",
        version=2,
        effective_from=second,
        forwarding_deadline=NEXT_WORKING_DAY,
        personal_data_retention_days=30,
    )
    await add_contract(admin, "artland", version=1, effective_from=first)

    before = await _in_force(database, "artland", datetime(2025, 12, 31, 23, 59, tzinfo=UTC))
    between = await _in_force(database, "artland", datetime(2026, 6, 30, 12, tzinfo=UTC))
    at_change = await _in_force(database, "artland", second)
    after = await _in_force(database, "artland", datetime(2027, 3, 1, tzinfo=UTC))

    assert before is None
    assert between is not None
    assert after is not None
    assert (between.contract_version, between.rule, between.rule_label, between.retention_days) == (
        1,
        BusinessHours(24),
        "business_hours:24",
        90,
    )
    assert (after.contract_version, after.rule, after.rule_label, after.retention_days) == (
        2,
        NextWorkingDayEnd(),
        "next_working_day_end",
        30,
    )
    assert at_change is after
    assert await _in_force(database, "oldenburg", datetime(2026, 6, 30, tzinfo=UTC)) is None


async def test_forwarded_friday_at_five_is_due_wednesday_at_eleven_after_24_business_hours(
    database: Database, admin: asyncpg.Connection
) -> None:
    await know_tenants(admin, ARTLAND)
    await add_contract(admin, "artland", effective_from=datetime(2026, 1, 1, tzinfo=UTC))
    forwarded = datetime(2026, 3, 6, 16, tzinfo=UTC)  # Friday 17:00 in Berlin (CET)

    terms = await _in_force(database, "artland", forwarded)

    assert terms is not None
    assert (terms.calendar.time_zone, terms.calendar.state) == ("Europe/Berlin", "NI")
    # Friday 1 h, Monday 10 h, Tuesday 10 h, Wednesday 08:00–11:00.
    assert terms.calendar.due(forwarded, terms.rule) == datetime(2026, 3, 11, 10, tzinfo=UTC)


async def test_the_calendar_counts_the_states_holidays_split_shifts_and_closure_days(
    database: Database, admin: asyncpg.Connection
) -> None:
    split = [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "16:00"}]
    terms: dict[str, Any] = {
        "forwarding_deadline": NEXT_WORKING_DAY,
        "reachability": {"monday": split, "tuesday": split, "thursday": split, "friday": split},
        "closure_days": [{"first": "2025-11-03", "last": "2025-11-03", "reason": "Betriebsausflug"}],
    }
    await know_tenants(admin, ARTLAND, state="NI")
    await know_tenants(admin, {"minden": "Stadt Minden"}, state="NW")
    for tenant_id in ("artland", "minden"):
        await add_contract(admin, tenant_id, effective_from=datetime(2025, 1, 1, tzinfo=UTC), **terms)
    forwarded = datetime(2025, 10, 30, 10, tzinfo=UTC)  # Thursday; Friday is Reformation Day in Lower Saxony

    artland = await _in_force(database, "artland", forwarded)
    minden = await _in_force(database, "minden", forwarded)

    assert artland is not None
    assert minden is not None
    # Artland: Friday a holiday, Monday closed, Tuesday until 16:00. Minden: Friday until 16:00.
    assert artland.calendar.due(forwarded, artland.rule) == datetime(2025, 11, 4, 15, tzinfo=UTC)
    assert minden.calendar.due(forwarded, minden.rule) == datetime(2025, 10, 31, 15, tzinfo=UTC)
    assert (
        artland.calendar.business_time_between(
            datetime(2025, 11, 4, 7, tzinfo=UTC), datetime(2025, 11, 4, 15, tzinfo=UTC)
        ).total_seconds()
        == 7 * 3600
    )


async def test_terms_built_once_are_reused_until_the_tenants_time_zone_or_state_changes(
    database: Database, admin: asyncpg.Connection
) -> None:
    await know_tenants(admin, ARTLAND)
    await add_contract(admin, "artland", effective_from=datetime(2026, 1, 1, tzinfo=UTC))
    at = datetime(2026, 3, 6, 16, tzinfo=UTC)

    first = await _in_force(database, "artland", at)
    again = await _in_force(database, "artland", at)
    await admin.execute("UPDATE known_tenants SET state = 'HB', version = 2 WHERE tenant_id = 'artland'")
    moved = await _in_force(database, "artland", at)

    assert first is not None
    assert moved is not None
    assert again is first
    assert moved is not first
    assert (moved.contract_version, moved.calendar.state) == (1, "HB")
