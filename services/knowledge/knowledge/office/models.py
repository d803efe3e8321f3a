"""A municipality's offices (XZuFi "Organisationseinheit") and which service descriptions each handles."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKeyConstraint, Integer, Text, Uuid, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from knowledge.models import Base


class Office(Base):
    __tablename__ = "offices"

    tenant_id: Mapped[str] = mapped_column(Text, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    address: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    opening_hours: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    opening_hours_note: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Responsibility(Base):
    """The office handles the description (shared or the tenant's own) for its tenant."""

    __tablename__ = "responsibilities"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "office_id"], ["offices.tenant_id", "offices.id"], ondelete="CASCADE"),
    )

    tenant_id: Mapped[str] = mapped_column(Text, primary_key=True)
    description_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    office_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
