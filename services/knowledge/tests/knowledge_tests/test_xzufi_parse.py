"""Reading XZuFi 2.2 transfers: what the model keeps of each object, and errors that name the element and line."""

from __future__ import annotations

from decimal import Decimal

import pytest

from knowledge.exchange.xzufi import XZuFiError, parse_transfer

from .xzufi_files import leistung, loesche, organisationseinheit, sample, text_module, transfer

ROOT = "/xzufi.transfer.operation.040102"


def _error(data: bytes) -> XZuFiError:
    with pytest.raises(XZuFiError) as raised:
        parse_transfer(data)
    return raised.value


def test_a_leistung_keeps_its_german_texts_fees_deadlines_and_release() -> None:
    passport = parse_transfer(sample()).leistungen["L100040_1001"]
    content = passport.content

    assert (passport.leika_key, content.name) == ("99085001012000", "Reisepass beantragen")
    assert content.modules.designation == "Reisepass Ausstellung"
    assert content.modules.procedure == "Vereinbaren Sie einen Termin im Bürgerbüro Quakenbrück."
    assert [(fee.label, fee.amount_eur) for fee in content.fees or []] == [
        ("Reisepass für Personen ab 24 Jahren", Decimal("70.00")),
        ("Reisepass für Personen unter 24 Jahren", Decimal("37.50")),
    ]
    assert [(d.label, d.days) for d in content.deadlines or []] == [("Rechtzeitig vor einer Reise beantragen", 28)]
    assert content.processing_time is not None
    assert (content.processing_time.min_days, content.processing_time.max_days) == (21, 42)
    assert content.synonyms == ["Pass", "Reisepass verlängern"]
    assert str(content.online_service_url) == "https://www.artland.de/buergerservice/reisepass"
    assert content.source == "Samtgemeinde Artland"
    assert content.approval is not None
    assert content.approval.released_by == "Samtgemeinde Artland, Fachbereich Bürgerservice"
    assert passport.source.path == "/transfer.operation.040102/schreibe[1]/leistung"


def test_a_text_only_cost_module_becomes_one_fee_and_the_designation_stands_in_for_a_missing_name() -> None:
    bulky_waste = parse_transfer(sample()).leistungen["L100040_1003"]

    assert (bulky_waste.leika_key, bulky_waste.content.name) == (None, "Sperrmüll anmelden")
    assert [(fee.label, fee.amount_eur) for fee in bulky_waste.content.fees or []] == [
        ("Zwei Abholungen im Jahr sind in der Müllgebühr enthalten.", None)
    ]


def test_an_organisationseinheit_keeps_where_visitors_go_how_to_reach_it_and_its_services() -> None:
    parsed = parse_transfer(sample())
    office = parsed.organisationseinheiten["O100040_2001"]

    assert office.office.name == "Bürgerbüro Quakenbrück"
    assert office.office.address is not None
    assert (office.office.address.street, office.office.address.postal_code) == ("Schiphorst 65", "49610")
    assert (office.office.phone, office.office.email) == ("+49 5431 1820", "buergerbuero@artland.de")
    assert [(h.weekday, h.opens, h.closes) for h in office.office.opening_hours] == [
        ("monday", "08:00", "12:30"),
        ("thursday", "14:00", "18:00"),
    ]
    assert office.office.opening_hours_note == "Termine nach Vereinbarung"
    assert [z.leistung_id for z in office.zustaendigkeiten] == ["L100040_1001", "L100040_1002"]
    assert [(z.office_id, z.leistung_id) for z in parsed.zustaendigkeiten] == [("O100040_2002", "L100040_1003")]
    assert parsed.organisationseinheiten["O100040_2002"].office.phone == "0151 2345678"
    assert list(parsed.deleted_leistungen) == ["L100040_0999"]


def test_the_last_operation_on_an_id_decides() -> None:
    parsed = parse_transfer(
        transfer(
            leistung("L1", "Hundesteuer anmelden"),
            loesche("Leistung", "L1"),
            loesche("Leistung", "L2"),
            leistung("L2", "Fundsache melden"),
            loesche("Onlinedienst", "OD1"),
        )
    )

    assert (list(parsed.leistungen), list(parsed.deleted_leistungen)) == (["L2"], ["L1"])


def test_texts_in_other_languages_and_unknown_modules_are_skipped() -> None:
    parsed = parse_transfer(
        transfer(
            leistung(
                "L1",
                "Wohnsitz anmelden",
                text_module("06", "Register your address", "en"),
                text_module("18", "Urheber"),
            )
        )
    )

    assert parsed.leistungen["L1"].content.modules.model_dump(exclude_none=True) == {}


def test_xml_that_is_not_well_formed_names_the_open_element_and_line() -> None:
    error = _error(b'<?xml version="1.0"?>\n<a xmlns="http://xoev.de/schemata/xzufi/2_2_0">\n<b>\n<c></b>\n</a>')

    assert (error.path, error.line) == ("/a/b/c", 4)
    assert "not well-formed" in error.detail


@pytest.mark.parametrize(
    "document",
    [
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xx">]><a>&x;</a>',
        b'<?xml version="1.0"?><!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>',
    ],
)
def test_documents_with_a_dtd_or_entities_are_refused(document: bytes) -> None:
    assert "DTD" in _error(document).detail


def test_a_document_of_another_standard_or_message_is_refused() -> None:
    foreign = _error(b'<transfer.operation xmlns="urn:example"/>')
    answer = _error(transfer(root="leistungen.antwort.leistung.040104"))

    assert (foreign.path, "namespace" in foreign.detail) == ("/transfer.operation", True)
    assert (answer.path, "transfer message" in answer.detail) == ("/leistungen.antwort.leistung.040104", True)


@pytest.mark.parametrize(
    ("operation", "path", "detail"),
    [
        (leistung("L1", "Reisepass beantragen", leika="9908500101"), "/schreibe/leistung/referenzLeiKa", "14 digits"),
        (
            "<xzufi:schreibe><xzufi:leistung><xzufi:id>L1</xzufi:id></xzufi:leistung></xzufi:schreibe>",
            "/schreibe/leistung",
            "needs a name",
        ),
        ("<xzufi:schreibe><xzufi:leistung></xzufi:leistung></xzufi:schreibe>", "/schreibe/leistung", "id is missing"),
        (
            leistung(
                "L1",
                "Reisepass beantragen",
                "<xzufi:modulKosten><xzufi:kosten><xzufi:betrag>70.00</xzufi:betrag></xzufi:kosten><xzufi:kosten><xzufi:betrag>siebzig</xzufi:betrag></xzufi:kosten></xzufi:modulKosten>",
            ),
            "/schreibe/leistung/modulKosten/kosten[2]/betrag",
            "not an amount",
        ),
        (
            leistung(
                "L1",
                "Reisepass beantragen",
                "<xzufi:modulKosten><xzufi:kosten><xzufi:betrag>-5</xzufi:betrag></xzufi:kosten></xzufi:modulKosten>",
            ),
            "/schreibe/leistung/modulKosten/kosten",
            "amount_eur",
        ),
        (leistung("L1", "x" * 301), "/schreibe/leistung/modulText/inhalt", "at most 300 characters"),
        (
            organisationseinheit(
                "O1",
                "Bürgerbüro",
                parts="<xzufi:kommunikation><xzufi:kanal><code>01</code></xzufi:kanal><xzufi:kennung>kein-mail</xzufi:kennung></xzufi:kommunikation>",
            ),
            "/schreibe/organisationseinheit/kommunikation/kennung",
            "pattern",
        ),
        (
            organisationseinheit(
                "O1",
                "Bürgerbüro",
                parts="<xzufi:oeffnungszeiten><xzufi:oeffnungszeit><xzufi:wochentag><code>8</code></xzufi:wochentag><xzufi:beginn>08:00</xzufi:beginn><xzufi:ende>12:00</xzufi:ende></xzufi:oeffnungszeit></xzufi:oeffnungszeiten>",
            ),
            "/schreibe/organisationseinheit/oeffnungszeiten/oeffnungszeit/wochentag",
            "weekday",
        ),
        (loesche("Zustaendigkeit", "Z1"), "/loesche", "Zustaendigkeit"),
        ("<xzufi:loesche><xzufi:id>L1</xzufi:id></xzufi:loesche>", "/loesche", "klasse"),
    ],
)
def test_a_wrong_structure_names_the_element_and_its_line(operation: str, path: str, detail: str) -> None:
    error = _error(transfer(operation))

    assert error.path == ROOT + path
    assert error.line == 3
    assert detail in error.detail
