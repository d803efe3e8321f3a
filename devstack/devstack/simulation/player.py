"""Play a planned day against the running stack, through the gateway, as the telephony and the people would.

In the order the day went: the telephony's call events of each hour (the operator's key, big batches), and for
each answered call its agent's knowledge search and the contact, with the top hit's description and an
``Idempotency-Key`` (the call's id); a forwarded concern is then claimed and answered by the municipality's
back office at the instants the plan gives relative to the due time the server answered. Each agent of the pool
acts under a demo token of their own where the gateway issues them (development), else all share the host's
agent key; either acts for the partners through their grants. Own tokens give each agent the gateway's
per-caller budget, as at a real desk; all of them still share the host's budget as a tenant.

A day played again changes nothing: repeated call events count once, a contact's ``Idempotency-Key`` returns it
as first recorded, and what the back office did with its ticket is read instead of done again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from devstack.demo import HOST_TENANT
from devstack.simulation.client import Client, Credential, Refused, session
from devstack.simulation.plan import TIME_ZONE, BackOfficeKind, DayPlan, PlannedCall, PlannedContact

CALL_EVENTS = "/v1/telephony/call-events"
MAX_BATCH = 5000
# Instants this close to now (or later) are not sent: the tickets service refuses answers from the future.
CLOCK_SKEW = timedelta(seconds=5)


@dataclass
class TicketPlayed:
    """A forwarded concern as it went: the due time the server set and when the back office claimed and answered."""

    call_id: str
    tenant_id: str
    ticket_id: str
    planned: BackOfficeKind
    forwarded_at: datetime
    due_at: datetime | None
    claimed_at: datetime | None = None
    answered_at: datetime | None = None


@dataclass
class Played:
    """What playing the day did: contacts and tickets by call id, requests sent, time taken, what failed."""

    day: date
    tenants: tuple[str, ...]
    contacts: dict[str, str] = field(default_factory=dict)
    tickets: dict[str, TicketPlayed] = field(default_factory=dict)
    searches: int = 0
    searches_with_hit: int = 0
    call_events_accepted: int = 0
    call_events_repeated: int = 0
    requests: int = 0
    attempts: int = 0
    retries: int = 0
    throttled: int = 0
    agent_tokens: bool = False
    wall_seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    postponed: list[str] = field(default_factory=list)

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.wall_seconds if self.wall_seconds > 0 else 0.0


def _event(call: PlannedCall, kind: str, at: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"{call.call_id}-{kind}",
        "call_id": call.call_id,
        "type": kind,
        "at": at.isoformat(),
        "line": call.line,
    } | extra


def call_events(call: PlannedCall) -> list[dict[str, Any]]:
    """The telephony's events of one call: offered, then answered and ended, or abandoned."""
    events = [_event(call, "offered", call.offered_at)]
    if call.answered_at is not None and call.ended_at is not None:
        events.append(_event(call, "answered", call.answered_at, agent=call.agent))
        times = {
            "talk_seconds": call.talk_seconds,
            "hold_seconds": call.hold_seconds,
            "after_call_work_seconds": call.after_call_work_seconds,
        }
        events.append(_event(call, "ended", call.ended_at, **times))
    elif call.abandoned_at is not None:
        events.append(_event(call, "abandoned", call.abandoned_at))
    return events


def _hour(at: datetime) -> datetime:
    return at.astimezone(TIME_ZONE).replace(minute=0, second=0, microsecond=0)


def event_batches(plan: DayPlan) -> list[tuple[datetime, list[dict[str, Any]]]]:
    """The day's call events by the local hour the calls were offered in, in batches of at most 5,000 events."""
    hours: dict[datetime, list[dict[str, Any]]] = {}
    for call in plan.calls:
        hours.setdefault(_hour(call.offered_at), []).extend(call_events(call))
    return [
        (hour, events[start : start + MAX_BATCH])
        for hour, events in sorted(hours.items())
        for start in range(0, len(events), MAX_BATCH)
    ]


def contact_body(
    contact: PlannedContact, *, description_id: str | None, leika_key: str | None, department_id: str | None
) -> dict[str, Any]:
    """What the agent records for a planned contact, naming the description the search found first."""
    body: dict[str, Any] = {
        "channel": "phone",
        "started_at": contact.started_at.isoformat(),
        "ended_at": contact.ended_at.isoformat(),
        "agent": contact.agent,
        "description_ids": [description_id] if description_id else [],
        "summary": contact.query,
        "outcome": contact.outcome,
    }
    if leika_key:
        body["leika_key"] = leika_key
    if contact.referred_to is not None:
        body["referred_to"] = contact.referred_to
    if contact.forwarded:
        forward: dict[str, Any] = {"priority": contact.priority}
        if department_id is not None:
            forward["department_id"] = department_id
        if contact.reply_by is not None:
            forward["reply_by"] = contact.reply_by
        body["forward"] = forward
        body["caller"] = {"name": contact.caller_name, "phone": contact.caller_phone}
    return body


def back_office_instants(
    contact: PlannedContact, *, forwarded_at: datetime, due_at: datetime
) -> tuple[datetime | None, datetime | None]:
    """When the back office claims and answers the concern (None: not at all), by the plan and the due time."""
    step = contact.back_office
    if step is None:
        return None, None
    if step.kind == "open":
        return (_second(forwarded_at + step.claim_after) if step.claimed else None), None
    if step.kind == "in_time":
        answered = forwarded_at + (due_at - forwarded_at) * step.answer_share
    else:
        answered = due_at + step.late_by
    claimed = forwarded_at + (answered - forwarded_at) * step.claim_share
    return _second(claimed), _second(answered)


def _second(at: datetime) -> datetime:
    return at.replace(microsecond=0)


def _parse(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


@dataclass
class _Day:
    """The state of one playing: the client, who acts, and what has been played so far."""

    client: Client
    operator: Credential
    agents: dict[str, Credential]
    back_office: dict[str, Credential]
    departments: dict[str, str | None]
    played: Played
    total: int
    on_halfway: Callable[[], Awaitable[None]] | None
    on_progress: Callable[[int, int], None] | None
    halfway: asyncio.Future[None] | None = None
    done: int = 0
    baseline: int = 0

    def progressed(self) -> None:
        self.done = self.client.counts.requests - self.baseline
        if self.on_progress is not None:
            self.on_progress(self.done, self.total)
        if self.on_halfway is not None and self.halfway is None and self.done * 2 >= self.total:
            self.halfway = asyncio.ensure_future(self.on_halfway())

    async def events(self, events: list[dict[str, Any]]) -> None:
        answer = await self.client.send(self.operator, "POST", CALL_EVENTS, payload={"events": events})
        report = answer.body
        self.played.call_events_accepted += int(report.get("accepted", 0))
        self.played.call_events_repeated += int(report.get("duplicates", 0))
        if report.get("quarantined"):
            self.played.failures.append(f"{report['quarantined']} call events quarantined: a line is not known")
        for refusal in report.get("refused", [])[:5]:
            self.played.failures.append(f"call event {refusal['event_id']} refused: {refusal['reason']}")

    async def call(self, call: PlannedCall) -> None:
        contact = call.contact
        assert contact is not None
        agent = self.agents[contact.agent]
        tenant = contact.tenant_id
        hit: dict[str, Any] | None = None
        try:
            found = await self.client.send(
                agent, "GET", f"/v1/tenants/{tenant}/knowledge/search?q={quote(contact.query)}&limit=5"
            )
            items = found.body.get("items", []) if isinstance(found.body, dict) else []
            hit = items[0] if items else None
            self.played.searches += 1
            self.played.searches_with_hit += hit is not None
        except Refused as refused:
            self.played.failures.append(str(refused))
        self.progressed()
        body = contact_body(
            contact,
            description_id=hit["id"] if hit else None,
            leika_key=contact.leika_key or (hit.get("leika_key") if hit else None),
            department_id=self.departments.get(tenant),
        )
        recorded = await self.client.send(
            agent,
            "POST",
            f"/v1/tenants/{tenant}/contacts",
            payload=body,
            headers={"Idempotency-Key": contact.key},
            accept=(200, 201),
        )
        self.played.contacts[contact.key] = recorded.body["id"]
        self.progressed()
        ticket = recorded.body.get("ticket")
        if contact.forwarded and ticket:
            await self.back_office_part(contact, ticket)

    async def back_office_part(self, contact: PlannedContact, ticket: Mapping[str, Any]) -> None:
        tenant = contact.tenant_id
        step = contact.back_office
        assert step is not None
        # The tickets service forwards a concern when the caller was told: at the contact's end, if past.
        forwarded_at = min(contact.ended_at, datetime.now(UTC))
        due_at = _parse(ticket.get("due_at"))
        played = TicketPlayed(contact.key, tenant, str(ticket["id"]), step.kind, forwarded_at, due_at)
        self.played.tickets[contact.key] = played
        if due_at is None:
            self.played.failures.append(f"ticket of {contact.key} has no due time")
            return
        claimed, answered = back_office_instants(contact, forwarded_at=forwarded_at, due_at=due_at)
        clerk = self.back_office[tenant]
        path = f"/v1/tenants/{tenant}/tickets/{ticket['id']}"
        if ticket.get("status") != "forwarded":
            # The contact was recorded before (a day played again): the back office did its part then, or some.
            current = (await self.client.send(clerk, "GET", path)).body
            played.claimed_at, played.answered_at = _parse(current["claimed_at"]), _parse(current["answered_at"])
            self.progressed()
            if played.answered_at is not None or current["status"] not in ("forwarded", "in_progress", "waiting"):
                return
            claimed = None if played.claimed_at is not None else claimed
        latest = datetime.now(UTC) - CLOCK_SKEW
        if claimed is not None:
            if claimed > latest:
                self.played.postponed.append(f"{contact.key}: claim at {claimed.isoformat()}")
                return
            done = await self.client.send(
                clerk, "POST", f"{path}/claim", payload={"claimed_at": claimed.isoformat()}, done_when_retried=(409,)
            )
            landed = _parse(done.body.get("claimed_at")) if isinstance(done.body, dict) else None
            played.claimed_at = landed or claimed
            self.progressed()
        if answered is not None:
            if answered > latest:
                self.played.postponed.append(f"{contact.key}: answer at {answered.isoformat()}")
                return
            channel = contact.reply_by or step.channel
            payload = {"channel": channel, "text": "Auskunft erteilt.", "answered_at": answered.isoformat()}
            done = await self.client.send(clerk, "POST", f"{path}/answer", payload=payload, done_when_retried=(409,))
            landed = _parse(done.body.get("answered_at")) if isinstance(done.body, dict) else None
            played.answered_at = landed or answered
            self.progressed()


def planned_requests(plan: DayPlan) -> int:
    """The requests playing the day takes: event batches, a search and a contact per answer, claims and answers."""
    total = len(event_batches(plan))
    for contact in plan.contacts:
        total += 2
        step = contact.back_office
        if step is not None:
            total += 1 if step.kind == "open" and step.claimed else 0 if step.kind == "open" else 2
    return total


async def _agent_credentials(
    client: Client, plan: DayPlan, api_keys: Mapping[str, str]
) -> tuple[dict[str, Credential], bool]:
    """A credential per agent of the pool: a demo token each if the gateway issues them, else the host's agent key."""
    names = sorted({call.agent for call in plan.calls if call.agent is not None})
    shared = Credential(f"{HOST_TENANT}-agent", api_keys[f"{HOST_TENANT}-agent"], HOST_TENANT)

    def minter(name: str) -> Callable[[], Awaitable[str]]:
        async def mint() -> str:
            request = {"subject": f"demo-{name}", "tenant": HOST_TENANT, "roles": ["agent"]}
            answer = await client.send(None, "POST", "/auth/demo/token", payload=request, accept=(200,))
            return str(answer.body["access_token"])

        return mint

    credentials: dict[str, Credential] = {}
    for name in names:
        mint = minter(name)
        try:
            token = await mint()
        except Refused:
            return dict.fromkeys(names, shared), False
        credentials[name] = Credential(name, token, HOST_TENANT, refresh=mint)
    return credentials, True


async def _departments(client: Client, operator: Credential, tenants: tuple[str, ...]) -> dict[str, str | None]:
    """Each municipality's first department: where its forwarded concerns go."""
    found: dict[str, str | None] = {}
    for tenant in tenants:
        answer = await client.send(operator, "GET", f"/v1/tenants/{tenant}/departments")
        items = answer.body.get("items", []) if isinstance(answer.body, dict) else []
        found[tenant] = str(items[0]["id"]) if items else None
    return found


def _jobs(plan: DayPlan) -> Iterator[tuple[datetime, int, list[dict[str, Any]] | PlannedCall]]:
    for hour, events in event_batches(plan):
        yield hour, 0, events
    for call in plan.calls:
        if call.contact is not None and call.answered_at is not None:
            yield call.answered_at, 1, call


async def play(
    plan: DayPlan,
    gateway_url: str,
    api_keys: Mapping[str, str],
    *,
    concurrency: int = 16,
    on_halfway: Callable[[], Awaitable[None]] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Played:
    """Play ``plan`` against the gateway at ``gateway_url`` with the demo's keys (by client name).

    Needs the keys ``operator``, ``oldenburg-agent`` and ``<tenant>-back-office`` of each municipality.
    ``on_halfway`` is started as a task once half the day's requests are done; play waits for it before it
    returns. A request refused for good is noted in ``Played.failures`` and the day goes on.
    """
    started = time.monotonic()
    tenants = tuple(m.tenant_id for m in plan.municipalities)
    played = Played(day=plan.day, tenants=tenants)
    async with session(concurrency) as http:
        client = Client(http, gateway_url.rstrip("/"))
        operator = Credential("operator", api_keys["operator"], None)
        agents, played.agent_tokens = await _agent_credentials(client, plan, api_keys)
        back_office = {t: Credential(f"{t}-back-office", api_keys[f"{t}-back-office"], t) for t in tenants}
        departments = await _departments(client, operator, tenants)
        day = _Day(
            client=client,
            operator=operator,
            agents=agents,
            back_office=back_office,
            departments=departments,
            played=played,
            total=planned_requests(plan),
            on_halfway=on_halfway,
            on_progress=on_progress,
            baseline=client.counts.requests,
        )
        queue: asyncio.Queue[list[dict[str, Any]] | PlannedCall] = asyncio.Queue()
        for _, _, job in sorted(_jobs(plan), key=lambda item: (item[0], item[1])):
            queue.put_nowait(job)

        async def worker() -> None:
            while not queue.empty():
                job = queue.get_nowait()
                try:
                    if isinstance(job, list):
                        await day.events(job)
                    else:
                        await day.call(job)
                except Refused as refused:
                    played.failures.append(str(refused))
                day.progressed()

        async with asyncio.TaskGroup() as group:
            for _ in range(max(1, concurrency)):
                group.create_task(worker())
        if day.halfway is not None:
            await day.halfway
        counts = client.counts
        played.requests, played.attempts = counts.requests, counts.attempts
        played.retries, played.throttled = counts.retries, counts.throttled
    played.wall_seconds = time.monotonic() - started
    return played
