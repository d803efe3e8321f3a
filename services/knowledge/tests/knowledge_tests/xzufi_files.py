"""XZuFi 2.2 transfer files for the exchange tests: the Artland sample, and small ones written in a line or two."""

from __future__ import annotations

from pathlib import Path

SAMPLE = Path(__file__).parent / "data" / "xzufi_artland.xml"


def sample() -> bytes:
    """Artland's sample transfer: three Leistungen, two Organisationseinheiten, their Zuständigkeiten."""
    return SAMPLE.read_bytes()


def transfer(*operations: str, root: str = "xzufi.transfer.operation.040102") -> bytes:
    """A transfer message holding ``operations`` (``schreibe``/``loesche`` elements), one per line."""
    body = "\n".join(operations)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<xzufi:{root} xmlns:xzufi="http://xoev.de/schemata/xzufi/2_2_0" xzufiVersion="2.2.0">\n'
        f"{body}\n"
        f"</xzufi:{root}>\n"
    ).encode()


def text_module(code: str, text: str, language: str = "de") -> str:
    return (
        f'<xzufi:modulText><xzufi:inhalt languageCode="{language}">{text}</xzufi:inhalt>'
        f"<xzufi:leikaTextmodul><code>{code}</code></xzufi:leikaTextmodul></xzufi:modulText>"
    )


def leistung(external_id: str, name: str, *parts: str, leika: str | None = None) -> str:
    """``schreibe`` of a Leistung named ``name`` (module 03) with further elements ``parts``."""
    key = f"<xzufi:referenzLeiKa><code>{leika}</code></xzufi:referenzLeiKa>" if leika else ""
    inner = "".join(parts)
    return (
        f"<xzufi:schreibe><xzufi:leistung><xzufi:id>{external_id}</xzufi:id>{key}"
        f"{text_module('03', name)}{inner}</xzufi:leistung></xzufi:schreibe>"
    )


def organisationseinheit(external_id: str, name: str, *leistungen: str, parts: str = "") -> str:
    """``schreibe`` of an Organisationseinheit responsible for ``leistungen`` (by their ids)."""
    responsible = "".join(
        f"<xzufi:zustaendigkeit><xzufi:leistungID>{leistung_id}</xzufi:leistungID></xzufi:zustaendigkeit>"
        for leistung_id in leistungen
    )
    return (
        f"<xzufi:schreibe><xzufi:organisationseinheit><xzufi:id>{external_id}</xzufi:id>"
        f"<xzufi:name><xzufi:name>{name}</xzufi:name></xzufi:name>{parts}{responsible}"
        "</xzufi:organisationseinheit></xzufi:schreibe>"
    )


def loesche(klasse: str, external_id: str) -> str:
    return f'<xzufi:loesche klasse="{klasse}"><xzufi:id>{external_id}</xzufi:id></xzufi:loesche>'
