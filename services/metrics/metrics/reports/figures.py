"""A month's report laid out in sections, and every figure of it set against the month before.

Plain functions of the figures: no database. A rate's change is in percentage points, every other change
absolute; a change with a side missing is None, as is the change of a label (the service-level variant) or of a
verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from metrics.compliance.targets import TargetName, overall
from metrics.reports.service import MonthFigures

Unit = Literal["count", "percent", "seconds", "minutes", "cents", "variant", "verdict"]
ChangeUnit = Literal["count", "percentage_points", "seconds", "minutes", "cents"]
Value = bool | int | float | None

# Every figure compared month against month: its section, its path within the section and its unit.
FIGURES: tuple[tuple[str, str, Unit], ...] = (
    ("volumes", "offered", "count"),
    ("volumes", "answered", "count"),
    ("volumes", "abandoned", "count"),
    ("volumes", "short_abandons", "count"),
    ("volumes", "abandonment_rate_percent", "percent"),
    ("volumes", "contacts.total", "count"),
    ("volumes", "contacts.solved", "count"),
    ("volumes", "contacts.forwarded", "count"),
    ("volumes", "contacts.callback", "count"),
    ("volumes", "contacts.referred", "count"),
    ("volumes", "forwarded_concerns", "count"),
    ("service_level", "variant", "variant"),
    ("service_level", "threshold_seconds", "seconds"),
    ("service_level", "target_percent", "percent"),
    ("service_level", "percent", "percent"),
    ("service_level", "met", "verdict"),
    *(("service_level", f"variants.{number}", "percent") for number in range(1, 6)),
    ("waiting", "average_speed_of_answer_seconds", "seconds"),
    ("waiting", "target_seconds", "seconds"),
    ("waiting", "met", "verdict"),
    ("waiting", "longest_wait_seconds", "seconds"),
    ("waiting", "answered_within_threshold", "count"),
    ("waiting", "answered_within_threshold_percent", "percent"),
    ("handling", "handled", "count"),
    ("handling", "handled_minutes", "minutes"),
    ("handling", "average_handle_time_seconds", "seconds"),
    ("first_contact_resolution", "percent", "percent"),
    ("first_contact_resolution", "target_percent", "percent"),
    ("first_contact_resolution", "met", "verdict"),
    ("first_contact_resolution", "solved", "count"),
    ("first_contact_resolution", "contacts", "count"),
    ("deadlines", "due", "count"),
    ("deadlines", "answered_in_time", "count"),
    ("deadlines", "answered_late", "count"),
    ("deadlines", "overdue", "count"),
    ("deadlines", "percent", "percent"),
    ("deadlines", "target_percent", "percent"),
    ("deadlines", "met", "verdict"),
    ("costs", "total_cents", "cents"),
)


@dataclass(frozen=True, slots=True)
class Row:
    """One figure of the report: this month's value, the previous month's, and the change between them."""

    section: str
    figure: str
    unit: Unit
    this_month: Value
    previous_month: Value
    change: float | int | None
    change_unit: ChangeUnit | None


def _target(month: MonthFigures, name: TargetName) -> float | None:
    """The target of the contract in force at the month's start (its first stretch)."""
    spans = month.compliance.spans
    judgement = next((each for each in spans[0].targets if each.name == name), None) if spans else None
    return judgement.target.value if judgement is not None and judgement.target is not None else None


def _met(month: MonthFigures, name: TargetName) -> bool | None:
    """The month's verdict on a target: missed in any stretch, or met in those that could be judged."""
    return overall(each.met for span in month.compliance.spans for each in span.targets if each.name == name)


def sections(month: MonthFigures) -> dict[str, Any]:
    """The month's figures by section, as the steering group reads them."""
    total, contract = month.total, month.contract
    answered = int(total["answered"])
    within = int(total["answered_within_threshold"])
    return {
        "volumes": {
            "offered": total["offered"],
            "answered": answered,
            "abandoned": total["abandoned"],
            "short_abandons": total["short_abandons"],
            "abandonment_rate_percent": total["abandonment_rate_percent"],
            "contacts": dict(total["contacts"]),
            "forwarded_concerns": month.forwarded_concerns,
        },
        "service_level": {
            "variant": contract["variant"] if contract else None,
            "threshold_seconds": contract["threshold_seconds"] if contract else None,
            "target_percent": contract["target_percent"] if contract else None,
            "percent": total["service_level_contract"],
            "met": _met(month, "service_level"),
            "variants": dict(total["service_level"]),
        },
        "waiting": {
            "average_speed_of_answer_seconds": total["average_speed_of_answer_seconds"],
            "target_seconds": _target(month, "average_speed_of_answer"),
            "met": _met(month, "average_speed_of_answer"),
            "longest_wait_seconds": total["max_wait_seconds"],
            "answered_within_threshold": within,
            "answered_within_threshold_percent": 100 * within / answered if answered else None,
            "answered_within": dict(total["answered_within"]),
        },
        "handling": {
            "handled": total["handled"],
            "handled_minutes": total["handled_minutes"],
            "average_handle_time_seconds": total["average_handle_time_seconds"],
        },
        "first_contact_resolution": {
            "percent": total["first_contact_resolution_percent"],
            "target_percent": _target(month, "first_contact_resolution"),
            "met": _met(month, "first_contact_resolution"),
            "solved": total["contacts"]["solved"],
            "contacts": total["contacts"]["total"],
        },
        "deadlines": {
            "due": total["concerns_due"],
            "answered_in_time": total["concerns_answered_in_time"],
            "answered_late": total["concerns_answered_late"],
            "overdue": total["concerns_overdue"],
            "percent": total["deadline_compliance_percent"],
            "target_percent": _target(month, "forwarding_deadlines"),
            "met": _met(month, "forwarding_deadlines"),
        },
        "costs": _costs(month),
        "costs_unavailable": month.costs_unavailable,
    }


def _costs(month: MonthFigures) -> dict[str, Any] | None:
    billed = month.bill
    if billed is None:
        return None
    bill = billed.bill
    return {
        "contract_version": billed.contract_version,
        "model": bill.model,
        "total_cents": bill.total_cents,
        "currency": bill.currency,
        "lines": [
            {
                "code": line.code,
                "description": line.description,
                "quantity": line.quantity,
                "unit_cents": line.unit_cents,
                "amount_cents": line.amount_cents,
            }
            for line in bill.lines
        ],
        "final": billed.final,
    }


def _at(section: Mapping[str, Any] | None, path: str) -> Value:
    value: Any = section
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value if isinstance(value, (bool, int, float)) else None


CHANGE_UNITS: dict[Unit, ChangeUnit | None] = {
    "count": "count",
    "percent": "percentage_points",
    "seconds": "seconds",
    "minutes": "minutes",
    "cents": "cents",
    "variant": None,
    "verdict": None,
}


def change(unit: Unit, this: Value, previous: Value) -> float | int | None:
    """This month's value less the previous month's; None for labels and verdicts, or with a side missing."""
    if CHANGE_UNITS[unit] is None or this is None or previous is None:
        return None
    if isinstance(this, bool) or isinstance(previous, bool):
        return None
    return this - previous


def _row(section: str, figure: str, unit: Unit, this: Value, previous: Value) -> Row:
    return Row(section, figure, unit, this, previous, change(unit, this, previous), CHANGE_UNITS[unit])


def _line_amounts(laid_out: Mapping[str, Any]) -> dict[str, int]:
    costs = laid_out.get("costs")
    return {line["code"]: line["amount_cents"] for line in costs["lines"]} if costs else {}


def rows(this: Mapping[str, Any], previous: Mapping[str, Any]) -> list[Row]:
    """Every figure of two months' ``sections`` side by side, with the change; then the bills' lines by code."""
    compared = [
        _row(section, path, unit, _at(this.get(section), path), _at(previous.get(section), path))
        for section, path, unit in FIGURES
    ]
    lines, earlier = _line_amounts(this), _line_amounts(previous)
    for code in [*lines, *(code for code in earlier if code not in lines)]:
        # A line one month's bill lacks amounts to nothing that month, if the month was billed at all.
        now = lines.get(code, 0 if this.get("costs") else None)
        before = earlier.get(code, 0 if previous.get("costs") else None)
        compared.append(_row("costs", f"lines.{code}", "cents", now, before))
    return compared
