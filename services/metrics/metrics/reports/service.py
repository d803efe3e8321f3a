"""The monthly partner report: a municipality's local month for its steering group, set against the month before.

Each month's figures are the KPI endpoint's for the month in all; its targets are judged stretch by stretch of
the contract versions in force (the compliance figures); its costs are the month's bill. A month whose bill
cannot be made (no contract in force at its start, a price this service cannot read) reports no costs and says
why, rather than no report at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kit.db.database import Database
from metrics.billing import service as billing
from metrics.billing.errors import MonthNotBillable, NoContractInForce, PriceNotBillable
from metrics.compliance import service as sla
from metrics.directory import repository as directory
from metrics.figures import kpis
from metrics.figures.periods import instant, next_month
from metrics.reports import repository
from metrics.reports.errors import MonthNotReportable

# Call events are not taken from before 2000, so no earlier month has anything to report.
FIRST_YEAR = 2000


@dataclass(frozen=True, kw_only=True)
class MonthFigures:
    """One local month: its figures in all, the contract at its start, its judged stretches and its bill."""

    month: date
    total: dict[str, Any]
    contract: dict[str, Any] | None
    forwarded_concerns: int
    compliance: sla.Compliance
    bill: billing.MonthlyBill | None
    costs_unavailable: str | None


@dataclass(frozen=True, kw_only=True)
class MonthlyReport:
    tenant_id: str
    time_zone: str
    final: bool
    this: MonthFigures
    previous: MonthFigures


def previous_month(month: date) -> date:
    """The first day of the month before ``month``."""
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


async def monthly_report(database: Database, tenant_id: str, *, month: date) -> MonthlyReport:
    """Report ``tenant_id``'s local calendar month ``month`` (its first day) against the month before."""
    label = f"{month:%Y-%m}"
    if month.year < FIRST_YEAR:
        raise MonthNotReportable(f"{label} lies before {FIRST_YEAR}")
    now = datetime.now(UTC)
    before = previous_month(month)
    async with database.lean_transaction(tenant_id) as conn:
        time_zone = await directory.time_zone(conn)
        current = now.astimezone(ZoneInfo(time_zone)).date().replace(day=1)
        if month > current:
            raise MonthNotReportable(f"{label} lies after the current month {current:%Y-%m}")
        forwarded = {
            each: await repository.forwarded_concerns(
                conn, instant(each, time_zone), instant(next_month(each), time_zone)
            )
            for each in (month, before)
        }
    this = await _month(database, tenant_id, month, forwarded=forwarded[month])
    previous = await _month(database, tenant_id, before, forwarded=forwarded[before])
    end = instant(next_month(month), time_zone)
    return MonthlyReport(tenant_id=tenant_id, time_zone=time_zone, final=now >= end, this=this, previous=previous)


async def _month(database: Database, tenant_id: str, month: date, *, forwarded: int) -> MonthFigures:
    end = next_month(month)
    figures = await kpis.tenant_kpis(database, tenant_id, start=month, end=end, granularity="month")
    judged = await sla.compliance(database, tenant_id, start=month, end=end)
    bill: billing.MonthlyBill | None = None
    unavailable: str | None = None
    try:
        bill = await billing.monthly_bill(database, tenant_id, month=month)
    except (NoContractInForce, PriceNotBillable, MonthNotBillable) as error:
        unavailable = error.detail
    return MonthFigures(
        month=month,
        total=figures["total"],
        contract=figures["contract"],
        forwarded_concerns=forwarded,
        compliance=judged,
        bill=bill,
        costs_unavailable=unavailable,
    )
