"""XZuFi 2.2 transfer messages read into plain values: the subset the knowledge model can hold, nothing more.

A transfer (root ``xzufi.transfer.*`` or ``transfer.*`` in ``http://xoev.de/schemata/xzufi/2_2_0``) carries
operations in document order: ``schreibe`` writes one object, ``loesche klasse="…"`` deletes one by its ``id``.
What a file means is their net effect: a later operation on the same id replaces an earlier one.

Read:

* **Leistung**: ``id``; the LeiKa key from ``referenzLeiKa/code``; every ``modulText`` whose
  ``leikaTextmodul/code`` is one of ``TEXT_MODULES`` (03 becomes the name, 02 stands in when 03 is absent), in
  German (``inhalt`` without ``languageCode`` or with ``de…``); ``modulKosten`` (``kosten`` with ``betrag`` in
  EUR and ``beschreibung``), ``modulFrist`` (``frist`` with ``fristDauer``'s ``dauer``/``einheit``),
  ``modulBearbeitungsdauer`` (``bearbeitungsdauer`` with ``dauer``/``einheit``, ``dauerBis``), each with the
  module's own ``beschreibung``; ``modulBegriffImKontext/begriffImKontext/begriff``; ``modulUrsprungsportal``
  (``uri`` as the online service, ``titel`` as the source); ``modulFachlicheFreigabe``.
* **Organisationseinheit**: ``id``, ``name/name``, the visitors' ``anschrift`` (type 002, else 001, else one
  without a type), ``kommunikation`` (``kanal`` codes of ``urn:de:xoev:codeliste:erreichbarkeit``: 01 e-mail,
  02/03 phone), ``oeffnungszeiten`` (``oeffnungszeit`` with ``wochentag`` 1–7, ``beginn``, ``ende``;
  ``beschreibung`` as the note) and its nested ``zustaendigkeit/leistungID``.
* **zustaendigkeitTransferObjekt**: ``uebergeordnetesObjektID`` (the Organisationseinheit) and
  ``zustaendigkeit/leistungID``.

Everything else (Onlinedienst, Spezialisierung, areas, other languages, links) is skipped. A deleted
Zuständigkeit would have to be found by its own id, which nothing here keeps; such a file is refused, and a
Zuständigkeit is withdrawn by sending its Organisationseinheit again without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from pydantic import AnyHttpUrl, TypeAdapter

from knowledge.description.content import (
    TEXT_MODULES,
    Approval,
    Content,
    Deadline,
    Fee,
    Label,
    ProcessingTime,
    Synonym,
    Text,
)
from knowledge.exchange.xml import Node, XmlError, read
from knowledge.office.schemas import Address, Email, Name, Note, OfficeCreate, OpeningHours, Phone

NAMESPACE = "http://xoev.de/schemata/xzufi/2_2_0"
E = TypeVar("E")
# A transfer names the objects it deletes by these classes; the others are not kept here and are skipped.
_DELETABLE = frozenset({"Leistung", "Organisationseinheit"})
_MODULE_BY_CODE = {code: module for module, code in TEXT_MODULES.items()}
NAME_CODE = "03"
# Units of a duration (by code or by name) that convert to days exactly; months and years do not.
_DAYS_PER_UNIT = dict.fromkeys(("d", "tag", "tage", "kalendertag", "kalendertage", "day", "days"), 1) | dict.fromkeys(
    ("w", "woche", "wochen", "week", "weeks"), 7
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_GERMAN_WEEKDAYS = ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag")
_EMAIL, _PHONES, _VISITORS, _HOUSE = "01", ("02", "03"), "002", "001"
_MAX_ID = 200

_TEXT: TypeAdapter[str] = TypeAdapter(Text)
_LABEL: TypeAdapter[str] = TypeAdapter(Label)
_SYNONYM: TypeAdapter[str] = TypeAdapter(Synonym)
_URL: TypeAdapter[AnyHttpUrl] = TypeAdapter(AnyHttpUrl)
_NAME: TypeAdapter[str] = TypeAdapter(Name)
_NOTE: TypeAdapter[str] = TypeAdapter(Note)
_EMAIL_ADDRESS: TypeAdapter[str] = TypeAdapter(Email)
_PHONE: TypeAdapter[str] = TypeAdapter(Phone)


class XZuFiError(XmlError):
    """The file is no XZuFi 2.2 transfer this service can read; ``path`` and ``line`` name the element."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where an object stands in the file, for the messages that refuse it."""

    path: str
    line: int | None


@dataclass(frozen=True, slots=True)
class Leistung:
    external_id: str
    leika_key: str | None
    content: Content
    source: Source


@dataclass(frozen=True, slots=True)
class Zustaendigkeit:
    """The Organisationseinheit ``office_id`` is responsible for the Leistung ``leistung_id``."""

    office_id: str
    leistung_id: str
    source: Source


@dataclass(frozen=True, slots=True)
class Organisationseinheit:
    external_id: str
    office: OfficeCreate
    zustaendigkeiten: tuple[Zustaendigkeit, ...]
    source: Source


@dataclass(frozen=True, slots=True)
class Deletion:
    external_id: str
    source: Source


@dataclass
class Transfer:
    """A transfer's net effect: the objects written and the ids deleted, each id in one of the two at most."""

    leistungen: dict[str, Leistung] = field(default_factory=dict)
    organisationseinheiten: dict[str, Organisationseinheit] = field(default_factory=dict)
    zustaendigkeiten: list[Zustaendigkeit] = field(default_factory=list)
    deleted_leistungen: dict[str, Deletion] = field(default_factory=dict)
    deleted_organisationseinheiten: dict[str, Deletion] = field(default_factory=dict)


def parse_transfer(data: bytes) -> Transfer:
    """The net effect of an XZuFi 2.2 transfer; ``XZuFiError`` naming the element if it cannot be read."""
    try:
        root = read(data, namespace=NAMESPACE)
        _check_root(root)
        transfer = Transfer()
        for operation in root.each():
            if operation.name == "schreibe":
                for item in operation.each():
                    _write(transfer, item)
            elif operation.name == "loesche":
                _delete(transfer, operation)
    except XZuFiError:
        raise
    except XmlError as error:
        raise XZuFiError(error.path, error.line, error.detail) from None
    return transfer


def _check_root(root: Node) -> None:
    if root.namespace != NAMESPACE:
        raise root.error(f"not an XZuFi 2.2 document: the root element must be in the namespace {NAMESPACE}")
    if not root.name.startswith(("xzufi.transfer.", "transfer.")):
        raise root.error("not an XZuFi transfer message (xzufi.transfer.*)")
    version = root.attribute("xzufiVersion")
    if version is not None and not version.startswith("2.2"):
        raise root.error(f"XZuFi version {version} is not supported; 2.2 is")


def _write(transfer: Transfer, item: Node) -> None:
    if item.name == "leistung":
        leistung = _leistung(item)
        transfer.deleted_leistungen.pop(leistung.external_id, None)
        transfer.leistungen[leistung.external_id] = leistung
    elif item.name == "organisationseinheit":
        unit = _organisationseinheit(item)
        transfer.deleted_organisationseinheiten.pop(unit.external_id, None)
        transfer.organisationseinheiten[unit.external_id] = unit
    elif item.name == "zustaendigkeitTransferObjekt":
        office_id = _identifier(item, "uebergeordnetesObjektID")
        transfer.zustaendigkeiten.append(_zustaendigkeit(item.require("zustaendigkeit"), office_id))


def _delete(transfer: Transfer, operation: Node) -> None:
    klasse = operation.attribute("klasse")
    if klasse is None:
        raise operation.error("loesche needs the attribute klasse")
    if klasse == "Zustaendigkeit":
        raise operation.error(
            "a Zustaendigkeit cannot be deleted by its id here; send its Organisationseinheit without it"
        )
    if klasse not in _DELETABLE:
        return
    deletion = Deletion(_identifier(operation, "id"), _source(operation))
    if klasse == "Leistung":
        transfer.leistungen.pop(deletion.external_id, None)
        transfer.deleted_leistungen[deletion.external_id] = deletion
    else:
        transfer.organisationseinheiten.pop(deletion.external_id, None)
        transfer.deleted_organisationseinheiten[deletion.external_id] = deletion


# Leistung


def _leistung(node: Node) -> Leistung:
    external_id = _identifier(node, "id")
    name, modules = _texts(node)
    content: dict[str, Any] = {"name": name, "modules": modules}
    content["fees"] = _fees(node.first("modulKosten"))
    content["deadlines"] = _deadlines(node.first("modulFrist"))
    content["processing_time"] = _processing_time(node.first("modulBearbeitungsdauer"))
    content["synonyms"] = _synonyms(node)
    content["online_service_url"], content["source"] = _origin(node.first("modulUrsprungsportal"))
    content["approval"] = _approval(node.first("modulFachlicheFreigabe"))
    return Leistung(external_id, _leika_key(node), node.model(Content, **content), _source(node))


def _leika_key(node: Node) -> str | None:
    reference = node.first("referenzLeiKa")
    if reference is None:
        return None
    key = reference.child_text("code")
    if key is None or len(key) != 14 or not key.isascii() or not key.isdigit():
        raise reference.error(f"a LeiKa key has 14 digits, not {key!r}")
    return key


def _texts(node: Node) -> tuple[str, dict[str, str]]:
    """The name (module 03, else 02) and the text modules the model keeps, each from its first German text."""
    first: dict[str, Node] = {}
    for module in node.all("modulText"):
        kind = module.first("leikaTextmodul")
        code = kind.child_text("code") if kind is not None else None
        content = _german(module.all("inhalt"))
        if code is not None and content is not None and content.text():
            first.setdefault(code, content)
    modules = {
        _MODULE_BY_CODE[code]: text.valid(_TEXT, text.text()) for code, text in first.items() if code in _MODULE_BY_CODE
    }
    named = first.get(NAME_CODE) or first.get(TEXT_MODULES["designation"])
    if named is None:
        raise node.error("a Leistung needs a name: modulText 03 (Leistungsname) or 02 (Leistungsbezeichnung)")
    return named.valid(_LABEL, named.text()), modules


def _fees(module: Node | None) -> list[Fee] | None:
    if module is None:
        return None
    fees = []
    for item in module.all("kosten"):
        amount = item.first("betrag")
        currency = item.first("waehrung")
        if currency is not None and currency.child_text("code") not in (None, "EUR"):
            raise currency.error("amounts are kept in euro (EUR) only")
        fees.append(
            item.model(
                Fee,
                label=_described(item) or "Kosten",
                amount_eur=_decimal(amount) if amount is not None else None,
            )
        )
    return _with_summary(module, fees, lambda label: Fee(label=label)) or None


def _deadlines(module: Node | None) -> list[Deadline] | None:
    if module is None:
        return None
    deadlines = []
    for item in module.all("frist"):
        days, note = _duration(item.first("fristDauer") or item)
        deadlines.append(item.model(Deadline, label=_described(item) or "Frist", days=days, note=note))
    return _with_summary(module, deadlines, lambda label: Deadline(label=label)) or None


def _processing_time(module: Node | None) -> ProcessingTime | None:
    if module is None:
        return None
    summary = _described(module)
    item = module.first("bearbeitungsdauer")
    if item is None:
        return ProcessingTime(note=summary) if summary else None
    low, note = _duration(item)
    high, high_note = _duration(item, amount="dauerBis", unit="einheitBis")
    notes = [text for text in (summary, note, high_note) if text]
    return item.model(
        ProcessingTime,
        min_days=low,
        max_days=high if high is not None else low,
        note="; ".join(notes) if notes else None,
    )


def _with_summary(module: Node, items: list[E], entry: Callable[[str], E]) -> list[E]:
    """The module's items, and its own description as one more entry (the only one for a text-only module)."""
    summary = _described(module)
    return [*items, entry(summary)] if summary else items


def _duration(node: Node, *, amount: str = "dauer", unit: str = "einheit") -> tuple[int | None, str | None]:
    """The duration in days if its unit converts exactly; otherwise no days and the duration as a note."""
    count = node.first(amount)
    if count is None:
        return None, None
    try:
        value = int(count.text())
    except ValueError:
        raise count.error(f"a duration is a whole number, not {count.text()!r}") from None
    if value < 0:
        raise count.error("a duration cannot be negative")
    unit_node = node.first(unit)
    code = unit_node.child_text("code") if unit_node is not None else None
    named = (unit_node.child_text("name") if unit_node is not None else None) or code
    factor = _DAYS_PER_UNIT.get((code or "").lower()) or _DAYS_PER_UNIT.get((named or "").lower())
    if factor is None:
        return None, f"{value} {named}" if named else str(value)
    return value * factor, None


def _synonyms(node: Node) -> list[str]:
    terms: dict[str, None] = {}
    for module in node.all("modulBegriffImKontext"):
        for entry in module.all("begriffImKontext"):
            term = _german(entry.all("begriff"))
            if term is not None and term.text():
                terms[term.valid(_SYNONYM, term.text())] = None
    return list(terms)


def _origin(module: Node | None) -> tuple[AnyHttpUrl | None, str | None]:
    """The portal the description comes from: its address (the citizen's way online) and its title (the source)."""
    if module is None:
        return None, None
    uri, title = module.first("uri"), module.first("titel")
    url = uri.valid(_URL, uri.text()) if uri is not None and uri.text() else None
    source = title.valid(_LABEL, title.text()) if title is not None and title.text() else None
    return url, source


def _approval(module: Node | None) -> Approval | None:
    """The editorial release; kept only when both the day and the releasing body are given."""
    if module is None:
        return None
    day, by = module.first("fachlichFreigegebenAm"), _german(module.all("fachlichFreigegebenDurch"))
    if day is None or by is None or not by.text():
        return None
    try:
        released_on = date.fromisoformat(day.text()[:10])
    except ValueError:
        raise day.error(f"not a date: {day.text()!r}") from None
    return module.model(Approval, released_on=released_on, released_by=by.text())


# Organisationseinheit and Zuständigkeit


def _organisationseinheit(node: Node) -> Organisationseinheit:
    external_id = _identifier(node, "id")
    name_node = node.require("name")
    versions = name_node.all("name")
    name = (_german(versions) or versions[0]) if versions else name_node
    office: dict[str, Any] = {"name": name.valid(_NAME, name.text()), "address": _address(node.all("anschrift"))}
    office.update(_contact(node.all("kommunikation")))
    hours = node.first("oeffnungszeiten")
    if hours is not None:
        office["opening_hours"] = [_opening(period) for period in hours.all("oeffnungszeit")]
        note = _german(hours.all("beschreibung"))
        office["opening_hours_note"] = note.valid(_NOTE, note.text()) if note is not None and note.text() else None
    responsible = tuple(_zustaendigkeit(entry, external_id) for entry in node.all("zustaendigkeit"))
    return Organisationseinheit(external_id, node.model(OfficeCreate, **office), responsible, _source(node))


def _zustaendigkeit(node: Node, office_id: str) -> Zustaendigkeit:
    return Zustaendigkeit(office_id, _identifier(node, "leistungID"), _source(node))


def _address(addresses: list[Node]) -> Address | None:
    """Where visitors go: the visitors' address, else the building's; a post box is no place to send callers."""
    by_type: dict[str | None, Node] = {}
    for address in addresses:
        kind = address.first("typ")
        by_type.setdefault(kind.child_text("code") if kind is not None else None, address)
    chosen = by_type.get(_VISITORS) or by_type.get(_HOUSE) or by_type.get(None)
    if chosen is None:
        return None
    street = " ".join(part for part in (chosen.child_text("strasse"), chosen.child_text("hausnummer")) if part)
    return chosen.model(
        Address, street=street, postal_code=chosen.child_text("postleitzahl"), city=chosen.child_text("ort")
    )


def _contact(channels: list[Node]) -> dict[str, str]:
    """The first e-mail address and the first phone number (landline before mobile)."""
    found: dict[str, Node] = {}
    for channel in channels:
        kind = channel.first("kanal")
        code = kind.child_text("code") if kind is not None else None
        if code is not None and code not in found and channel.child_text("kennung"):
            found[code] = channel.require("kennung")
    contact = {}
    if _EMAIL in found:
        contact["email"] = found[_EMAIL].valid(_EMAIL_ADDRESS, found[_EMAIL].text())
    phone = next((found[code] for code in _PHONES if code in found), None)
    if phone is not None:
        contact["phone"] = phone.valid(_PHONE, phone.text())
    return contact


def _opening(period: Node) -> OpeningHours:
    day = period.require("wochentag")
    code = (day.child_text("code") or day.text()).lower()
    if code.isdigit() and 1 <= int(code) <= 7:
        weekday = _WEEKDAYS[int(code) - 1]
    elif code in _GERMAN_WEEKDAYS or code in _WEEKDAYS:
        weekday = _WEEKDAYS[(_GERMAN_WEEKDAYS if code in _GERMAN_WEEKDAYS else _WEEKDAYS).index(code)]
    else:
        raise day.error(f"a weekday is 1 (Monday) to 7 (Sunday), not {code!r}")
    opens, closes = (period.require(name).text()[:5] for name in ("beginn", "ende"))
    return period.model(OpeningHours, weekday=weekday, opens=opens, closes=closes)


# Values shared by every object


def _identifier(node: Node, name: str) -> str:
    identifier = node.require(name)
    value = identifier.text()
    if not value or len(value) > _MAX_ID:
        raise identifier.error(f"an id has 1 to {_MAX_ID} characters")
    return value


def _german(candidates: list[Node]) -> Node | None:
    """The German one of several language versions (no ``languageCode`` counts as German)."""
    for candidate in candidates:
        language = candidate.attribute("languageCode")
        if language is None or language.lower().startswith("de"):
            return candidate
    return None


def _described(node: Node) -> str | None:
    described = _german(node.all("beschreibung"))
    if described is None or not described.text():
        return None
    return described.valid(_LABEL, described.text())


def _decimal(node: Node) -> Decimal:
    try:
        return Decimal(node.text())
    except InvalidOperation:
        raise node.error(f"not an amount: {node.text()!r}") from None


def _source(node: Node) -> Source:
    return Source(node.path, node.line)
