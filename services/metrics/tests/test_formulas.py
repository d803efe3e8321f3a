"""Contact-center figures against the domain's worked example and hand-computed cases."""

from __future__ import annotations

import pytest

from metrics.figures.formulas import (
    CallCounts,
    abandonment_rate,
    all_service_levels,
    average_handle_time,
    average_speed_of_answer,
    combine,
    deadline_compliance,
    first_contact_resolution,
    occupancy,
    service_level,
)

WORKED_EXAMPLE = CallCounts(offered=1060, answered=1000, answered_within=860, abandoned=60, abandoned_within=20)


def _rounded(levels: dict[int, float | None]) -> dict[int, float | None]:
    return {variant: None if level is None else round(level, 1) for variant, level in levels.items()}


def _level(counts: CallCounts, variant: int) -> float:
    level = service_level(counts, variant)
    assert level is not None
    return round(level, 1)


def test_worked_example_gives_the_published_service_levels() -> None:
    assert [_level(WORKED_EXAMPLE, variant) for variant in (1, 2, 3, 4)] == [83.0, 86.0, 81.1, 82.7]


def test_variant_five_counts_short_abandons_as_good() -> None:
    counts = CallCounts(answered=90, answered_within=72, abandoned=10, abandoned_within=6, short_abandons=3)

    # (72 + 3) / (90 + 10)
    assert service_level(counts, 5) == pytest.approx(75.0)
    # (860 + 5) / (1000 + 60)
    assert _level(WORKED_EXAMPLE + CallCounts(short_abandons=5), 5) == 81.6


def test_all_service_levels_lists_every_variant() -> None:
    assert _rounded(all_service_levels(WORKED_EXAMPLE)) == {1: 83.0, 2: 86.0, 3: 81.1, 4: 82.7, 5: 81.1}


def test_empty_counts_give_no_figures() -> None:
    empty = CallCounts()

    assert all_service_levels(empty) == {1: None, 2: None, 3: None, 4: None, 5: None}
    assert average_speed_of_answer(empty) is None
    assert average_handle_time(empty) is None
    assert abandonment_rate(empty) is None
    assert abandonment_rate(empty, exclude_short=True) is None
    assert first_contact_resolution(0, 0) is None
    assert deadline_compliance(0, 0) is None
    assert occupancy(0, 0) is None


def test_only_abandoned_calls_leave_variant_two_undefined() -> None:
    counts = CallCounts(offered=4, abandoned=4, abandoned_within=4)

    assert service_level(counts, 1) == pytest.approx(100.0)
    assert service_level(counts, 2) is None
    assert service_level(counts, 3) == pytest.approx(0.0)
    assert service_level(counts, 4) is None


@pytest.mark.parametrize("variant", [0, 6, -1])
def test_unknown_variant_is_rejected(variant: int) -> None:
    with pytest.raises(ValueError, match="variant"):
        service_level(WORKED_EXAMPLE, variant)


def test_counts_add_field_by_field() -> None:
    morning = CallCounts(offered=10, answered=8, answered_within=6, abandoned=2, wait_seconds=80, handled=8)
    afternoon = CallCounts(offered=5, answered=5, answered_within=5, short_abandons=1, handle_seconds=900, handled=5)

    total = CallCounts(
        offered=15,
        answered=13,
        answered_within=11,
        abandoned=2,
        short_abandons=1,
        wait_seconds=80,
        handle_seconds=900,
        handled=13,
    )
    assert morning + afternoon == total
    assert combine([morning, afternoon]) == total
    assert combine([]) == CallCounts()


def test_averages_are_per_answered_and_per_handled_call() -> None:
    counts = CallCounts(answered=4, wait_seconds=30, handle_seconds=900, handled=5)

    assert average_speed_of_answer(counts) == pytest.approx(7.5)
    assert average_handle_time(counts) == pytest.approx(180.0)


def test_abandonment_rate_can_leave_out_short_abandons() -> None:
    counts = CallCounts(offered=110, answered=90, abandoned=20, short_abandons=10)

    assert abandonment_rate(counts) == pytest.approx(100 * 20 / 110)
    assert abandonment_rate(counts, exclude_short=True) == pytest.approx(10.0)


def test_resolution_compliance_and_occupancy_are_percentages() -> None:
    assert first_contact_resolution(67, 100) == pytest.approx(67.0)
    assert deadline_compliance(45, 50) == pytest.approx(90.0)
    assert occupancy(2700, 900) == pytest.approx(75.0)
