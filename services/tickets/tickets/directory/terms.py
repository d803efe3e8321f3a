"""The contract terms in force for the connection's tenant, as a business calendar and a deadline rule.

Read from the local copies (contract versions and the tenant's time zone and state), so forwarding never
asks the tenants service. Building a calendar costs far more than reading the row, so built terms are kept
per process, keyed by what they are built from.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import asyncpg

import businesstime
from kit.db.database import TenantConnection
from tickets.directory import repository
from tickets.events.consumed import BusinessHoursDeadlineV1, ContractTermsV1

# Onboarding tenants are prepared for, trial and active ones served; suspended or terminated ones are not.
SERVED_STATUSES = frozenset({"onboarding", "trial", "active"})
CACHE_SIZE = 1024


@dataclass(frozen=True, slots=True)
class TermsInForce:
    """What a forwarding needs of the contract version in force: its number, calendar, rule and retention."""

    contract_version: int
    calendar: businesstime.BusinessCalendar
    rule: businesstime.DeadlineRule
    rule_label: str
    retention_days: int


_Key = tuple[str, int, str, str | None]


class _BuiltTerms:
    """A bounded least-recently-used map of built terms, each with the stored terms it was built from."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[_Key, tuple[str, TermsInForce]] = OrderedDict()

    def get(self, key: _Key, source: str) -> TermsInForce | None:
        entry = self._entries.get(key)
        # Versions never change, but a tenant of the same name in another database may have other terms.
        if entry is None or entry[0] != source:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: _Key, source: str, terms: TermsInForce) -> None:
        self._entries[key] = (source, terms)
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)


_built = _BuiltTerms(CACHE_SIZE)


@dataclass(frozen=True, slots=True)
class ForwardingContext:
    """What recording a contact needs: whether the tenant is served, the department meant, the terms in force."""

    served: bool
    department_id: uuid.UUID | None
    terms: TermsInForce | None


async def forwarding_context(
    conn: TenantConnection, at: datetime, *, department_id: uuid.UUID | None, leika_key: str | None
) -> ForwardingContext:
    """The context in one query: the terms in force at ``at``; the tenant's status and department as they are now.

    The department is ``department_id`` if it is the tenant's, else the one responsible for ``leika_key``.
    """
    row = await repository.forwarding_facts(conn, at=at, department_id=department_id, leika_key=leika_key)
    if row is None:
        return ForwardingContext(served=False, department_id=None, terms=None)
    return ForwardingContext(
        served=row["status"] in SERVED_STATUSES,
        department_id=row["department_id"],
        terms=_terms(conn.tenant_id, row) if row["version"] is not None else None,
    )


async def terms_in_force(conn: TenantConnection, at: datetime) -> TermsInForce | None:
    """Return the terms of the contract version in force at ``at``; None if there is none or the tenant is unknown."""
    row = await repository.contract_in_force(conn, at=at)
    return _terms(conn.tenant_id, row) if row is not None else None


def _terms(tenant_id: str, row: asyncpg.Record) -> TermsInForce:
    """The built terms of ``row`` (version, terms, time_zone, state), from the cache if built before."""
    key: _Key = (tenant_id, row["version"], row["time_zone"], row["state"])
    source = row["terms"]
    terms = _built.get(key, source)
    if terms is None:
        terms = _build(source, contract_version=key[1], time_zone=key[2], state=key[3])
        _built.put(key, source, terms)
    return terms


def _build(source: str, *, contract_version: int, time_zone: str, state: str | None) -> TermsInForce:
    """The calendar and rule of stored contract terms (their JSON text)."""
    terms = ContractTermsV1.model_validate_json(source)
    reachability = terms.reachability
    schedule = businesstime.WeeklySchedule.parse(
        {
            day: [(window.start, window.end) for window in sorted(getattr(reachability, day), key=lambda w: w.start)]
            for day in businesstime.WEEKDAYS
        }
    )
    closures = tuple((period.first, period.last) for period in terms.closure_days)
    calendar = businesstime.BusinessCalendar(schedule, time_zone=time_zone, state=state, closures=closures)
    deadline = terms.forwarding_deadline
    rule: businesstime.DeadlineRule
    if isinstance(deadline, BusinessHoursDeadlineV1):
        rule, label = businesstime.BusinessHours(deadline.hours), f"business_hours:{deadline.hours}"
    else:
        rule, label = businesstime.NextWorkingDayEnd(), "next_working_day_end"
    return TermsInForce(
        contract_version=contract_version,
        calendar=calendar,
        rule=rule,
        rule_label=label,
        retention_days=terms.personal_data_retention_days,
    )
