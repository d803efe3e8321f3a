"""German public holidays per state (Bundesland) and year, from the ``holidays`` package."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from businesstime.errors import InvalidCalendar

# Germany's subdivisions in the ``holidays`` package (a test keeps them equal). The package itself is
# imported on the first holiday look-up: loading any country loads all 250 (about 13 MB and 0.8 s), which a
# process that never computes a due date should not carry.
STATES: frozenset[str] = frozenset(
    {"BB", "BE", "BW", "BY", "HB", "HE", "HH", "MV", "NI", "NW", "RP", "SH", "SL", "SN", "ST", "TH", "Augsburg"}
)


def check_state(state: str | None) -> None:
    """Refuse a state code the ``holidays`` package does not know for Germany; None means national holidays only."""
    if state is not None and state not in STATES:
        raise InvalidCalendar(
            f"unknown German state {state!r}; expected one of {', '.join(sorted(STATES))} or none", ("state",)
        )


@lru_cache(maxsize=1024)
def holiday_dates(state: str | None, year: int) -> frozenset[date]:
    """Return the public holidays of ``year`` in ``state`` (national ones only for None)."""
    import holidays

    return frozenset(holidays.country_holidays("DE", subdiv=state, years=year))


def load_holidays() -> None:
    """Load the ``holidays`` package now, in a process that computes due dates, rather than on its first request."""
    holiday_dates(None, date.today().year)
