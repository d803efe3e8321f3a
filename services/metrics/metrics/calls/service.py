"""Ingest of call events: each routed to its municipality by line, merged into its call, rolled up per interval.

Per tenant, one transaction takes the batch's events: repeats are noted, impossible steps refused with a
reason, the rest kept with the calls' new states and their intervals counted anew (a late event corrects
its interval). Events for lines nobody knows wait in the quarantine; nothing is guessed.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from kit.db.database import Database, TenantConnection
from metrics.calls import repository
from metrics.calls.merge import CallState, apply
from metrics.calls.schemas import CallEvent, IngestReport, Refusal
from metrics.directory.service import contract_in_force
from metrics.routing import find_routes

CLOCK_SKEW = timedelta(minutes=5)
_ORDER = {"offered": 0, "answered": 1, "abandoned": 1, "ended": 2}


@dataclass(slots=True)
class _Tally:
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    refused: list[Refusal] = field(default_factory=list)

    def refuse(self, index: int, event: CallEvent, reason: str) -> None:
        self.refused.append(Refusal(index=index, event_id=event.event_id, reason=reason))


async def ingest(database: Database, events: Sequence[CallEvent], *, reporter_tenant: str | None) -> IngestReport:
    """Take a batch from the telephony; ``reporter_tenant`` is the reporting client's (None: an operator)."""
    now = datetime.now(UTC)
    tally = _Tally()
    routes = await find_routes(database, (event.address for event in events), reporter_tenant=reporter_tenant, at=now)
    by_tenant: dict[str, list[tuple[int, CallEvent]]] = defaultdict(list)
    held: list[tuple[CallEvent, str]] = []
    seen: set[str] = set()
    latest = now + CLOCK_SKEW
    for index, event in enumerate(events):
        tenant = routes.tenants_by_line.get(event.address)
        if event.event_id in seen:
            tally.duplicates += 1
        elif event.at > latest:
            tally.refuse(index, event, "at lies in the future")
        elif tenant is None:
            held.append((event, f"no municipality has the line {event.address}"))
        elif routes.served is not None and tenant not in routes.served:
            tally.refuse(index, event, f"the line {event.address} is not of a municipality this client reports for")
        else:
            by_tenant[tenant].append((index, event))
        seen.add(event.event_id)
    # In random order: batches that arrive together do not queue behind each other tenant by tenant.
    for tenant, indexed in random.sample(sorted(by_tenant.items()), len(by_tenant)):
        async with database.lean_transaction(tenant, first=repository.LOCK) as conn:
            await _take(conn, indexed, tally)
    if held:
        tally.quarantined = await repository.quarantine(database, held)
        tally.duplicates += len(held) - tally.quarantined
    return IngestReport(
        received=len(events),
        accepted=tally.accepted,
        duplicates=tally.duplicates,
        quarantined=tally.quarantined,
        refused=sorted(tally.refused, key=lambda refusal: refusal.index),
    )


async def _take(conn: TenantConnection, indexed: list[tuple[int, CallEvent]], tally: _Tally) -> None:
    """Merge one tenant's events into their calls, keep them and count their intervals anew (calls locked)."""
    kept, stored = await repository.kept_and_calls(
        conn, [event.event_id for _, event in indexed], {event.call_id for _, event in indexed}
    )
    steps: dict[str, list[tuple[int, CallEvent]]] = defaultdict(list)
    for index, event in indexed:
        if event.event_id in kept:
            tally.duplicates += 1
        else:
            steps[event.call_id].append((index, event))
    accepted: list[CallEvent] = []
    changed: list[CallState] = []
    counted_out: list[CallState] = []
    for call_id, unordered in steps.items():
        # Its steps in their order (offered, then answered or abandoned, then ended) whatever their times: what
        # is refused does not depend on whether the events came in one batch or several.
        ordered = sorted(unordered, key=_step_order)
        before = stored.get(call_id)
        state = replace(before) if before is not None else CallState(call_id=call_id, line=ordered[0][1].address)
        taken = len(accepted)
        for index, event in ordered:
            reason = apply(state, event)
            if reason is None:
                accepted.append(event)
            else:
                tally.refuse(index, event, reason)
        if len(accepted) > taken:
            # The call's new contribution into its interval, its old one (if it had one) out.
            changed.append(state)
            if before is not None and before.interval_start is not None:
                counted_out.append(before)
    if accepted:
        await repository.write(conn, accepted, changed, counted_out)
        tally.accepted += len(accepted)


def _step_order(step: tuple[int, CallEvent]) -> tuple[int, datetime]:
    return _ORDER[step[1].type], step[1].at


def judged_by(
    start: datetime, versions: Sequence[tuple[int, datetime, dict[str, Any]]]
) -> tuple[datetime, int | None, int, int]:
    """An interval with the contract version in force at its start and that version's thresholds."""
    terms = contract_in_force(versions, start)
    if terms is None:
        return start, None, repository.DEFAULT_THRESHOLD_SECONDS, 0
    level = terms["service_level"]
    return start, terms["version"], int(level["threshold_seconds"]), int(level.get("short_abandon_seconds", 0))
