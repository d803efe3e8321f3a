"""The deadline rules a cooperation contract can name."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta

from businesstime.errors import InvalidArgument

MAX_BUSINESS_HOURS = 10_000


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Due after this many hours of business time (115's service level: ``BusinessHours(24)``)."""

    hours: float
    microseconds: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        hours = self.hours
        if isinstance(hours, bool) or not isinstance(hours, int | float) or not math.isfinite(hours):
            raise InvalidArgument(f"business hours must be a finite number, got {hours!r}", ("hours",))
        if not 0 < hours <= MAX_BUSINESS_HOURS:
            raise InvalidArgument(
                f"business hours must be more than 0 and at most {MAX_BUSINESS_HOURS}, got {hours!r}", ("hours",)
            )
        object.__setattr__(self, "microseconds", timedelta(hours=hours) // timedelta(microseconds=1))

    @property
    def duration(self) -> timedelta:
        """Return the business time this rule allows."""
        return timedelta(hours=self.hours)


@dataclass(frozen=True, slots=True)
class NextWorkingDayEnd:
    """Due at the end of the last window of the first working day after the start's local date (Oldenburg)."""


DeadlineRule = BusinessHours | NextWorkingDayEnd
