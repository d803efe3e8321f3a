"""The day's report per municipality against its contract, read from the metrics service once it has it all.

Calls are counted when the telephony's events arrive; contacts and forwarded concerns reach the metrics service
through NATS, a moment later: the report waits until the figures hold everything that was sent (or the
settle timeout passes, which it says). Per municipality: the service level in the contract's variant, the
average speed of answer and first-contact resolution, each against its target as the metrics service judges
them (``figures/compliance``); the forwarded concerns due (their due times lie on the following days) answered
in time, late or still open; the month's bill and the day's handled minutes. The plan's own figures stand
beside them, so a difference shows.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from devstack.simulation.client import Client, Credential, Refused, session
from devstack.simulation.expected import (
    CallFigures,
    ContactFigures,
    DeadlineFigures,
    expected_calls,
    expected_contacts,
    expected_deadlines,
)
from devstack.simulation.plan import TIME_ZONE, DayPlan
from devstack.simulation.player import Played

# Forwarded concerns of a day are due within this many days (24 service hours over a holiday and a weekend).
DEADLINE_DAYS = 14
FIGURES = "/v1/tenants/{tenant}/figures"


@dataclass(frozen=True)
class Judged:
    """A figure, the contract's target for it (None: none set) and whether it was kept (None: not judged)."""

    actual: float | None
    target: float | None
    met: bool | None


@dataclass(frozen=True)
class Bill:
    """The month's bill as the metrics service computes it."""

    month: str
    model: str
    total_cents: int
    billed_minutes: int
    final: bool
    lines: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class MunicipalityReport:
    """One municipality's day as the metrics service reports it, with what the plan expected."""

    tenant_id: str
    name: str
    benchmark: str | None
    contract_version: int | None
    variant: int | None
    threshold_seconds: int | None
    offered: int
    answered: int
    abandoned: int
    handled_minutes: float
    service_level: Judged
    average_speed_of_answer: Judged
    first_contact_resolution: Judged
    contacts: ContactFigures
    deadlines: DeadlineFigures
    bill: Bill | None
    expected_calls: CallFigures
    expected_contacts: ContactFigures
    expected_deadlines: DeadlineFigures | None


@dataclass(frozen=True)
class Report:
    day: date
    seed: int
    scale: float
    settled: bool
    settle_seconds: float
    municipalities: tuple[MunicipalityReport, ...]
    problems: tuple[str, ...] = field(default=())

    def of(self, tenant_id: str) -> MunicipalityReport:
        return next(m for m in self.municipalities if m.tenant_id == tenant_id)


@dataclass(frozen=True)
class _Figures:
    """What the kpis endpoint answered for the day and for the concerns due in the days after."""

    contract: Mapping[str, Any] | None
    day: Mapping[str, Any]
    concerns: DeadlineFigures


def _kpis_figures(body: Mapping[str, Any]) -> _Figures:
    buckets = body["buckets"]
    concerns = DeadlineFigures(
        due=sum(int(b["concerns_due"]) for b in buckets),
        in_time=sum(int(b["concerns_answered_in_time"]) for b in buckets),
        late=sum(int(b["concerns_answered_late"]) for b in buckets),
        open=sum(int(b["concerns_overdue"]) for b in buckets),
    )
    return _Figures(body.get("contract"), buckets[0], concerns)


def _contacts(bucket: Mapping[str, Any]) -> ContactFigures:
    counts = bucket["contacts"]
    return ContactFigures(
        contacts=int(counts["total"]),
        solved=int(counts["solved"]),
        forwarded=int(counts["forwarded"]),
        callback=int(counts["callback"]),
        referred=int(counts["referred"]),
        first_contact_resolution=bucket.get("first_contact_resolution_percent"),
    )


def _settled(
    figures: _Figures, calls: CallFigures, contacts: int, deadlines: DeadlineFigures | None, forwarded: int
) -> bool:
    day = figures.day
    if (day["offered"], day["answered"], day["abandoned"], day["handled"]) != (
        calls.offered,
        calls.answered,
        calls.abandoned,
        calls.handled,
    ):
        return False
    if int(day["contacts"]["total"]) != contacts:
        return False
    if deadlines is not None:
        return figures.concerns == deadlines
    return figures.concerns.due == forwarded


async def _read_kpis(client: Client, operator: Credential, tenant: str, day: date) -> _Figures:
    end = day + timedelta(days=DEADLINE_DAYS)
    path = FIGURES.format(tenant=tenant) + f"/kpis?from={day.isoformat()}&to={end.isoformat()}&granularity=day"
    return _kpis_figures((await client.send(operator, "GET", path)).body)


def _judged(targets: Mapping[str, Mapping[str, Any]], name: str) -> Judged:
    judged = targets.get(name)
    if judged is None:
        return Judged(None, None, None)
    target = judged.get("target")
    return Judged(judged.get("actual"), target.get("value") if target else None, judged.get("met"))


async def _compliance(client: Client, operator: Credential, tenant: str, day: date) -> dict[str, Mapping[str, Any]]:
    path = (
        FIGURES.format(tenant=tenant) + f"/compliance?from={day.isoformat()}&to={(day + timedelta(days=1)).isoformat()}"
    )
    body = (await client.send(operator, "GET", path)).body
    spans = body.get("spans") or []
    return {t["name"]: t for t in spans[0]["targets"]} if spans else {}


async def _bill(client: Client, operator: Credential, tenant: str, day: date) -> Bill | None:
    month = f"{day.year:04d}-{day.month:02d}"
    try:
        body = (await client.send(operator, "GET", FIGURES.format(tenant=tenant) + f"/bills/{month}")).body
    except Refused:
        return None
    return Bill(
        month=month,
        model=str(body["model"]),
        total_cents=int(body["total_cents"]),
        billed_minutes=int(body["usage"]["billed_minutes"]),
        final=bool(body["final"]),
        lines=tuple((str(line["description"]), int(line["amount_cents"])) for line in body["lines"]),
    )


async def fetch_report(
    plan: DayPlan,
    gateway_url: str,
    api_keys: Mapping[str, str],
    *,
    settle_timeout: float = 60,
    played: Played | None = None,
) -> Report:
    """Wait until the metrics service has everything that was sent, then read each municipality's figures.

    With ``played`` the deadlines are awaited as played (claims and answers included); without it, until every
    forwarded concern of the plan is counted as due.
    """
    calls, contacts = expected_calls(plan), expected_contacts(plan)
    deadlines = expected_deadlines(played) if played is not None else None
    tenant_of = {contact.key: contact.tenant_id for contact in plan.contacts}
    recorded: dict[str, int] = {}
    for key in played.contacts if played is not None else ():
        recorded[tenant_of[key]] = recorded.get(tenant_of[key], 0) + 1
    forwarded = {tenant: sum(1 for c in plan.contacts if c.tenant_id == tenant and c.forwarded) for tenant in calls}
    started = time.monotonic()
    async with session(4) as http:
        client = Client(http, gateway_url.rstrip("/"))
        operator = Credential("operator", api_keys["operator"], None)
        while True:
            figures = {tenant: await _read_kpis(client, operator, tenant, plan.day) for tenant in calls}
            settled = all(
                _settled(
                    figures[tenant],
                    calls[tenant],
                    recorded.get(tenant, 0) if played is not None else contacts[tenant].contacts,
                    deadlines.get(tenant, DeadlineFigures(0, 0, 0, 0)) if deadlines is not None else None,
                    forwarded[tenant],
                )
                for tenant in calls
            )
            if settled or time.monotonic() - started > settle_timeout:
                break
            await asyncio.sleep(0.5)
        waited = time.monotonic() - started
        reports = []
        for municipality in plan.municipalities:
            tenant = municipality.tenant_id
            mine = figures[tenant]
            targets = await _compliance(client, operator, tenant, plan.day)
            contract = mine.contract or {}
            reports.append(
                MunicipalityReport(
                    tenant_id=tenant,
                    name=municipality.name or tenant,
                    benchmark=municipality.benchmark,
                    contract_version=contract.get("version"),
                    variant=contract.get("variant"),
                    threshold_seconds=contract.get("threshold_seconds"),
                    offered=int(mine.day["offered"]),
                    answered=int(mine.day["answered"]),
                    abandoned=int(mine.day["abandoned"]),
                    handled_minutes=float(mine.day["handled_minutes"]),
                    service_level=_judged(targets, "service_level"),
                    average_speed_of_answer=_judged(targets, "average_speed_of_answer"),
                    first_contact_resolution=_judged(targets, "first_contact_resolution"),
                    contacts=_contacts(mine.day),
                    deadlines=mine.concerns,
                    bill=await _bill(client, operator, tenant, plan.day),
                    expected_calls=calls[tenant],
                    expected_contacts=contacts[tenant],
                    expected_deadlines=deadlines.get(tenant) if deadlines is not None else None,
                )
            )
    problems = [] if settled else [f"the figures did not hold everything sent after {settle_timeout:.0f} s"]
    return Report(plan.day, plan.seed, plan.scale, settled, waited, tuple(reports), tuple(problems))


async def used_days(
    gateway_url: str, api_keys: Mapping[str, str], tenants: tuple[str, ...], *, start: date, end: date
) -> set[date]:
    """The local days from ``start`` to ``end`` (exclusive, at most a year) with calls or contacts of any tenant."""
    used: set[date] = set()
    async with session(4) as http:
        client = Client(http, gateway_url.rstrip("/"))
        operator = Credential("operator", api_keys["operator"], None)
        for tenant in tenants:
            path = (
                FIGURES.format(tenant=tenant) + f"/kpis?from={start.isoformat()}&to={end.isoformat()}&granularity=day"
            )
            for bucket in (await client.send(operator, "GET", path)).body["buckets"]:
                if bucket["offered"] or bucket["contacts"]["total"]:
                    used.add(datetime.fromisoformat(bucket["start"]).astimezone(TIME_ZONE).date())
    return used


# --- The console ---


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


def _verdict(judged: Judged) -> str:
    return {True: "met", False: "MISSED", None: "not judged"}[judged.met]


def _euro(cents: int) -> str:
    return f"€ {cents / 100:,.2f}".replace(",", " ")


def _differs(measured: object, expected: object) -> str:
    return "" if measured == expected else f"   (expected {expected})"


def format_report(report: Report, played: Played | None = None) -> str:
    """The report for the console: per municipality its figures against its contract."""
    weekday = report.day.strftime("%A")
    lines = [
        "",
        f"A day at the service center: {weekday} {report.day.isoformat()} (seed {report.seed}, scale {report.scale:g})",
    ]
    if played is not None:
        lines.append(
            f"Played {played.requests:,} requests in {played.wall_seconds:.1f} s = {played.requests_per_second:.1f}"
            f" requests/s ({played.retries} retried, {played.throttled} held back by the rate limits; agents on"
            f" {'a demo token each' if played.agent_tokens else 'the host agent key'})"
        )
        lines.append(
            f"Knowledge searches {played.searches:,}, with a hit {played.searches_with_hit:,}; "
            f"contacts {len(played.contacts):,}; concerns forwarded {len(played.tickets):,}"
        )
    lines.append(
        "Figures as the metrics service reports them"
        + ("" if report.settled else f" (NOT all counted after {report.settle_seconds:.0f} s)")
        + f"; deadlines of the concerns due in the {DEADLINE_DAYS} days from the day"
    )
    for m in report.municipalities:
        exp = m.expected_calls
        level, asa, fcr = m.service_level, m.average_speed_of_answer, m.first_contact_resolution
        contract = f"contract version {m.contract_version}" if m.contract_version is not None else "no contract"
        lines += [
            "",
            f"{m.name} ({m.tenant_id}), {contract}",
            f"  Calls            {m.offered:,} offered, {m.answered:,} answered, {m.abandoned:,} abandoned"
            + _differs((m.offered, m.answered, m.abandoned), (exp.offered, exp.answered, exp.abandoned)),
            f"  Service level    {_percent(level.actual)} within {m.threshold_seconds} s (variant {m.variant}),"
            f" target {_percent(level.target)}: {_verdict(level)}"
            + _differs(_percent(level.actual), _percent(exp.service_level)),
            f"  Average wait     {_seconds(asa.actual)}"
            + (f", at most {_seconds(asa.target)}: {_verdict(asa)}" if asa.target is not None else "")
            + _differs(_seconds(asa.actual), _seconds(exp.average_speed_of_answer)),
            f"  First contact    {_percent(fcr.actual)} solved ({m.contacts.solved:,} of {m.contacts.contacts:,}),"
            f" target {_percent(fcr.target)}: {_verdict(fcr)}"
            + _differs(_percent(fcr.actual), _percent(m.expected_contacts.first_contact_resolution)),
            f"  Not solved       {m.contacts.forwarded:,} forwarded, {m.contacts.callback:,} with a callback promised,"
            f" {m.contacts.referred:,} referred elsewhere",
            _deadline_line(m),
            f"  Handled          {m.handled_minutes:,.1f} minutes this day",
        ]
        if m.bill is not None:
            state = "final" if m.bill.final else "so far"
            lines.append(
                f"  Bill {m.bill.month}     {_euro(m.bill.total_cents)} ({m.bill.model}, {m.bill.billed_minutes:,}"
                f" billed minutes, {state})"
            )
        if m.benchmark:
            lines.append(f"  For comparison   {m.benchmark}")
    if played is not None and (played.failures or played.postponed):
        lines += ["", f"Refused: {len(played.failures)}; not yet due to be sent: {len(played.postponed)}"]
        lines += [f"  {failure[:160]}" for failure in played.failures[:5]]
    lines += [f"Problem: {problem}" for problem in report.problems]
    return "\n".join(lines) + "\n"


def _deadline_line(m: MunicipalityReport) -> str:
    d = m.deadlines
    line = (
        f"  Deadlines        {d.due:,} due: {d.in_time:,} answered in time, {d.late:,} late, {d.open:,} open"
        f" ({_percent(d.compliance)} kept)"
    )
    expected = m.expected_deadlines
    if expected is not None and expected != d:
        line += f"   (expected {expected.due} due: {expected.in_time}, {expected.late}, {expected.open})"
    return line
