"""A municipality's monthly bill over HTTP: its local month's calls priced by the contract in force, as JSON and
as CSV, the same every time it is asked for.

October 2026's calls are reported through the telephony feed as an operator; the year's earlier months, which
only a flat fee's cap looks at, are written as interval rollups by the superuser."""

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

from .support import (
    MONEY_READERS,
    abandoned_call,
    add_interval,
    add_line,
    add_terms,
    admin_of,
    answered_call,
    operator,
    reported,
)

MUENCHEN_LINE, MUENCHEN_DIALLED = "+49892330", "+49 89 233-0"
FLAT_FEE: dict[str, Any] = {
    "model": "flat_fee",
    "annual_fee_cents": 9_500_000,
    "included_minutes": 60_000,
    "overage_cents_per_minute": 150,
}


def bill_url(tenant_id: str, month: str) -> str:
    return f"/v1/tenants/{tenant_id}/figures/bills/{month}"


async def fetched(client: httpx.AsyncClient, headers: dict[str, str], url: str, **params: str) -> dict[str, Any]:
    answer = await client.get(url, headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


async def test_per_minute_bills_the_local_months_handled_minutes_rounded_up_once(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    events = [
        # 23:30 on 30 September in Berlin (summer time): September's.
        *answered_call("sep", datetime(2026, 9, 30, 21, 30, tzinfo=UTC)),
        # 00:30 on 1 October in Berlin: October's, like the next two.
        *answered_call("oct-first", datetime(2026, 9, 30, 22, 30, tzinfo=UTC)),
        *answered_call("oct-mid", datetime(2026, 10, 15, 8, 0, tzinfo=UTC)),
        *answered_call("oct-last", datetime(2026, 10, 31, 22, 30, tzinfo=UTC), talk=181),
        *abandoned_call("oct-abandoned", datetime(2026, 10, 20, 9, 0, tzinfo=UTC)),
        # 00:30 on 1 November in Berlin (winter time): November's.
        *answered_call("nov", datetime(2026, 10, 31, 23, 30, tzinfo=UTC)),
    ]
    await reported(client, operator(keys), events)

    bill = await fetched(client, admin_of(keys, "oldenburg"), bill_url("oldenburg", "2026-10"))

    assert bill == {
        "tenant_id": "oldenburg",
        "month": "2026-10",
        "time_zone": "Europe/Berlin",
        "contract_version": 1,
        "model": "per_minute",
        "lines": [
            {
                "code": "handled_minutes",
                "description": "Handled minutes: 13 × 1.15 €",
                "quantity": 13,
                "unit_cents": 115,
                "amount_cents": 1495,
            }
        ],
        "total_cents": 1495,
        "currency": "EUR",
        # 240 + 240 + 241 seconds: 12.02 minutes, billed as 13.
        "usage": {"calls": 3, "handled_seconds": 721, "billed_minutes": 13, "minutes_before_in_year": 4},
        "final": True,
    }
    again = await fetched(client, admin_of(keys, "oldenburg"), bill_url("oldenburg", "2026-10"))
    assert again == bill


async def test_flat_fee_bills_only_the_minutes_beyond_the_cap_crossed_within_the_month(
    client: httpx.AsyncClient, admin: asyncpg.Connection, keys: SigningKeys
) -> None:
    await add_line(admin, "muenchen", MUENCHEN_LINE)
    await add_terms(admin, "muenchen", price=FLAT_FEE)
    # 23:45 on New Year's Eve 2025 in Berlin: last year's, whatever its volume.
    await add_interval(admin, "muenchen", datetime(2025, 12, 31, 22, 45, tzinfo=UTC), talk_seconds=10**7)
    # 00:15 on 1 January 2026 in Berlin: 30,000 minutes and 30 seconds, billed as 30,001.
    await add_interval(admin, "muenchen", datetime(2025, 12, 31, 23, 15, tzinfo=UTC), talk_seconds=30_000 * 60 + 30)
    await add_interval(admin, "muenchen", datetime(2026, 6, 10, 8, 0, tzinfo=UTC), talk_seconds=29_989 * 60)
    # November's minutes come after October's bill.
    await add_interval(admin, "muenchen", datetime(2026, 11, 2, 8, 0, tzinfo=UTC), talk_seconds=10**6)
    calls = [
        answered_call(
            f"m{n}",
            datetime(2026, 10, 5 + n, 8, 0, tzinfo=UTC),
            talk=260,
            hold=0,
            after_call_work=40,
            line=MUENCHEN_DIALLED,
        )
        for n in range(3)
    ]
    await reported(client, operator(keys), [each for call in calls for each in call])

    bill = await fetched(client, admin_of(keys, "muenchen"), bill_url("muenchen", "2026-10"))

    # 59,990 minutes before October and 15 in it: the cap of 60,000 is crossed by 5.
    assert bill["usage"] == {"calls": 3, "handled_seconds": 900, "billed_minutes": 15, "minutes_before_in_year": 59_990}
    assert bill["model"] == "flat_fee"
    assert [(line["code"], line["quantity"], line["unit_cents"], line["amount_cents"]) for line in bill["lines"]] == [
        ("flat_fee", 1, None, 791_666),
        ("overage_minutes", 5, 150, 750),
    ]
    assert bill["total_cents"] == 792_416

    answer = await client.get(
        bill_url("muenchen", "2026-10"), params={"format": "csv"}, headers=admin_of(keys, "muenchen")
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="bill-muenchen-2026-10.csv"'
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(row["tenant_id"], row["month"], row["code"], row["amount_cents"]) for row in rows] == [
        ("muenchen", "2026-10", "flat_fee", "791666"),
        ("muenchen", "2026-10", "overage_minutes", "750"),
        ("muenchen", "2026-10", "total", "792416"),
    ]
    assert rows[1]["unit_cents"] == "150"
    assert rows[0]["unit_cents"] == ""


@pytest.mark.parametrize(
    ("price", "lines", "total"),
    [
        (
            {"model": "per_call", "cents_per_call": 250, "annual_base_fee_cents": 600_000},
            [("calls", 7, 1_750), ("base_fee", 1, 50_000)],
            51_750,
        ),
        ({"model": "annual_fee", "annual_fee_cents": 3_000_000}, [("annual_fee", 1, 250_000)], 250_000),
        ({"model": "free"}, [], 0),
    ],
)
async def test_each_other_price_model_bills_its_own_lines(
    client: httpx.AsyncClient,
    admin: asyncpg.Connection,
    keys: SigningKeys,
    price: dict[str, Any],
    lines: list[tuple[str, int, int]],
    total: int,
) -> None:
    await add_terms(admin, "muenchen", price=price)
    start = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    await add_interval(admin, "muenchen", start, offered=9, answered=7, handled=7, talk_seconds=700)

    bill = await fetched(client, admin_of(keys, "muenchen"), bill_url("muenchen", "2026-03"))

    assert bill["model"] == price["model"]
    assert [(line["code"], line["quantity"], line["amount_cents"]) for line in bill["lines"]] == lines
    assert bill["total_cents"] == total
    assert bill["usage"]["calls"] == 7


async def test_a_month_without_a_contract_in_force_at_its_start_cannot_be_billed(
    client: httpx.AsyncClient, admin: asyncpg.Connection, keys: SigningKeys
) -> None:
    none = await client.get(bill_url("muenchen", "2026-10"), headers=admin_of(keys, "muenchen"))
    assert none.status_code == 409
    assert none.headers["content-type"] == "application/problem+json"
    assert "No contract is in force" in none.json()["detail"]

    await add_terms(admin, "muenchen", effective_from=datetime(2026, 10, 15, tzinfo=UTC))
    mid_month = await client.get(bill_url("muenchen", "2026-10"), headers=admin_of(keys, "muenchen"))
    assert mid_month.status_code == 409
    await fetched(client, admin_of(keys, "muenchen"), bill_url("muenchen", "2026-11"))


async def test_the_current_month_is_billed_so_far_and_a_later_one_is_refused(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    this_month = datetime.now(ZoneInfo("Europe/Berlin")).date().replace(day=1)

    current = await fetched(client, admin_of(keys, "oldenburg"), bill_url("oldenburg", f"{this_month:%Y-%m}"))
    later = await client.get(
        bill_url("oldenburg", f"{next_month(this_month):%Y-%m}"), headers=admin_of(keys, "oldenburg")
    )

    assert current["final"] is False
    assert later.status_code == 422
    assert [error["field"] for error in later.json()["errors"]] == ["month"]


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-1", "26-10", "october", "1999-12"])
async def test_a_malformed_month_is_refused_naming_it(client: httpx.AsyncClient, keys: SigningKeys, month: str) -> None:
    answer = await client.get(bill_url("oldenburg", month), headers=admin_of(keys, "oldenburg"))

    assert answer.status_code == 422, answer.text
    assert [error["field"] for error in answer.json()["errors"]] == ["month"]


async def test_an_unknown_format_is_refused_naming_it(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    answer = await client.get(
        bill_url("oldenburg", "2026-10"), params={"format": "xml"}, headers=admin_of(keys, "oldenburg")
    )

    assert answer.status_code == 422
    assert [error["field"] for error in answer.json()["errors"]] == ["format"]


@MONEY_READERS
async def test_a_bill_is_for_the_municipalitys_admins_integrations_and_operators_only(
    client: httpx.AsyncClient, keys: SigningKeys, headers: Any, status: int
) -> None:
    answer = await client.get(bill_url("oldenburg", "2026-10"), headers=headers(keys))

    assert answer.status_code == status, answer.text
