"""HTTP endpoint of bills: a municipality's month priced by its contract, as JSON or as CSV for accounting."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from kit.web.problems import problem_responses
from metrics.billing import service
from metrics.billing.export import bill_csv
from metrics.billing.schemas import BillFormat, BillLine, BillUsage, MonthlyBillRead
from metrics.web import AccountsScope, Month, csv_download, first_day

router = APIRouter(tags=["bills"])
Format = Annotated[BillFormat, Query(alias="format", description="json, or csv (RFC 4180) for accounting")]


@router.get(
    "/tenants/{tenant_id}/figures/bills/{month}",
    response_model=MonthlyBillRead,
    responses={200: {"content": {"text/csv": {}}}, **problem_responses(401, 403, 404, 409, 422)},
)
async def monthly_bill(scope: AccountsScope, month: Month, answer_format: Format = "json") -> Any:
    """The municipality's bill of a local calendar month, by the price model of the contract in force at its
    start: answered calls, handled minutes (rounded up once a month), shares of annual fees and, under a flat
    fee, the minutes beyond the year's cap.

    ``final`` is false until the month is over. No contract in force at the month's start: 409.
    """
    billed = await service.monthly_bill(scope.database, scope.tenant_id, month=first_day(month))
    if answer_format == "csv":
        return csv_download(bill_csv(billed.bill, tenant_id=scope.tenant_id), f"bill-{scope.tenant_id}-{month}.csv")
    return _read(billed, month)


def _read(billed: service.MonthlyBill, month: str) -> MonthlyBillRead:
    bill, usage = billed.bill, billed.usage
    return MonthlyBillRead(
        tenant_id=billed.tenant_id,
        month=month,
        time_zone=billed.time_zone,
        contract_version=billed.contract_version,
        model=bill.model,
        lines=[
            BillLine(
                code=line.code,
                description=line.description,
                quantity=line.quantity,
                unit_cents=line.unit_cents,
                amount_cents=line.amount_cents,
            )
            for line in bill.lines
        ],
        total_cents=bill.total_cents,
        currency=bill.currency,
        usage=BillUsage(
            calls=usage.calls,
            handled_seconds=usage.handled_seconds,
            billed_minutes=usage.billed_minutes,
            minutes_before_in_year=usage.minutes_before_in_year,
        ),
        final=billed.final,
    )
