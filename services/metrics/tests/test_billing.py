"""The monthly bill: each price model with the figures of real agreements, exact shares, the flat fee's cap, CSV."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest

from metrics.billing.export import HEADER, bill_csv
from metrics.billing.prices import Bill, LineItem, Usage, bill_for, billed_minutes, monthly_share

PER_MINUTE: dict[str, Any] = {"model": "per_minute", "cents_per_minute": 115, "annual_base_fee_cents": 1_200_000}
FLAT_FEE: dict[str, Any] = {
    "model": "flat_fee",
    "annual_fee_cents": 9_500_000,
    "included_minutes": 60_000,
    "overage_cents_per_minute": 150,
}
ANNUAL_FEE: dict[str, Any] = {"model": "annual_fee", "annual_fee_cents": 3_000_000}


def _usage(month: int = 3, *, calls: int = 0, minutes: int = 0, seconds: int = 0, before: int = 0) -> Usage:
    return Usage(
        month=date(2026, month, 1), calls=calls, handled_seconds=minutes * 60 + seconds, minutes_before_in_year=before
    )


def _codes(bill: Bill) -> list[str]:
    return [line.code for line in bill.lines]


def test_per_call_bills_calls_and_the_base_fee_share() -> None:
    bill = bill_for({"model": "per_call", "cents_per_call": 250, "annual_base_fee_cents": 600_000}, _usage(calls=1_234))

    assert bill.lines == (
        LineItem(
            code="calls", description="Calls: 1,234 × 2.50 €", quantity=1_234, unit_cents=250, amount_cents=308_500
        ),
        LineItem(
            code="base_fee",
            description="Base fee: monthly share of 6,000.00 € a year",
            quantity=1,
            unit_cents=None,
            amount_cents=50_000,
        ),
    )
    assert (bill.model, bill.total_cents, bill.currency) == ("per_call", 358_500, "EUR")


def test_per_minute_bills_handled_minutes_at_1_15_euros_plus_the_base_fee_share() -> None:
    bill = bill_for(PER_MINUTE, _usage(calls=400, minutes=1_233, seconds=30))

    minutes, base_fee = bill.lines
    assert (minutes.code, minutes.quantity, minutes.unit_cents, minutes.amount_cents) == (
        "handled_minutes",
        1_234,
        115,
        141_910,
    )
    assert minutes.description == "Handled minutes: 1,234 × 1.15 €"
    assert (base_fee.code, base_fee.amount_cents) == ("base_fee", 100_000)
    assert bill.total_cents == 241_910


def test_zero_base_fee_gives_no_line() -> None:
    bill = bill_for({"model": "per_minute", "cents_per_minute": 115, "annual_base_fee_cents": 0}, _usage(minutes=10))

    assert _codes(bill) == ["handled_minutes"]
    assert bill.total_cents == 1_150


def test_quiet_month_still_shows_its_volume_line() -> None:
    bill = bill_for({"model": "per_call", "cents_per_call": 250}, _usage())

    assert [(line.code, line.quantity, line.amount_cents) for line in bill.lines] == [("calls", 0, 0)]
    assert bill.total_cents == 0


@pytest.mark.parametrize(("seconds", "minutes"), [(0, 0), (1, 1), (59, 1), (60, 1), (61, 2), (3_600, 60), (3_601, 61)])
def test_handled_seconds_are_rounded_up_to_whole_minutes_once_per_month(seconds: int, minutes: int) -> None:
    assert billed_minutes(seconds) == minutes
    assert bill_for(PER_MINUTE, _usage(seconds=seconds)).lines[0].quantity == minutes


def test_flat_fee_within_its_cap_bills_only_the_monthly_share() -> None:
    bill = bill_for(FLAT_FEE, _usage(month=1, minutes=5_000))

    assert bill.lines == (
        LineItem(
            code="flat_fee",
            description="Flat fee: monthly share of 95,000.00 € a year",
            quantity=1,
            unit_cents=None,
            amount_cents=791_666,
        ),
    )
    assert bill_for(FLAT_FEE, _usage(month=2, minutes=5_000, before=5_000)).total_cents == 791_667


def test_flat_fee_cap_crossed_within_the_month_bills_only_the_minutes_beyond_it() -> None:
    bill = bill_for(FLAT_FEE, _usage(month=11, minutes=1_000, before=59_500))

    assert _codes(bill) == ["flat_fee", "overage_minutes"]
    overage = bill.lines[1]
    assert (overage.quantity, overage.unit_cents, overage.amount_cents) == (500, 150, 75_000)
    assert overage.description == "Overage minutes: 500 × 1.50 € (beyond 60,000 included minutes a year)"
    assert bill.total_cents == 791_667 + 75_000


def test_flat_fee_cap_exceeded_before_the_month_bills_every_minute_as_overage() -> None:
    bill = bill_for(FLAT_FEE, _usage(month=12, minutes=999, seconds=1, before=61_000))

    assert bill.lines[1].quantity == 1_000
    assert bill.total_cents == 791_667 + 150_000


def test_flat_fee_cap_reached_exactly_bills_no_overage() -> None:
    bill = bill_for(FLAT_FEE, _usage(month=10, minutes=1_000, before=59_000))

    assert _codes(bill) == ["flat_fee"]


def test_flat_fee_overage_over_a_year_equals_minutes_beyond_the_cap() -> None:
    monthly_minutes = [4_000, 6_000, 5_500, 5_000, 4_800, 5_200, 7_000, 3_000, 5_000, 6_500, 5_000, 4_700]
    before, overage = 0, 0
    for month, minutes in enumerate(monthly_minutes, start=1):
        bill = bill_for(FLAT_FEE, _usage(month=month, minutes=minutes, before=before))
        overage += sum(line.quantity for line in bill.lines if line.code == "overage_minutes")
        before += minutes

    assert overage == sum(monthly_minutes) - 60_000


def test_annual_lump_sum_bills_a_twelfth_whatever_the_volume() -> None:
    bill = bill_for(ANNUAL_FEE, _usage(calls=9_999, minutes=99_999))

    assert [(line.code, line.amount_cents) for line in bill.lines] == [("annual_fee", 250_000)]
    assert bill.lines[0].description == "Annual fee: monthly share of 30,000.00 € a year"
    assert bill.total_cents == 250_000


def test_free_gives_an_empty_bill() -> None:
    bill = bill_for({"model": "free"}, _usage(calls=100, minutes=500))

    assert (bill.model, bill.lines, bill.total_cents) == ("free", (), 0)


@pytest.mark.parametrize("annual", [0, 1, 5, 11, 12, 13, 100_003, 3_000_000, 9_500_000, 10**12])
def test_twelve_monthly_shares_sum_exactly_to_the_annual_amount(annual: int) -> None:
    shares = [monthly_share(annual, month) for month in range(1, 13)]

    assert sum(shares) == annual
    assert max(shares) - min(shares) <= 1


@pytest.mark.parametrize(
    "price", [FLAT_FEE, ANNUAL_FEE, {"model": "per_call", "cents_per_call": 1, "annual_base_fee_cents": 7}]
)
def test_a_years_bills_of_fees_sum_to_the_annual_fee(price: dict[str, Any]) -> None:
    total = sum(bill_for(price, _usage(month=month)).total_cents for month in range(1, 13))

    assert total == price.get("annual_fee_cents", price.get("annual_base_fee_cents"))


def test_recomputing_a_month_gives_the_same_bill() -> None:
    usage = _usage(month=7, calls=812, minutes=2_345, seconds=17, before=58_000)

    assert bill_for(FLAT_FEE, usage) == bill_for(dict(FLAT_FEE), usage)


@pytest.mark.parametrize(
    ("price", "field"),
    [
        ({"model": "per_minute", "cents_per_minute": 1.15}, "cents_per_minute"),
        ({"model": "per_minute", "cents_per_minute": "115"}, "cents_per_minute"),
        ({"model": "per_minute"}, "cents_per_minute"),
        ({"model": "per_minute", "cents_per_minute": 115, "cents_per_call": 5}, "cents_per_call"),
        ({**FLAT_FEE, "included_minutes": 0}, "included_minutes"),
        ({**FLAT_FEE, "overage_cents_per_minute": -1}, "overage_cents_per_minute"),
        ({"model": "per_second", "cents_per_second": 2}, "model"),
        ({"annual_fee_cents": 3_000_000}, "model"),
    ],
)
def test_bad_price_names_the_field(price: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=rf"invalid price: {field}:"):
        bill_for(price, _usage())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"month": date(2026, 3, 15)}, "first of a month"),
        ({"calls": -1}, "calls"),
        ({"handled_seconds": -60}, "handled_seconds"),
        ({"month": date(2026, 1, 1), "minutes_before_in_year": 10}, "January"),
    ],
)
def test_impossible_usage_is_refused(kwargs: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {"month": date(2026, 3, 1), "calls": 0, "handled_seconds": 0, "minutes_before_in_year": 0}

    with pytest.raises(ValueError, match=message):
        Usage(**{**fields, **kwargs})


def test_bill_as_csv_parses_back_to_its_lines_and_total() -> None:
    bill = bill_for(PER_MINUTE, _usage(month=3, minutes=1_234))

    text = bill_csv(bill, tenant_id="artland")
    rows = list(csv.reader(io.StringIO(text, newline="")))

    assert text.endswith("\r\n")
    assert text.count("\r\n") == len(rows) == 4
    assert rows == [
        list(HEADER),
        ["artland", "2026-03", "handled_minutes", "Handled minutes: 1,234 × 1.15 €", "1234", "115", "141910"],
        ["artland", "2026-03", "base_fee", "Base fee: monthly share of 12,000.00 € a year", "1", "", "100000"],
        ["artland", "2026-03", "total", "Total (EUR)", "", "", "241910"],
    ]
    assert sum(int(row[6]) for row in rows[1:-1]) == int(rows[-1][6])


def test_free_bill_as_csv_has_only_header_and_a_zero_total() -> None:
    rows = list(
        csv.reader(io.StringIO(bill_csv(bill_for({"model": "free"}, _usage()), tenant_id="oldenburg"), newline=""))
    )

    assert rows[1:] == [["oldenburg", "2026-03", "total", "Total (EUR)", "", "", "0"]]
