"""Erlang C staffing: how many agents an interval's calls need to reach a service-level target.

Traffic is in Erlangs (calls per minute × average handle time in minutes); service levels here are fractions
(0–1), targets are percentages as contracts state them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Rostering divides by 1 − shrinkage; without rounding first, 21 / 0.7 = 30.000000000000004 would roster 31.
_ROSTER_DIGITS = 9


@dataclass(frozen=True, slots=True)
class Staffing:
    """Agents an interval needs, and the figures they are expected to reach."""

    calls: float
    traffic: float
    agents: int
    rostered: int
    service_level: float
    asa_seconds: float
    occupancy: float
    probability_of_waiting: float


def _check_load(calls: float, interval_seconds: int, aht_seconds: float) -> None:
    if not (math.isfinite(calls) and calls >= 0):
        raise ValueError(f"calls must be a non-negative number, got {calls!r}")
    if interval_seconds <= 0:
        raise ValueError(f"interval_seconds must be positive, got {interval_seconds!r}")
    if not (math.isfinite(aht_seconds) and aht_seconds > 0):
        raise ValueError(f"aht_seconds must be positive, got {aht_seconds!r}")


def _check_queue(agents: int, traffic: float) -> None:
    if agents < 0:
        raise ValueError(f"agents must not be negative, got {agents!r}")
    if not (math.isfinite(traffic) and traffic >= 0):
        raise ValueError(f"traffic must be a non-negative number, got {traffic!r}")


def traffic_erlangs(calls: float, interval_seconds: int, aht_seconds: float) -> float:
    """Return the offered traffic in Erlangs of ``calls`` arriving within one interval."""
    _check_load(calls, interval_seconds, aht_seconds)
    return calls * aht_seconds / interval_seconds


def erlang_b(agents: int, traffic: float) -> float:
    """Return the Erlang B blocking probability, by the recursion that stays stable for large numbers."""
    _check_queue(agents, traffic)
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = traffic * blocking / (k + traffic * blocking)
    return blocking


def _erlang_c_from_b(agents: int, traffic: float, blocking: float) -> float:
    if agents <= traffic:
        return 1.0
    return agents * blocking / (agents - traffic * (1 - blocking))


def _service_level_from_c(agents: int, traffic: float, waiting: float, aht_seconds: float, threshold: float) -> float:
    if agents <= traffic:
        return 0.0
    return 1 - waiting * math.exp(-(agents - traffic) * threshold / aht_seconds)


def _asa_from_c(agents: int, traffic: float, waiting: float, aht_seconds: float) -> float:
    if agents <= traffic:
        return math.inf
    return waiting * aht_seconds / (agents - traffic)


def erlang_c(agents: int, traffic: float) -> float:
    """Return the probability that a call has to wait; 1.0 when the agents cannot keep up with the traffic."""
    return _erlang_c_from_b(agents, traffic, erlang_b(agents, traffic))


def service_level(agents: int, traffic: float, aht_seconds: float, threshold_seconds: float) -> float:
    """Return the expected fraction of calls answered within ``threshold_seconds``."""
    return _service_level_from_c(agents, traffic, erlang_c(agents, traffic), aht_seconds, threshold_seconds)


def average_speed_of_answer(agents: int, traffic: float, aht_seconds: float) -> float:
    """Return the expected mean wait in seconds; infinite when the agents cannot keep up with the traffic."""
    return _asa_from_c(agents, traffic, erlang_c(agents, traffic), aht_seconds)


def _rostered(agents: int, shrinkage: float) -> int:
    return math.ceil(round(agents / (1 - shrinkage), _ROSTER_DIGITS))


def required_agents(
    *,
    calls: float,
    interval_seconds: int,
    aht_seconds: float,
    target_percent: float,
    threshold_seconds: int,
    shrinkage: float = 0.0,
    max_agents: int = 10_000,
) -> Staffing:
    """Return the fewest agents (more than the traffic) reaching the target, and how many to roster."""
    _check_load(calls, interval_seconds, aht_seconds)
    if not 0 < target_percent <= 100:
        raise ValueError(f"target_percent must be in (0, 100], got {target_percent!r}")
    if threshold_seconds < 0:
        raise ValueError(f"threshold_seconds must not be negative, got {threshold_seconds!r}")
    if not 0 <= shrinkage < 1:
        raise ValueError(f"shrinkage must be in [0, 1), got {shrinkage!r}")
    if calls == 0:
        return Staffing(
            calls=calls,
            traffic=0.0,
            agents=0,
            rostered=0,
            service_level=1.0,
            asa_seconds=0.0,
            occupancy=0.0,
            probability_of_waiting=0.0,
        )
    traffic = traffic_erlangs(calls, interval_seconds, aht_seconds)
    target = target_percent / 100
    # Erlang B for N follows from N − 1, so the search carries it along instead of recomputing it per N.
    blocking = 1.0
    for agents in range(1, max_agents + 1):
        blocking = traffic * blocking / (agents + traffic * blocking)
        if agents <= traffic:
            continue
        waiting = _erlang_c_from_b(agents, traffic, blocking)
        reached = _service_level_from_c(agents, traffic, waiting, aht_seconds, threshold_seconds)
        if reached >= target:
            return Staffing(
                calls=calls,
                traffic=traffic,
                agents=agents,
                rostered=_rostered(agents, shrinkage),
                service_level=reached,
                asa_seconds=_asa_from_c(agents, traffic, waiting, aht_seconds),
                occupancy=traffic / agents,
                probability_of_waiting=waiting,
            )
    raise ValueError(f"max_agents={max_agents} is not enough to reach {target_percent} % for {traffic:.1f} Erlangs")


def forecast(history: Sequence[float], weeks: int) -> float:
    """Return the mean of the last ``weeks`` values of one weekday and interval (history oldest first)."""
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks!r}")
    recent = history[-weeks:]
    if not recent:
        return 0.0
    return sum(recent) / len(recent)
