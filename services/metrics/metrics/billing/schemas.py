"""What the bill endpoint answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

BillFormat = Literal["json", "csv"]


class BillLine(BaseModel):
    code: str = Field(examples=["handled_minutes"])
    description: str
    quantity: int
    unit_cents: int | None = Field(description="None where the amount is a share of an annual sum")
    amount_cents: int


class BillUsage(BaseModel):
    calls: int = Field(description="Answered calls of the month")
    handled_seconds: int = Field(description="Talk, hold and after-call work of the month")
    billed_minutes: int = Field(description="The month's handled seconds rounded up to minutes, once")
    minutes_before_in_year: int = Field(description="Billed minutes of the year's earlier months (a cap counts them)")


class MonthlyBillRead(BaseModel):
    tenant_id: str
    month: str = Field(examples=["2026-10"], description="The municipality's local calendar month")
    time_zone: str
    contract_version: int = Field(description="The contract version in force at the month's start")
    model: str = Field(examples=["per_minute"], description="The contract's price model")
    lines: list[BillLine]
    total_cents: int
    currency: Literal["EUR"]
    usage: BillUsage
    final: bool = Field(description="True once the month is over; until then the bill grows with the calls")
