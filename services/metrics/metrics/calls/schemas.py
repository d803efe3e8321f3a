"""Call events as the telephony system reports them, and what ingest made of a batch."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cached_property, lru_cache
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

CallEventType = Literal["offered", "answered", "ended", "abandoned"]
MAX_BATCH = 5000
# Telephony systems write numbers with spaces, dashes, slashes and brackets; lines are kept without them.
_PUNCTUATION = str.maketrans("", "", " -/().")
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=4096)
def normalized_line(address: str) -> str:
    """A dialled number as the tenants service keeps it (E.164: no punctuation, 00 → +); a queue id as it is."""
    number = address.translate(_PUNCTUATION)
    if number.startswith("00") and number[2:].isdigit():
        return "+" + number[2:]
    return number if number.startswith("+") else address.strip()


class CallEvent(BaseModel):
    """One step of one call: offered to the queue, answered by an agent, ended (with its times), or abandoned."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str = Field(min_length=1, max_length=200, description="Unique per event; a repeat is a duplicate")
    call_id: str = Field(min_length=1, max_length=200)
    type: CallEventType
    at: AwareDatetime
    line: str = Field(min_length=1, max_length=64, description="The dialled number (E.164) or the queue id")
    agent: str | None = Field(
        default=None, min_length=1, max_length=200, validate_default=True, description="Who answered (answered)"
    )
    talk_seconds: int | None = Field(
        default=None, ge=0, le=86_400, validate_default=True, description="ended: time talking"
    )
    hold_seconds: int | None = Field(default=None, ge=0, le=86_400, description="ended: time on hold")
    after_call_work_seconds: int | None = Field(default=None, ge=0, le=86_400, description="ended: wrap-up time")

    @field_validator("at")
    @classmethod
    def _not_before_2000(cls, at: datetime) -> datetime:
        if at < _EARLIEST:
            raise ValueError("at lies before 2000")
        return at

    @field_validator("agent")
    @classmethod
    def _agent_of_an_answer(cls, agent: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("type") == "answered" and agent is None:
            raise ValueError("an answered event names its agent")
        return agent

    @field_validator("talk_seconds", "hold_seconds", "after_call_work_seconds")
    @classmethod
    def _durations_of_an_end(cls, seconds: int | None, info: ValidationInfo) -> int | None:
        ended = info.data.get("type") == "ended"
        if ended and seconds is None and info.field_name == "talk_seconds":
            raise ValueError("an ended event carries talk_seconds")
        if not ended and seconds is not None:
            raise ValueError("only an ended event carries talk, hold and after-call work seconds")
        return seconds

    @cached_property
    def address(self) -> str:
        """The line as the tenants service keeps it (``line`` stays as the telephony sent it)."""
        return normalized_line(self.line)


class CallEventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[CallEvent] = Field(min_length=1, max_length=MAX_BATCH)


class Refusal(BaseModel):
    """An event not taken, and why."""

    index: int = Field(description="Its position in the batch")
    event_id: str
    reason: str


class IngestReport(BaseModel):
    """What became of each event of a batch: counted, a repeat, held in quarantine, or refused with a reason."""

    received: int
    accepted: int
    duplicates: int
    quarantined: int
    refused: list[Refusal]


class HeldEvent(BaseModel):
    id: int
    line: str
    event: CallEvent
    reason: str
    received_at: datetime
    released_at: datetime | None
    released_to: str | None


class QuarantineList(BaseModel):
    items: list[HeldEvent]
    next_after: int | None = Field(description="Pass as `after` for the next page; none when this was the last")
