"""A municipality's monthly bill: its usage of the local calendar month, priced by the contract in force.

The month is the municipality's own (its time zone's midnights); calls count as billed when answered, minutes
are the month's handled seconds rounded up once. A flat fee's cap counts over the calendar year, so the
billed minutes of the year's earlier months come along. The same rollup gives the same bill to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from kit.db.database import Database
from metrics.billing import repository
from metrics.billing.errors import MonthNotBillable, NoContractInForce, PriceNotBillable
from metrics.billing.prices import Bill, Usage, bill_for, billed_minutes
from metrics.directory import repository as directory
from metrics.directory.service import contract_in_force
from metrics.figures.periods import instant, next_month

# Call events are not taken from before 2000, so no earlier month has anything to bill.
FIRST_YEAR = 2000


@dataclass(frozen=True, kw_only=True)
class MonthlyBill:
    """A bill with what it was computed from; ``final`` once the month is over on the municipality's clock."""

    tenant_id: str
    time_zone: str
    contract_version: int
    usage: Usage
    bill: Bill
    final: bool


async def monthly_bill(database: Database, tenant_id: str, *, month: date) -> MonthlyBill:
    """Bill ``tenant_id``'s local calendar month ``month`` (its first day) by the contract in force at its start."""
    label = f"{month:%Y-%m}"
    if month.year < FIRST_YEAR:
        raise MonthNotBillable(f"{label} lies before {FIRST_YEAR}")
    now = datetime.now(UTC)
    async with database.lean_transaction(tenant_id) as conn:
        time_zone = await directory.time_zone(conn)
        current = now.astimezone(ZoneInfo(time_zone)).date().replace(day=1)
        if month > current:
            raise MonthNotBillable(f"{label} lies after the current month {current:%Y-%m}")
        start, end = instant(month, time_zone), instant(next_month(month), time_zone)
        terms = contract_in_force(await directory.contract_versions(conn), start)
        if terms is None:
            raise NoContractInForce(label)
        year_start = instant(month.replace(month=1), time_zone)
        used = await repository.usage_by_month(conn, year_start, end, time_zone=time_zone)
    this = used.get(month, repository.MonthlyUsage(0, 0))
    usage = Usage(
        month=month,
        calls=this.calls,
        handled_seconds=this.handled_seconds,
        # Each earlier month rounded up on its own, as it was billed.
        minutes_before_in_year=sum(billed_minutes(each.handled_seconds) for key, each in used.items() if key < month),
    )
    version = int(terms["version"])
    try:
        bill = bill_for(terms.get("price") or {}, usage)
    except ValueError as exc:
        raise PriceNotBillable(version, str(exc)) from exc
    return MonthlyBill(
        tenant_id=tenant_id, time_zone=time_zone, contract_version=version, usage=usage, bill=bill, final=now >= end
    )
