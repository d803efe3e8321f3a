"""Staffing by Erlang C: agents per quarter hour of a local day, for the calls the past weeks let expect.

Each quarter hour of the day within the contract's reachability hours expects the mean of the calls offered
in the same local weekday and quarter hour over the last weeks (a quarter hour without a rollup had none), and
the handle time the calls of those weeks took; the contract's service level is the target.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from businesstime import InvalidCalendar, WeeklySchedule
from kit.db.database import Database
from metrics.directory import repository as directory
from metrics.directory.service import contract_in_force
from metrics.figures.periods import instant
from metrics.staffing import repository
from metrics.staffing.erlang import Staffing, forecast, required_agents
from metrics.staffing.errors import BeyondStaffing, DayOutOfRange, NoContractInForce, NoReachability

INTERVAL_MINUTES = 15
# Where the past weeks handled no call: three minutes, the handle time DOMAIN.md's check values assume.
DEFAULT_AHT_SECONDS = 180.0
AhtSource = Literal["given", "measured", "default"]
# Call events are not taken from before 2000; a plan beyond 2100 has nothing to stand on either.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


@dataclass(frozen=True, slots=True)
class PlannedInterval:
    """One quarter hour (``start`` in UTC) and what its expected calls need."""

    start: datetime
    staffing: Staffing


@dataclass(frozen=True, kw_only=True)
class StaffingPlan:
    """A local day's quarter hours within reachability, staffed for the contract's service level."""

    tenant_id: str
    day: date
    time_zone: str
    contract_version: int
    target_percent: float
    threshold_seconds: int
    aht_seconds: float
    aht_source: AhtSource
    weeks: int
    shrinkage: float
    intervals: tuple[PlannedInterval, ...]

    @property
    def peak_agents(self) -> int:
        """Return the most agents any quarter hour of the day needs."""
        return max((each.staffing.agents for each in self.intervals), default=0)

    @property
    def peak_rostered(self) -> int:
        """Return the most agents any quarter hour needs rostered, shrinkage included."""
        return max((each.staffing.rostered for each in self.intervals), default=0)


def erlang_staffing(
    *,
    calls: float,
    interval_minutes: int,
    aht_seconds: float,
    target_percent: float,
    threshold_seconds: int,
    shrinkage: float = 0.0,
) -> Staffing:
    """Return the agents ``calls`` per interval need to reach the target, and the figures they reach."""
    try:
        return required_agents(
            calls=calls,
            interval_seconds=interval_minutes * 60,
            aht_seconds=aht_seconds,
            target_percent=target_percent,
            threshold_seconds=threshold_seconds,
            shrinkage=shrinkage,
        )
    except ValueError as exc:
        raise BeyondStaffing(str(exc)) from exc


async def staffing_plan(
    database: Database,
    tenant_id: str,
    *,
    day: date,
    weeks: int,
    shrinkage: float,
    aht_seconds: float | None = None,
) -> StaffingPlan:
    """Staff ``tenant_id``'s local ``day`` from the calls of the last ``weeks`` weeks before it."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise DayOutOfRange(f"must lie from {FIRST_DAY} to {LAST_DAY}")
    async with database.lean_transaction(tenant_id) as conn:
        time_zone = await directory.time_zone(conn)
        terms = contract_in_force(await directory.contract_versions(conn), instant(day, time_zone))
        if terms is None:
            raise NoContractInForce(day.isoformat())
        zone = ZoneInfo(time_zone)
        quarters = _quarters(day, open_minutes(terms, day), zone)
        # History oldest first: the same local weekday and clock time 'weeks' weeks back up to one week back.
        past = {
            start: [_at(day - timedelta(weeks=back), minute, zone) for back in range(weeks, 0, -1)]
            for start, minute in quarters
        }
        seen = await repository.offered(conn, [each for starts in past.values() for each in starts])
        source: AhtSource = "given"
        if aht_seconds is None:
            handled, seconds = await repository.handling(
                conn, instant(day - timedelta(weeks=weeks), time_zone), instant(day, time_zone)
            )
            if handled:
                aht_seconds, source = seconds / handled, "measured"
            else:
                aht_seconds, source = DEFAULT_AHT_SECONDS, "default"
    level = terms["service_level"]
    target_percent, threshold_seconds = float(level["target_percent"]), int(level["threshold_seconds"])
    intervals = tuple(
        PlannedInterval(
            start,
            erlang_staffing(
                calls=forecast([seen.get(each, 0) for each in starts], weeks),
                interval_minutes=INTERVAL_MINUTES,
                aht_seconds=aht_seconds,
                target_percent=target_percent,
                threshold_seconds=threshold_seconds,
                shrinkage=shrinkage,
            ),
        )
        for start, starts in past.items()
    )
    return StaffingPlan(
        tenant_id=tenant_id,
        day=day,
        time_zone=time_zone,
        contract_version=int(terms["version"]),
        target_percent=target_percent,
        threshold_seconds=threshold_seconds,
        aht_seconds=aht_seconds,
        aht_source=source,
        weeks=weeks,
        shrinkage=shrinkage,
        intervals=intervals,
    )


def open_minutes(terms: Mapping[str, Any], day: date) -> list[int]:
    """The local quarter hours (minutes after midnight) of ``day`` that overlap the contract's reachability.

    A closure day of the contract has none; public holidays are not known here (the contract names no state).
    """
    version = int(terms["version"])
    if any(_closed(period, day) for period in terms.get("closure_days") or ()):
        return []
    reachability = terms.get("reachability")
    if not isinstance(reachability, Mapping) or not reachability:
        raise NoReachability(version, "the contract states none")
    try:
        windows = {weekday: [(each["start"], each["end"]) for each in spans] for weekday, spans in reachability.items()}
        schedule = WeeklySchedule.parse(windows)
    except (InvalidCalendar, KeyError, TypeError) as exc:
        raise NoReachability(version, f"they cannot be read ({exc})") from exc
    minutes: list[int] = []
    for window in schedule.days[day.weekday()]:
        first = window.start - window.start % INTERVAL_MINUTES
        minutes.extend(m for m in range(first, window.end, INTERVAL_MINUTES) if m not in minutes)
    return minutes


def _closed(period: Any, day: date) -> bool:
    try:
        return bool(date.fromisoformat(period["first"]) <= day <= date.fromisoformat(period["last"]))
    except (KeyError, TypeError, ValueError):
        return False


def _at(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of the local clock time ``minute`` after midnight of ``day``."""
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone).astimezone(UTC)


def _quarters(day: date, minutes: list[int], zone: ZoneInfo) -> list[tuple[datetime, int]]:
    """The quarter hours as UTC starts with their local minute; a clock time skipped by a clock change once."""
    found: dict[datetime, int] = {}
    for minute in minutes:
        found.setdefault(_at(day, minute, zone), minute)
    return sorted(found.items())
