"""HTTP endpoint of reports: a municipality's month for its steering group, as JSON or as CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from kit.web.problems import problem_responses
from metrics.reports import service
from metrics.reports.export import report_csv
from metrics.reports.figures import rows, sections
from metrics.reports.schemas import MonthlyReportRead, ReportFormat
from metrics.web import AccountsScope, Month, csv_download, first_day

router = APIRouter(tags=["reports"])
Format = Annotated[ReportFormat, Query(alias="format", description="json, or csv (RFC 4180): one row per figure")]


@router.get(
    "/tenants/{tenant_id}/figures/reports/{month}",
    response_model=MonthlyReportRead,
    responses={200: {"content": {"text/csv": {}}}, **problem_responses(401, 403, 404, 422)},
)
async def monthly_report(scope: AccountsScope, month: Month, answer_format: Format = "json") -> Any:
    """The monthly partner report of a local calendar month: volumes, service level (the contract's variant and
    target, and all five variants), waiting, first-contact resolution, deadlines kept, the month's bill, the
    month judged per contract version in force, and every figure against the previous month's (changes of
    rates in percentage points).

    The current month is reported so far (``final`` false); a later one is refused. As CSV: one row per
    figure (section, figure, unit, this month, previous month, change, change unit).
    """
    report = await service.monthly_report(scope.database, scope.tenant_id, month=first_day(month))
    this, previous = sections(report.this), sections(report.previous)
    compared = rows(this, previous)
    if answer_format == "csv":
        return csv_download(report_csv(compared), f"report-{scope.tenant_id}-{month}.csv")
    return MonthlyReportRead.model_validate(
        {
            "tenant_id": report.tenant_id,
            "month": month,
            "previous_month": f"{report.previous.month:%Y-%m}",
            "time_zone": report.time_zone,
            "final": report.final,
            **this,
            "compliance": report.this.compliance.spans,
            "previous": previous,
            "comparison": compared,
        }
    )
