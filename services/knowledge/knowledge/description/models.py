"""Service descriptions: the shared base (no tenant), and each tenant's supplements and own descriptions.

Both layers keep a head row (the working content, its status and version, and the published content
agents see) and every version ever saved.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Integer, Text, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from knowledge.models import Base


class _Head:
    """The columns of a description's head row, in either layer."""

    leika_key: Mapped[str | None] = mapped_column(Text)
    content: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    # None is SQL NULL (nothing published), not a JSON null.
    published_content: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    published_version: Mapped[int | None] = mapped_column(Integer)
    review_due: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[str] = mapped_column(Text)


class _Version:
    """The columns of a kept version, in either layer."""

    content: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class BaseDescription(_Head, Base):
    __tablename__ = "base_descriptions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)


class BaseDescriptionVersion(_Version, Base):
    __tablename__ = "base_description_versions"

    description_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)


class TenantDescription(_Head, Base):
    """A tenant's own description (``base_id`` None) or its supplement of a shared one."""

    __tablename__ = "tenant_descriptions"

    tenant_id: Mapped[str] = mapped_column(Text, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    base_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class TenantDescriptionVersion(_Version, Base):
    __tablename__ = "tenant_description_versions"

    tenant_id: Mapped[str] = mapped_column(Text, primary_key=True)
    description_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
