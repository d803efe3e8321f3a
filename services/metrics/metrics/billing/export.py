"""A bill as CSV (RFC 4180) for a municipality's accounting: one row per line item and a final total row."""

from __future__ import annotations

import csv
import io

from metrics.billing.prices import Bill

HEADER = ("tenant_id", "month", "code", "description", "quantity", "unit_cents", "amount_cents")


def bill_csv(bill: Bill, *, tenant_id: str) -> str:
    """Render a bill as CSV with a header row and a closing ``total`` row; empty cells stand for no value."""
    month = f"{bill.month:%Y-%m}"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for line in bill.lines:
        unit = "" if line.unit_cents is None else line.unit_cents
        writer.writerow((tenant_id, month, line.code, line.description, line.quantity, unit, line.amount_cents))
    writer.writerow((tenant_id, month, "total", f"Total ({bill.currency})", "", "", bill.total_cents))
    return out.getvalue()
