"""Erlang C staffing against the domain's check values."""

from __future__ import annotations

import math
from typing import Any

import pytest

from metrics.staffing.erlang import (
    Staffing,
    average_speed_of_answer,
    erlang_b,
    erlang_c,
    forecast,
    required_agents,
    service_level,
    traffic_erlangs,
)

HALF_HOUR = 1800
THREE_MINUTES = 180
VALID_REQUEST: dict[str, Any] = {
    "calls": 100,
    "interval_seconds": HALF_HOUR,
    "aht_seconds": THREE_MINUTES,
    "target_percent": 80,
    "threshold_seconds": 20,
}


def test_hundred_calls_of_three_minutes_per_half_hour_are_ten_erlangs() -> None:
    assert traffic_erlangs(100, HALF_HOUR, THREE_MINUTES) == pytest.approx(10.0)


def test_fourteen_agents_on_ten_erlangs_match_the_check_values() -> None:
    assert round(erlang_c(14, 10.0), 3) == 0.174
    assert round(service_level(14, 10.0, THREE_MINUTES, 20), 3) == 0.888
    assert round(average_speed_of_answer(14, 10.0, THREE_MINUTES), 1) == 7.8


def test_thirteen_agents_on_ten_erlangs_reach_less() -> None:
    assert round(service_level(13, 10.0, THREE_MINUTES, 20), 3) == 0.796


def test_eighty_percent_in_twenty_seconds_needs_fourteen_agents() -> None:
    staffing = required_agents(
        calls=100, interval_seconds=HALF_HOUR, aht_seconds=THREE_MINUTES, target_percent=80, threshold_seconds=20
    )

    assert (staffing.agents, staffing.rostered) == (14, 14)
    assert staffing.traffic == pytest.approx(10.0)
    assert round(staffing.probability_of_waiting, 3) == 0.174
    assert round(staffing.service_level, 3) == 0.888
    assert round(staffing.asa_seconds, 1) == 7.8
    assert round(100 * staffing.occupancy) == 71


def test_seventy_five_percent_in_thirty_seconds_needs_nine_agents_not_eight() -> None:
    staffing = required_agents(
        calls=60, interval_seconds=HALF_HOUR, aht_seconds=THREE_MINUTES, target_percent=75, threshold_seconds=30
    )

    assert staffing.agents == 9
    assert staffing.service_level >= 0.75
    assert round(100 * service_level(8, 6.0, THREE_MINUTES, 30), 1) == 74.4


@pytest.mark.parametrize(
    ("shrinkage", "rostered"),
    [(0.0, 9), (0.25, 12), (0.3, 13), (0.55, 20)],
)
def test_rostered_agents_cover_shrinkage_rounded_up(shrinkage: float, rostered: int) -> None:
    # 9 / 0.45 is 20.000000000000004 in floating point, which must not roster a 21st agent.
    staffing = required_agents(
        calls=60,
        interval_seconds=HALF_HOUR,
        aht_seconds=THREE_MINUTES,
        target_percent=75,
        threshold_seconds=30,
        shrinkage=shrinkage,
    )

    assert (staffing.agents, staffing.rostered) == (9, rostered)


def test_zero_calls_need_no_agents() -> None:
    staffing = required_agents(
        calls=0, interval_seconds=HALF_HOUR, aht_seconds=THREE_MINUTES, target_percent=80, threshold_seconds=20
    )

    assert staffing == Staffing(
        calls=0,
        traffic=0.0,
        agents=0,
        rostered=0,
        service_level=1.0,
        asa_seconds=0.0,
        occupancy=0.0,
        probability_of_waiting=0.0,
    )


def test_a_single_call_needs_one_agent() -> None:
    staffing = required_agents(
        calls=1, interval_seconds=HALF_HOUR, aht_seconds=THREE_MINUTES, target_percent=80, threshold_seconds=20
    )

    assert staffing.agents == 1


def test_too_few_agents_for_the_traffic_never_catch_up() -> None:
    assert erlang_c(10, 10.0) == 1.0
    assert erlang_c(9, 10.0) == 1.0
    assert service_level(10, 10.0, THREE_MINUTES, 20) == 0.0
    assert average_speed_of_answer(10, 10.0, THREE_MINUTES) == math.inf


def test_erlang_b_follows_the_recursion() -> None:
    assert erlang_b(0, 10.0) == 1.0
    assert erlang_b(1, 2.0) == pytest.approx(2 / 3)
    # B(2) = A·B(1) / (2 + A·B(1)) with B(1) = 2/3 and A = 2
    assert erlang_b(2, 2.0) == pytest.approx(0.4)


def test_large_traffic_stays_finite() -> None:
    staffing = required_agents(
        calls=5000, interval_seconds=HALF_HOUR, aht_seconds=300, target_percent=80, threshold_seconds=20
    )

    assert staffing.agents > staffing.traffic
    assert 0.8 <= staffing.service_level < 1
    assert math.isfinite(staffing.asa_seconds)


def test_too_small_max_agents_is_an_error() -> None:
    with pytest.raises(ValueError, match="max_agents"):
        required_agents(
            calls=100,
            interval_seconds=HALF_HOUR,
            aht_seconds=THREE_MINUTES,
            target_percent=80,
            threshold_seconds=20,
            max_agents=13,
        )


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("calls", -1.0),
        ("calls", math.nan),
        ("interval_seconds", 0),
        ("aht_seconds", 0.0),
        ("aht_seconds", -180.0),
        ("target_percent", 0.0),
        ("target_percent", 100.5),
        ("threshold_seconds", -1),
        ("shrinkage", 1.0),
        ("shrinkage", -0.1),
    ],
)
def test_invalid_input_names_the_argument(argument: str, value: float) -> None:
    with pytest.raises(ValueError, match=argument):
        required_agents(**{**VALID_REQUEST, argument: value})


def test_forecast_averages_the_last_weeks() -> None:
    history = [40.0, 10.0, 20.0, 30.0]

    assert forecast(history, 3) == pytest.approx(20.0)
    assert forecast(history, 1) == pytest.approx(30.0)
    assert forecast(history, 8) == pytest.approx(25.0)
    assert forecast([], 4) == 0.0


def test_forecast_needs_at_least_one_week() -> None:
    with pytest.raises(ValueError, match="weeks"):
        forecast([10.0], 0)
