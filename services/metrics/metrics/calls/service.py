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
from metrics.calls.merge import CallState, Change, apply, changes
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
    for index, event in enumerate(events):
        tenant = routes.tenants_by_line.get(event.address)
        if event.event_id in seen:
            tally.duplicates += 1
        elif event.at > now + CLOCK_SKEW:
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
        async with database.lean_transaction(tenant) as conn:
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
    """Merge one tenant's events into their calls, keep them and count their intervals anew."""
    await repository.lock_calls(conn)
    known = await repository.known_event_ids(conn, [event.event_id for _, event in indexed])
    fresh = [(index, event) for index, event in indexed if event.event_id not in known]
    tally.duplicates += len(indexed) - len(fresh)
    states = await repository.calls(conn, {event.call_id for _, event in fresh})
    before = {call_id: replace(state) for call_id, state in states.items()}
    accepted: list[CallEvent] = []
    changed: dict[str, CallState] = {}
    # Steps in their order (offered, then answered or abandoned, then ended) whatever their times: what is
    # refused does not depend on whether the events came in one batch or several.
    for index, event in sorted(fresh, key=lambda item: (_ORDER[item[1].type], item[1].at)):
        state = states.setdefault(event.call_id, CallState(call_id=event.call_id, line=event.address))
        reason = apply(state, event)
        if reason is not None:
            tally.refuse(index, event, reason)
            continue
        accepted.append(event)
        changed[state.call_id] = state
    if not accepted:
        return
    counted: list[Change] = []
    for call_id, state in changed.items():
        counted += changes(before.get(call_id), state)
    await repository.write(conn, accepted, list(changed.values()), counted)
    tally.accepted += len(accepted)


def judged_by(
    start: datetime, versions: Sequence[tuple[int, datetime, dict[str, Any]]]
) -> tuple[datetime, int | None, int, int]:
    """An interval with the contract version in force at its start and that version's thresholds."""
    terms = contract_in_force(versions, start)
    if terms is None:
        return start, None, repository.DEFAULT_THRESHOLD_SECONDS, 0
    level = terms["service_level"]
    return start, terms["version"], int(level["threshold_seconds"]), int(level.get("short_abandon_seconds", 0))
