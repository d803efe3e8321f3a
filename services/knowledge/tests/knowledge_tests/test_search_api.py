"""Search for agents through the API: German words as callers say them, only what the tenant may see."""

from __future__ import annotations

from typing import Any

import httpx

from kit.identity import Identity, Role
from kit.testing.keys import SigningKeys

from .support import agent, editor, published

BASE = "/v1/knowledge/base/descriptions"
ARTLAND = "/v1/tenants/artland/knowledge"
MUENCHEN = "/v1/tenants/muenchen/knowledge"


def _description(name: str, text: str, *, synonyms: tuple[str, ...] = (), **modules: str) -> dict[str, Any]:
    return {"content": {"name": name, "synonyms": list(synonyms), "modules": {"full_text": text, **modules}}}


ID_CARD = _description(
    "Personalausweis beantragen",
    "Den Personalausweis beantragen Sie persönlich im Bürgerbüro. Bringen Sie ein biometrisches Passfoto mit.",
    synonyms=("Perso",),
    teaser="Neuer Personalausweis für Deutsche ab 16 Jahren.",
)
TRADE = _description(
    "Gewerbeanmeldung",
    "Wer ein Gewerbe beginnt, zeigt dies dem Gewerbeamt an. Die Anzeige kostet 26 Euro.",
)
MOVE = _description(
    "Wohnsitz ummelden",
    "Nach einem Umzug innerhalb Deutschlands melden Sie Ihre neue Wohnung binnen zwei Wochen an.",
    synonyms=("Umzug",),
)
DRIVING = _description(
    "Führerschein umtauschen",
    "Alte Führerscheine aus Papier müssen bis zu einem Stichtag in den EU-Kartenführerschein getauscht werden.",
)


async def _search(client: httpx.AsyncClient, keys: SigningKeys, q: str, **params: Any) -> dict[str, Any]:
    answer = await client.get(f"{ARTLAND}/search", params={"q": q, **params}, headers=agent(keys, "artland"))
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _names(result: dict[str, Any]) -> list[str]:
    return [hit["name"] for hit in result["items"]]


async def test_callers_words_find_the_shared_descriptions(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    for body in (ID_CARD, TRADE, MOVE, DRIVING):
        await published(client, BASE, body, editor(keys))

    assert _names(await _search(client, keys, "Perso"))[0] == "Personalausweis beantragen"
    assert _names(await _search(client, keys, "ich möchte ein Gewerbe anmelden"))[0] == "Gewerbeanmeldung"
    assert _names(await _search(client, keys, "Fuehrerschein"))[0] == "Führerschein umtauschen"
    assert _names(await _search(client, keys, "Fuhrerschein"))[0] == "Führerschein umtauschen"
    typo = await _search(client, keys, "Persnalausweis")
    assert _names(typo)[0] == "Personalausweis beantragen"
    assert typo["corrections"] == [{"written": "persnalausweis", "searched_for": "personalausweis"}]


async def test_a_typo_whose_parts_are_known_words_is_corrected_when_the_parts_find_nothing(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    housing = _description("Wohngeld beantragen", "Wohngeld ist ein Zuschuss zur Miete.")
    living = _description("Wohnen im Alter", "Beratung zum Wohnen im Alter.")
    parking = _description("Parkausweis", "Die Regeln gelten für alle Anwohner.")
    for body in (housing, living, parking):
        await published(client, BASE, body, editor(keys))

    # "wohn" and "gelt" are known, but no description holds both: "Wohngelt" is read as "Wohngeld",
    # and not also as the far less alike "wohn".
    found = await _search(client, keys, "Wohngelt")

    assert _names(found) == ["Wohngeld beantragen"]
    assert found["corrections"] == [{"written": "wohngelt", "searched_for": "wohngeld"}]


async def test_hits_are_highlighted(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    await published(client, BASE, ID_CARD, editor(keys))

    hit = (await _search(client, keys, "Passfoto Personalausweis"))["items"][0]

    assert hit["highlighted_name"] == "<mark>Personalausweis</mark> beantragen"
    assert "<mark>Passfoto</mark>" in hit["snippet"]


async def test_a_tenants_own_descriptions_are_found_only_in_that_tenant(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    lake = _description("Badesee Saisonkarte", "Die Saisonkarte für den Badesee Alfsee gilt von Mai bis September.")
    await published(client, f"{ARTLAND}/descriptions", lake, editor(keys, "artland"))

    assert _names(await _search(client, keys, "Badesee"))[0] == "Badesee Saisonkarte"
    other = await client.get(f"{MUENCHEN}/search", params={"q": "Badesee"}, headers=agent(keys, "muenchen"))
    assert other.json()["items"] == []
    across = await client.get(f"{ARTLAND}/search", params={"q": "Badesee"}, headers=agent(keys, "muenchen"))
    assert across.status_code == 404


async def test_a_tenants_own_words_widen_and_are_corrected_only_in_that_tenant(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    lake = _description("Seebadkarte Alfsee", "Die Seebadkarte für den Alfsee gilt von Mai bis September.")
    await published(client, f"{ARTLAND}/descriptions", lake, editor(keys, "artland"))

    # The compound a word begins, the compound it ends, and a typo: all from Artland's own vocabulary.
    for query in ("Seebad", "Karte", "Seebadkatre"):
        assert _names(await _search(client, keys, query)) == ["Seebadkarte Alfsee"], query
    assert (await _search(client, keys, "Seebadkatre"))["corrections"] == [
        {"written": "seebadkatre", "searched_for": "seebadkart"}
    ]
    for query in ("Seebad", "Karte", "Seebadkatre"):
        other = await client.get(f"{MUENCHEN}/search", params={"q": query}, headers=agent(keys, "muenchen"))
        assert other.json()["items"] == [], query
        assert other.json()["corrections"] == [], query


async def test_a_supplement_is_found_in_its_tenant_only_and_archiving_takes_a_description_out(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    passport = await published(client, BASE, ID_CARD, editor(keys))
    supplement = {"content": {"synonyms": ["Ausweiskarte Artland"], "modules": {"procedure": "Termin im Rathaus."}}}
    written = await client.put(
        f"{ARTLAND}/descriptions/{passport}/supplement", json=supplement, headers=editor(keys, "artland")
    )
    await client.put(
        f"{ARTLAND}/descriptions/{passport}/supplement/status",
        json={"status": "published"},
        headers=editor(keys, "artland") | {"If-Match": written.headers["ETag"]},
    )

    # A word only the supplement has, and one only the base has, together.
    found = await _search(client, keys, "Rathaus Passfoto")
    assert _names(found) == ["Personalausweis beantragen"]
    assert "<mark>Rathaus</mark>" in (await _search(client, keys, "Rathaus"))["items"][0]["snippet"]
    elsewhere = await client.get(f"{MUENCHEN}/search", params={"q": "Rathaus"}, headers=agent(keys, "muenchen"))
    assert elsewhere.json()["items"] == []

    archived = await client.put(
        f"{BASE}/{passport}/status", json={"status": "archived"}, headers=editor(keys) | {"If-Match": '"2"'}
    )
    assert archived.status_code == 200, archived.text
    assert (await _search(client, keys, "Personalausweis"))["items"] == []


async def test_filters_narrow_the_hits(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    online = {"content": {**TRADE["content"], "online_service_url": "https://gewerbe.example/anmelden"}}
    await published(client, BASE, online, editor(keys))
    own = _description("Gewerbe im Artland", "Beratung für Gewerbe in der Samtgemeinde.")
    mine = await published(client, f"{ARTLAND}/descriptions", own, editor(keys, "artland"))
    office = await client.post(
        f"{ARTLAND}/offices", json={"name": "Wirtschaftsförderung"}, headers=editor(keys, "artland")
    )
    assert office.status_code == 201, office.text
    office_id = office.json()["id"]
    linked = await client.put(f"{ARTLAND}/offices/{office_id}/descriptions/{mine}", headers=editor(keys, "artland"))
    assert linked.status_code in (200, 201, 204), linked.text

    assert sorted(_names(await _search(client, keys, "Gewerbe"))) == ["Gewerbe im Artland", "Gewerbeanmeldung"]
    assert _names(await _search(client, keys, "Gewerbe", layer="local")) == ["Gewerbe im Artland"]
    assert _names(await _search(client, keys, "Gewerbe", layer="shared")) == ["Gewerbeanmeldung"]
    assert _names(await _search(client, keys, "Gewerbe", online="true")) == ["Gewerbeanmeldung"]
    assert _names(await _search(client, keys, "Gewerbe", office=office_id)) == ["Gewerbe im Artland"]


async def test_any_word_is_enough_when_no_description_has_every_word(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    await published(client, BASE, MOVE, editor(keys))
    await published(client, BASE, TRADE, editor(keys))

    result = await _search(client, keys, "Umzug Gewerbe Quantenphysik")

    assert sorted(_names(result)) == ["Gewerbeanmeldung", "Wohnsitz ummelden"]
    assert result["every_word"] is False
    assert "quantenphysik" in result["ignored"]


async def test_bad_queries_are_named_problems(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    bad: list[dict[str, str | int]] = [{}, {"q": ""}, {"q": "Pass", "limit": 0}, {"q": "Pass", "layer": "other"}]
    for params in bad:
        answer = await client.get(f"{ARTLAND}/search", params=params, headers=agent(keys, "artland"))
        assert answer.status_code == 422
        assert answer.headers["Content-Type"] == "application/problem+json"
    nothing = await _search(client, keys, "und oder")
    assert nothing["items"] == []


async def test_the_public_does_not_search_the_agents_knowledge(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    public = keys.headers(Identity("public", "artland", frozenset({Role.PUBLIC}), kind="anonymous"))

    answer = await client.get(f"{ARTLAND}/search", params={"q": "Pass"}, headers=public)

    assert answer.status_code == 403
