"""A cooperation contract as the host and Artland would sign it: 115 standards, Mon–Fri 8–18, per minute."""

from __future__ import annotations

from typing import Any

WEEKDAY_HOURS = [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "18:00"}]

TERMS: dict[str, Any] = {
    "term": {"start": "2026-01-01", "trial_end": "2026-06-30", "notice_period_months": 6},
    "channels": ["phone", "email"],
    "scope": "central_number",
    "service_level": {"target_percent": 75, "threshold_seconds": 30, "variant": 3, "short_abandon_seconds": 5},
    "max_average_speed_of_answer_seconds": 20,
    "first_contact_resolution_target_percent": 65,
    "forwarding_deadline": {"rule": "business_hours", "hours": 24},
    "reachability": dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday"), WEEKDAY_HOURS),
    "closure_days": [{"first": "2026-12-24", "last": "2027-01-01", "reason": "Weihnachten"}],
    "price": {"model": "per_minute", "cents_per_minute": 115, "annual_base_fee_cents": 1_000_000},
    "personal_data_retention_days": 90,
}


def version(effective_from: str, **changes: Any) -> dict[str, Any]:
    """A contract version from ``effective_from`` with ``changes`` to the top-level terms."""
    return {"effective_from": effective_from, "terms": {**TERMS, **changes}}
