"""Contract versions: kept as published, once; the one in force at an instant gives the calendar and the rule."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from nats.aio.client import Client as NATS
from sqlalchemy import select

from businesstime import BusinessHours, NextWorkingDayEnd
from kit.db.database import Database
from kit.events import CloudEvent, EventConsumer, new_event
from kit.events.deadletters import list_dead_letters
from kit.testing.events import consumer_settled, eventually, publish_copy
from tickets.directory import service as directory
from tickets.directory.models import ContractVersion
from tickets.directory.terms import TermsInForce, terms_in_force
from tickets.events.consumed import ContractVersionAddedV1, TenantStateV1

consuming_contracts = pytest.mark.parametrize("directory_consumer", ["tickets-contracts"], indirect=True)

OFFICE_HOURS = [{"start": "08:00", "end": "18:00"}]


def _terms(deadline: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        "term": {"start": "2026-01-01", "end": None, "trial_end": None, "notice_period_months": 3},
        "channels": ["phone", "email"],
        "scope": "115",
        "service_level": {"target_percent": 75.0, "threshold_seconds": 30, "variant": 1, "short_abandon_seconds": 0},
        "max_average_speed_of_answer_seconds": None,
        "first_contact_resolution_target_percent": None,
        "forwarding_deadline": deadline,
        "reachability": dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday"), OFFICE_HOURS),
        "closure_days": [],
        "price": {"model": "per_minute", "cents_per_minute": 115, "annual_base_fee_cents": 0},
        "personal_data_retention_days": 90,
        **changes,
    }


BUSINESS_HOURS_24 = {"rule": "business_hours", "hours": 24}
NEXT_WORKING_DAY = {"rule": "next_working_day_end"}


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


async def _known(
    database: Database, tenant_id: str, *contracts: dict[str, Any], state: str | None = "NI", version: int = 1
) -> None:
    """The tenant and its contract versions as the consumers record them."""
    tenant = {
        "id": tenant_id,
        "name": tenant_id.title(),
        "state": state,
        "time_zone": "Europe/Berlin",
        "open311_jurisdiction_id": f"{tenant_id}.example",
        "status": "active",
        "version": version,
    }
    async with database.transaction(tenant_id) as session:
        await directory.tenant_changed(session, tenant=TenantStateV1.model_validate(tenant), at=datetime.now(UTC))
        for contract in contracts:
            await directory.contract_version_added(
                session, contract=ContractVersionAddedV1.model_validate(contract), terms=contract["terms"]
            )


async def _in_force(database: Database, tenant_id: str, at: datetime) -> TermsInForce | None:
    async with database.lean_transaction(tenant_id) as conn:
        return await terms_in_force(conn, at)


@consuming_contracts
async def test_a_contract_version_is_kept_as_published_once_and_only_for_its_tenant(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    terms = _terms(BUSINESS_HOURS_24)
    event = _version_added("artland", _contract("artland", 1, datetime(2026, 1, 1, tzinfo=UTC), terms))
    changed = _contract("artland", 1, datetime(2026, 2, 1, tzinfo=UTC), _terms(NEXT_WORKING_DAY))

    await publish_copy(nats_client, event)
    await eventually(lambda: consumer_settled(nats_client, directory_consumer, 1))
    await publish_copy(nats_client, event)
    await publish_copy(nats_client, _version_added("artland", changed))
    await eventually(lambda: consumer_settled(nats_client, directory_consumer, 3))

    assert await _versions(database, "artland") == [
        {"tenant_id": "artland", "version": 1, "effective_from": datetime(2026, 1, 1, tzinfo=UTC), "terms": terms}
    ]
    assert await _versions(database, "oldenburg") == []


@consuming_contracts
async def test_a_contract_for_another_tenant_or_with_unreadable_terms_is_dead_lettered(
    database: Database, nats_client: NATS, directory_consumer: EventConsumer
) -> None:
    effective = datetime(2026, 1, 1, tzinfo=UTC)
    await publish_copy(
        nats_client, _version_added("artland", _contract("oldenburg", 1, effective, _terms(NEXT_WORKING_DAY)))
    )
    await publish_copy(
        nats_client, _version_added("artland", _contract("artland", 1, effective, _terms({"rule": "weekly"})))
    )
    await publish_copy(
        nats_client, _version_added("artland", _contract("artland", 2, effective, _terms(NEXT_WORKING_DAY)))
    )
    await eventually(lambda: consumer_settled(nats_client, directory_consumer, 3))

    letters = [
        letter
        for letter in await list_dead_letters(nats_client.jetstream())
        if letter.consumer == directory_consumer.name
    ]
    assert [letter.original_subject for letter in letters] == ["tenants.artland.contract.version_added.v1"] * 2
    assert "data names oldenburg" in letters[0].error
    assert "terms.forwarding_deadline" in letters[1].error
    assert [row["version"] for row in await _versions(database, "artland")] == [2]
    assert await _versions(database, "oldenburg") == []


async def test_the_version_in_force_at_an_instant_is_the_latest_that_took_effect_by_then(database: Database) -> None:
    first, second = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)
    await _known(
        database,
        "artland",
        _contract("artland", 2, second, _terms(NEXT_WORKING_DAY, personal_data_retention_days=30)),
        _contract("artland", 1, first, _terms(BUSINESS_HOURS_24)),
    )

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


async def test_forwarded_friday_at_five_is_due_wednesday_at_eleven_after_24_business_hours(database: Database) -> None:
    await _known(
        database, "artland", _contract("artland", 1, datetime(2026, 1, 1, tzinfo=UTC), _terms(BUSINESS_HOURS_24))
    )
    forwarded = datetime(2026, 3, 6, 16, tzinfo=UTC)  # Friday 17:00 in Berlin (CET)

    terms = await _in_force(database, "artland", forwarded)

    assert terms is not None
    assert (terms.calendar.time_zone, terms.calendar.state) == ("Europe/Berlin", "NI")
    # Friday 1 h, Monday 10 h, Tuesday 10 h, Wednesday 08:00–11:00.
    assert terms.calendar.due(forwarded, terms.rule) == datetime(2026, 3, 11, 10, tzinfo=UTC)


async def test_the_calendar_counts_the_states_holidays_split_shifts_and_closure_days(database: Database) -> None:
    split = [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "16:00"}]
    terms = _terms(
        NEXT_WORKING_DAY,
        reachability={"monday": split, "tuesday": split, "thursday": split, "friday": split},
        closure_days=[{"first": "2025-11-03", "last": "2025-11-03", "reason": "Betriebsausflug"}],
    )
    await _known(database, "artland", _contract("artland", 1, datetime(2025, 1, 1, tzinfo=UTC), terms))
    await _known(database, "minden", _contract("minden", 1, datetime(2025, 1, 1, tzinfo=UTC), terms), state="NW")
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


async def test_terms_built_once_are_reused_until_the_tenants_time_zone_or_state_changes(database: Database) -> None:
    contract = _contract("artland", 1, datetime(2026, 1, 1, tzinfo=UTC), _terms(BUSINESS_HOURS_24))
    await _known(database, "artland", contract)
    at = datetime(2026, 3, 6, 16, tzinfo=UTC)

    first = await _in_force(database, "artland", at)
    again = await _in_force(database, "artland", at)
    await _known(database, "artland", state="HB", version=2)
    moved = await _in_force(database, "artland", at)

    assert first is not None
    assert moved is not None
    assert again is first
    assert moved is not first
    assert (moved.contract_version, moved.calendar.state) == (1, "HB")
