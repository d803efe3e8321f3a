"""Staffing over HTTP: a municipality's day planned quarter hour by quarter hour from its past weeks' calls by
Erlang C against its contract's service level, and the plain Erlang C calculator with DOMAIN.md's check values.

The past weeks are written as interval rollups by the superuser (München: Mon–Fri 8–12 and 13–18, 80 % in
20 s). Monday 2 November 2026 follows the end of summer time on 25 October: 09:00 in Berlin is 08:00 UTC on
26 October and 07:00 UTC the Mondays before."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from kit.testing.keys import SigningKeys
from metrics.staffing.erlang import required_agents

from .support import add_interval, add_terms, operator

WEEKDAY_HOURS = [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "18:00"}]
REACHABILITY = dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday"), WEEKDAY_HOURS)
STAFFING = "/v1/tenants/muenchen/figures/staffing"
ERLANG = "/v1/figures/staffing/erlang"


def utc(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def admin_of(keys: SigningKeys, tenant_id: str = "muenchen") -> dict[str, str]:
    return keys.headers_for(tenant_id, "tenant_admin")


async def planned(client: httpx.AsyncClient, keys: SigningKeys, **params: Any) -> dict[str, Any]:
    answer = await client.get(STAFFING, params=params, headers=admin_of(keys))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def seed_mondays(admin: asyncpg.Connection) -> None:
    """Offered calls of the Mondays before 2 November, each handled in 180 s, and some that must not count."""
    rows = [
        (utc(10, 5, 7), 50),  # 09:00 in Berlin, four weeks back
        (utc(10, 12, 7), 50),
        (utc(10, 19, 7), 60),
        (utc(10, 19, 8), 30),  # 10:00 in Berlin (summer time), not 09:00
        (utc(10, 26, 8), 40),  # 09:00 in Berlin (winter time)
        (utc(10, 27, 8), 500),  # a Tuesday: its handle time counts, its calls do not
    ]
    for start, offered in rows:
        await add_interval(
            admin, "muenchen", start, offered=offered, answered=offered, handled=offered, talk_seconds=offered * 180
        )
    # Five weeks back: outside four weeks, inside five; its calls took 600 s each.
    await add_interval(
        admin, "muenchen", utc(9, 28, 7), offered=1000, answered=1000, handled=1000, talk_seconds=600_000
    )


async def test_each_quarter_hour_within_reachability_is_staffed_for_the_calls_of_the_past_weeks(
    client: httpx.AsyncClient, admin: asyncpg.Connection, keys: SigningKeys
) -> None:
    await add_terms(admin, "muenchen", reachability=REACHABILITY)
    await seed_mondays(admin)

    plan = await planned(client, keys, date="2026-11-02", weeks=4, shrinkage=0.3)

    intervals = {row["start"]: row for row in plan["intervals"]}
    assert len(intervals) == 4 * 4 + 5 * 4
    assert plan["intervals"][0]["start"] == "2026-11-02T07:00:00Z"
    assert plan["intervals"][-1]["start"] == "2026-11-02T16:45:00Z"
    assert "2026-11-02T11:00:00Z" not in intervals  # the lunch break
    assert (plan["time_zone"], plan["weeks"], plan["shrinkage"]) == ("Europe/Berlin", 4, 0.3)
    assert plan["target"] == {"percent": 80.0, "threshold_seconds": 20}
    assert (plan["aht_seconds"], plan["aht_source"]) == (pytest.approx(180), "measured")
    # 50 calls a quarter hour at 180 s are DOMAIN.md's 100 calls per half hour: 10 Erlangs, 14 agents.
    nine = intervals["2026-11-02T08:00:00Z"]
    assert nine["calls_forecast"] == pytest.approx(50)
    assert (nine["agents"], nine["rostered"]) == (14, 20)
    assert nine["service_level_percent"] == pytest.approx(88.8, abs=0.1)
    assert nine["asa_seconds"] == pytest.approx(7.8, abs=0.1)
    assert nine["occupancy_percent"] == pytest.approx(71.4, abs=0.1)
    assert intervals["2026-11-02T09:00:00Z"]["calls_forecast"] == pytest.approx(7.5)
    quiet = intervals["2026-11-02T07:00:00Z"]
    assert (quiet["calls_forecast"], quiet["agents"], quiet["rostered"]) == (0, 0, 0)
    assert (plan["peak_agents"], plan["peak_rostered"]) == (14, 20)


async def test_more_weeks_take_older_calls_and_weigh_their_handle_time_by_the_calls_handled(
    client: httpx.AsyncClient, admin: asyncpg.Connection, keys: SigningKeys
) -> None:
    await add_terms(admin, "muenchen", reachability=REACHABILITY)
    await seed_mondays(admin)

    plan = await planned(client, keys, date="2026-11-02", weeks=5)

    handled = 1000 + 50 + 50 + 60 + 30 + 40 + 500
    assert plan["aht_seconds"] == pytest.approx((600_000 + (handled - 1000) * 180) / handled)
    nine = next(row for row in plan["intervals"] if row["start"] == "2026-11-02T08:00:00Z")
    assert nine["calls_forecast"] == pytest.approx((1000 + 50 + 50 + 60 + 40) / 5)
    expected = required_agents(
        calls=240, interval_seconds=900, aht_seconds=plan["aht_seconds"], target_percent=80, threshold_seconds=20
    )
    assert (nine["agents"], nine["rostered"]) == (expected.agents, expected.agents)


async def test_a_given_handle_time_replaces_the_measured_one_and_none_measured_means_180_seconds(
    client: httpx.AsyncClient, admin: asyncpg.Connection, keys: SigningKeys
) -> None:
    await add_terms(admin, "muenchen", reachability=REACHABILITY)

    empty = await planned(client, keys, date="2026-11-02")
    await seed_mondays(admin)
    given = await planned(client, keys, date="2026-11-02", aht_seconds=360)

    assert (empty["aht_seconds"], empty["aht_source"], empty["peak_agents"]) == (180, "default", 0)
    assert {row["calls_forecast"] for row in empty["intervals"]} == {0}
    assert (given["aht_seconds"], given["aht_source"], given["weeks"]) == (360, "given", 4)
    expected = required_agents(calls=50, interval_seconds=900, aht_seconds=360, target_percent=80, threshold_seconds=20)
    assert given["peak_agents"] == expected.agents


async def test_a_day_without_reachability_hours_has_no_quarter_hour_to_staff(
    client: httpx.AsyncClient, admin: asyncpg.Connection, keys: SigningKeys
) -> None:
    closure = [{"first": "2026-12-24", "last": "2027-01-01", "reason": "Weihnachten"}]
    await add_terms(admin, "muenchen", reachability=REACHABILITY, closure_days=closure)

    sunday = await planned(client, keys, date="2026-11-01")
    christmas_eve = await planned(client, keys, date="2026-12-24")
    before = await planned(client, keys, date="2026-12-23")

    assert (sunday["intervals"], sunday["peak_agents"]) == ([], 0)
    assert christmas_eve["intervals"] == []
    assert len(before["intervals"]) == 36


async def test_without_a_contract_or_its_reachability_hours_there_is_nothing_to_staff(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    no_contract = await client.get(STAFFING, params={"date": "2026-11-02"}, headers=admin_of(keys))
    # Oldenburg's contract in the fixtures states a service level but no reachability hours.
    no_hours = await client.get(
        "/v1/tenants/oldenburg/figures/staffing", params={"date": "2026-11-02"}, headers=admin_of(keys, "oldenburg")
    )

    assert no_contract.status_code == 409
    assert "No contract is in force" in no_contract.json()["detail"]
    assert no_hours.status_code == 409
    assert "reachability" in no_hours.json()["detail"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"weeks": 0}, "weeks"),
        ({"weeks": 13}, "weeks"),
        ({"shrinkage": 0.95}, "shrinkage"),
        ({"shrinkage": -0.1}, "shrinkage"),
        ({"aht_seconds": 0}, "aht_seconds"),
        ({"date": "2026-11-31"}, "date"),
        ({"date": "0001-01-01"}, "date"),
    ],
)
async def test_a_plan_out_of_bounds_is_refused_naming_the_field(
    client: httpx.AsyncClient, keys: SigningKeys, params: dict[str, Any], field: str
) -> None:
    answer = await client.get(STAFFING, params={"date": "2026-11-02"} | params, headers=admin_of(keys))

    assert answer.status_code == 422, answer.text
    assert [error["field"] for error in answer.json()["errors"]] == [field]


async def test_another_municipalitys_plan_does_not_exist_and_an_agent_may_not_see_it(
    client: httpx.AsyncClient, admin: asyncpg.Connection, keys: SigningKeys
) -> None:
    await add_terms(admin, "muenchen", reachability=REACHABILITY)

    other = await client.get(STAFFING, params={"date": "2026-11-02"}, headers=admin_of(keys, "artland"))
    agent = await client.get(STAFFING, params={"date": "2026-11-02"}, headers=keys.headers_for("muenchen", "agent"))
    host = await client.get(STAFFING, params={"date": "2026-11-02"}, headers=keys.headers_for("muenchen", "operator"))

    assert (other.status_code, agent.status_code, host.status_code) == (404, 403, 200)


CHECKS = {"calls": 100, "interval_minutes": 30, "aht_seconds": 180, "target_percent": 80, "threshold_seconds": 20}


@pytest.mark.parametrize(
    "headers",
    [lambda keys: keys.headers_for("oldenburg", "agent"), operator],
    ids=["agent", "operator"],
)
async def test_the_calculator_answers_domains_check_values_for_anyone_signed_in(
    client: httpx.AsyncClient, keys: SigningKeys, headers: Callable[[SigningKeys], dict[str, str]]
) -> None:
    answer = await client.get(ERLANG, params=CHECKS | {"shrinkage": 0.3}, headers=headers(keys))

    assert answer.status_code == 200, answer.text
    figures = answer.json()
    assert (figures["traffic_erlangs"], figures["agents"], figures["rostered"]) == (pytest.approx(10), 14, 20)
    assert figures["probability_of_waiting_percent"] == pytest.approx(17.4, abs=0.1)
    assert figures["service_level_percent"] == pytest.approx(88.8, abs=0.1)
    assert figures["asa_seconds"] == pytest.approx(7.8, abs=0.1)
    assert figures["occupancy_percent"] == pytest.approx(71.4, abs=0.1)
    assert figures["shrinkage"] == 0.3


async def test_the_calculator_finds_nine_agents_for_75_percent_in_30_seconds(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    params = CHECKS | {"calls": 60, "target_percent": 75, "threshold_seconds": 30}

    answer = await client.get(ERLANG, params=params, headers=operator(keys))

    assert answer.status_code == 200, answer.text
    assert (answer.json()["agents"], answer.json()["rostered"]) == (9, 9)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"calls": -1}, "calls"),
        ({"aht_seconds": 0}, "aht_seconds"),
        ({"target_percent": 0}, "target_percent"),
        ({"target_percent": 101}, "target_percent"),
        ({"interval_minutes": 0}, "interval_minutes"),
        ({"shrinkage": 0.91}, "shrinkage"),
    ],
)
async def test_the_calculator_refuses_values_out_of_bounds_naming_the_field(
    client: httpx.AsyncClient, keys: SigningKeys, changes: dict[str, Any], field: str
) -> None:
    answer = await client.get(ERLANG, params=CHECKS | changes, headers=operator(keys))

    assert answer.status_code == 422
    assert [error["field"] for error in answer.json()["errors"]] == [field]


async def test_the_calculator_refuses_a_load_no_staff_can_carry_and_anyone_not_signed_in(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    flood = CHECKS | {"calls": 100_000, "interval_minutes": 1, "aht_seconds": 7200}

    too_much = await client.get(ERLANG, params=flood, headers=operator(keys))
    nobody = await client.get(ERLANG, params=CHECKS)

    assert too_much.status_code == 422
    assert "cannot be staffed" in too_much.json()["detail"]
    assert nobody.status_code == 401
