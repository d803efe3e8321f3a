"""A simulated day at the service center ends with the same figures whether or not NATS and the tickets service
are restarted halfway through it.

One scenario is played twice on two past days of the same weekday: once undisturbed, once with NATS down for a
moment and the tickets service (its API and its worker) restarted while the agents and back offices go on
working. Everything sent while a part is away is retried or waits in an outbox; nothing may be lost or counted
twice, so both days' reports must be equal, and equal to what the plan says was sent.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from devstack.simulation.plan import TIME_ZONE, DayPlan, pick_day, plan_day
from devstack.simulation.player import Played, play
from devstack.simulation.profiles import DEMO_MUNICIPALITIES
from devstack.simulation.report import MunicipalityReport, Report, fetch_report, used_days

from .support import StackHandle

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SEED = 115
# About 250 calls over the three municipalities: long enough that the faults fall in the middle of the day.
SCALE = 0.17
# A day's concerns fall due within this many days, so two days this far apart never share a deadline.
QUIET_DAYS = 14


async def two_alike_days(stack: StackHandle) -> tuple[date, date]:
    """Two past working days of one weekday whose fortnights hold no calls or contacts (nor each other's)."""
    today = datetime.now(TIME_ZONE).date()
    tenants = tuple(m.tenant_id for m in DEMO_MUNICIPALITIES)
    used = await used_days(
        stack.gateway_url, stack.api_keys, tenants, start=today - timedelta(days=365), end=today + timedelta(days=1)
    )
    first = pick_day(today, used, quiet_days=QUIET_DAYS)
    assert first is not None, "no quiet working day in the past year"
    used.add(first)
    second = first - timedelta(weeks=2)
    while not all(m.is_open(second) for m in DEMO_MUNICIPALITIES) or any(
        second + timedelta(days=offset) in used for offset in range(QUIET_DAYS)
    ):
        second -= timedelta(weeks=1)
        assert second > today - timedelta(days=365), "no second quiet day of the same weekday in the past year"
    return first, second


def figures(report: MunicipalityReport) -> dict[str, Any]:
    """What a municipality's day came to: every figure but the month's bill, which other days share."""
    return {name: value for name, value in asdict(report).items() if name != "bill"}


def assert_as_sent(report: Report, played: Played) -> None:
    assert report.settled, report.problems
    assert played.failures == [], played.failures[:5]
    for municipality in report.municipalities:
        sent = municipality.expected_calls
        assert (municipality.offered, municipality.answered, municipality.abandoned) == (
            sent.offered,
            sent.answered,
            sent.abandoned,
        ), municipality.tenant_id
        assert municipality.service_level.actual == pytest.approx(sent.service_level), municipality.tenant_id
        assert municipality.average_speed_of_answer.actual == pytest.approx(sent.average_speed_of_answer)
        assert municipality.handled_minutes == pytest.approx(sent.handled_minutes), municipality.tenant_id
        assert municipality.contacts == municipality.expected_contacts, municipality.tenant_id
        assert municipality.deadlines == municipality.expected_deadlines, municipality.tenant_id


async def play_and_report(stack: StackHandle, plan: DayPlan, **options: Any) -> tuple[Played, Report]:
    played = await play(plan, stack.gateway_url, stack.api_keys, **options)
    return played, await fetch_report(plan, stack.gateway_url, stack.api_keys, played=played, settle_timeout=90)


async def test_nats_and_the_tickets_service_restarted_halfway_leave_the_figures_of_an_undisturbed_day(
    stack: StackHandle,
) -> None:
    undisturbed_day, disturbed_day = await two_alike_days(stack)
    undisturbed_plan = plan_day(undisturbed_day, seed=SEED, scale=SCALE)
    disturbed_plan = plan_day(disturbed_day, seed=SEED, scale=SCALE, like=undisturbed_day)
    assert any(contact.forwarded for contact in undisturbed_plan.contacts)
    restarted: list[str] = []

    async def faults() -> None:
        # The tickets API first: its stop meets the agents' very next contacts, so the rest of the day runs on
        # through the restarts (a NATS restart alone waits for every process and may outlast the day's requests).
        await stack.restart_soon("tickets-api")
        restarted.append("tickets-api")
        await stack.restart_nats_soon(down_for=1.0)
        restarted.append("nats")
        await stack.restart_soon("tickets-worker")
        restarted.append("tickets-worker")

    undisturbed, undisturbed_report = await play_and_report(stack, undisturbed_plan)
    disturbed, disturbed_report = await play_and_report(stack, disturbed_plan, on_halfway=faults)

    assert restarted == ["tickets-api", "nats", "tickets-worker"]
    assert disturbed.retries > 0, "the restarts fell outside the day: no request met a restarting part"
    assert_as_sent(undisturbed_report, undisturbed)
    assert_as_sent(disturbed_report, disturbed)
    for tenant in (m.tenant_id for m in DEMO_MUNICIPALITIES):
        assert figures(disturbed_report.of(tenant)) == figures(undisturbed_report.of(tenant)), tenant
