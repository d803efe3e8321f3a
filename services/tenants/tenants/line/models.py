"""Inbound lines of a municipality, and the directory that routes a line to exactly one municipality."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKeyConstraint, Text, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from tenants.models import Base


class InboundLine(Base):
    __tablename__ = "inbound_lines"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.tenant_id"]),)

    tenant_id: Mapped[str] = mapped_column(Text, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LineDirectory(Base):
    """Shared across tenants: its primary key lets a number or queue belong to one municipality only."""

    __tablename__ = "line_directory"

    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    address: Mapped[str] = mapped_column(Text, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Text)
    line_id: Mapped[uuid.UUID] = mapped_column(Uuid)
