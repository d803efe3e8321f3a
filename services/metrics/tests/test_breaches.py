"""Breaches: each ended local day checked against the contract in force, a missed target announced once per
municipality, day and target, in the transaction that notes it, and listed for the municipality alone.

Rollups and contacts are written by the superuser as ingest and the tickets events would have left them; the watch
runs as the worker runs it (the runtime role), on a clock the test sets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from kit.db.database import Database
from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys
from metrics.compliance.watch import BreachWatch
from metrics.events.published import COMPLIANCE_BREACHED, ComplianceBreachedV1

from .support import add_contact_fact, add_rollup, add_terms, admin_rows, outbox_events

# Thursday 5 November 2026, 10:00 in Berlin (winter time, UTC+1); the days before it began at 23:00 UTC.
NOW = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
TARGETS: dict[str, Any] = {"max_average_speed_of_answer_seconds": 20, "first_contact_resolution_target_percent": 65.0}
SUBJECT = "metrics.{tenant}.compliance.breached.v1"


def ten_o_clock(day: date) -> datetime:
    """10:00 in Berlin on ``day`` in November."""
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def watch(served: ScratchDatabase, database: Database, clock: Clock) -> BreachWatch:
    """The watch on the served municipalities (München with ASA and FCR targets besides the service level)."""
    return BreachWatch(database=database, every=0.1, lookback_days=3, clock=clock)


@pytest.fixture
async def other_database(scratch: ScratchDatabase) -> AsyncIterator[Database]:
    """A second worker's pool on the same database."""
    db = Database(scratch.runtime_url, pool_size=2)
    yield db
    await db.dispose()


async def bad_day(admin: asyncpg.Connection, tenant_id: str, day: date) -> None:
    """Six of ten calls answered in time after 30 s on average, one of four contacts solved at once."""
    at = ten_o_clock(day)
    await add_rollup(admin, tenant_id, at, answered=10, answered_within=6, wait_seconds=300)
    for outcome in ("solved", "forwarded", "forwarded", "callback"):
        await add_contact_fact(admin, tenant_id, outcome, at)


async def good_day(admin: asyncpg.Connection, tenant_id: str, day: date) -> None:
    at = ten_o_clock(day)
    await add_rollup(admin, tenant_id, at, answered=10, answered_within=9, wait_seconds=100)
    for outcome in ("solved", "solved", "solved", "forwarded"):
        await add_contact_fact(admin, tenant_id, outcome, at)


async def breaches(admin: asyncpg.Connection) -> list[dict[str, Any]]:
    return await admin_rows(admin, "SELECT tenant_id, day, target, event_id FROM breaches ORDER BY 1, 2, 3")


async def test_a_missed_day_is_announced_once_with_the_figures_it_was_judged_by(
    admin: asyncpg.Connection, watch: BreachWatch
) -> None:
    await add_terms(admin, "muenchen", **TARGETS)
    await bad_day(admin, "muenchen", date(2026, 11, 3))

    first = await watch.run_once()
    again = await watch.run_once()

    assert (first, again) == (3, 0)
    events = await outbox_events(admin)
    assert [(tenant, subject, event["tenantid"], event["type"]) for tenant, subject, event in events] == [
        ("muenchen", SUBJECT.format(tenant="muenchen"), "muenchen", COMPLIANCE_BREACHED)
    ] * 3
    by_target = {event["data"]["target"]: event for _, _, event in events}
    assert {target: event["subject"] for target, event in by_target.items()} == {
        "service_level": "compliance/2026-11-03/service_level",
        "average_speed_of_answer": "compliance/2026-11-03/average_speed_of_answer",
        "first_contact_resolution": "compliance/2026-11-03/first_contact_resolution",
    }
    level = ComplianceBreachedV1.model_validate(by_target["service_level"]["data"])
    assert level.model_dump(mode="json") == {
        "tenant_id": "muenchen",
        "day": "2026-11-03",
        "time_zone": "Europe/Berlin",
        "start": "2026-11-02T23:00:00Z",
        "end": "2026-11-03T23:00:00Z",
        "target": "service_level",
        "contract_version": 1,
        "target_value": 80.0,
        "unit": "percent",
        "comparison": "at_least",
        "actual": 60.0,
        "variant": 2,
        "threshold_seconds": 20,
        "short_abandon_seconds": 10,
        "counts": {
            "offered": 10,
            "answered": 10,
            "answered_within_threshold": 6,
            "abandoned": 0,
            "abandoned_within_threshold": 0,
            "short_abandons": 0,
        },
    }
    speed = ComplianceBreachedV1.model_validate(by_target["average_speed_of_answer"]["data"])
    assert (speed.target_value, speed.unit, speed.comparison, speed.actual) == (20.0, "seconds", "at_most", 30.0)
    assert (speed.variant, speed.counts) == (None, {"answered": 10, "wait_seconds": 300.0})
    resolution = ComplianceBreachedV1.model_validate(by_target["first_contact_resolution"]["data"])
    assert (resolution.target_value, resolution.actual, resolution.counts) == (65.0, 25.0, {"solved": 1, "contacts": 4})
    noted = await breaches(admin)
    assert [(row["tenant_id"], row["day"], row["target"]) for row in noted] == [
        ("muenchen", date(2026, 11, 3), "average_speed_of_answer"),
        ("muenchen", date(2026, 11, 3), "first_contact_resolution"),
        ("muenchen", date(2026, 11, 3), "service_level"),
    ]
    assert {str(row["event_id"]) for row in noted} == {event["id"] for _, _, event in events}


async def test_only_days_that_have_ended_within_the_look_back_are_checked(
    admin: asyncpg.Connection, watch: BreachWatch, clock: Clock
) -> None:
    await add_terms(admin, "muenchen", **TARGETS)
    for day in (date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 5)):
        await bad_day(admin, "muenchen", day)

    announced = await watch.run_once()

    # 1 November lies four days back, 5 November has not ended.
    assert announced == 3
    assert {row["day"] for row in await breaches(admin)} == {date(2026, 11, 2)}

    clock.now = NOW + timedelta(days=1)
    assert await watch.run_once() == 3
    assert {row["day"] for row in await breaches(admin)} == {date(2026, 11, 2), date(2026, 11, 5)}
    assert len(await outbox_events(admin)) == 6


async def test_a_day_without_calls_or_without_a_contract_is_no_breach(
    admin: asyncpg.Connection, watch: BreachWatch
) -> None:
    # München has no contract; Oldenburg's sets no ASA or FCR target and had no call.
    await bad_day(admin, "muenchen", date(2026, 11, 4))
    await add_contact_fact(admin, "oldenburg", "forwarded", ten_o_clock(date(2026, 11, 4)))

    assert await watch.run_once() == 0
    assert await outbox_events(admin) == []


async def test_two_workers_checking_together_announce_each_breach_once(
    admin: asyncpg.Connection, watch: BreachWatch, other_database: Database, clock: Clock
) -> None:
    await add_terms(admin, "muenchen", **TARGETS)
    await bad_day(admin, "muenchen", date(2026, 11, 4))
    other = BreachWatch(database=other_database, every=0.1, lookback_days=3, clock=clock)

    counts = await asyncio.gather(watch.run_once(), other.run_once())

    assert sum(counts) == 3
    assert len(await outbox_events(admin)) == len(await breaches(admin)) == 3


async def test_each_municipality_is_judged_by_its_own_data_and_sees_only_its_own_breaches(
    client: httpx.AsyncClient, admin: asyncpg.Connection, watch: BreachWatch, keys: SigningKeys
) -> None:
    # Artland's contract judges by 30 s, variant 2, 80 %, and sets no ASA or FCR target.
    await bad_day(admin, "artland", date(2026, 11, 4))
    await good_day(admin, "oldenburg", date(2026, 11, 4))

    assert await watch.run_once() == 1

    events = await outbox_events(admin)
    assert [(tenant, subject, event["data"]["target"]) for tenant, subject, event in events] == [
        ("artland", SUBJECT.format(tenant="artland"), "service_level")
    ]
    assert events[0][2]["data"]["threshold_seconds"] == 30

    def listing(tenant_id: str, as_tenant: str, role: str = "tenant_admin") -> Any:
        return client.get(
            f"/v1/tenants/{tenant_id}/figures/breaches",
            params={"from": "2026-11-01", "to": "2026-11-06"},
            headers=keys.headers_for(as_tenant, role),
        )

    artland, oldenburg = await listing("artland", "artland"), await listing("oldenburg", "oldenburg")
    assert artland.status_code == oldenburg.status_code == 200
    [item] = artland.json()["items"]
    assert (item["day"], item["target"], item["actual"], item["target_value"]) == (
        "2026-11-04",
        "service_level",
        60,
        80,
    )
    assert (item["variant"], item["contract_version"], item["event_id"]) == (2, 1, events[0][2]["id"])
    assert artland.json()["from"] == "2026-11-01"
    assert oldenburg.json()["items"] == []
    assert (await listing("oldenburg", "artland")).status_code == 404
    assert (await listing("artland", "artland", "agent")).status_code == 403
    too_long = await client.get(
        "/v1/tenants/artland/figures/breaches",
        params={"from": "2026-01-01", "to": "2027-01-03"},
        headers=keys.headers_for("artland", "tenant_admin"),
    )
    assert too_long.status_code == 422
    assert [error["field"] for error in too_long.json()["errors"]] == ["to"]
