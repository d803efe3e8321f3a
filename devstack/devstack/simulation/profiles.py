"""The demo municipalities' working day: how many call, when, about what, and how the host staffs its agents.

What was chosen, and why:

- **Volumes** at scale 1.0, on a day with the municipality's Monday hours: Oldenburg about 1,000 calls (a
  city of 170,000; the service center's ~40,000 calls a month include its partners), Artland 160 (a
  Samtgemeinde of 30,000), Rheine 350 (its 115 calls only). A day with longer or shorter hours gets
  proportionally more or fewer.
- **Daily profile**: a morning peak from 9 to 11, a dip at lunch and a smaller peak after it (14–15), as
  citizen service centers report; calls arrive only within the contract's reachability hours, never on a
  public holiday of the municipality's state or a closure day of its contract.
- **Staffing**: one host pool answers every line, staffed per quarter hour by Erlang C on the forecast (the
  expected calls, not those that come) to answer 80 % within 20 s, with a floor of two agents. The day and
  its hours bring more or fewer calls than forecast, so some quarter hours are short of agents: Artland's
  90 % within 20 s (variant 3, every abandon against it) comes out near 90 %, missed on about every other
  day, mostly by little. The average wait comes out at 2–6 s rather than the 8 s Oldenburg reported in 2010:
  in a pool of twenty agents waits are rare and short, so the average wait and the service level move
  together, and 8 s would go with a service level near 85 %.
- **Topics**: the callers' words are the relevance set of the sample knowledge (services/knowledge/samples),
  each municipality's own plus the shared ones; how a concern ends depends on its kind: plain information
  is mostly solved at once, casework and reports of defects go to the back office, other authorities'
  matters are referred. Over a day about 70 % are solved, 17 % forwarded, 6 % get a promised callback and
  7 % are referred.
- **Back office**: most concerns are answered in time, about one in ten late, a few stay open.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, time
from pathlib import Path
from typing import Any, Literal

from businesstime.public_holidays import holiday_dates
from devstack.demo import CONTRACTS, DEMO_TENANT, HOST_TENANT, LINES, TENANTS, THIRD_TENANT

Outcome = Literal["solved", "forwarded", "callback", "referred"]
OUTCOMES: tuple[Outcome, ...] = ("solved", "forwarded", "callback", "referred")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SAMPLES = Path(__file__).resolve().parents[3] / "services" / "knowledge" / "samples"

# Relative call volume per hour of the day (the hour it begins): the morning peak 9–11, lunch, a smaller peak at 14.
HOURLY_PROFILE: Mapping[int, float] = {
    7: 0.55,
    8: 0.95,
    9: 1.45,
    10: 1.5,
    11: 1.2,
    12: 0.75,
    13: 0.85,
    14: 1.05,
    15: 0.9,
    16: 0.6,
    17: 0.4,
}

Window = tuple[time, time]


@dataclass(frozen=True)
class Topic:
    """What a caller asks, in the words an agent types; how such a concern ends, by weight."""

    query: str
    leika_key: str | None
    outcomes: Mapping[Outcome, float]
    # The description the relevance set says answers it (for reading the played contacts; the search decides).
    description: str | None = None
    referred_to: str | None = None
    weight: float = 1.0


@dataclass(frozen=True)
class ServiceLevel:
    """The contract's promise on waiting: ``target_percent`` within ``threshold_seconds``, counted by ``variant``."""

    variant: int
    threshold_seconds: int
    target_percent: float
    short_abandon_seconds: int = 0


@dataclass(frozen=True)
class BackOffice:
    """How a municipality's back office deals with forwarded concerns: shares answered in time, late, left open."""

    in_time: float = 0.86
    late: float = 0.10
    open: float = 0.04
    # Of those left open, the share someone at least claimed.
    open_claimed: float = 0.5
    # Mean time past the deadline of a late answer, in hours.
    late_mean_hours: float = 6.0


@dataclass(frozen=True)
class Municipality:
    """One municipality's calls: its line, its state (holidays), volume, daily profile, hours and topics."""

    tenant_id: str
    line: str
    state: str
    calls_per_day: float
    hourly_profile: Mapping[int, float]
    opening_hours: Mapping[int, tuple[Window, ...]]
    topics: tuple[Topic, ...]
    name: str = ""
    service_level: ServiceLevel = ServiceLevel(3, 30, 75.0)
    first_contact_resolution_target: float | None = None
    closure_days: tuple[tuple[date, date], ...] = ()
    back_office: BackOffice = field(default_factory=BackOffice)
    # The first day the host answers for it (its contract's start).
    served_from: date | None = None
    # Figures of the real service center to compare the day with, if there are any.
    benchmark: str | None = None

    def is_open(self, day: date) -> bool:
        """Whether the municipality is reachable at all on ``day``: its hours, its state's holidays, closures."""
        if not self.opening_hours.get(day.weekday()) or (self.served_from is not None and day < self.served_from):
            return False
        if day in holiday_dates(self.state, day.year):
            return False
        return not any(first <= day <= last for first, last in self.closure_days)

    def windows(self, day: date) -> tuple[Window, ...]:
        """The reachability windows of ``day`` (none when closed)."""
        return self.opening_hours.get(day.weekday(), ()) if self.is_open(day) else ()

    def calls_per_hour(self, hour: float) -> float:
        """Expected calls per hour at local ``hour`` (fractional), were the line open then.

        ``calls_per_day`` is what a day with the municipality's Monday hours brings.
        """
        reference = sum(_open_share(self.opening_hours.get(0, ()), h) * w for h, w in self.hourly_profile.items())
        if reference <= 0:
            return 0.0
        return self.calls_per_day * self.hourly_profile.get(int(hour), 0.0) / reference


def _open_share(windows: Sequence[Window], hour: int) -> float:
    """The share of the hour beginning at ``hour`` that lies within ``windows``."""
    start, end = hour * 3600, (hour + 1) * 3600
    inside = sum(max(0, min(end, _seconds(b)) - max(start, _seconds(a))) for a, b in windows)
    return inside / 3600


def _seconds(at: time) -> int:
    return at.hour * 3600 + at.minute * 60 + at.second


def seconds_of_day(at: time) -> int:
    """Seconds since midnight of a local time of day."""
    return _seconds(at)


# --- The host's staffing: Erlang C per quarter hour (../shared/DOMAIN.md) ---


@dataclass(frozen=True)
class Staffing:
    """How the host rosters its pool: enough agents per quarter hour for ``target_percent`` within the threshold."""

    target_percent: float = 80.0
    threshold_seconds: int = 20
    mean_handle_seconds: float = 300.0
    minimum_agents: int = 2


def erlang_c(traffic: float, agents: int) -> float:
    """The probability that a call has to wait, with ``traffic`` Erlangs offered to ``agents`` (> traffic)."""
    b = 1.0
    for k in range(1, agents + 1):
        b = traffic * b / (k + traffic * b)
    return agents * b / (agents - traffic * (1 - b))


def service_level_erlang(traffic: float, agents: int, *, threshold_seconds: float, handle_seconds: float) -> float:
    """The share of calls answered within the threshold by Erlang C (0–1)."""
    if agents <= traffic:
        return 0.0
    waiting = erlang_c(traffic, agents)
    return 1 - waiting * math.exp(-(agents - traffic) * threshold_seconds / handle_seconds)


def agents_needed(calls_per_quarter: float, staffing: Staffing) -> int:
    """Agents to roster for a quarter hour with ``calls_per_quarter`` expected calls."""
    if calls_per_quarter <= 0:
        return 0
    traffic = calls_per_quarter * staffing.mean_handle_seconds / 900
    agents = max(staffing.minimum_agents, math.floor(traffic) + 1)
    target = staffing.target_percent / 100
    while (
        service_level_erlang(
            traffic,
            agents,
            threshold_seconds=staffing.threshold_seconds,
            handle_seconds=staffing.mean_handle_seconds,
        )
        < target
    ):
        agents += 1
    return agents


HOST_STAFFING = Staffing()


# --- Topics from the sample knowledge ---

# How concerns of a kind end, by weight: solved, forwarded, callback promised, referred.
INFORMATION: Mapping[Outcome, float] = {"solved": 80, "forwarded": 12, "callback": 5, "referred": 3}
CASEWORK: Mapping[Outcome, float] = {"solved": 34, "forwarded": 44, "callback": 18, "referred": 4}
DEFECT: Mapping[Outcome, float] = {"solved": 22, "forwarded": 66, "callback": 10, "referred": 2}
ELSEWHERE: Mapping[Outcome, float] = {"solved": 40, "forwarded": 4, "callback": 3, "referred": 53}

# By the name of the description that answers a query: its kind, how often callers ask (1 = an ordinary
# topic), and for other authorities' matters where callers are sent.
_KINDS: Mapping[str, tuple[Mapping[Outcome, float], float, str | None]] = {
    "Personalausweis beantragen": (INFORMATION, 4.0, None),
    "Reisepass beantragen": (INFORMATION, 3.0, None),
    "Ausweisdokumente für Kinder (Kinderreisepass)": (INFORMATION, 1.5, None),
    "Ausweis oder Pass verloren oder gestohlen": (CASEWORK, 1.5, None),
    "Wohnsitz anmelden": (INFORMATION, 3.0, None),
    "Wohnsitz ummelden (Umzug innerhalb der Gemeinde)": (INFORMATION, 2.0, None),
    "Meldebescheinigung beantragen": (INFORMATION, 1.5, None),
    "Fahrzeug zulassen": (INFORMATION, 2.0, None),
    "Sperrmüll anmelden": (INFORMATION, 2.0, None),
    "Gelbe Säcke und Gelbe Tonne": (INFORMATION, 1.5, None),
    "Tonne nicht geleert (Müllabfuhr reklamieren)": (DEFECT, 1.5, None),
    "Straßenschaden melden (Schlagloch)": (DEFECT, 1.0, None),
    "Defekte Straßenbeleuchtung melden": (DEFECT, 1.0, None),
    "Illegale Müllablagerung melden": (DEFECT, 1.0, None),
    "Lärmbelästigung melden": (CASEWORK, 1.0, None),
    "Grundsteuer": (CASEWORK, 1.5, None),
    "Zweitwohnungsteuer": (CASEWORK, 1.0, None),
    "Baugenehmigung beantragen": (CASEWORK, 1.0, None),
    "Baum fällen (Fällgenehmigung)": (CASEWORK, 1.0, None),
    "Wohngeld": (CASEWORK, 1.0, None),
    "Namensänderung": (CASEWORK, 1.0, None),
    "Sterbefall anzeigen und Sterbeurkunde": (CASEWORK, 1.0, None),
    "Friedhofsgebühren Samtgemeinde Artland": (CASEWORK, 1.0, None),
    "Gemeinschaftshaus mieten": (CASEWORK, 1.0, None),
    "Führungen im Heimatmuseum Quakenbrück": (CASEWORK, 0.5, None),
    "Kramermarkt: Standplatz bewerben": (CASEWORK, 1.0, None),
    "Kindergeld": (ELSEWHERE, 1.0, "Familienkasse der Bundesagentur für Arbeit"),
    "Elterngeld": (ELSEWHERE, 1.0, "Elterngeldstelle des Landkreises"),
    "Bürgergeld": (ELSEWHERE, 1.0, "Jobcenter"),
    "Befreiung vom Rundfunkbeitrag": (ELSEWHERE, 1.0, "ARD ZDF Deutschlandradio Beitragsservice"),
    "Steuer-Identifikationsnummer erfragen": (ELSEWHERE, 1.0, "Bundeszentralamt für Steuern"),
    "Aufenthaltstitel beantragen oder verlängern": (ELSEWHERE, 1.0, "Ausländerbehörde des Landkreises"),
    "Einbürgerung beantragen": (ELSEWHERE, 0.5, "Einbürgerungsbehörde des Landkreises"),
    "Schwerbehindertenausweis beantragen": (ELSEWHERE, 1.0, "Versorgungsamt"),
    "Bußgeldbescheid (Verkehr)": (ELSEWHERE, 1.0, "Bußgeldstelle des Landkreises"),
}


def _load(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def sample_topics(
    tenant_id: str, *, queries: Sequence[Mapping[str, Any]], knowledge: Mapping[str, Any]
) -> tuple[Topic, ...]:
    """The topics callers of ``tenant_id`` bring: the relevance set's queries that its knowledge answers.

    Every municipality sees the shared descriptions: a query answered by one counts for all; a query answered by
    another municipality's own description counts only there.
    """
    leika = {entry["content"]["name"]: entry.get("leika_key") for entry in knowledge["descriptions"]}
    local = {tenant: {entry["content"]["name"] for entry in entries} for tenant, entries in knowledge["local"].items()}
    topics: list[Topic] = []
    seen: set[str] = set()
    for entry in queries:
        best = entry["best"]
        wanted = best in leika or (best in local.get(tenant_id, set()) and entry["tenant"] == tenant_id)
        if not wanted or entry["query"] in seen:
            continue
        seen.add(entry["query"])
        outcomes, weight, referred_to = _KINDS.get(best, (INFORMATION, 1.0, None))
        topics.append(
            Topic(
                query=entry["query"],
                leika_key=leika.get(best),
                outcomes=outcomes,
                description=best,
                referred_to=referred_to or "Landkreis, Bürgerservice",
                weight=weight,
            )
        )
    return tuple(topics)


# --- The demo municipalities, from the demo's contracts ---


def _time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _opening_hours(terms: Mapping[str, Any]) -> dict[int, tuple[Window, ...]]:
    reachability: Mapping[str, list[Mapping[str, str]]] = terms["reachability"]
    return {
        WEEKDAYS.index(day): tuple((_time(w["start"]), _time(w["end"])) for w in windows)
        for day, windows in reachability.items()
    }


def _closures(terms: Mapping[str, Any]) -> tuple[tuple[date, date], ...]:
    return tuple((date.fromisoformat(c["first"]), date.fromisoformat(c["last"])) for c in terms.get("closure_days", []))


def demo_municipality(tenant_id: str, calls_per_day: float, topics: tuple[Topic, ...]) -> Municipality:
    """A demo municipality as its contract (devstack.demo.CONTRACTS) says: hours, closures, service level."""
    terms = CONTRACTS[tenant_id]["terms"]
    level = terms["service_level"]
    tenant = next(t for t in TENANTS if t["id"] == tenant_id)
    return Municipality(
        tenant_id=tenant_id,
        line=LINES[tenant_id]["address"],
        state=tenant["state"],
        calls_per_day=calls_per_day,
        hourly_profile=HOURLY_PROFILE,
        opening_hours=_opening_hours(terms),
        topics=topics,
        name=tenant["name"],
        service_level=ServiceLevel(
            variant=int(level["variant"]),
            threshold_seconds=int(level["threshold_seconds"]),
            target_percent=float(level["target_percent"]),
            short_abandon_seconds=int(level.get("short_abandon_seconds") or 0),
        ),
        first_contact_resolution_target=terms.get("first_contact_resolution_target_percent"),
        closure_days=_closures(terms),
        served_from=date.fromisoformat(terms["term"]["start"]),
    )


# What Oldenburg reported after taking over Artland's calls (../shared/DOMAIN.md).
ARTLAND_2010 = "interim report 2010: average wait 8 s, 67 % solved at first contact, service level above 90 %"


def _demo_municipalities() -> tuple[Municipality, ...]:
    queries = _load("relevance_de.json")["queries"]
    knowledge = _load("knowledge_de.json")
    volumes = {HOST_TENANT: 1000.0, DEMO_TENANT: 160.0, THIRD_TENANT: 350.0}
    municipalities = [
        demo_municipality(tenant, calls, sample_topics(tenant, queries=queries, knowledge=knowledge))
        for tenant, calls in volumes.items()
    ]
    return tuple(
        replace(municipality, benchmark=ARTLAND_2010) if municipality.tenant_id == DEMO_TENANT else municipality
        for municipality in municipalities
    )


DEMO_MUNICIPALITIES: tuple[Municipality, ...] = _demo_municipalities()


def outcome_shares(municipality: Municipality) -> dict[Outcome, float]:
    """The share of each outcome a municipality's topics give on average (by how often each topic is asked)."""
    total = sum(topic.weight for topic in municipality.topics)
    shares = dict.fromkeys(OUTCOMES, 0.0)
    for topic in municipality.topics:
        weights = sum(topic.outcomes.values())
        for outcome in OUTCOMES:
            shares[outcome] += topic.weight / total * topic.outcomes.get(outcome, 0.0) / weights
    return shares
