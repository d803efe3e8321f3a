"""A month's report as CSV (RFC 4180): one row per figure with the previous month's value and the change."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from metrics.reports.figures import Row, Value

HEADER = ("section", "figure", "unit", "this_month", "previous_month", "change", "change_unit")


def cell(value: Value) -> str:
    """A value as the cell shows it: empty for none, yes/no for a verdict, rates and times to two decimals."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def report_csv(rows: Iterable[Row]) -> str:
    """Render the report's rows as CSV with a header row; percent changes are in percentage points."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(
            (
                row.section,
                row.figure,
                row.unit,
                cell(row.this_month),
                cell(row.previous_month),
                cell(row.change),
                row.change_unit or "",
            )
        )
    return out.getvalue()
