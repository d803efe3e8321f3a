"""Figures of a period per bucket, for one tenant or for every tenant, judged by the contract in force.

Each interval was counted against the threshold of the contract version in force at its start; a period's
figures are the sums of its intervals. Contacts count in the bucket they began in, forwarded concerns in the
bucket of their due time. Buckets are the tenant's local days, ISO weeks and months (quarter hours in UTC);
every bucket of the period is listed, empty ones too, cut to the period at its ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kit.db.database import Database
from metrics.calls.repository import STANDARD_THRESHOLDS
from metrics.directory import repository as directory
from metrics.directory.repository import DEFAULT_TIME_ZONE
from metrics.directory.service import contract_in_force
from metrics.figures import formulas
from metrics.figures import repository as figures
from metrics.figures.periods import Granularity, bucket_end, instant
from metrics.routing import known_tenant_ids

_EMPTY: dict[str, Any] = {"max_wait_seconds": 0.0, "answered_within": [0] * len(STANDARD_THRESHOLDS)}


@dataclass(frozen=True, slots=True)
class _Rollup:
    time_zone: str
    first: datetime
    last: datetime
    terms: dict[str, Any] | None
    found: dict[datetime, dict[str, Any]]

    @property
    def variant(self) -> int | None:
        return int(self.terms["service_level"]["variant"]) if self.terms else None


async def _rollup(database: Database, tenant_id: str, start: date, end: date, granularity: Granularity) -> _Rollup:
    now = datetime.now(UTC)
    async with database.lean_transaction(tenant_id) as conn:
        time_zone = await directory.time_zone(conn)
        versions = await directory.contract_versions(conn)
        first, last = instant(start, time_zone), instant(end, time_zone)
        calls = await figures.buckets(conn, first, last, granularity=granularity, time_zone=time_zone)
        contacts = await figures.contacts(conn, first, last, granularity=granularity, time_zone=time_zone)
        concerns = await figures.concerns(conn, first, last, granularity=granularity, time_zone=time_zone, now=now)
    found: dict[datetime, dict[str, Any]] = {}
    for row in (*calls, *contacts, *concerns):
        found.setdefault(row["bucket"], dict(_EMPTY)).update(row.items())
    return _Rollup(time_zone, first, last, contract_in_force(versions, first), found)


async def tenant_kpis(
    database: Database, tenant_id: str, *, start: date, end: date, granularity: Granularity
) -> dict[str, Any]:
    """The figures of ``tenant_id`` from ``start`` to ``end`` (exclusive, local dates) per bucket and in all."""
    rollup = await _rollup(database, tenant_id, start, end, granularity)
    zone = ZoneInfo(rollup.time_zone)
    buckets = [
        call_figures(rollup.found.get(key, _EMPTY), begins, ends, variant=rollup.variant)
        for key, begins, ends in _buckets(rollup.first, rollup.last, granularity, zone)
    ]
    return {
        "tenant_id": tenant_id,
        "time_zone": rollup.time_zone,
        "from": start,
        "to": end,
        "granularity": granularity,
        "contract": judging(rollup.terms),
        "total": call_figures(summed(rollup.found.values()), rollup.first, rollup.last, variant=rollup.variant),
        "buckets": buckets,
    }


async def all_tenants_kpis(database: Database, *, start: date, end: date) -> dict[str, Any]:
    """Every tenant's figures of the period in all, and the sum over all (the host's staffing view)."""
    tenants: list[dict[str, Any]] = []
    every: list[dict[str, Any]] = []
    for tenant_id in await known_tenant_ids(database):
        rollup = await _rollup(database, tenant_id, start, end, "month")
        sums = summed(rollup.found.values())
        every.append(sums)
        total = call_figures(sums, rollup.first, rollup.last, variant=rollup.variant)
        tenants.append({"tenant_id": tenant_id, "contract": judging(rollup.terms), "total": total})
    first, last = instant(start, DEFAULT_TIME_ZONE), instant(end, DEFAULT_TIME_ZONE)
    return {
        "from": start,
        "to": end,
        "tenants": tenants,
        "total": call_figures(summed(every), first, last, variant=None),
    }


def judging(terms: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if terms is None:
        return None
    level = terms["service_level"]
    return {
        "version": terms["version"],
        "variant": level["variant"],
        "threshold_seconds": level["threshold_seconds"],
        "target_percent": level["target_percent"],
        "first_contact_resolution_target_percent": terms.get("first_contact_resolution_target_percent"),
    }


def call_figures(sums: Mapping[str, Any], start: datetime, end: datetime, *, variant: int | None) -> dict[str, Any]:
    """The figures of one bucket from its summed rollup."""
    handle_seconds = float(sums.get("talk_seconds") or 0) + float(sums.get("hold_seconds") or 0)
    handle_seconds += float(sums.get("after_call_work_seconds") or 0)
    counts = formulas.CallCounts(
        offered=int(sums.get("offered") or 0),
        answered=int(sums.get("answered") or 0),
        answered_within=int(sums.get("answered_within_threshold") or 0),
        abandoned=int(sums.get("abandoned") or 0),
        abandoned_within=int(sums.get("abandoned_within_threshold") or 0),
        short_abandons=int(sums.get("short_abandons") or 0),
        wait_seconds=float(sums.get("wait_seconds") or 0),
        handle_seconds=handle_seconds,
        handled=int(sums.get("handled") or 0),
    )
    levels = formulas.all_service_levels(counts)
    return {
        "start": start,
        "end": end,
        "offered": counts.offered,
        "answered": counts.answered,
        "abandoned": counts.abandoned,
        "answered_within_threshold": counts.answered_within,
        "abandoned_within_threshold": counts.abandoned_within,
        "short_abandons": counts.short_abandons,
        "answered_within": {
            str(seconds): int(count or 0)
            for seconds, count in zip(STANDARD_THRESHOLDS, sums["answered_within"], strict=True)
        },
        "handled": counts.handled,
        "handled_minutes": round(handle_seconds / 60, 2),
        "service_level": {str(number): level for number, level in levels.items()},
        "service_level_contract": levels[variant] if variant is not None else None,
        "average_speed_of_answer_seconds": formulas.average_speed_of_answer(counts),
        "average_handle_time_seconds": formulas.average_handle_time(counts),
        "abandonment_rate_percent": formulas.abandonment_rate(counts),
        "max_wait_seconds": float(sums.get("max_wait_seconds") or 0),
        **contact_figures(sums),
    }


def contact_figures(sums: Mapping[str, Any]) -> dict[str, Any]:
    """Contacts by outcome and forwarded concerns by deadline of one bucket, from its summed counts."""
    contacts = {outcome: int(sums.get(f"contacts_{outcome}") or 0) for outcome in figures.OUTCOMES}
    contacts["total"] = int(sums.get("contacts_total") or 0)
    due, in_time = int(sums.get("concerns_due") or 0), int(sums.get("concerns_answered_in_time") or 0)
    return {
        "contacts": contacts,
        "first_contact_resolution_percent": formulas.first_contact_resolution(contacts["solved"], contacts["total"]),
        "concerns_due": due,
        "concerns_answered_in_time": in_time,
        "concerns_answered_late": int(sums.get("concerns_answered_late") or 0),
        "concerns_overdue": int(sums.get("concerns_overdue") or 0),
        "deadline_compliance_percent": formulas.deadline_compliance(in_time, due),
    }


def summed(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Rows of sums (of calls, contacts, concerns) added up into one; the longest wait is the longest of all."""
    total: dict[str, Any] = {"max_wait_seconds": 0.0, "answered_within": [0] * len(STANDARD_THRESHOLDS)}
    for row in rows:
        for key, value in row.items():
            if key == "bucket" or value is None:
                continue
            if key == "answered_within":
                total[key] = [a + (b or 0) for a, b in zip(total[key], value, strict=True)]
            elif key == "max_wait_seconds":
                total[key] = max(total[key], float(value))
            else:
                total[key] = total.get(key, 0) + value
    return total


def _buckets(
    first: datetime, last: datetime, granularity: Granularity, zone: ZoneInfo
) -> Iterator[tuple[datetime, datetime, datetime]]:
    """Each bucket of ``first``–``last``: the key the query names it by, and its start and end, cut to the period."""
    if granularity == "interval":
        at = first
        while at < last:
            yield at.replace(tzinfo=None), at, min(at + timedelta(minutes=15), last)
            at += timedelta(minutes=15)
        return
    local = first.astimezone(zone).replace(tzinfo=None)
    day = local.date()
    begin = day - timedelta(days=day.weekday()) if granularity == "week" else day
    begin = begin.replace(day=1) if granularity == "month" else begin
    key = datetime.combine(begin, datetime.min.time())
    while True:
        starts = key.replace(tzinfo=zone).astimezone(UTC)
        if starts >= last:
            return
        ends = bucket_end(key, granularity).replace(tzinfo=zone).astimezone(UTC)
        yield key, max(starts, first), min(ends, last)
        key = bucket_end(key, granularity)
