"""What a service description says: the XZuFi text modules and the structured parts, and how layers merge.

A shared base description is complete; a tenant's supplement names only the parts it overrides (and the
synonyms it adds). The agent's view of a shared description for a tenant is the base with the supplement's
parts laid over it, each part marked with the layer it came from.

A request type (citizens can send requests for the service, Open311) is the municipality's own decision: it
counts in the tenant's layer, a local description or a supplement; a shared description's is a template.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

Text = Annotated[str, Field(min_length=1, max_length=20_000)]
Label = Annotated[str, Field(min_length=1, max_length=300)]
Euro = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]
Origin = Literal["base", "supplement", "local"]

# XZuFi 2.2 text modules (Leistungsmodul Text) by their code, under the names the API uses.
TEXT_MODULES: dict[str, str] = {
    "designation": "02",
    "short_text": "05",
    "full_text": "06",
    "legal_basis": "07",
    "required_documents": "08",
    "prerequisites": "09",
    "procedure": "11",
    "forms": "14",
    "further_information": "15",
    "notes": "16",
    "responsible_office": "22",
    "point_of_contact": "23",
    "teaser": "24",
    "legal_remedy": "25",
}


class Modules(BaseModel):
    """The text modules, each optional; the XZuFi code is in each field's description."""

    model_config = ConfigDict(extra="forbid")

    designation: Text | None = Field(default=None, description="02 Leistungsbezeichnung")
    short_text: Text | None = Field(default=None, description="05 Kurztext")
    full_text: Text | None = Field(default=None, description="06 Volltext")
    legal_basis: Text | None = Field(default=None, description="07 Rechtsgrundlage(n)")
    required_documents: Text | None = Field(default=None, description="08 Erforderliche Unterlagen")
    prerequisites: Text | None = Field(default=None, description="09 Voraussetzungen")
    procedure: Text | None = Field(default=None, description="11 Verfahrensablauf")
    forms: Text | None = Field(default=None, description="14 Formulare")
    further_information: Text | None = Field(default=None, description="15 Weiterführende Informationen")
    notes: Text | None = Field(default=None, description="16 Hinweise (Besonderheiten)")
    responsible_office: Text | None = Field(default=None, description="22 Zuständige Stelle")
    point_of_contact: Text | None = Field(default=None, description="23 Ansprechpunkt")
    teaser: Text | None = Field(default=None, description="24 Teaser")
    legal_remedy: Text | None = Field(default=None, description="25 Rechtsbehelf")


class Fee(BaseModel):
    """A fee: a fixed amount, or a range, in euro."""

    model_config = ConfigDict(extra="forbid")

    label: Label
    amount_eur: Euro | None = None
    min_eur: Euro | None = None
    max_eur: Euro | None = None
    note: Label | None = None

    @model_validator(mode="after")
    def _an_amount_or_a_range(self) -> Fee:
        if self.amount_eur is not None and (self.min_eur is not None or self.max_eur is not None):
            raise ValueError("either amount_eur or a range of min_eur and max_eur")
        if self.min_eur is not None and self.max_eur is not None and self.min_eur > self.max_eur:
            raise ValueError("min_eur is above max_eur")
        return self


class Deadline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Label
    days: int | None = Field(default=None, ge=0, le=3650)
    note: Label | None = None


class ProcessingTime(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_days: int | None = Field(default=None, ge=0, le=3650)
    max_days: int | None = Field(default=None, ge=0, le=3650)
    note: Label | None = None

    @model_validator(mode="after")
    def _in_order(self) -> ProcessingTime:
        if self.min_days is not None and self.max_days is not None and self.min_days > self.max_days:
            raise ValueError("min_days is above max_days")
        return self


class Approval(BaseModel):
    """Who released the text, and when (Freigabe)."""

    model_config = ConfigDict(extra="forbid")

    released_on: date
    released_by: Label


Synonym = Annotated[str, Field(min_length=1, max_length=100)]
Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
_LIST_DATATYPES: frozenset[str] = frozenset({"singlevaluelist", "multivaluelist"})


class RequestValue(BaseModel):
    """One answer a list attribute offers: the key sent with a request and the name citizens read."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=100, examples=["moebel"])
    name: str = Field(min_length=1, max_length=200, examples=["Möbel"])


class RequestAttribute(BaseModel):
    """An Open311 service attribute: a question asked with each request."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$", examples=["abfallart"])
    description: str = Field(min_length=1, max_length=500, description="The question", examples=["Was wird abgeholt?"])
    datatype: Datatype
    required: bool = False
    datatype_description: str | None = Field(default=None, max_length=500, examples=["Anzahl der Teile"])
    order: int | None = Field(default=None, ge=0)
    values: list[RequestValue] = Field(
        default=[], validate_default=True, description="The answers of a singlevaluelist or multivaluelist"
    )

    @field_validator("values")
    @classmethod
    def _values_for_lists_only(cls, values: list[RequestValue], info: ValidationInfo) -> list[RequestValue]:
        datatype = info.data.get("datatype")
        if datatype is None:
            return values
        if datatype in _LIST_DATATYPES and not values:
            raise ValueError(f"a {datatype} needs values")
        if datatype not in _LIST_DATATYPES and values:
            raise ValueError(f"a {datatype} has no values")
        if len({value.key for value in values}) < len(values):
            raise ValueError("value keys must be unique")
        return values


class RequestType(BaseModel):
    """The description is an Open311 service: citizens can send requests of this type to the municipality."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="The Open311 service_code", examples=["sperrmuell"]
    )
    name: str | None = Field(
        default=None, min_length=1, max_length=200, description="The service_name; by default the description's name"
    )
    description: str | None = Field(default=None, max_length=2000)
    group: str | None = Field(default=None, max_length=200, examples=["Abfall"])
    keywords: list[Synonym] = Field(default=[], max_length=50)
    attributes: list[RequestAttribute] = Field(default=[], max_length=50)

    @field_validator("attributes")
    @classmethod
    def _codes_unique(cls, attributes: list[RequestAttribute]) -> list[RequestAttribute]:
        codes = [attribute.code for attribute in attributes]
        doubled = sorted({code for code in codes if codes.count(code) > 1})
        if doubled:
            raise ValueError(f"attribute codes must be unique: {', '.join(doubled)}")
        return attributes


class Parts(BaseModel):
    """Every part a description may have; a supplement sets only those it overrides."""

    model_config = ConfigDict(extra="forbid")

    name: Label | None = Field(default=None, description="03 Leistungsname, as callers would recognise it")
    modules: Modules = Field(default_factory=Modules)
    fees: list[Fee] | None = None
    deadlines: list[Deadline] | None = None
    processing_time: ProcessingTime | None = None
    synonyms: list[Synonym] = Field(default=[], max_length=200, description="Begriffe im Kontext")
    online_service_url: AnyHttpUrl | None = None
    approval: Approval | None = None
    source: Label | None = Field(default=None, examples=["FIM Stammtext", "PVOG", "Stadt Oldenburg"])
    request_type: RequestType | None = Field(
        default=None,
        description="Citizens can send requests for the service (Open311); counts in the municipality's own layer",
    )


class Content(Parts):
    """A whole description: it needs a name."""

    name: Label = Field(description="03 Leistungsname, as callers would recognise it")


def stored(parts: Parts) -> dict[str, Any]:
    """The parts as kept in the database: set parts only, modules without empty ones."""
    data = parts.model_dump(mode="json", exclude_none=True)
    data["modules"] = {key: value for key, value in data.get("modules", {}).items() if value is not None}
    if not data["modules"]:
        del data["modules"]
    if not data.get("synonyms"):
        data.pop("synonyms", None)
    return data


# Parts a supplement replaces whole; the modules are laid over one by one and synonyms add up.
_WHOLE_PARTS = tuple(part for part in Parts.model_fields if part not in ("modules", "synonyms"))


def merge(base: dict[str, Any], supplement: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Origin]]:
    """A shared description with a tenant's supplement laid over it, and the origin of each part.

    Origins are keyed by part (``fees``) or module (``modules.procedure``). The supplement's synonyms add
    to the base's rather than replace them (local colloquial terms); ``origins["synonyms"]`` is
    ``supplement`` when it added any.
    """
    extra = supplement or {}
    merged: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    for part in _WHOLE_PARTS:
        if part in extra:
            merged[part], origins[part] = extra[part], "supplement"
        elif part in base:
            merged[part], origins[part] = base[part], "base"
    modules: dict[str, Any] = {}
    for module in TEXT_MODULES:
        if module in extra.get("modules", {}):
            modules[module], origins[f"modules.{module}"] = extra["modules"][module], "supplement"
        elif module in base.get("modules", {}):
            modules[module], origins[f"modules.{module}"] = base["modules"][module], "base"
    merged["modules"] = modules
    own, added = base.get("synonyms", []), extra.get("synonyms", [])
    merged["synonyms"] = list(dict.fromkeys([*own, *added]))
    if added:
        origins["synonyms"] = "supplement"
    elif own:
        origins["synonyms"] = "base"
    return merged, origins


def local(content: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Origin]]:
    """A tenant's own description in the same shape as a merged one: every part from the local layer."""
    merged, origins = merge(content, None)
    return merged, dict.fromkeys(origins, "local")
