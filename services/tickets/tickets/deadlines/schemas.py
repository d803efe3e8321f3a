"""What the overdue overview answers."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class OverdueDepartment(BaseModel):
    """A department's open tickets past their due instant."""

    department_id: uuid.UUID | None = Field(description="None: tickets not yet given to a department")
    department_name: str | None
    count: int = Field(description="Open tickets (forwarded, in progress or waiting) past their due instant")
    oldest_due_at: datetime = Field(description="When the longest overdue of them was due")


class OverdueOverview(BaseModel):
    """The open overdue tickets per department, the longest overdue first, and how many there are in all."""

    items: list[OverdueDepartment]
    total: int
