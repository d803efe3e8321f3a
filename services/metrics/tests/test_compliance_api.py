"""A municipality's period judged against its contract: per stretch of each contract version in force, each target
met, missed, or not judged for want of a target or of data.

München's rollups, contacts and concerns are written by the superuser as ingest and the tickets events would have
left them; the targets are judged by plain functions, tested here first without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from kit.testing.keys import SigningKeys
from metrics.compliance.targets import Observed, Target, judge, kept, overall, spans
from metrics.figures.formulas import CallCounts

from .support import SERVICE_LEVEL, add_concern_fact, add_contact_fact, add_rollup, add_terms, integration_client

TARGETS: dict[str, Any] = {
    "max_average_speed_of_answer_seconds": 20,
    "first_contact_resolution_target_percent": 65.0,
    "forwarding_deadline": {"rule": "business_hours", "hours": 24},
}
# Monday 5 and Monday 12 October 2026, 10:00 in Berlin (summer time, UTC+2).
GOOD_DAY = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
BAD_DAY = datetime(2026, 10, 12, 8, 0, tzinfo=UTC)
# Thursday 15 October 2026, 00:00 in Berlin.
OCTOBER_15 = datetime(2026, 10, 14, 22, 0, tzinfo=UTC)


def url(tenant_id: str) -> str:
    return f"/v1/tenants/{tenant_id}/figures/compliance"


async def judged(client: httpx.AsyncClient, keys: SigningKeys, tenant_id: str, start: str, end: str) -> dict[str, Any]:
    answer = await client.get(
        url(tenant_id), params={"from": start, "to": end}, headers=keys.headers_for(tenant_id, "tenant_admin")
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def by_name(span: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {target["name"]: target for target in span["targets"]}


async def a_day(
    admin: asyncpg.Connection, at: datetime, *, within: int, wait: float, solved: int, in_time: int, late: int
) -> None:
    """München's day at ``at``: ten calls answered (``within`` of them in time) and two abandoned, four contacts
    (``solved`` solved, the others forwarded), concerns due at noon answered in time, late, and one overdue if
    fewer than two were answered."""
    await add_rollup(
        admin, "muenchen", at, answered=10, answered_within=within, abandoned=2, abandoned_within=1, wait_seconds=wait
    )
    for n in range(4):
        await add_contact_fact(admin, "muenchen", "solved" if n < solved else "forwarded", at + timedelta(hours=1))
    due = at + timedelta(hours=4)
    answers: list[datetime | None] = [due - timedelta(hours=2)] * in_time
    answers += [due + timedelta(hours=2)] * late
    answers += [None] * (2 - len(answers))
    for answered_at in answers:
        await add_concern_fact(
            admin, "muenchen", forwarded_at=at - timedelta(days=1), due_at=due, answered_at=answered_at
        )


def test_a_target_reached_exactly_is_met_and_an_average_wait_may_not_exceed_its_maximum() -> None:
    at_least = Target(value=80.0, unit="percent", comparison="at_least")
    at_most = Target(value=20.0, unit="seconds", comparison="at_most")

    assert (kept(at_least, 80.0), kept(at_least, 79.99), kept(at_least, None), kept(None, 90.0)) == (
        True,
        False,
        None,
        None,
    )
    assert (kept(at_most, 20.0), kept(at_most, 20.5)) == (True, False)
    assert (overall([True, None, True]), overall([True, False, None]), overall([None, None])) == (True, False, None)


def test_the_service_level_is_judged_in_the_contracts_variant() -> None:
    # DOMAIN.md's worked example: A = 1000, A_T = 860, Ab = 60, Ab_T = 20.
    calls = CallCounts(offered=1060, answered=1000, answered_within=860, abandoned=60, abandoned_within=20)
    terms = {"version": 1, "service_level": SERVICE_LEVEL | {"variant": 4, "target_percent": 83.0}}

    level, speed, resolution, deadlines = judge(terms, Observed(calls=calls))

    assert level.actual == pytest.approx(82.69, abs=0.01)
    assert level.met is False
    assert level.target == Target(
        value=83.0, unit="percent", comparison="at_least", variant=4, threshold_seconds=20, short_abandon_seconds=10
    )
    assert (speed.target, speed.met, resolution.target, resolution.actual) == (None, None, None, None)
    assert (deadlines.target and deadlines.target.value, deadlines.actual, deadlines.met) == (100.0, None, None)
    assert judge(None, Observed(calls=calls))[0].met is None


def test_a_period_is_cut_only_where_another_version_takes_effect_within_it() -> None:
    first, last = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    versions = [(1, first, {"a": 1}), (2, OCTOBER_15, {"a": 2}), (3, last, {"a": 3})]

    cut = spans(versions, first, last)
    before = spans(versions, first - timedelta(days=5), first + timedelta(days=1))

    assert [(span.start, span.end, span.version) for span in cut] == [(first, OCTOBER_15, 1), (OCTOBER_15, last, 2)]
    assert [span.version for span in before] == [None, 1]


async def test_a_period_meeting_every_target_and_one_missing_every_target(
    client: httpx.AsyncClient, admin: asyncpg.Connection, keys: SigningKeys
) -> None:
    await add_terms(admin, "muenchen", **TARGETS)
    await a_day(admin, GOOD_DAY, within=9, wait=150, solved=3, in_time=2, late=0)
    await a_day(admin, BAD_DAY, within=7, wait=300, solved=2, in_time=1, late=1)

    good = await judged(client, keys, "muenchen", "2026-10-05", "2026-10-06")
    bad = await judged(client, keys, "muenchen", "2026-10-12", "2026-10-13")

    assert (good["tenant_id"], good["time_zone"], good["from"], good["to"], good["met"]) == (
        "muenchen",
        "Europe/Berlin",
        "2026-10-05",
        "2026-10-06",
        True,
    )
    [span] = good["spans"]
    assert (span["start"], span["end"], span["contract_version"], span["met"]) == (
        "2026-10-04T22:00:00Z",
        "2026-10-05T22:00:00Z",
        1,
        True,
    )
    targets = by_name(span)
    assert list(targets) == [
        "service_level",
        "average_speed_of_answer",
        "first_contact_resolution",
        "forwarding_deadlines",
    ]
    assert targets["service_level"] == {
        "name": "service_level",
        "target": {
            "value": 80.0,
            "unit": "percent",
            "comparison": "at_least",
            "variant": 2,
            "threshold_seconds": 20,
            "short_abandon_seconds": 10,
            "deadline_rule": None,
        },
        "actual": 90.0,
        "unit": "percent",
        "met": True,
        "figures": {
            "offered": 12,
            "answered": 10,
            "answered_within_threshold": 9,
            "abandoned": 2,
            "abandoned_within_threshold": 1,
            "short_abandons": 0,
        },
    }
    speed = targets["average_speed_of_answer"]
    assert (speed["target"]["value"], speed["target"]["unit"], speed["target"]["comparison"]) == (
        20,
        "seconds",
        "at_most",
    )
    assert (speed["actual"], speed["met"], speed["figures"]) == (15.0, True, {"answered": 10, "wait_seconds": 150.0})
    resolution = targets["first_contact_resolution"]
    assert (resolution["target"]["value"], resolution["actual"], resolution["met"]) == (65.0, 75.0, True)
    assert resolution["figures"] == {"solved": 3, "contacts": 4}
    deadlines = targets["forwarding_deadlines"]
    assert deadlines["target"]["value"] == 100.0
    assert deadlines["target"]["deadline_rule"] == {"rule": "business_hours", "hours": 24}
    assert (deadlines["actual"], deadlines["met"]) == (100.0, True)
    assert deadlines["figures"] == {"due": 2, "answered_in_time": 2, "answered_late": 0, "overdue": 0}

    assert bad["met"] is False
    missed = by_name(bad["spans"][0])
    assert {name: (target["actual"], target["met"]) for name, target in missed.items()} == {
        "service_level": (70.0, False),
        "average_speed_of_answer": (30.0, False),
        "first_contact_resolution": (50.0, False),
        "forwarding_deadlines": (50.0, False),
    }
    assert missed["forwarding_deadlines"]["figures"] == {
        "due": 2,
        "answered_in_time": 1,
        "answered_late": 1,
        "overdue": 0,
    }

    both = await judged(client, keys, "muenchen", "2026-10-05", "2026-10-13")
    assert both["met"] is False
    assert by_name(both["spans"][0])["service_level"]["actual"] == pytest.approx(80.0)


async def test_a_contract_changed_mid_period_judges_each_stretch_by_its_own_version(
    client: httpx.AsyncClient, admin: asyncpg.Connection, keys: SigningKeys
) -> None:
    await add_terms(admin, "muenchen")
    stricter = SERVICE_LEVEL | {"variant": 3, "target_percent": 85.0, "threshold_seconds": 30}
    await add_terms(admin, "muenchen", version=2, effective_from=OCTOBER_15, service_level=stricter)
    # The same calls before and after the change: 9 of 10 answered in time, 2 abandoned.
    await add_rollup(admin, "muenchen", BAD_DAY, answered=10, answered_within=9, abandoned=2)
    later = datetime(2026, 10, 16, 8, 0, tzinfo=UTC)
    await add_rollup(admin, "muenchen", later, answered=10, answered_within=9, abandoned=2, threshold_seconds=30)

    october = await judged(client, keys, "muenchen", "2026-10-01", "2026-11-01")

    first, second = october["spans"]
    assert (first["start"], first["end"], first["contract_version"], first["met"]) == (
        "2026-09-30T22:00:00Z",
        "2026-10-14T22:00:00Z",
        1,
        True,
    )
    # Summer time ends on 25 October: the month ends at 23:00 UTC.
    assert (second["start"], second["end"], second["contract_version"], second["met"]) == (
        "2026-10-14T22:00:00Z",
        "2026-10-31T23:00:00Z",
        2,
        False,
    )
    old, new = by_name(first)["service_level"], by_name(second)["service_level"]
    assert (old["target"]["variant"], old["target"]["value"], old["actual"], old["met"]) == (2, 80.0, 90.0, True)
    assert (new["target"]["variant"], new["target"]["threshold_seconds"]) == (3, 30)
    assert (new["target"]["value"], new["actual"], new["met"]) == (85.0, 75.0, False)
    assert new["figures"]["offered"] == old["figures"]["offered"] == 12
    assert october["met"] is False


async def test_without_data_or_without_a_contract_nothing_is_judged(
    client: httpx.AsyncClient, admin: asyncpg.Connection, keys: SigningKeys
) -> None:
    await add_terms(admin, "muenchen")

    turn = await judged(client, keys, "muenchen", "2025-12-31", "2026-01-02")

    before, after = turn["spans"]
    assert (before["contract_version"], before["met"], before["end"]) == (None, None, "2026-01-01T00:00:00Z")
    assert all(target["target"] is None and target["met"] is None for target in before["targets"])
    assert after["contract_version"] == 1
    assert {target["name"]: (target["actual"], target["met"]) for target in after["targets"]} == {
        "service_level": (None, None),
        "average_speed_of_answer": (None, None),
        "first_contact_resolution": (None, None),
        "forwarding_deadlines": (None, None),
    }
    targets = by_name(after)
    assert targets["service_level"]["target"]["value"] == 80.0
    assert targets["average_speed_of_answer"]["target"] is None
    assert targets["first_contact_resolution"]["target"] is None
    assert after["met"] is None
    assert turn["met"] is None


@pytest.mark.parametrize(
    ("start", "end"),
    [("2026-01-01", "2027-01-03"), ("2026-10-05", "2026-10-05"), ("2026-10-05", "2026-10-01")],
    ids=["367_days", "empty", "backwards"],
)
async def test_a_period_too_long_or_not_after_its_start_is_refused_naming_to(
    client: httpx.AsyncClient, keys: SigningKeys, start: str, end: str
) -> None:
    answer = await client.get(
        url("oldenburg"), params={"from": start, "to": end}, headers=keys.headers_for("oldenburg", "tenant_admin")
    )

    assert answer.status_code == 422, answer.text
    assert [error["field"] for error in answer.json()["errors"]] == ["to"]


async def test_a_whole_year_may_be_judged(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    year = await judged(client, keys, "oldenburg", "2026-01-01", "2027-01-02")

    # The contract took effect at 01:00 in Berlin on New Year's Day: its first hour had none.
    assert [span["contract_version"] for span in year["spans"]] == [None, 1]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (lambda keys: keys.headers_for("oldenburg", "tenant_admin"), 200),
        (lambda keys: keys.headers_for("oldenburg", "back_office"), 200),
        (lambda keys: keys.headers_for("oldenburg", "operator"), 200),
        (lambda keys: integration_client(keys, "oldenburg"), 200),
        (lambda keys: keys.headers_for("oldenburg", "agent"), 403),
        (lambda keys: keys.headers_for("artland", "tenant_admin"), 404),
        (lambda keys: {}, 401),
    ],
    ids=["admin", "back_office", "operator", "integration", "agent", "other_tenant", "nobody"],
)
async def test_compliance_is_for_those_who_see_the_municipalitys_figures(
    client: httpx.AsyncClient, keys: SigningKeys, headers: Any, status: int
) -> None:
    answer = await client.get(
        url("oldenburg"), params={"from": "2026-10-01", "to": "2026-11-01"}, headers=headers(keys)
    )

    assert answer.status_code == status, answer.text
