"""What the metrics service should report for a planned (and played) day, by its own formulas.

The counts follow the metrics service's rules: a call belongs to the quarter hour (and local day) it was offered
in; it is answered (or abandoned) within the threshold if it waited at most that many seconds; its handled time
is talk, hold and after-call work. The service level, the average speed of answer, first-contact resolution and
deadline compliance then come from ``metrics.figures.formulas`` itself. A forwarded concern is due once its due
time has passed; answered in time if answered at or before it, late if after, open if not answered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from devstack.simulation.plan import DayPlan, PlannedCall
from devstack.simulation.player import Played
from metrics.figures import formulas


@dataclass(frozen=True)
class CallFigures:
    """A municipality's calls of the day as the metrics service counts them, judged by its contract."""

    offered: int
    answered: int
    abandoned: int
    answered_within: int
    abandoned_within: int
    short_abandons: int
    variant: int
    threshold_seconds: int
    target_percent: float
    service_level: float | None
    average_speed_of_answer: float | None
    handled: int
    handle_seconds: int
    wait_seconds: int

    @property
    def handled_minutes(self) -> float:
        """Handled time in minutes, rounded as the figures show it (two places)."""
        return round(self.handle_seconds / 60, 2)

    @property
    def abandonment_rate(self) -> float | None:
        return None if not self.offered else 100 * self.abandoned / self.offered


@dataclass(frozen=True)
class ContactFigures:
    """A municipality's contacts of the day by outcome and first-contact resolution."""

    contacts: int
    solved: int
    forwarded: int
    callback: int
    referred: int
    first_contact_resolution: float | None


@dataclass(frozen=True)
class DeadlineFigures:
    """Forwarded concerns whose due time has passed: answered in time, late, still open."""

    due: int
    in_time: int
    late: int
    open: int

    @property
    def compliance(self) -> float | None:
        return formulas.deadline_compliance(self.in_time, self.due)


def call_counts(
    calls: Iterable[PlannedCall], *, threshold_seconds: int, short_abandon_seconds: int = 0
) -> formulas.CallCounts:
    """The metrics service's counts of ``calls`` against a threshold (and a short-abandon grace, 0 for none)."""
    offered = answered = within = abandoned = abandoned_within = short = handled = 0
    wait = handle = 0
    for call in calls:
        offered += 1
        if call.answered_at is not None:
            answered += 1
            within += call.wait_seconds <= threshold_seconds
            wait += call.wait_seconds
            handled += 1
            handle += call.handle_seconds
        elif call.abandoned_at is not None:
            abandoned += 1
            abandoned_within += call.wait_seconds <= threshold_seconds
            short += short_abandon_seconds > 0 and call.wait_seconds <= short_abandon_seconds
    return formulas.CallCounts(
        offered=offered,
        answered=answered,
        answered_within=within,
        abandoned=abandoned,
        abandoned_within=abandoned_within,
        short_abandons=short,
        wait_seconds=wait,
        handle_seconds=handle,
        handled=handled,
    )


def expected_calls(plan: DayPlan) -> dict[str, CallFigures]:
    """Each municipality's call figures of the planned day, in its contract's variant and threshold."""
    figures: dict[str, CallFigures] = {}
    for municipality in plan.municipalities:
        level = municipality.service_level
        counts = call_counts(
            plan.calls_of(municipality.tenant_id),
            threshold_seconds=level.threshold_seconds,
            short_abandon_seconds=level.short_abandon_seconds,
        )
        figures[municipality.tenant_id] = CallFigures(
            offered=counts.offered,
            answered=counts.answered,
            abandoned=counts.abandoned,
            answered_within=counts.answered_within,
            abandoned_within=counts.abandoned_within,
            short_abandons=counts.short_abandons,
            variant=level.variant,
            threshold_seconds=level.threshold_seconds,
            target_percent=level.target_percent,
            service_level=formulas.service_level(counts, level.variant),
            average_speed_of_answer=formulas.average_speed_of_answer(counts),
            handled=counts.handled,
            handle_seconds=int(counts.handle_seconds),
            wait_seconds=int(counts.wait_seconds),
        )
    return figures


def expected_contacts(plan: DayPlan) -> dict[str, ContactFigures]:
    """Each municipality's contacts of the planned day: one per answered call, by outcome."""
    figures: dict[str, ContactFigures] = {}
    for municipality in plan.municipalities:
        outcomes = [c.contact.outcome for c in plan.calls_of(municipality.tenant_id) if c.contact is not None]
        solved = outcomes.count("solved")
        figures[municipality.tenant_id] = ContactFigures(
            contacts=len(outcomes),
            solved=solved,
            forwarded=outcomes.count("forwarded"),
            callback=outcomes.count("callback"),
            referred=outcomes.count("referred"),
            first_contact_resolution=formulas.first_contact_resolution(solved, len(outcomes)),
        )
    return figures


def expected_deadlines(played: Played, *, now: datetime | None = None) -> dict[str, DeadlineFigures]:
    """Each municipality's forwarded concerns that are due by ``now`` (default: now), from what was played."""
    now = now or datetime.now(UTC)
    counts: dict[str, list[int]] = {tenant: [0, 0, 0, 0] for tenant in played.tenants}
    for ticket in played.tickets.values():
        if ticket.due_at is None or ticket.due_at > now:
            continue
        due = counts.setdefault(ticket.tenant_id, [0, 0, 0, 0])
        due[0] += 1
        if ticket.answered_at is None:
            due[3] += 1
        elif ticket.answered_at <= ticket.due_at:
            due[1] += 1
        else:
            due[2] += 1
    return {tenant: DeadlineFigures(*values) for tenant, values in counts.items()}
