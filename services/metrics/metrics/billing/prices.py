"""The monthly bill of one municipality under its contract's price model.

Plain arithmetic in euro cents: no HTTP, no database, no events, no floats. The same usage and price
always give the same bill, so recomputing a closed month reproduces it to the cent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal, assert_never

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

Cents = Annotated[int, Field(ge=0, le=10**12)]
_TAG_ERRORS = {"union_tag_invalid", "union_tag_not_found"}


class _Price(BaseModel):
    # Our own copy of the contract's price models; unknown fields are refused: a price half understood bills wrong.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class PerCall(_Price):
    model: Literal["per_call"]
    cents_per_call: Cents
    annual_base_fee_cents: Cents = 0


class PerMinute(_Price):
    model: Literal["per_minute"]
    cents_per_minute: Cents
    annual_base_fee_cents: Cents = 0


class FlatFee(_Price):
    model: Literal["flat_fee"]
    annual_fee_cents: Cents
    included_minutes: int = Field(ge=1, le=10**9)
    overage_cents_per_minute: Cents


class AnnualFee(_Price):
    model: Literal["annual_fee"]
    annual_fee_cents: Cents


class Free(_Price):
    model: Literal["free"]


Price = Annotated[PerCall | PerMinute | FlatFee | AnnualFee | Free, Field(discriminator="model")]
_PRICE: TypeAdapter[Price] = TypeAdapter(Price)


@dataclass(frozen=True, kw_only=True)
class Usage:
    """What a municipality used in one month; ``handled_seconds`` is talk, hold and after-call work together."""

    month: date
    calls: int
    handled_seconds: int
    minutes_before_in_year: int = 0

    def __post_init__(self) -> None:
        if self.month.day != 1:
            raise ValueError(f"month must be the first of a month, not {self.month.isoformat()}")
        for name in ("calls", "handled_seconds", "minutes_before_in_year"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.month.month == 1 and self.minutes_before_in_year:
            raise ValueError("minutes_before_in_year must be 0 in January: no earlier month in the year")

    @property
    def billed_minutes(self) -> int:
        """Return the month's billed minutes (see ``billed_minutes``)."""
        return billed_minutes(self.handled_seconds)


@dataclass(frozen=True, kw_only=True)
class LineItem:
    """One line of a bill; ``unit_cents`` is None where the amount is a share of an annual sum, not a unit price."""

    code: str
    description: str
    quantity: int
    unit_cents: int | None
    amount_cents: int


@dataclass(frozen=True, kw_only=True)
class Bill:
    """One month's bill of one municipality: its lines and their sum, in euro cents."""

    month: date
    model: str
    lines: tuple[LineItem, ...]
    total_cents: int
    currency: Literal["EUR"] = "EUR"

    def __post_init__(self) -> None:
        if self.total_cents != sum(line.amount_cents for line in self.lines):
            raise ValueError("total_cents must be the sum of the lines")


def parse_price(price: Mapping[str, Any]) -> Price:
    """Validate a contract's price dict; a bad one raises a ValueError naming the field."""
    try:
        return _PRICE.validate_python(dict(price))
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            # The first location part is the discriminator's tag; the field follows it.
            name = "model" if error["type"] in _TAG_ERRORS else ".".join(str(part) for part in error["loc"][1:])
            problems.append(f"{name or 'model'}: {error['msg']}")
        raise ValueError(f"invalid price: {'; '.join(problems)}") from exc


def billed_minutes(handled_seconds: int) -> int:
    """Return the billed minutes of a month: its total handled seconds rounded up once, never per call."""
    return -(-handled_seconds // 60)


def monthly_share(annual_cents: int, month: int) -> int:
    """Return month ``month``'s (1–12) share of an annual amount; the twelve shares sum exactly to the amount."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must lie in 1..12, not {month}")
    return annual_cents * month // 12 - annual_cents * (month - 1) // 12


def euros(cents: int) -> str:
    """Format cents as euros for a description: ``123456`` → ``1,234.56 €``."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{rest:02d} €"


def bill_for(price: Mapping[str, Any], usage: Usage) -> Bill:
    """Compute the bill of one month from the contract's price model and the month's usage.

    Usage lines (calls, handled minutes) always appear, to show the volume; shares of annual sums and
    overage appear only when they are not zero.
    """
    model = parse_price(price)
    lines: list[LineItem]
    match model:
        case PerCall():
            lines = [_per_unit("calls", "Calls", usage.calls, model.cents_per_call)]
            lines += _share("base_fee", "Base fee", model.annual_base_fee_cents, usage.month)
        case PerMinute():
            lines = [_per_unit("handled_minutes", "Handled minutes", usage.billed_minutes, model.cents_per_minute)]
            lines += _share("base_fee", "Base fee", model.annual_base_fee_cents, usage.month)
        case FlatFee():
            lines = _share("flat_fee", "Flat fee", model.annual_fee_cents, usage.month)
            lines += _overage(model, usage)
        case AnnualFee():
            lines = _share("annual_fee", "Annual fee", model.annual_fee_cents, usage.month)
        case Free():
            lines = []
        case _:
            assert_never(model)
    return Bill(
        month=usage.month,
        model=model.model,
        lines=tuple(lines),
        total_cents=sum(line.amount_cents for line in lines),
    )


def _per_unit(code: str, label: str, quantity: int, unit_cents: int, *, note: str = "") -> LineItem:
    return LineItem(
        code=code,
        description=f"{label}: {quantity:,} × {euros(unit_cents)}{note}",
        quantity=quantity,
        unit_cents=unit_cents,
        amount_cents=quantity * unit_cents,
    )


def _share(code: str, label: str, annual_cents: int, month: date) -> list[LineItem]:
    amount = monthly_share(annual_cents, month.month)
    if amount == 0:
        return []
    description = f"{label}: monthly share of {euros(annual_cents)} a year"
    return [LineItem(code=code, description=description, quantity=1, unit_cents=None, amount_cents=amount)]


def _overage(price: FlatFee, usage: Usage) -> list[LineItem]:
    # Counted over the calendar year, so the month in which the cap is crossed bills only the minutes beyond it.
    before = usage.minutes_before_in_year
    included = price.included_minutes
    minutes = max(0, before + usage.billed_minutes - included) - max(0, before - included)
    if minutes == 0:
        return []
    note = f" (beyond {included:,} included minutes a year)"
    return [_per_unit("overage_minutes", "Overage minutes", minutes, price.overage_cents_per_minute, note=note)]
