"""SLA compliance: a municipality's period judged by each contract version in force, and its breaches.

A period of local dates is cut where another contract version takes effect; each stretch is judged by its own
version from what was counted in it (calls by the start of their quarter hour, which was counted against the
threshold of the version in force then; contacts by their start; forwarded concerns by their due time).

Breaches: each local day that has ended is checked against the contract in force at its start, for the service
level, the average speed of answer and first-contact resolution; a missed target is noted once per
(municipality, day, target) and announced as ``metrics.compliance.breached.v1`` in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args
from zoneinfo import ZoneInfo

from kit.db.database import Database, TenantConnection
from kit.events import record_event
from metrics.compliance import repository
from metrics.compliance.errors import PeriodRefused
from metrics.compliance.targets import Judgement, Observed, judge, overall, spans
from metrics.directory import repository as directory
from metrics.directory.service import contract_in_force
from metrics.events.published import BreachedTarget, ComplianceBreachedV1, compliance_breached
from metrics.figures.periods import instant

MAX_DAYS = 366
BREACHED_TARGETS: frozenset[str] = frozenset(get_args(BreachedTarget))


@dataclass(frozen=True, kw_only=True)
class JudgedSpan:
    """A stretch of the period under one contract version (None: no contract), its targets and their verdict."""

    start: datetime
    end: datetime
    contract_version: int | None
    targets: list[Judgement]
    met: bool | None


@dataclass(frozen=True, kw_only=True)
class Compliance:
    tenant_id: str
    time_zone: str
    start: date
    end: date
    spans: list[JudgedSpan]
    met: bool | None


def period_error(start: date, end: date) -> str | None:
    """Why ``start``–``end`` (end exclusive) cannot be judged at once; None if it can."""
    if end <= start:
        return "to must lie after from"
    if (end - start).days > MAX_DAYS:
        return f"at most {MAX_DAYS} days"
    return None


def _checked(start: date, end: date) -> None:
    problem = period_error(start, end)
    if problem is not None:
        raise PeriodRefused(problem)


async def compliance(database: Database, tenant_id: str, *, start: date, end: date) -> Compliance:
    """Judge ``tenant_id``'s local dates ``start``–``end`` (exclusive) stretch by stretch of its contract."""
    _checked(start, end)
    now = datetime.now(UTC)
    async with database.lean_transaction(tenant_id) as conn:
        time_zone = await directory.time_zone(conn)
        versions = await directory.contract_versions(conn)
        first, last = instant(start, time_zone), instant(end, time_zone)
        judged: list[JudgedSpan] = []
        for span in spans(versions, first, last):
            sums = await repository.period_sums(conn, span.start, span.end, time_zone=time_zone, now=now)
            targets = judge(span.terms, Observed.from_sums(sums))
            judged.append(
                JudgedSpan(
                    start=span.start,
                    end=span.end,
                    contract_version=span.version,
                    targets=targets,
                    met=overall(targets),
                )
            )
    return Compliance(
        tenant_id=tenant_id,
        time_zone=time_zone,
        start=start,
        end=end,
        spans=judged,
        met=overall(span.met for span in judged),
    )


async def breaches(database: Database, tenant_id: str, *, start: date, end: date) -> list[dict[str, Any]]:
    """The breaches announced for ``tenant_id``'s local days ``start``–``end`` (exclusive)."""
    _checked(start, end)
    async with database.lean_transaction(tenant_id) as conn:
        return await repository.breaches(conn, start, end)


def ended_days(today: date, lookback_days: int) -> list[date]:
    """The ``lookback_days`` local days before ``today``, the earliest first (today has not ended)."""
    return [today - timedelta(days=back) for back in range(lookback_days, 0, -1)]


async def record_breaches(conn: TenantConnection, *, now: datetime, lookback_days: int) -> int:
    """Check the tenant's last ``lookback_days`` ended days; announce each target missed and not yet announced.

    Returns how many breaches were announced now.
    """
    time_zone = await directory.time_zone(conn)
    versions = await directory.contract_versions(conn)
    days = ended_days(now.astimezone(ZoneInfo(time_zone)).date(), lookback_days)
    first, last = instant(days[0], time_zone), instant(days[-1] + timedelta(days=1), time_zone)
    by_day = await repository.daily_sums(conn, first, last, time_zone=time_zone, now=now)
    announced = 0
    for day in days:
        start, end = instant(day, time_zone), instant(day + timedelta(days=1), time_zone)
        terms = contract_in_force(versions, start)
        if terms is None:
            continue
        observed = Observed.from_sums(by_day.get(day, {}))
        for judgement in judge(terms, observed):
            if judgement.met is not False or judgement.name not in BREACHED_TARGETS:
                continue
            breach = _breach(
                conn.tenant_id, judgement, version=int(terms["version"]), day=day, start=start, end=end, zone=time_zone
            )
            event = compliance_breached(breach)
            figures = breach.model_dump(mode="json")
            if await repository.add_breach(conn, day=day, target=judgement.name, figures=figures, event_id=event.id):
                await record_event(conn, event)
                announced += 1
    return announced


def _breach(
    tenant_id: str, judgement: Judgement, *, version: int, day: date, start: datetime, end: datetime, zone: str
) -> ComplianceBreachedV1:
    target, actual = judgement.target, judgement.actual
    assert target is not None
    assert actual is not None  # a target judged missed has both
    return ComplianceBreachedV1.model_validate(
        {
            "tenant_id": tenant_id,
            "day": day,
            "time_zone": zone,
            "start": start,
            "end": end,
            "target": judgement.name,
            "contract_version": version,
            "target_value": target.value,
            "unit": target.unit,
            "comparison": target.comparison,
            "actual": actual,
            "variant": target.variant,
            "threshold_seconds": target.threshold_seconds,
            "short_abandon_seconds": target.short_abandon_seconds,
            "counts": judgement.figures,
        }
    )
