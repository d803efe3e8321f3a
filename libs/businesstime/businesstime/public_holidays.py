"""German public holidays per state (Bundesland) and year, from the ``holidays`` package."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays

from businesstime.errors import InvalidCalendar

STATES: frozenset[str] = frozenset(holidays.list_supported_countries()["DE"])


def check_state(state: str | None) -> None:
    """Refuse a state code the ``holidays`` package does not know for Germany; None means national holidays only."""
    if state is not None and state not in STATES:
        raise InvalidCalendar(
            f"unknown German state {state!r}; expected one of {', '.join(sorted(STATES))} or none", ("state",)
        )


@lru_cache(maxsize=1024)
def holiday_dates(state: str | None, year: int) -> frozenset[date]:
    """Return the public holidays of ``year`` in ``state`` (national ones only for None)."""
    return frozenset(holidays.country_holidays("DE", subdiv=state, years=year))
