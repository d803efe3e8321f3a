"""Agents' feedback on a description, kept per tenant, until an editor resolves it with a note."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Text, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from knowledge.models import Base


class DescriptionFeedback(Base):
    """One agent's word on a shared or the tenant's own description."""

    __tablename__ = "description_feedback"

    tenant_id: Mapped[str] = mapped_column(Text, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    description_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    given_by: Mapped[str] = mapped_column(Text)
    given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(Text)
    resolution_note: Mapped[str | None] = mapped_column(Text)
