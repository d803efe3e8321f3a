"""A call's state from its events, in whatever order they come; what cannot have happened is refused.

Each call has at most one event of each type. Its interval is the quarter hour it was offered in (UTC
quarter hours are local ones too in every time zone with whole or half-hour offsets).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from metrics.calls.schemas import CallEvent

INTERVAL = timedelta(minutes=15)


def interval_of(at: datetime) -> datetime:
    """The start of the 15-minute interval ``at`` lies in."""
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


@dataclass(slots=True)
class CallState:
    call_id: str
    line: str
    offered_at: datetime | None = None
    answered_at: datetime | None = None
    agent: str | None = None
    abandoned_at: datetime | None = None
    ended_at: datetime | None = None
    talk_seconds: int | None = None
    hold_seconds: int | None = None
    after_call_work_seconds: int | None = None

    @property
    def interval_start(self) -> datetime | None:
        return interval_of(self.offered_at) if self.offered_at is not None else None

    @property
    def wait_seconds(self) -> float | None:
        """How long the caller waited in the queue: until answered, or until hanging up."""
        left = self.answered_at or self.abandoned_at
        if self.offered_at is None or left is None:
            return None
        return (left - self.offered_at).total_seconds()


def apply(state: CallState, event: CallEvent) -> str | None:
    """Apply ``event`` to ``state``; or the reason it cannot be so (``state`` then stays as it was)."""
    reason = _refusal(state, event)
    if reason is not None:
        return reason
    if event.type == "offered":
        state.offered_at = event.at
    elif event.type == "answered":
        state.answered_at, state.agent = event.at, event.agent
    elif event.type == "abandoned":
        state.abandoned_at = event.at
    else:
        state.ended_at = event.at
        state.talk_seconds = event.talk_seconds
        state.hold_seconds = event.hold_seconds or 0
        state.after_call_work_seconds = event.after_call_work_seconds or 0
    return None


_AT = {"offered": "offered_at", "answered": "answered_at", "abandoned": "abandoned_at", "ended": "ended_at"}


def _refusal(state: CallState, event: CallEvent) -> str | None:
    at = event.at
    if getattr(state, _AT[event.type]) is not None:
        return f"the call already has an {event.type} event"
    if event.type == "answered" and state.abandoned_at is not None:
        return "the call was abandoned, it cannot be answered"
    if event.type == "abandoned" and state.answered_at is not None:
        return "the call was answered, it cannot be abandoned"
    if event.type == "offered":
        later = [(name, value) for name, value in _after_offer(state) if value < at]
        if later:
            return f"offered after it was {later[0][0]}"
        return None
    if state.offered_at is not None and at < state.offered_at:
        return f"{event.type} before it was offered"
    if event.type == "answered" and state.ended_at is not None and state.ended_at < at:
        return "answered after it ended"
    if event.type == "ended" and state.answered_at is not None and at < state.answered_at:
        return "ended before it was answered"
    return None


def _after_offer(state: CallState) -> list[tuple[str, datetime]]:
    steps = (("answered", state.answered_at), ("abandoned", state.abandoned_at), ("ended", state.ended_at))
    return [(name, value) for name, value in steps if value is not None]
