"""A contract's targets judged from a period's figures: plain arithmetic, no database.

Each target is judged against what the contract version names: the service level in its own variant and
threshold, the average speed of answer against its maximum, first-contact resolution against its percentage.
Forwarded concerns are promised an answer by their due time (115: 24 service hours; Oldenburg: the end of the
next working day), each of them, so the deadline target is 100 % of the concerns due. A figure without data
(no call, no contact, no concern due) or a target the contract does not set is judged ``None``, neither met
nor missed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any, Literal

from metrics.directory.service import contract_in_force
from metrics.figures import formulas

TargetName = Literal["service_level", "average_speed_of_answer", "first_contact_resolution", "forwarding_deadlines"]
Unit = Literal["percent", "seconds"]
Comparison = Literal["at_least", "at_most"]
# Every forwarded concern is promised its answer by its due time.
DEADLINE_TARGET_PERCENT = 100.0


@dataclass(frozen=True, slots=True)
class Observed:
    """What a period's figures are judged from: its call counts, contacts and forwarded concerns due."""

    calls: formulas.CallCounts = field(default_factory=formulas.CallCounts)
    solved: int = 0
    contacts: int = 0
    due: int = 0
    in_time: int = 0
    late: int = 0
    overdue: int = 0

    @classmethod
    def from_sums(cls, sums: Mapping[str, Any]) -> Observed:
        """The figures of a summed rollup (the figures' queries' column names; missing ones count 0)."""

        def number(name: str) -> int:
            return int(sums.get(name) or 0)

        handle_seconds = sum(float(sums.get(name) or 0) for name in ("talk_seconds", "hold_seconds"))
        calls = formulas.CallCounts(
            offered=number("offered"),
            answered=number("answered"),
            answered_within=number("answered_within_threshold"),
            abandoned=number("abandoned"),
            abandoned_within=number("abandoned_within_threshold"),
            short_abandons=number("short_abandons"),
            wait_seconds=float(sums.get("wait_seconds") or 0),
            handle_seconds=handle_seconds + float(sums.get("after_call_work_seconds") or 0),
            handled=number("handled"),
        )
        return cls(
            calls=calls,
            solved=number("contacts_solved"),
            contacts=number("contacts_total"),
            due=number("concerns_due"),
            in_time=number("concerns_answered_in_time"),
            late=number("concerns_answered_late"),
            overdue=number("concerns_overdue"),
        )


@dataclass(frozen=True, slots=True)
class Target:
    """What the contract promises: ``value`` in ``unit``, to be reached (``at_least``) or not exceeded."""

    value: float
    unit: Unit
    comparison: Comparison
    variant: int | None = None
    threshold_seconds: int | None = None
    short_abandon_seconds: int | None = None
    deadline_rule: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Judgement:
    """One target of a period: the promise (None: the contract sets none), the figure and whether it was kept."""

    name: TargetName
    target: Target | None
    actual: float | None
    unit: Unit
    met: bool | None
    figures: dict[str, int | float]


def kept(target: Target | None, actual: float | None) -> bool | None:
    """Whether ``actual`` keeps ``target``; None without a target or without a figure."""
    if target is None or actual is None:
        return None
    return actual >= target.value if target.comparison == "at_least" else actual <= target.value


def _judgement(
    name: TargetName, target: Target | None, actual: float | None, unit: Unit, figures: dict[str, int | float]
) -> Judgement:
    return Judgement(name=name, target=target, actual=actual, unit=unit, met=kept(target, actual), figures=figures)


def service_level(terms: Mapping[str, Any] | None, observed: Observed) -> Judgement:
    """The service level in the contract's variant against its target percentage."""
    calls = observed.calls
    figures: dict[str, int | float] = {
        "offered": calls.offered,
        "answered": calls.answered,
        "answered_within_threshold": calls.answered_within,
        "abandoned": calls.abandoned,
        "abandoned_within_threshold": calls.abandoned_within,
        "short_abandons": calls.short_abandons,
    }
    level = (terms or {}).get("service_level")
    if not level:
        return _judgement("service_level", None, None, "percent", figures)
    variant = int(level["variant"])
    target = Target(
        value=float(level["target_percent"]),
        unit="percent",
        comparison="at_least",
        variant=variant,
        threshold_seconds=int(level["threshold_seconds"]),
        short_abandon_seconds=int(level.get("short_abandon_seconds") or 0),
    )
    return _judgement("service_level", target, formulas.service_level(calls, variant), "percent", figures)


def average_speed_of_answer(terms: Mapping[str, Any] | None, observed: Observed) -> Judgement:
    """The mean wait of answered calls against the contract's maximum, if it sets one."""
    calls = observed.calls
    figures: dict[str, int | float] = {"answered": calls.answered, "wait_seconds": calls.wait_seconds}
    limit = (terms or {}).get("max_average_speed_of_answer_seconds")
    target = None if limit is None else Target(value=float(limit), unit="seconds", comparison="at_most")
    actual = formulas.average_speed_of_answer(calls)
    return _judgement("average_speed_of_answer", target, actual, "seconds", figures)


def first_contact_resolution(terms: Mapping[str, Any] | None, observed: Observed) -> Judgement:
    """Contacts solved at first contact against the contract's percentage, if it sets one."""
    figures: dict[str, int | float] = {"solved": observed.solved, "contacts": observed.contacts}
    percent = (terms or {}).get("first_contact_resolution_target_percent")
    target = None if percent is None else Target(value=float(percent), unit="percent", comparison="at_least")
    actual = formulas.first_contact_resolution(observed.solved, observed.contacts)
    return _judgement("first_contact_resolution", target, actual, "percent", figures)


def forwarding_deadlines(terms: Mapping[str, Any] | None, observed: Observed) -> Judgement:
    """Forwarded concerns answered by their due time, against all of those due (any contract promises that)."""
    figures: dict[str, int | float] = {
        "due": observed.due,
        "answered_in_time": observed.in_time,
        "answered_late": observed.late,
        "overdue": observed.overdue,
    }
    target = None
    if terms is not None:
        rule = terms.get("forwarding_deadline")
        target = Target(
            value=DEADLINE_TARGET_PERCENT,
            unit="percent",
            comparison="at_least",
            deadline_rule=dict(rule) if isinstance(rule, Mapping) else None,
        )
    actual = formulas.deadline_compliance(observed.in_time, observed.due)
    return _judgement("forwarding_deadlines", target, actual, "percent", figures)


def judge(terms: Mapping[str, Any] | None, observed: Observed) -> list[Judgement]:
    """Every target of ``terms`` (None: no contract in force) judged from ``observed``, in a fixed order."""
    return [
        service_level(terms, observed),
        average_speed_of_answer(terms, observed),
        first_contact_resolution(terms, observed),
        forwarding_deadlines(terms, observed),
    ]


def overall(judgements: Iterable[Judgement | bool | None]) -> bool | None:
    """False if any target was missed; True if those that could be judged were all met; None if none could be."""
    verdicts = [each.met if isinstance(each, Judgement) else each for each in judgements]
    if any(verdict is False for verdict in verdicts):
        return False
    return True if any(verdict is True for verdict in verdicts) else None


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of a period with one contract version in force (``terms`` None: none at all)."""

    start: datetime
    end: datetime
    terms: dict[str, Any] | None

    @property
    def version(self) -> int | None:
        return int(self.terms["version"]) if self.terms is not None else None


def spans(versions: Sequence[tuple[int, datetime, dict[str, Any]]], first: datetime, last: datetime) -> list[Span]:
    """``first``–``last`` cut where another contract version takes effect, each stretch with its terms.

    ``versions`` are (version, effective from, terms), the earliest first; consecutive stretches of the same
    version stay one.
    """
    cuts = sorted({effective_from for _, effective_from, _ in versions if first < effective_from < last})
    cut: list[Span] = []
    for start, end in pairwise([first, *cuts, last]):
        terms = contract_in_force(versions, start)
        if cut and cut[-1].version == (int(terms["version"]) if terms is not None else None):
            cut[-1] = Span(cut[-1].start, end, cut[-1].terms)
        else:
            cut.append(Span(start, end, terms))
    return cut
