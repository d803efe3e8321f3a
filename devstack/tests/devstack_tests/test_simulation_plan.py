"""The simulated day's plan and its expected figures: pure, deterministic, and as the metrics service counts."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta

import pytest

from devstack.simulation.expected import expected_calls, expected_contacts, expected_deadlines
from devstack.simulation.plan import (
    TIME_ZONE,
    Arrival,
    Assignment,
    BackOfficeStep,
    DayPlan,
    PlannedCall,
    PlannedContact,
    pick_day,
    plan_day,
    serve_fifo,
)
from devstack.simulation.player import (
    MAX_BATCH,
    Played,
    TicketPlayed,
    back_office_instants,
    call_events,
    contact_body,
    event_batches,
    planned_requests,
)
from devstack.simulation.profiles import (
    DEMO_MUNICIPALITIES,
    OUTCOMES,
    Municipality,
    ServiceLevel,
    Topic,
    outcome_shares,
)

TUESDAY = date(2026, 11, 10)
FRIDAY = date(2026, 11, 13)
CORPUS_CHRISTI = date(2026, 6, 4)  # a public holiday in North Rhine-Westphalia, not in Lower Saxony


@pytest.fixture(scope="module")
def tuesday() -> DayPlan:
    return plan_day(TUESDAY)


def test_a_plan_is_the_same_for_the_same_day_seed_and_scale(tuesday: DayPlan) -> None:
    assert plan_day(TUESDAY) == tuesday
    other = plan_day(TUESDAY, seed=7)
    assert other.calls != tuesday.calls
    assert len({call.call_id for call in tuesday.calls}) == len(tuesday.calls)
    assert tuesday.calls[0].call_id.startswith(f"sim-{TUESDAY.isoformat()}-")


def test_a_day_like_another_brings_its_calls_at_the_same_local_times_under_ids_of_its_own(tuesday: DayPlan) -> None:
    # Three weeks earlier, across the change from summer to winter time: local times stay, instants move.
    earlier = TUESDAY - timedelta(days=21)
    alike = plan_day(earlier, like=TUESDAY)

    def local(plan: DayPlan) -> list[tuple[str, time, int]]:
        return [(c.tenant_id, c.offered_at.astimezone(TIME_ZONE).time(), c.wait_seconds) for c in plan.calls]

    assert local(alike) == local(tuesday)
    assert [c.contact.outcome for c in alike.calls if c.contact] == [
        c.contact.outcome for c in tuesday.calls if c.contact
    ]
    assert not {c.call_id for c in alike.calls} & {c.call_id for c in tuesday.calls}
    assert all(c.offered_at.astimezone(TIME_ZONE).date() == earlier for c in alike.calls)
    assert local(plan_day(earlier)) != local(tuesday)
    with pytest.raises(ValueError, match="weekday"):
        plan_day(FRIDAY, like=TUESDAY)


def test_a_normal_day_brings_the_chosen_volumes(tuesday: DayPlan) -> None:
    per_tenant = Counter(call.tenant_id for call in tuesday.calls)
    assert 850 <= per_tenant["oldenburg"] <= 1150
    assert 120 <= per_tenant["artland"] <= 200
    assert 280 <= per_tenant["rheine"] <= 420
    assert len(plan_day(TUESDAY, scale=0.1).calls) < len(tuesday.calls) / 5


def _within_hours(municipality: Municipality, at: datetime) -> bool:
    local = at.astimezone(TIME_ZONE)
    return any(start <= local.time() < end for start, end in municipality.opening_hours[local.weekday()])


@pytest.mark.parametrize("day", [TUESDAY, FRIDAY])
def test_calls_arrive_only_within_each_municipalitys_reachability_hours(day: date, tuesday: DayPlan) -> None:
    plan = tuesday if day == TUESDAY else plan_day(day)
    for call in plan.calls:
        municipality = plan.municipality(call.tenant_id)
        assert _within_hours(municipality, call.offered_at), (call.call_id, call.offered_at)
        assert call.offered_at.astimezone(TIME_ZONE).date() == day
    if day == FRIDAY:
        # Rheine's Friday ends at 13:00.
        rheine = [c.offered_at.astimezone(TIME_ZONE).time() for c in plan.calls_of("rheine")]
        assert rheine
        assert max(rheine) < time(13)


def test_no_calls_on_a_public_holiday_of_the_municipalitys_state() -> None:
    plan = plan_day(CORPUS_CHRISTI)
    assert not plan.calls_of("rheine")
    assert plan.calls_of("oldenburg")
    assert plan.calls_of("artland")


def test_a_caller_abandons_exactly_when_the_wait_would_exceed_their_patience(tuesday: DayPlan) -> None:
    abandoned = [call for call in tuesday.calls if call.abandoned_at is not None]
    assert abandoned
    for call in tuesday.calls:
        if call.answered_at is not None:
            assert call.abandoned_at is None
            assert call.wait_seconds <= call.patience_seconds
        else:
            assert call.wait_seconds == call.patience_seconds
            assert call.contact is None


def test_the_pool_serves_first_come_first_served_and_abandons_impatient_callers() -> None:
    # One agent all day. A keeps them busy from 0 to 100; B (patience 50) would wait 90 s and hangs up at 60;
    # C (patience 200) is answered at 100, when A is done, though it came after B; D waits for C.
    staffing = [1] * 96
    arrivals = [Arrival(0, 30, 100), Arrival(10, 50, 40), Arrival(20, 200, 60), Arrival(30, 300, 10)]
    assert serve_fifo(arrivals, staffing) == [
        Assignment(answered_at=0, abandoned_at=None, agent=0),
        Assignment(answered_at=None, abandoned_at=60, agent=None),
        Assignment(answered_at=100, abandoned_at=None, agent=0),
        Assignment(answered_at=160, abandoned_at=None, agent=0),
    ]


def test_the_pool_takes_calls_only_with_agents_on_duty() -> None:
    # Nobody before 08:00; two agents from then; the one idle longest takes the next call.
    staffing = [0] * 32 + [2] * 64
    eight = 8 * 3600
    arrivals = [Arrival(eight - 30, 60, 100), Arrival(eight + 10, 60, 50), Arrival(eight + 200, 60, 10)]
    assert serve_fifo(arrivals, staffing) == [
        Assignment(answered_at=eight, abandoned_at=None, agent=0),
        Assignment(answered_at=eight + 10, abandoned_at=None, agent=1),
        Assignment(answered_at=eight + 200, abandoned_at=None, agent=1),
    ]


def test_no_agent_serves_two_calls_at_once_and_answers_follow_arrivals(tuesday: DayPlan) -> None:
    busy: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    answered = [call for call in tuesday.calls if call.answered_at is not None]
    for call in answered:
        assert call.agent is not None
        assert call.answered_at is not None
        busy[call.agent].append((call.answered_at, call.answered_at + timedelta(seconds=call.handle_seconds)))
    for spans in busy.values():
        spans.sort()
        for (_, first_end), (second_start, _) in itertools.pairwise(spans):
            assert first_end <= second_start
    starts = [call.answered_at for call in answered if call.answered_at is not None]
    assert starts == sorted(starts)
    last = max(q for q, agents in enumerate(tuesday.staffing) if agents)
    for call in answered:
        assert call.agent is not None
        assert call.answered_at is not None
        local = call.answered_at.astimezone(TIME_ZONE)
        quarter = min(local.hour * 4 + local.minute // 15, last)
        assert int(call.agent.removeprefix("agent-")) <= tuesday.staffing[quarter]


def test_outcome_shares_come_out_near_the_chosen_ones(tuesday: DayPlan) -> None:
    for municipality in DEMO_MUNICIPALITIES:
        contacts = [c for c in tuesday.contacts if c.tenant_id == municipality.tenant_id]
        counts = Counter(contact.outcome for contact in contacts)
        chosen = outcome_shares(municipality)
        tolerance = 0.05 if municipality.tenant_id != "artland" else 0.12
        for outcome in OUTCOMES:
            assert abs(counts[outcome] / len(contacts) - chosen[outcome]) < tolerance, (municipality.tenant_id, outcome)
    everyone = Counter(contact.outcome for contact in tuesday.contacts)
    total = len(tuesday.contacts)
    assert 0.65 <= everyone["solved"] / total <= 0.75
    assert 0.15 <= everyone["forwarded"] / total <= 0.20
    assert everyone["callback"]
    assert everyone["referred"]
    forwarded = [c for c in tuesday.contacts if c.forwarded]
    kinds = Counter(c.back_office.kind for c in forwarded if c.back_office is not None)
    assert kinds["in_time"] > 0.75 * len(forwarded)
    assert 0.05 * len(forwarded) <= kinds["late"] <= 0.15 * len(forwarded)
    assert kinds["open"] >= 1


# --- Expected figures from a hand-made day ---

HAND_DAY = date(2026, 11, 10)
TOWN = Municipality(
    tenant_id="town",
    line="town-115",
    state="NI",
    calls_per_day=10,
    hourly_profile={9: 1.0},
    opening_hours={1: ((time(9), time(10)),)},
    topics=(Topic("Perso", None, {"solved": 1.0}),),
    service_level=ServiceLevel(variant=4, threshold_seconds=20, target_percent=80),
)
NINE = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)  # 09:00 in Oldenburg


def _call(n: int, wait: int, *, answered: bool, outcome: str = "solved", talk: int = 100) -> PlannedCall:
    offered = NINE + timedelta(minutes=n)
    left = offered + timedelta(seconds=wait)
    contact = None
    if answered:
        contact = PlannedContact(
            key=f"sim-{n}",
            tenant_id="town",
            query="Perso",
            leika_key=None,
            outcome=outcome,  # type: ignore[arg-type]
            referred_to=None,
            started_at=left,
            ended_at=left + timedelta(seconds=talk),
            agent="agent-01",
            reply_by=None,
            priority="normal",
            caller_name=None,
            caller_phone=None,
            back_office=None,
        )
    return PlannedCall(
        call_id=f"sim-{n}",
        tenant_id="town",
        line="town-115",
        offered_at=offered,
        patience_seconds=wait if not answered else 600,
        answered_at=left if answered else None,
        abandoned_at=None if answered else left,
        agent="agent-01" if answered else None,
        talk_seconds=talk,
        hold_seconds=20,
        after_call_work_seconds=40,
        contact=contact,
    )


def test_expected_figures_of_a_hand_made_day_are_the_hand_computed_ones() -> None:
    calls = (
        _call(0, 5, answered=True),
        _call(1, 20, answered=True, outcome="forwarded"),
        _call(2, 21, answered=True, outcome="referred"),
        _call(3, 40, answered=True),
        _call(4, 10, answered=False),
        _call(5, 30, answered=False),
    )
    plan = DayPlan(HAND_DAY, 1, 1.0, (TOWN,), (1,) * 96, calls)
    figures = expected_calls(plan)["town"]
    # A = 4, A_T = 2 (5 s and 20 s: "within" includes the threshold), Ab = 2, Ab_T = 1.
    assert (figures.offered, figures.answered, figures.abandoned) == (6, 4, 2)
    assert (figures.answered_within, figures.abandoned_within) == (2, 1)
    # Variant 4: A_T / (A + Ab - Ab_T) = 2 / 5.
    assert figures.service_level == pytest.approx(40.0)
    assert figures.average_speed_of_answer == pytest.approx((5 + 20 + 21 + 40) / 4)
    assert figures.handle_seconds == 4 * (100 + 20 + 40)
    assert figures.handled_minutes == pytest.approx(10.67)
    assert figures.abandonment_rate == pytest.approx(100 * 2 / 6)

    contacts = expected_contacts(plan)["town"]
    assert (contacts.contacts, contacts.solved, contacts.forwarded, contacts.referred) == (4, 2, 1, 1)
    assert contacts.first_contact_resolution == pytest.approx(50.0)

    variant_three = expected_calls(DayPlan(HAND_DAY, 1, 1.0, (_with_variant(TOWN, 3),), (1,) * 96, calls))[
        "town"
    ].service_level
    assert variant_three == pytest.approx(100 * 2 / 6)


def _with_variant(municipality: Municipality, variant: int) -> Municipality:
    level = municipality.service_level
    return Municipality(
        **{
            **municipality.__dict__,
            "service_level": ServiceLevel(variant, level.threshold_seconds, level.target_percent),
        }
    )


def test_deadlines_count_only_concerns_due_by_now_as_in_time_late_or_open() -> None:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    due = datetime(2026, 11, 11, 17, tzinfo=UTC)
    forwarded = datetime(2026, 11, 10, 9, tzinfo=UTC)

    def ticket(n: int, *, due_at: datetime, answered_at: datetime | None) -> TicketPlayed:
        return TicketPlayed(f"sim-{n}", "town", f"t-{n}", "in_time", forwarded, due_at, None, answered_at)

    played = Played(day=HAND_DAY, tenants=("town", "quiet"))
    played.tickets = {
        "1": ticket(1, due_at=due, answered_at=due),
        "2": ticket(2, due_at=due, answered_at=due - timedelta(hours=3)),
        "3": ticket(3, due_at=due, answered_at=due + timedelta(seconds=1)),
        "4": ticket(4, due_at=due, answered_at=None),
        "5": ticket(5, due_at=now + timedelta(days=1), answered_at=None),
    }
    figures = expected_deadlines(played, now=now)
    assert figures["town"] == type(figures["town"])(due=4, in_time=2, late=1, open=1)
    assert figures["town"].compliance == pytest.approx(50.0)
    assert figures["quiet"].due == 0
    assert figures["quiet"].compliance is None


# --- What the player sends, from the plan ---


def test_each_call_reports_its_steps_and_batches_stay_within_the_ingest_limit(tuesday: DayPlan) -> None:
    answered = next(call for call in tuesday.calls if call.answered_at is not None)
    abandoned = next(call for call in tuesday.calls if call.abandoned_at is not None)
    assert [event["type"] for event in call_events(answered)] == ["offered", "answered", "ended"]
    assert call_events(answered)[2]["talk_seconds"] == answered.talk_seconds
    assert [event["type"] for event in call_events(abandoned)] == ["offered", "abandoned"]
    batches = event_batches(tuesday)
    assert all(len(events) <= MAX_BATCH for _, events in batches)
    sent = [event["event_id"] for _, events in batches for event in events]
    assert len(sent) == len(set(sent)) == sum(len(call_events(call)) for call in tuesday.calls)
    assert planned_requests(tuesday) > 2 * len(tuesday.contacts)


def _forwarded(plan: DayPlan, kind: str) -> PlannedContact:
    return next(c for c in plan.contacts if c.back_office is not None and c.back_office.kind == kind)


def test_the_back_office_acts_relative_to_the_due_time_the_server_set(tuesday: DayPlan) -> None:
    forwarded_at = datetime(2026, 11, 10, 9, 30, tzinfo=UTC)
    due_at = datetime(2026, 11, 11, 17, 0, tzinfo=UTC)
    in_time = _forwarded(tuesday, "in_time")
    claimed, answered = back_office_instants(in_time, forwarded_at=forwarded_at, due_at=due_at)
    assert claimed is not None
    assert answered is not None
    assert forwarded_at <= claimed <= answered <= due_at
    late = _forwarded(tuesday, "late")
    claimed, answered = back_office_instants(late, forwarded_at=forwarded_at, due_at=due_at)
    assert claimed is not None
    assert answered is not None
    assert forwarded_at <= claimed <= answered
    assert answered > due_at
    left_open = _forwarded(tuesday, "open")
    assert back_office_instants(left_open, forwarded_at=forwarded_at, due_at=due_at)[1] is None


def test_a_contact_names_the_top_hit_and_forwards_only_a_concern_for_the_back_office(tuesday: DayPlan) -> None:
    solved = next(c for c in tuesday.contacts if c.outcome == "solved")
    body = contact_body(solved, description_id="d-1", leika_key=None, department_id="dep")
    assert body["description_ids"] == ["d-1"]
    assert "forward" not in body
    assert "caller" not in body
    callback = next(c for c in tuesday.contacts if c.outcome == "callback")
    body = contact_body(callback, description_id=None, leika_key="99085001012000", department_id="dep")
    assert body["forward"]["department_id"] == "dep"
    assert body["forward"]["reply_by"] == "callback"
    assert body["leika_key"] == "99085001012000"
    referred = next(c for c in tuesday.contacts if c.outcome == "referred")
    assert contact_body(referred, description_id=None, leika_key=None, department_id=None)["referred_to"]


def test_back_office_steps_are_only_planned_for_forwarded_concerns(tuesday: DayPlan) -> None:
    for contact in tuesday.contacts:
        assert (contact.back_office is not None) == contact.forwarded
        if contact.back_office is not None:
            assert isinstance(contact.back_office, BackOfficeStep)


def test_the_default_day_is_a_working_day_in_both_states_with_a_quiet_fortnight() -> None:
    today = date(2026, 6, 18)  # a Thursday: 14 days back is Corpus Christi, a holiday in NW
    assert pick_day(today, set()) == date(2026, 6, 3)
    used = {date(2026, 6, 10)}
    day = pick_day(today, used)
    assert day is not None
    assert day + timedelta(days=13) < date(2026, 6, 10)
    assert day.weekday() < 5
