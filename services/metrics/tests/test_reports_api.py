"""The monthly partner report over HTTP: a municipality's local month for its steering group, set against the month
before, as JSON and as CSV.

Calls are reported through the telephony feed (``POST /v1/telephony/call-events``) as an operator; contacts and
forwarded concerns, which come from the tickets service's events, are written as their read copies by the superuser.
Oldenburg's contract (version 2, in force from 1 September 2026) judges by 80 % within 20 s in variant 2, an
average speed of answer of at most 20 s and 65 % first-contact resolution, and bills €1.15 per handled minute."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from kit.testing.keys import SigningKeys
from metrics.reports.figures import change

from .support import (
    MONEY_READERS,
    abandoned_call,
    add_concern_fact,
    add_contact_fact,
    add_terms,
    admin_of,
    answered_call,
    operator,
    reported,
)

# 00:00 on 1 September 2026 in Berlin (summer time).
SEPTEMBER = datetime(2026, 8, 31, 22, 0, tzinfo=UTC)
TARGETS: dict[str, Any] = {"max_average_speed_of_answer_seconds": 20, "first_contact_resolution_target_percent": 65.0}


def report_url(tenant_id: str, month: str) -> str:
    return f"/v1/tenants/{tenant_id}/figures/reports/{month}"


def at(month: int, day: int, hour: int = 8) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


@pytest.fixture
async def two_months(client: httpx.AsyncClient, admin: asyncpg.Connection, keys: SigningKeys) -> None:
    """Oldenburg's September and October 2026."""
    await add_terms(admin, "oldenburg", version=2, effective_from=SEPTEMBER, **TARGETS)
    calls = [
        *answered_call("s1", at(9, 10), wait=10),
        *answered_call("s2", at(9, 11), wait=15),
        *answered_call("o1", at(10, 5), wait=12),
        *answered_call("o2", at(10, 6), wait=25),
        *abandoned_call("o3", at(10, 7), wait=8),
        *answered_call("o4", at(10, 8), wait=5),
    ]
    await reported(client, operator(keys), calls)
    for outcome in ("solved", "forwarded"):
        await add_contact_fact(admin, "oldenburg", outcome, at(9, 10, 9))
    for outcome in ("solved", "solved", "solved", "forwarded"):
        await add_contact_fact(admin, "oldenburg", outcome, at(10, 5, 9))
    # Forwarded on 30 September, due and answered in time on 1 October: September's volume, October's deadline.
    await add_concern_fact(admin, "oldenburg", forwarded_at=at(9, 30, 10), due_at=at(10, 1, 16), answered_at=at(10, 1))
    await add_concern_fact(admin, "oldenburg", forwarded_at=at(10, 5, 9), due_at=at(10, 6, 16), answered_at=at(10, 6))
    await add_concern_fact(admin, "oldenburg", forwarded_at=at(10, 7, 9), due_at=at(10, 8, 16), answered_at=at(10, 9))


async def fetched(client: httpx.AsyncClient, headers: dict[str, str], url: str, **params: str) -> dict[str, Any]:
    answer = await client.get(url, headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def compared(report: dict[str, Any]) -> dict[tuple[str, str], tuple[Any, Any, Any, Any]]:
    return {
        (row["section"], row["figure"]): (row["this_month"], row["previous_month"], row["change"], row["change_unit"])
        for row in report["comparison"]
    }


def test_a_rates_change_is_in_percentage_points_and_a_label_or_verdict_has_none() -> None:
    assert change("percent", 75.0, 50.0) == 25.0
    assert change("cents", 1380, 920) == 460
    assert (change("percent", None, 50.0), change("variant", 3, 2), change("verdict", True, False)) == (None,) * 3


@pytest.mark.usefixtures("two_months")
async def test_the_report_shows_the_months_figures_judged_by_the_contract(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    report = await fetched(client, admin_of(keys, "oldenburg"), report_url("oldenburg", "2026-10"))

    assert (report["tenant_id"], report["month"], report["previous_month"], report["final"]) == (
        "oldenburg",
        "2026-10",
        "2026-09",
        True,
    )
    assert report["volumes"] == {
        "offered": 4,
        "answered": 3,
        "abandoned": 1,
        "short_abandons": 1,
        "abandonment_rate_percent": 25.0,
        "contacts": {"solved": 3, "forwarded": 1, "callback": 0, "referred": 0, "total": 4},
        "forwarded_concerns": 2,
    }
    level = report["service_level"]
    assert (level["variant"], level["threshold_seconds"], level["target_percent"], level["met"]) == (2, 20, 80.0, False)
    assert level["percent"] == pytest.approx(200 / 3)
    assert level["variants"] == pytest.approx({"1": 75.0, "2": 200 / 3, "3": 50.0, "4": 200 / 3, "5": 75.0})
    assert report["waiting"] == {
        "average_speed_of_answer_seconds": 14.0,
        "target_seconds": 20.0,
        "met": True,
        "longest_wait_seconds": 25.0,
        "answered_within_threshold": 2,
        "answered_within_threshold_percent": pytest.approx(200 / 3),
        "answered_within": {"10": 1, "15": 2, "20": 2, "30": 3, "45": 3, "60": 3, "90": 3, "120": 3},
    }
    assert report["handling"] == {"handled": 3, "handled_minutes": 12.0, "average_handle_time_seconds": 240.0}
    assert report["first_contact_resolution"] == {
        "percent": 75.0,
        "target_percent": 65.0,
        "met": True,
        "solved": 3,
        "contacts": 4,
    }
    assert report["deadlines"] == {
        "due": 3,
        "answered_in_time": 2,
        "answered_late": 1,
        "overdue": 0,
        "percent": pytest.approx(200 / 3),
        "target_percent": 100.0,
        "met": False,
    }
    costs = report["costs"]
    assert (costs["contract_version"], costs["model"], costs["total_cents"], costs["final"]) == (
        2,
        "per_minute",
        1380,
        True,
    )
    assert [(line["code"], line["quantity"], line["amount_cents"]) for line in costs["lines"]] == [
        ("handled_minutes", 12, 1380)
    ]
    assert report["costs_unavailable"] is None
    [span] = report["compliance"]
    assert (span["contract_version"], span["start"], span["end"], span["met"]) == (
        2,
        "2026-09-30T22:00:00Z",
        "2026-10-31T23:00:00Z",
        False,
    )


@pytest.mark.usefixtures("two_months")
async def test_the_report_sets_each_figure_against_the_previous_month(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    report = await fetched(client, admin_of(keys, "oldenburg"), report_url("oldenburg", "2026-10"))

    previous = report["previous"]
    assert (previous["volumes"]["offered"], previous["volumes"]["forwarded_concerns"]) == (2, 1)
    assert (previous["service_level"]["percent"], previous["service_level"]["met"]) == (100.0, True)
    assert (previous["first_contact_resolution"]["percent"], previous["first_contact_resolution"]["met"]) == (
        50.0,
        False,
    )
    assert (previous["deadlines"]["due"], previous["deadlines"]["percent"], previous["deadlines"]["met"]) == (
        0,
        None,
        None,
    )
    assert previous["costs"]["total_cents"] == 920
    rows = compared(report)
    assert rows[("volumes", "offered")] == (4, 2, 2, "count")
    assert rows[("volumes", "forwarded_concerns")] == (2, 1, 1, "count")
    assert rows[("service_level", "percent")] == pytest.approx((200 / 3, 100.0, 200 / 3 - 100, "percentage_points"))
    assert rows[("service_level", "variant")] == (2, 2, None, None)
    assert rows[("service_level", "met")] == (False, True, None, None)
    assert rows[("waiting", "average_speed_of_answer_seconds")] == (14.0, 12.5, 1.5, "seconds")
    assert rows[("waiting", "longest_wait_seconds")] == (25.0, 15.0, 10.0, "seconds")
    assert rows[("first_contact_resolution", "percent")] == (75.0, 50.0, 25.0, "percentage_points")
    assert rows[("deadlines", "percent")] == (pytest.approx(200 / 3), None, None, "percentage_points")
    assert rows[("costs", "total_cents")] == (1380, 920, 460, "cents")
    assert rows[("costs", "lines.handled_minutes")] == (1380, 920, 460, "cents")

    september = await fetched(client, admin_of(keys, "oldenburg"), report_url("oldenburg", "2026-09"))
    assert september["volumes"] == previous["volumes"]
    assert compared(september)[("volumes", "offered")] == (2, 0, 2, "count")
    # August is billed by version 1, with nothing used.
    assert september["previous"]["costs"]["total_cents"] == 0


@pytest.mark.usefixtures("two_months")
async def test_the_report_as_csv_has_one_row_per_figure(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    answer = await client.get(
        report_url("oldenburg", "2026-10"), params={"format": "csv"}, headers=admin_of(keys, "oldenburg")
    )

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="report-oldenburg-2026-10.csv"'
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert list(rows[0]) == ["section", "figure", "unit", "this_month", "previous_month", "change", "change_unit"]
    by_figure = {(row["section"], row["figure"]): row for row in rows}
    assert len(by_figure) == len(rows)

    def cells(section: str, figure: str) -> tuple[str, ...]:
        row = by_figure[(section, figure)]
        return row["unit"], row["this_month"], row["previous_month"], row["change"], row["change_unit"]

    assert cells("volumes", "offered") == ("count", "4", "2", "2", "count")
    assert cells("service_level", "percent") == ("percent", "66.67", "100.00", "-33.33", "percentage_points")
    assert cells("service_level", "variants.3") == ("percent", "50.00", "100.00", "-50.00", "percentage_points")
    assert cells("service_level", "met") == ("verdict", "no", "yes", "", "")
    assert cells("waiting", "average_speed_of_answer_seconds") == ("seconds", "14.00", "12.50", "1.50", "seconds")
    assert cells("deadlines", "percent") == ("percent", "66.67", "", "", "percentage_points")
    assert cells("costs", "total_cents") == ("cents", "1380", "920", "460", "cents")
    assert cells("costs", "lines.handled_minutes") == ("cents", "1380", "920", "460", "cents")
    json_report = await fetched(client, admin_of(keys, "oldenburg"), report_url("oldenburg", "2026-10"))
    assert len(rows) == len(json_report["comparison"])


async def test_a_month_that_cannot_be_billed_is_reported_without_costs(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    # München has no contract at all.
    report = await fetched(client, admin_of(keys, "muenchen"), report_url("muenchen", "2026-10"))

    assert report["costs"] is None
    assert "No contract is in force" in report["costs_unavailable"]
    assert (report["service_level"]["variant"], report["service_level"]["met"]) == (None, None)
    assert compared(report)[("costs", "total_cents")] == (None, None, None, "cents")


async def test_the_current_month_is_reported_so_far_and_a_later_one_is_refused(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    this_month = datetime.now(ZoneInfo("Europe/Berlin")).date().replace(day=1)
    later = date(this_month.year + this_month.month // 12, this_month.month % 12 + 1, 1)

    current = await fetched(client, admin_of(keys, "oldenburg"), report_url("oldenburg", f"{this_month:%Y-%m}"))
    refused = await client.get(report_url("oldenburg", f"{later:%Y-%m}"), headers=admin_of(keys, "oldenburg"))

    assert current["final"] is False
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["errors"]] == ["month"]


@pytest.mark.parametrize("month", ["2026-13", "26-10", "1999-12"])
async def test_a_malformed_or_too_early_month_is_refused_naming_it(
    client: httpx.AsyncClient, keys: SigningKeys, month: str
) -> None:
    answer = await client.get(report_url("oldenburg", month), headers=admin_of(keys, "oldenburg"))

    assert answer.status_code == 422, answer.text
    assert [error["field"] for error in answer.json()["errors"]] == ["month"]


@MONEY_READERS
async def test_the_report_is_for_the_municipalitys_admins_integrations_and_operators_only(
    client: httpx.AsyncClient, keys: SigningKeys, headers: Any, status: int
) -> None:
    for answer_format in ("json", "csv"):
        answer = await client.get(
            report_url("oldenburg", "2026-10"), params={"format": answer_format}, headers=headers(keys)
        )

        assert answer.status_code == status, answer.text
