"""Due dates per second on a municipality's business calendar, against one time-zone conversion per instant.

Ours: ``BusinessCalendar.due`` with ``BusinessHours(24)`` (115's service level) and ``NextWorkingDayEnd()``
(Oldenburg) on Monday to Friday 08:00–12:00 and 13:00–18:00 in Europe/Berlin, Lower Saxony's holidays and a
closure 24 Dec – 1 Jan, for start instants spread over 2026. Cold: a new calendar with the holiday cache emptied,
so the pass includes building every day's windows; warm: the same calendar again.
Baseline: ``datetime.astimezone(ZoneInfo("Europe/Berlin"))`` once per start instant, the cheapest step any
deadline on a local calendar needs, measured in the same run. Each round measures all passes in turn; the
figures are medians over the rounds.

    .venv/bin/python bench/bench_business_time.py [--quick] [--instants N] [--rounds R]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import median, print_table, verdict
from businesstime import WEEKDAYS, BusinessCalendar, BusinessHours, DeadlineRule, NextWorkingDayEnd, WeeklySchedule
from businesstime.public_holidays import holiday_dates

TARGET = 50_000
BASELINE = "astimezone (baseline)"
BERLIN = ZoneInfo("Europe/Berlin")
RULES: tuple[tuple[str, DeadlineRule], ...] = (
    ("BusinessHours(24)", BusinessHours(24)),
    ("NextWorkingDayEnd", NextWorkingDayEnd()),
)


def oldenburg() -> BusinessCalendar:
    """A new calendar as a Lower Saxony partner would configure it."""
    schedule = WeeklySchedule.parse({day: [("08:00", "12:00"), ("13:00", "18:00")] for day in WEEKDAYS[:5]})
    closures = ((date(2025, 12, 24), date(2026, 1, 1)), (date(2026, 12, 24), date(2027, 1, 1)))
    return BusinessCalendar(schedule, time_zone="Europe/Berlin", state="NI", closures=closures)


def start_instants(count: int) -> list[datetime]:
    """Start instants (UTC) spread uniformly over 2026, the same in every run."""
    rng = random.Random(2026)
    first = datetime(2026, 1, 1, tzinfo=UTC)
    year_us = timedelta(days=365) // timedelta(microseconds=1)
    return [first + timedelta(microseconds=rng.randrange(year_us)) for _ in range(count)]


def timed_dues(
    calendar: BusinessCalendar, rule: DeadlineRule, starts: Sequence[datetime]
) -> tuple[float, list[datetime]]:
    """Compute the deadline for every start; return the seconds it took and the deadlines."""
    began = time.perf_counter()
    deadlines = [calendar.due(start, rule) for start in starts]
    return time.perf_counter() - began, deadlines


def timed_conversions(starts: Sequence[datetime]) -> float:
    """Convert every start to Berlin time, collected as the deadlines are; return the seconds it took."""
    began = time.perf_counter()
    [start.astimezone(BERLIN) for start in starts]
    return time.perf_counter() - began


def measure_round(starts: Sequence[datetime]) -> dict[str, float]:
    """Seconds of each pass in one round: the baseline, then cold and warm for each rule."""
    seconds: dict[str, float] = {}
    seconds[BASELINE] = timed_conversions(starts)
    for label, rule in RULES:
        holiday_dates.cache_clear()
        calendar = oldenburg()
        seconds[f"{label}, cold"], cold = timed_dues(calendar, rule, starts)
        seconds[f"{label}, warm"], warm = timed_dues(calendar, rule, starts)
        if cold != warm:
            raise RuntimeError(f"{label}: the warm pass answered differently from the cold one")
    return seconds


def print_intro(count: int, rounds: int) -> None:
    """Print what is measured, against what target, on which machine."""
    load = os.getloadavg()
    print("== Due dates on a business calendar")
    print(f"   target: ≥ {TARGET:,} due-date computations/s warm for each rule (the issue's absolute figure)")
    print(
        f"   machine: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(f"   {count:,} start instants over 2026, {rounds} round(s); one process, no servers")


def main(argv: Sequence[str] | None = None) -> int:
    """Measure due-date computations against the time-zone conversion and print the verdict."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer instants and rounds")
    parser.add_argument("--instants", type=int, help="start instants per pass (default 200,000, 50,000 with --quick)")
    parser.add_argument("--rounds", type=int, help="rounds (default 3, 2 with --quick)")
    args = parser.parse_args(argv)
    count = args.instants or (50_000 if args.quick else 200_000)
    rounds = args.rounds or (2 if args.quick else 3)
    print_intro(count, rounds)
    starts = start_instants(count)
    runs = [measure_round(starts) for _ in range(rounds)]

    rates = {label: median([count / run[label] for run in runs]) for label in runs[0]}
    ratios = {label: median([run[BASELINE] / run[label] for run in runs]) for label in runs[0]}
    rows = [[label, count, median([run[label] for run in runs]), rates[label], ratios[label]] for label in runs[0]]
    print_table(["pass", "computations", "median s", "median /s", "× baseline"], rows)
    print("   × baseline: the median over the rounds of each pass's rate over the baseline's rate in the same round")
    print("   cold: a new calendar and an empty holiday cache; warm: the same calendar's second pass")

    warm = [f"{label}, warm" for label, _ in RULES]
    figures = ", ".join(f"{label} {rates[label]:,.0f}/s = {ratios[label]:.3f} × astimezone" for label in warm)
    return verdict(
        all(rates[label] >= TARGET for label in warm),
        f"{figures} ({rates[BASELINE]:,.0f}/s); target ≥ {TARGET:,}/s warm",
    )


if __name__ == "__main__":
    sys.exit(main())
