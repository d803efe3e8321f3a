"""The calls demo: the last hours of the service center's telephony on the host's, Artland's and Rheine's queues.

The host's telephony reports its calls as call events (offered, answered, ended, or abandoned), the same
for the same day, so a second start adds only repeats, which count once. The metrics service learns the
demo's lines from the tenants events shortly after the demo made them: events that arrive before go to
the quarantine, and the demo releases them once their lines are known, as an operator would.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from devstack.demo_knowledge import Gateway, KnowledgeRefused

CALL_EVENTS = "/v1/telephony/call-events"
RELEASE = "/v1/telephony/quarantine/release"
# Calls in the last three hours per queue: the host's own 115 line is the busiest, Rheine's 115 calls the fewest.
CALLS_PER_LINE = {"oldenburg-115": 90, "artland-central": 45, "rheine-115": 30}


class CallsRefused(RuntimeError):
    """The gateway refused a piece of the calls demo."""


def _event(call: str, line: str, kind: str, at: datetime, **extra: Any) -> dict[str, Any]:
    return {"event_id": f"{call}-{kind}", "call_id": call, "type": kind, "at": at.isoformat(), "line": line} | extra


def call_events(now: datetime) -> list[dict[str, Any]]:
    """The demo's calls of the three hours before ``now``: most answered within seconds, some abandoned."""
    rng = random.Random(now.date().isoformat())
    events: list[dict[str, Any]] = []
    for line, count in CALLS_PER_LINE.items():
        for number in range(count):
            call = f"demo-{now.date().isoformat()}-{line}-{number}"
            offered = now - timedelta(seconds=rng.uniform(600, 3 * 3600))

            wait = rng.expovariate(1 / 14)
            events.append(_event(call, line, "offered", offered))
            if rng.random() < 0.07:
                events.append(_event(call, line, "abandoned", offered + timedelta(seconds=rng.uniform(5, 60))))
                continue
            answered = offered + timedelta(seconds=wait)
            talk, hold, wrap_up = int(rng.gauss(190, 60)) + 30, rng.choice((0, 0, 0, 40)), rng.randrange(20, 90)
            events.append(_event(call, line, "answered", answered, agent=f"agent-{rng.randrange(1, 9):02d}"))
            ended = answered + timedelta(seconds=talk + hold)
            wrap = {"talk_seconds": talk, "hold_seconds": hold, "after_call_work_seconds": wrap_up}
            events.append(_event(call, line, "ended", ended, **wrap))
    return events


def load_calls(gateway: Gateway, *, now: datetime | None = None, patience: float = 15.0) -> list[str]:
    """Report the demo's calls; release those held until their lines were known. E.g. ``["calls 135 (…)"]``."""
    events = call_events(now or datetime.now(UTC))
    try:
        report = gateway.send("POST", CALL_EVENTS, payload={"events": events}).body
        accepted, held = report["accepted"], report["quarantined"]
        deadline = time.monotonic() + patience
        while held and time.monotonic() < deadline:
            time.sleep(0.3)
            released = gateway.send("POST", RELEASE).body["accepted"]
            accepted, held = accepted + released, held - released
    except KnowledgeRefused as refused:
        raise CallsRefused(str(refused)) from refused
    if held:
        raise CallsRefused(f"{held} call events are still in the quarantine: the metrics service has not the lines")
    if not accepted:
        return []
    return [f"call events {accepted} on {len(CALLS_PER_LINE)} queues"]
