"""Request types: a municipality marks the services citizens can send requests for (Open311), and events carry them."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys
from knowledge.description.content import merge

from .support import PASSPORT, admin_rows, editor, published

BASE = "/v1/knowledge/base/descriptions"
ARTLAND = "/v1/tenants/artland/knowledge/descriptions"
BULKY_WASTE: dict[str, Any] = {
    "code": "sperrmuell",
    "group": "Abfall",
    "keywords": ["Sperrmüll", "Möbel"],
    "attributes": [
        {
            "code": "abfallart",
            "description": "Was soll abgeholt werden?",
            "datatype": "singlevaluelist",
            "required": True,
            "values": [{"key": "moebel", "name": "Möbel"}, {"key": "elektro", "name": "Elektrogroßgeräte"}],
        },
        {"code": "anzahl", "description": "Wie viele Teile?", "datatype": "number", "order": 2},
    ],
}
POTHOLE: dict[str, Any] = {"code": "strassenschaden", "name": "Schlagloch melden"}


async def _events(scratch: ScratchDatabase) -> list[tuple[str, dict[str, Any]]]:
    rows = await admin_rows(scratch, "SELECT tenant_id, payload FROM outbox ORDER BY id")
    return [(row["tenant_id"], json.loads(row["payload"])["data"]) for row in rows]


async def _publish_supplement(
    client: httpx.AsyncClient, keys: SigningKeys, base_id: str, content: dict[str, Any]
) -> None:
    path = f"{ARTLAND}/{base_id}/supplement"
    written = await client.put(path, json={"content": content}, headers=editor(keys, "artland"))
    assert written.status_code == 201, written.text
    moved = await client.put(
        f"{path}/status",
        json={"status": "published"},
        headers=editor(keys, "artland") | {"If-Match": written.headers["ETag"]},
    )
    assert moved.status_code == 200, moved.text


async def test_a_municipalitys_own_requestable_service_is_announced_under_its_name(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    body = {"content": {"name": "Sperrmüll anmelden", "request_type": BULKY_WASTE}}
    named = {"content": {"name": "Straßenschaden melden", "request_type": POTHOLE}}

    own = await published(client, ARTLAND, body, editor(keys, "artland"))
    await published(client, ARTLAND, named, editor(keys, "artland"))

    [(tenant, data), (_, pothole)] = await _events(scratch)
    assert pothole["request_type"]["name"] == "Schlagloch melden"
    assert (tenant, data["id"], data["layer"]) == ("artland", own, "local")
    assert data["request_type"] == {
        "code": "sperrmuell",
        "name": "Sperrmüll anmelden",
        "description": None,
        "group": "Abfall",
        "keywords": ["Sperrmüll", "Möbel"],
        "attributes": [
            {
                "code": "abfallart",
                "description": "Was soll abgeholt werden?",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": None,
                "order": None,
                "values": [{"key": "moebel", "name": "Möbel"}, {"key": "elektro", "name": "Elektrogroßgeräte"}],
            },
            {
                "code": "anzahl",
                "description": "Wie viele Teile?",
                "datatype": "number",
                "required": False,
                "datatype_description": None,
                "order": 2,
                "values": [],
            },
        ],
    }


async def test_a_supplements_request_type_takes_the_name_agents_see(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    template = {"content": {"name": "Sperrmüll anmelden", "request_type": {**BULKY_WASTE, "code": "vorlage"}}}
    bulky_waste = await published(client, BASE, template, editor(keys))
    pothole = await published(client, BASE, {"content": {"name": "Straßenschaden melden"}}, editor(keys))

    await _publish_supplement(client, keys, bulky_waste, {"request_type": {"code": "sperrmuell"}})
    renamed = {"name": "Straßenschaden melden (Artland)", "request_type": {"code": "strassenschaden"}}
    await _publish_supplement(client, keys, pothole, renamed)

    events = await _events(scratch)
    assert [(tenant, data["layer"], data["request_type"]) for tenant, data in events[:2]] == [
        ("oldenburg", "shared", None),
        ("oldenburg", "shared", None),
    ]
    supplements = [(tenant, data["id"], data["layer"], data["request_type"]) for tenant, data in events[2:]]
    assert [(tenant, id_, layer, rt["code"], rt["name"]) for tenant, id_, layer, rt in supplements] == [
        ("artland", bulky_waste, "supplement", "sperrmuell", "Sperrmüll anmelden"),
        ("artland", pothole, "supplement", "strassenschaden", "Straßenschaden melden (Artland)"),
    ]
    assert supplements[0][3]["attributes"] == []


async def test_a_supplement_without_a_request_type_announces_none_from_the_template(
    client: httpx.AsyncClient, keys: SigningKeys, scratch: ScratchDatabase
) -> None:
    template = {"content": {"name": "Sperrmüll anmelden", "request_type": BULKY_WASTE}}
    bulky_waste = await published(client, BASE, template, editor(keys))

    await _publish_supplement(client, keys, bulky_waste, {"synonyms": ["Sperrmüllkarte"]})

    assert [(data["layer"], data["request_type"]) for _, data in await _events(scratch)] == [
        ("shared", None),
        ("supplement", None),
    ]


def _attribute(**changes: Any) -> dict[str, Any]:
    return {"code": "anzahl", "description": "Wie viele Teile?", "datatype": "number", **changes}


@pytest.mark.parametrize(
    ("request_type", "field"),
    [
        ({"code": "x", "attributes": [_attribute(datatype="singlevaluelist")]}, "attributes.0.values"),
        ({"code": "x", "attributes": [_attribute(values=[{"key": "a", "name": "A"}])]}, "attributes.0.values"),
        ({"code": "x", "attributes": [_attribute(), _attribute()]}, "attributes"),
        ({"code": "Sperrmüll"}, "code"),
        ({"code": "x", "attributes": [_attribute(code="1st")]}, "attributes.0.code"),
        ({"code": "x", "attributes": [_attribute(datatype="date")]}, "attributes.0.datatype"),
    ],
    ids=["list-without-values", "values-without-list", "codes-twice", "bad-code", "bad-attribute-code", "datatype"],
)
async def test_a_bad_request_type_is_named(
    client: httpx.AsyncClient, keys: SigningKeys, request_type: dict[str, Any], field: str
) -> None:
    body = {"content": {"name": "Sperrmüll anmelden", "request_type": request_type}}

    refused = await client.post(ARTLAND, json=body, headers=editor(keys, "artland"))

    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["errors"]] == [f"content.request_type.{field}"]


def test_a_supplements_request_type_replaces_the_shared_one_whole() -> None:
    base = {**PASSPORT["content"], "request_type": BULKY_WASTE}

    replaced, replaced_origins = merge(base, {"request_type": POTHOLE})
    kept, kept_origins = merge(base, {"synonyms": ["Perso"]})

    assert (replaced["request_type"], replaced_origins["request_type"]) == (POTHOLE, "supplement")
    assert (kept["request_type"], kept_origins["request_type"]) == (BULKY_WASTE, "base")
