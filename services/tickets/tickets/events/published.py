"""The events the tickets service publishes; it owns their contract (the data models below)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

CONTACT_RECORDED = "tickets.contact.recorded.v1"

Channel = Literal["phone", "email", "chat", "walk_in", "web"]
# solved: at first contact; forwarded: to the back office as a ticket; callback: a call back promised;
# referred: not the municipality's concern, the caller was sent elsewhere.
Outcome = Literal["solved", "forwarded", "callback", "referred"]


class ContactRecordedV1(BaseModel):
    """``tickets.contact.recorded.v1``: a contact with a caller ended; what it was about and how."""

    id: uuid.UUID
    channel: Channel
    outcome: Outcome
    description_ids: list[uuid.UUID]
    leika_key: str | None
    started_at: datetime
    ended_at: datetime


PUBLISHED: dict[str, type[BaseModel]] = {CONTACT_RECORDED: ContactRecordedV1}
