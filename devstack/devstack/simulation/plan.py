"""The plan of a simulated day: every call, who answered it when, every contact and the back office's part.

Pure and deterministic for (day, seed, scale): no clock, no network. Calls arrive as a non-homogeneous Poisson
process (exponential gaps at each quarter hour's rate). Each caller waits at most their patience (Weibull,
shape 2.5, mean 90 s: hardly anyone hangs up within seconds, most within two and a half minutes) and abandons
when no agent takes the call by then. One host pool answers all lines first come, first served. Talk time is
log-normal with the demo calls' mean of 220 s (devstack.demo_calls; a few long calls, many short ones); hold
and after-call work are drawn as there, with more after-call work for a concern that is forwarded. Every draw
of a call is made when it arrives, in a fixed order, so one call's fate never shifts another's. Times are
whole seconds, as telephony records give them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Literal
from zoneinfo import ZoneInfo

from devstack.simulation.profiles import (
    DEMO_MUNICIPALITIES,
    HOST_STAFFING,
    OUTCOMES,
    Municipality,
    Outcome,
    Staffing,
    Topic,
    agents_needed,
    seconds_of_day,
)

TIME_ZONE = ZoneInfo("Europe/Berlin")
QUARTER = 900
QUARTERS = 96
PATIENCE_MEAN_SECONDS = 90.0
PATIENCE_SHAPE = 2.5
# Writing up a concern for the back office takes longer than closing a solved one.
FORWARDING_WORK_SECONDS = 45
# Talk time is log-normal (a few long calls, most short), with the demo calls' mean of 220 s.
TALK_SIGMA = 0.9
TALK_MU = math.log(220) - TALK_SIGMA**2 / 2
# How much a day's and an hour's calls differ from the forecast (sigma of a log-normal factor around 1).
DAY_VARIATION = 0.06
HOUR_VARIATION = 0.10
FORWARDING = frozenset({"forwarded", "callback"})
_AREA_CODES = {"oldenburg": "441", "artland": "5431", "rheine": "5971"}

BackOfficeKind = Literal["in_time", "late", "open"]
ReplyChannel = Literal["callback", "email", "letter"]


@dataclass(frozen=True)
class BackOfficeStep:
    """What the back office does with a forwarded concern; the instants follow from the due time the server sets.

    ``in_time``: answered at ``answer_share`` of the way from forwarding to the due time; ``late``: answered
    ``late_by`` after it; either claimed at ``claim_share`` of the way from forwarding to the answer. ``open``:
    never answered; claimed ``claim_after`` the forwarding if ``claimed``, else not even claimed.
    """

    kind: BackOfficeKind
    answer_share: float
    late_by: timedelta
    claim_share: float
    claimed: bool
    claim_after: timedelta
    channel: ReplyChannel


@dataclass(frozen=True)
class PlannedContact:
    """The contact an agent records for an answered call: what was asked and how it ended."""

    key: str
    tenant_id: str
    query: str
    leika_key: str | None
    outcome: Outcome
    referred_to: str | None
    started_at: datetime
    ended_at: datetime
    agent: str
    reply_by: ReplyChannel | None
    priority: str
    caller_name: str | None
    caller_phone: str | None
    back_office: BackOfficeStep | None

    @property
    def forwarded(self) -> bool:
        """Whether the concern becomes a ticket for the back office (forwarded or a callback promised)."""
        return self.outcome in FORWARDING


@dataclass(frozen=True)
class PlannedCall:
    """One call: when it came, how long the caller would wait, and whether and by whom it was answered."""

    call_id: str
    tenant_id: str
    line: str
    offered_at: datetime
    patience_seconds: int
    answered_at: datetime | None
    abandoned_at: datetime | None
    agent: str | None
    talk_seconds: int
    hold_seconds: int
    after_call_work_seconds: int
    contact: PlannedContact | None

    @property
    def wait_seconds(self) -> int:
        """Seconds in the queue: until answered, or until the caller hung up."""
        left = self.answered_at or self.abandoned_at
        assert left is not None
        return int((left - self.offered_at).total_seconds())

    @property
    def ended_at(self) -> datetime | None:
        """When the conversation ended (after talk and hold); after-call work follows."""
        if self.answered_at is None:
            return None
        return self.answered_at + timedelta(seconds=self.talk_seconds + self.hold_seconds)

    @property
    def handle_seconds(self) -> int:
        """Talk, hold and after-call work of an answered call (0 for an abandoned one)."""
        if self.answered_at is None:
            return 0
        return self.talk_seconds + self.hold_seconds + self.after_call_work_seconds


@dataclass(frozen=True)
class DayPlan:
    """Every call of the day across the municipalities, in the order they came, and the pool's staffing."""

    day: date
    seed: int
    scale: float
    municipalities: tuple[Municipality, ...]
    staffing: tuple[int, ...]
    calls: tuple[PlannedCall, ...]

    @property
    def contacts(self) -> tuple[PlannedContact, ...]:
        return tuple(call.contact for call in self.calls if call.contact is not None)

    def calls_of(self, tenant_id: str) -> tuple[PlannedCall, ...]:
        return tuple(call for call in self.calls if call.tenant_id == tenant_id)

    def municipality(self, tenant_id: str) -> Municipality:
        return next(m for m in self.municipalities if m.tenant_id == tenant_id)


# --- The agent pool ---


@dataclass(frozen=True)
class Arrival:
    """A call as the pool sees it: when (seconds since local midnight), how patient, how long it keeps an agent."""

    at: int
    patience: int
    service: int


@dataclass(frozen=True)
class Assignment:
    """What became of an arrival: answered at an instant by an agent (index), or abandoned at an instant."""

    answered_at: int | None
    abandoned_at: int | None
    agent: int | None


def serve_fifo(arrivals: Sequence[Arrival], staffing: Sequence[int]) -> list[Assignment]:
    """Answer ``arrivals`` (in the order they came) first come, first served by a pool of agents.

    ``staffing[q]`` agents (the first ones by index) take calls in quarter hour ``q``; after the last staffed
    quarter hour they stay until the queue is empty. A call goes to the agent who can take it first (of those,
    the one idle longest); if that is later than its patience allows, the caller abandons and keeps no one busy.
    """
    last = max((q for q, n in enumerate(staffing) if n > 0), default=-1)
    on_duty = [staffing[min(q, last)] if last >= 0 else 0 for q in range(max(len(staffing), last + 1))]
    agents = max(on_duty, default=0)
    free_at = [0] * agents
    done: list[Assignment] = []
    for arrival in arrivals:
        best: tuple[int, int, int] | None = None
        for agent in range(agents):
            start = _earliest_on_duty(agent, max(arrival.at, free_at[agent]), on_duty)
            if start is not None and (best is None or (start, free_at[agent], agent) < best):
                best = (start, free_at[agent], agent)
        if best is None or best[0] - arrival.at > arrival.patience:
            done.append(Assignment(answered_at=None, abandoned_at=arrival.at + arrival.patience, agent=None))
            continue
        start, _, agent = best
        free_at[agent] = start + arrival.service
        done.append(Assignment(answered_at=start, abandoned_at=None, agent=agent))
    return done


def _earliest_on_duty(agent: int, at: int, on_duty: Sequence[int]) -> int | None:
    """The first instant from ``at`` at which ``agent`` is on duty; None if never again."""
    quarter = at // QUARTER
    if quarter >= len(on_duty):
        return at if on_duty and agent < on_duty[-1] else None
    for q in range(quarter, len(on_duty)):
        if agent < on_duty[q]:
            return at if q == quarter else q * QUARTER
    return at if agent < on_duty[-1] else None


# --- Arrivals and what each caller brings ---


def _quarter_rate(municipality: Municipality, day: date, quarter: int) -> float:
    """Expected calls of ``municipality`` in the quarter hour ``quarter`` of ``day`` (its open part only)."""
    start, end = quarter * QUARTER, (quarter + 1) * QUARTER
    open_seconds = sum(
        max(0, min(end, seconds_of_day(b)) - max(start, seconds_of_day(a))) for a, b in municipality.windows(day)
    )
    return municipality.calls_per_hour(quarter / 4) * open_seconds / 3600


def arrival_seconds(municipality: Municipality, day: date, rng: random.Random, *, scale: float) -> list[int]:
    """When the calls of a day come (seconds since local midnight): Poisson within each quarter hour.

    The day and each hour bring more or fewer calls than forecast (log-normal factors): the roster is made for
    the forecast, so some hours are short of agents and others quiet, as in any service center.
    """
    found: list[int] = []
    day_factor = rng.lognormvariate(0, DAY_VARIATION)
    hour_factors = [rng.lognormvariate(0, HOUR_VARIATION) for _ in range(24)]
    for quarter in range(QUARTERS):
        start = quarter * QUARTER
        for a, b in municipality.windows(day):
            low, high = max(start, seconds_of_day(a)), min(start + QUARTER, seconds_of_day(b))
            if high <= low:
                continue
            factor = day_factor * hour_factors[quarter // 4]
            per_second = municipality.calls_per_hour(quarter / 4) * scale * factor / 3600
            if per_second <= 0:
                continue
            at = low + rng.expovariate(per_second)
            while at < high:
                found.append(int(at))
                at += rng.expovariate(per_second)
    return found


def roster(municipalities: Sequence[Municipality], day: date, *, scale: float, staffing: Staffing) -> tuple[int, ...]:
    """Agents per quarter hour of ``day`` for the calls expected on every line together."""
    return tuple(
        agents_needed(sum(_quarter_rate(m, day, q) for m in municipalities) * scale, staffing) for q in range(QUARTERS)
    )


@dataclass(frozen=True)
class _Caller:
    """Everything drawn for one arrival, whether or not it is answered."""

    tenant_id: str
    number: int
    at: int
    patience: int
    talk: int
    hold: int
    after_call_work: int
    topic: Topic
    outcome: Outcome
    back_office: BackOfficeStep
    reply_by: ReplyChannel | None
    priority: str


def _patience(rng: random.Random) -> int:
    scale = PATIENCE_MEAN_SECONDS / math.gamma(1 + 1 / PATIENCE_SHAPE)
    return max(1, round(rng.weibullvariate(scale, PATIENCE_SHAPE)))


def _caller(municipality: Municipality, number: int, at: int, rng: random.Random) -> _Caller:
    patience = _patience(rng)
    talk = max(20, round(rng.lognormvariate(TALK_MU, TALK_SIGMA)))
    hold = rng.choice((0, 0, 0, 40))
    after_call_work = rng.randrange(20, 90)
    topic = rng.choices(municipality.topics, weights=[t.weight for t in municipality.topics])[0]
    outcome = rng.choices(OUTCOMES, weights=[topic.outcomes.get(o, 0.0) for o in OUTCOMES])[0]
    office = municipality.back_office
    kind_draw = rng.random()
    kind: BackOfficeKind = (
        "in_time" if kind_draw < office.in_time else "late" if kind_draw < office.in_time + office.late else "open"
    )
    step = BackOfficeStep(
        kind=kind,
        answer_share=rng.uniform(0.05, 0.9),
        late_by=timedelta(seconds=max(600, round(rng.expovariate(1 / (office.late_mean_hours * 3600))))),
        claim_share=rng.uniform(0.02, 0.5),
        claimed=rng.random() < office.open_claimed,
        claim_after=timedelta(minutes=round(rng.uniform(10, 240))),
        channel=rng.choice(("email", "email", "email", "letter", "callback")),
    )
    priority = "high" if rng.random() < 0.05 else "normal"
    reply_by: ReplyChannel | None = None
    if outcome == "callback":
        reply_by = "callback"
    elif outcome == "forwarded":
        reply_by = step.channel
    if outcome in FORWARDING:
        after_call_work += FORWARDING_WORK_SECONDS
    return _Caller(
        municipality.tenant_id,
        number,
        at,
        patience,
        talk,
        hold,
        after_call_work,
        topic,
        outcome,
        step,
        reply_by,
        priority,
    )


def plan_day(
    day: date,
    municipalities: Sequence[Municipality] = DEMO_MUNICIPALITIES,
    *,
    seed: int = 2010,
    scale: float = 1.0,
    staffing: Staffing = HOST_STAFFING,
    like: date | None = None,
) -> DayPlan:
    """Plan the day: arrivals per municipality, the pool's answers, each answered call's contact.

    With ``like`` (a day of the same weekday) the day brings the calls ``like`` would bring, at the same local
    times, under ids of its own: one scenario played twice, e.g. once undisturbed and once with faults.
    """
    if like is not None and like.weekday() != day.weekday():
        raise ValueError(f"{day} is a {day:%A}, {like} a {like:%A}: a day can only be like one of its weekday")
    callers: list[_Caller] = []
    for municipality in municipalities:
        rng = random.Random(f"{seed}:{(like or day).isoformat()}:{municipality.tenant_id}")
        for number, at in enumerate(arrival_seconds(municipality, day, rng, scale=scale), start=1):
            callers.append(_caller(municipality, number, at, rng))
    order = {m.tenant_id: index for index, m in enumerate(municipalities)}
    callers.sort(key=lambda c: (c.at, order[c.tenant_id], c.number))
    rostered = roster(municipalities, day, scale=scale, staffing=staffing)
    served = serve_fifo([Arrival(c.at, c.patience, c.talk + c.hold + c.after_call_work) for c in callers], rostered)
    midnight = datetime.combine(day, clock_time(), tzinfo=TIME_ZONE)
    lines = {m.tenant_id: m.line for m in municipalities}
    calls = tuple(
        _planned(caller, assignment, day=day, midnight=midnight, line=lines[caller.tenant_id])
        for caller, assignment in zip(callers, served, strict=True)
    )
    return DayPlan(
        day=day, seed=seed, scale=scale, municipalities=tuple(municipalities), staffing=rostered, calls=calls
    )


def _instant(midnight: datetime, seconds: int) -> datetime:
    return (midnight + timedelta(seconds=seconds)).astimezone(UTC)


def agent_name(index: int) -> str:
    """The name an agent of the pool goes by in call events and contacts."""
    return f"agent-{index + 1:02d}"


def _planned(caller: _Caller, assignment: Assignment, *, day: date, midnight: datetime, line: str) -> PlannedCall:
    call_id = f"sim-{day.isoformat()}-{caller.tenant_id}-{caller.number}"
    answered = None if assignment.answered_at is None else _instant(midnight, assignment.answered_at)
    abandoned = None if assignment.abandoned_at is None else _instant(midnight, assignment.abandoned_at)
    agent = None if assignment.agent is None else agent_name(assignment.agent)
    contact = None
    if answered is not None and agent is not None:
        forwarded = caller.outcome in FORWARDING
        contact = PlannedContact(
            key=call_id,
            tenant_id=caller.tenant_id,
            query=caller.topic.query,
            leika_key=caller.topic.leika_key,
            outcome=caller.outcome,
            referred_to=caller.topic.referred_to if caller.outcome == "referred" else None,
            started_at=answered,
            ended_at=answered + timedelta(seconds=caller.talk + caller.hold),
            agent=agent,
            reply_by=caller.reply_by,
            priority=caller.priority,
            caller_name=f"Anrufende Person {caller.number}" if forwarded else None,
            caller_phone=f"+49 {_AREA_CODES.get(caller.tenant_id, '30')} {100000 + caller.number}"
            if forwarded
            else None,
            back_office=caller.back_office if forwarded else None,
        )
    return PlannedCall(
        call_id=call_id,
        tenant_id=caller.tenant_id,
        line=line,
        offered_at=_instant(midnight, caller.at),
        patience_seconds=caller.patience,
        answered_at=answered,
        abandoned_at=abandoned,
        agent=agent,
        talk_seconds=caller.talk,
        hold_seconds=caller.hold,
        after_call_work_seconds=caller.after_call_work,
        contact=contact,
    )


def pick_day(
    today: date,
    used: Collection[date],
    municipalities: Sequence[Municipality] = DEMO_MUNICIPALITIES,
    *,
    days_back: int = 14,
    quiet_days: int = 14,
    search_days: int = 340,
) -> date | None:
    """The day to simulate by default: the most recent one at least ``days_back`` days ago on which every
    municipality is open (a working day in each state) and neither it nor the ``quiet_days`` - 1 days after it
    have calls or contacts, so a run's calls and the deadlines of its concerns mix with no other run's.
    """
    taken = set(used)
    for back in range(days_back, days_back + search_days):
        day = today - timedelta(days=back)
        if not all(m.is_open(day) for m in municipalities):
            continue
        if not any(day + timedelta(days=offset) in taken for offset in range(quiet_days)):
            return day
    return None
