"""Contact-center figures from call counts, as the domain defines them.

Rates are percentages (0–100, not rounded); a figure whose denominator is zero is ``None`` rather than 0 or 100,
so a report can tell "nothing happened" from a real result.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

SERVICE_LEVEL_VARIANTS = (1, 2, 3, 4, 5)


@dataclass(frozen=True, slots=True)
class CallCounts:
    """Calls of one period, split by what happened relative to the threshold T and the short grace s < T."""

    offered: int = 0
    answered: int = 0
    answered_within: int = 0
    abandoned: int = 0
    abandoned_within: int = 0
    short_abandons: int = 0
    wait_seconds: float = 0
    handle_seconds: float = 0
    handled: int = 0

    def __add__(self, other: CallCounts) -> CallCounts:
        if not isinstance(other, CallCounts):
            return NotImplemented
        return CallCounts(
            **{field.name: getattr(self, field.name) + getattr(other, field.name) for field in fields(self)}
        )


def combine(counts: Iterable[CallCounts]) -> CallCounts:
    """Sum counts of several periods or queues field by field."""
    total = CallCounts()
    for item in counts:
        total += item
    return total


def _percent(part: float, whole: float) -> float | None:
    if whole == 0:
        return None
    return 100 * part / whole


def _ratio(part: float, whole: float) -> float | None:
    if whole == 0:
        return None
    return part / whole


def service_level(counts: CallCounts, variant: int) -> float | None:
    """Return the service level in percent by the contract's variant (1–5)."""
    c = counts
    if variant == 1:
        return _percent(c.answered_within + c.abandoned_within, c.answered + c.abandoned)
    if variant == 2:
        return _percent(c.answered_within, c.answered)
    if variant == 3:
        return _percent(c.answered_within, c.answered + c.abandoned)
    if variant == 4:
        return _percent(c.answered_within, c.answered + c.abandoned - c.abandoned_within)
    if variant == 5:
        return _percent(c.answered_within + c.short_abandons, c.answered + c.abandoned)
    raise ValueError(f"variant must be one of {SERVICE_LEVEL_VARIANTS}, got {variant!r}")


def all_service_levels(counts: CallCounts) -> dict[int, float | None]:
    """Return the service level in percent under every variant, keyed by variant."""
    return {variant: service_level(counts, variant) for variant in SERVICE_LEVEL_VARIANTS}


def average_speed_of_answer(counts: CallCounts) -> float | None:
    """Return the mean queue wait of answered calls in seconds."""
    return _ratio(counts.wait_seconds, counts.answered)


def average_handle_time(counts: CallCounts) -> float | None:
    """Return the mean talk, hold and after-call work per handled call in seconds."""
    return _ratio(counts.handle_seconds, counts.handled)


def abandonment_rate(counts: CallCounts, *, exclude_short: bool = False) -> float | None:
    """Return abandoned calls in percent of offered calls.

    With ``exclude_short`` short abandons leave both the abandoned and the offered calls; reports must say which.
    """
    short = counts.short_abandons if exclude_short else 0
    return _percent(counts.abandoned - short, counts.offered - short)


def first_contact_resolution(solved: int, with_outcome: int) -> float | None:
    """Return contacts solved at first contact in percent of all contacts with an outcome."""
    return _percent(solved, with_outcome)


def deadline_compliance(answered_in_time: int, due: int) -> float | None:
    """Return forwarded concerns answered by their due time in percent of those due in the period."""
    return _percent(answered_in_time, due)


def occupancy(handle_seconds: float, available_seconds: float) -> float | None:
    """Return handling time in percent of handling plus idle available time."""
    return _percent(handle_seconds, handle_seconds + available_seconds)
