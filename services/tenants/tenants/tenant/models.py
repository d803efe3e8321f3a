"""A municipality served by the host's service center, and the directory of its Open311 jurisdiction id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from tenants.models import Base


class Tenant(Base):
    __tablename__ = "tenants"

    tenant_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    ars: Mapped[str | None] = mapped_column(Text)
    ags: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str | None] = mapped_column(Text)
    time_zone: Mapped[str] = mapped_column(Text, default="Europe/Berlin")
    open311_jurisdiction_id: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default="onboarding")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class JurisdictionDirectory(Base):
    """Shared across tenants: which tenant an Open311 jurisdiction id names (unique among all)."""

    __tablename__ = "jurisdiction_directory"

    jurisdiction_id: Mapped[str] = mapped_column(Text, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Text)
