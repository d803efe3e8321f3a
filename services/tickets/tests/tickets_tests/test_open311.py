"""Open311 GeoReport v2 per municipality: services, requests posted by apps, and what the public reads of them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element

import asyncpg
import httpx
import orjson
import pytest
from defusedxml import ElementTree

from kit.db.database import Database
from kit.identity import Identity
from kit.testing.infra import ScratchDatabase
from kit.testing.keys import SigningKeys
from tickets.ticket import service as tickets
from tickets.ticket.schemas import Answer, NoteCreate

from .support import add_department, admin_rows, count, insert

OLDENBURG = "/v1/tenants/oldenburg/open311"
ARTLAND = "/v1/tenants/artland/open311"
POTHOLE_KEY = "99107001000000"
POTHOLE_QUESTIONS: list[dict[str, Any]] = [
    {
        "code": "schaeden",
        "description": "Was wurde beschädigt?",
        "datatype": "multivaluelist",
        "required": False,
        "order": 3,
        "values": [{"key": "reifen", "name": "Reifen"}, {"key": "felge", "name": "Felge"}],
    },
    {
        "code": "groesse",
        "description": "Wie groß ist das Loch?",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": "Ungefähr",
        "order": 1,
        "values": [{"key": "klein", "name": "Kleiner als eine Hand"}, {"key": "gross", "name": "Größer"}],
    },
    {"code": "tiefe_cm", "description": "Wie tief (cm)?", "datatype": "number", "required": False, "order": 2},
    {"code": "seit", "description": "Seit wann?", "datatype": "datetime", "required": False},
]
CALLER = {"first_name": "Erika", "last_name": "Mustermann", "phone": "+49 441 123-456", "email": "erika@example.org"}
DESCRIPTION = "Tiefes Loch vor Hausnummer 12, Erika wohnt gegenüber"


async def _request_type(
    admin: asyncpg.Connection, tenant_id: str, code: str, name: str, *, leika_key: str | None = None, **more: Any
) -> None:
    await insert(
        admin,
        "request_types",
        tenant_id=tenant_id,
        code=code,
        description_id=uuid.uuid4(),
        name=name,
        description=more.get("description"),
        group_name=more.get("group_name"),
        keywords=more.get("keywords", []),
        attributes=orjson.dumps(more.get("attributes", [])).decode(),
        leika_key=leika_key,
        changed_at=datetime.now(UTC),
    )


@pytest.fixture(autouse=True)
async def open311_services(served: ScratchDatabase, admin: asyncpg.Connection) -> None:
    """Oldenburg's road works office mends potholes; Oldenburg and Artland offer request types of their own."""
    await add_department(admin, "oldenburg", "Tiefbauamt", leika_keys=(POTHOLE_KEY,))
    await _request_type(
        admin,
        "oldenburg",
        "schlagloch",
        "Schlagloch",
        leika_key=POTHOLE_KEY,
        description="Ein Loch in der Fahrbahn",
        group_name="Straße",
        keywords=["Loch", "Straßenschaden"],
        attributes=POTHOLE_QUESTIONS,
    )
    await _request_type(admin, "oldenburg", "sperrmuell", "Sperrmüll <illegal abgelegt>", group_name="Abfall")
    await _request_type(admin, "artland", "laterne", "Laterne defekt")


def public(keys: SigningKeys, tenant_id: str = "oldenburg") -> dict[str, str]:
    """The municipality's public, as the gateway passes a request without credentials."""
    return keys.headers(
        Identity(subject="anonymous", tenant_id=tenant_id, roles=frozenset({"public"}), kind="anonymous")
    )


def app_key(keys: SigningKeys, tenant_id: str = "oldenburg", *scopes: str) -> dict[str, str]:
    """A reporting app, an integration client of the municipality, as the gateway signs its API key."""
    identity = Identity(
        subject="client-maengelmelder",
        tenant_id=tenant_id,
        roles=frozenset({"integration_client"}),
        scopes=frozenset(scopes or ("open311:read", "open311:write")),
        kind="client",
    )
    return keys.headers(identity)


def pothole(**changes: Any) -> dict[str, Any]:
    """A pothole report as an app posts it (form fields; a list is a repeated field)."""
    return {
        "service_code": "schlagloch",
        "lat": "53.1435",
        "long": "8.2146",
        "address_string": "Theaterwall 12, Oldenburg",
        "description": DESCRIPTION,
        "media_url": "https://fotos.example.org/loch.jpg",
        "attribute[groesse]": "gross",
        "attribute[schaeden][]": ["reifen", "felge"],
        "attribute[tiefe_cm]": "12",
        **CALLER,
    } | changes


def _form(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields sent: None leaves a field out."""
    return {name: value for name, value in fields.items() if value is not None}


async def _post(
    client: httpx.AsyncClient, headers: dict[str, str], fields: dict[str, Any], fmt: str = "json", base: str = OLDENBURG
) -> httpx.Response:
    return await client.post(f"{base}/requests.{fmt}", data=_form(fields), headers=headers)


async def _posted(client: httpx.AsyncClient, keys: SigningKeys, **changes: Any) -> str:
    answer = await _post(client, app_key(keys), pothole(**changes))
    assert answer.status_code == 201, answer.text
    return str(answer.json()[0]["service_request_id"])


def _xml(answer: httpx.Response) -> Element:
    assert answer.headers["content-type"] == "text/xml; charset=utf-8"
    assert answer.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root: Element = ElementTree.fromstring(answer.content)
    return root


def _errors(answer: httpx.Response) -> list[str]:
    """The descriptions of an Open311 error list in JSON, each with the answer's status as its code."""
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    body = answer.json()
    assert [error["code"] for error in body] == [answer.status_code] * len(body)
    return [str(error["description"]) for error in body]


async def test_services_list_the_municipalitys_request_types_in_json_and_xml(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    as_json = await client.get(f"{OLDENBURG}/services.json", headers=public(keys))
    as_xml = await client.get(f"{OLDENBURG}/services.xml", headers=public(keys))

    assert as_json.status_code == 200, as_json.text
    assert as_json.json() == [
        {
            "service_code": "sperrmuell",
            "service_name": "Sperrmüll <illegal abgelegt>",
            "description": None,
            "metadata": False,
            "type": "realtime",
            "keywords": None,
            "group": "Abfall",
        },
        {
            "service_code": "schlagloch",
            "service_name": "Schlagloch",
            "description": "Ein Loch in der Fahrbahn",
            "metadata": True,
            "type": "realtime",
            "keywords": "Loch, Straßenschaden",
            "group": "Straße",
        },
    ]
    root = _xml(as_xml)
    assert root.tag == "services"
    listed = [{child.tag: child.text for child in service} for service in root]
    assert [service["service_code"] for service in listed] == ["sperrmuell", "schlagloch"]
    assert listed[0]["service_name"] == "Sperrmüll <illegal abgelegt>"
    assert (listed[0]["metadata"], listed[1]["metadata"], listed[0]["description"]) == ("false", "true", None)


async def test_service_definition_shows_the_questions_in_their_order(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    as_json = await client.get(f"{OLDENBURG}/services/schlagloch.json", headers=public(keys))
    as_xml = await client.get(f"{OLDENBURG}/services/schlagloch.xml", headers=public(keys))

    assert as_json.status_code == 200, as_json.text
    definition = as_json.json()
    assert definition["service_code"] == "schlagloch"
    assert [(a["code"], a["order"], a["datatype"], a["required"]) for a in definition["attributes"]] == [
        ("groesse", 1, "singlevaluelist", True),
        ("tiefe_cm", 2, "number", False),
        ("schaeden", 3, "multivaluelist", False),
        ("seit", 4, "datetime", False),
    ]
    assert definition["attributes"][0] | {"values": []} == {
        "variable": True,
        "code": "groesse",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": "Ungefähr",
        "order": 1,
        "description": "Wie groß ist das Loch?",
        "values": [],
    }
    assert definition["attributes"][0]["values"] == [
        {"key": "klein", "name": "Kleiner als eine Hand"},
        {"key": "gross", "name": "Größer"},
    ]
    root = _xml(as_xml)
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "schlagloch"
    first = root.findall("attributes/attribute")[0]
    assert (first.findtext("code"), first.findtext("variable"), first.findtext("required")) == (
        "groesse",
        "true",
        "true",
    )
    assert [value.findtext("key") for value in first.findall("values/value")] == ["klein", "gross"]


async def test_posted_request_becomes_a_forwarded_ticket_and_a_web_contact_with_the_caller(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    # The gateway forwards a form as it came, the key the app identified itself with included.
    answer = await _post(client, app_key(keys), pothole(account_id="konto-7", api_key="schluessel"))

    assert answer.status_code == 201, answer.text
    created = answer.json()
    request_id = created[0]["service_request_id"]
    assert created == [{"service_request_id": request_id, "service_notice": None, "account_id": "konto-7"}]
    assert answer.headers["Location"] == f"{OLDENBURG}/requests/{request_id}.json"
    [ticket] = await admin_rows(
        admin,
        "SELECT t.*, d.name AS department FROM tickets t"
        " JOIN departments d ON d.tenant_id = t.tenant_id AND d.id = t.department_id WHERE t.id = $1",
        uuid.UUID(request_id),
    )
    assert (ticket["tenant_id"], ticket["source"], ticket["status"], ticket["service_code"]) == (
        "oldenburg",
        "open311",
        "forwarded",
        "schlagloch",
    )
    assert (ticket["latitude"], ticket["longitude"], ticket["address"]) == (
        53.1435,
        8.2146,
        "Theaterwall 12, Oldenburg",
    )
    assert ticket["department"] == "Tiefbauamt"
    assert ticket["subject"] == f"Schlagloch: {DESCRIPTION}"
    assert ticket["due_at"] is not None
    assert orjson.loads(ticket["attributes"]) == {"groesse": "gross", "schaeden": ["reifen", "felge"], "tiefe_cm": 12}
    assert ticket["media_url"] == "https://fotos.example.org/loch.jpg"
    [contact] = await admin_rows(admin, "SELECT * FROM contacts WHERE id = $1", ticket["contact_id"])
    assert (contact["channel"], contact["outcome"], contact["agent"], contact["leika_key"]) == (
        "web",
        "forwarded",
        "client-maengelmelder",
        POTHOLE_KEY,
    )
    assert (contact["caller_name"], contact["caller_phone"], contact["caller_email"]) == (
        "Erika Mustermann",
        "+49441123456",
        "erika@example.org",
    )
    assert contact["summary"] == DESCRIPTION
    assert contact["started_at"] == contact["ended_at"]


async def test_request_reads_open_with_its_expected_time_and_without_personal_data(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    request_id = await _posted(client, keys)

    one = await client.get(f"{OLDENBURG}/requests/{request_id}.json", headers=public(keys))
    listed = await client.get(f"{OLDENBURG}/requests.json", headers=public(keys))
    token = await client.get(f"{OLDENBURG}/tokens/{request_id}.json", headers=public(keys))

    assert one.status_code == 200, one.text
    [shown] = one.json()
    assert shown["service_request_id"] == request_id
    assert (shown["status"], shown["status_notes"], shown["service_name"], shown["agency_responsible"]) == (
        "open",
        None,
        "Schlagloch",
        "Tiefbauamt",
    )
    # November in Oldenburg: Central European Time.
    assert shown["requested_datetime"].endswith("+01:00")
    assert shown["expected_datetime"] > shown["requested_datetime"]
    assert (shown["lat"], shown["long"], shown["media_url"]) == (53.1435, 8.2146, "https://fotos.example.org/loch.jpg")
    for personal in ("Erika", "Mustermann", "erika@example.org", "123456", "123-456", "gegenüber"):
        assert personal not in one.text
        assert personal not in listed.text
    assert listed.json() == [shown]
    assert token.json() == [{"service_request_id": request_id, "token": request_id}]


async def test_request_is_closed_once_answered_and_shows_the_latest_public_note(
    client: httpx.AsyncClient, keys: SigningKeys, database: Database
) -> None:
    request_id = await _posted(client, keys)
    staff = Identity(subject="bo-bernd", tenant_id="oldenburg", roles=frozenset({"back_office"}))
    ticket_id = uuid.UUID(request_id)
    async with database.lean_transaction("oldenburg") as conn:
        await tickets.add_note(conn, staff, ticket_id=ticket_id, data=NoteCreate(body="Ist vorgemerkt.", public=True))
        await tickets.add_note(conn, staff, ticket_id=ticket_id, data=NoteCreate(body="Erika anrufen", public=False))
    async with database.lean_transaction("oldenburg") as conn:
        await tickets.add_note(
            conn, staff, ticket_id=ticket_id, data=NoteCreate(body="Am Montag ausgebessert.", public=True)
        )
        await tickets.answer(
            conn, staff, ticket_id=ticket_id, data=Answer(channel="email", text="Erledigt"), if_match=None
        )

    one = await client.get(f"{OLDENBURG}/requests/{request_id}.xml", headers=public(keys))
    closed = await client.get(f"{OLDENBURG}/requests.json?status=closed", headers=public(keys))
    still_open = await client.get(f"{OLDENBURG}/requests.json?status=open", headers=public(keys))

    root = _xml(one)
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert request.findtext("service_request_id") == request_id
    assert (request.findtext("status"), request.findtext("status_notes")) == ("closed", "Am Montag ausgebessert.")
    assert request.findtext("expected_datetime")
    assert "Erika" not in one.text
    assert [item["service_request_id"] for item in closed.json()] == [request_id]
    assert still_open.json() == []


async def test_posted_request_without_service_code_or_location_names_the_field(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    no_code = await _post(client, app_key(keys), pothole(service_code=None))
    no_place = await _post(client, app_key(keys), pothole(lat=None, long=None, address_string=None))
    half_place = await _post(client, app_key(keys), pothole(long=None, address_string=None))
    bad_answers = await _post(
        client,
        app_key(keys),
        pothole(**{"attribute[groesse]": None, "attribute[tiefe_cm]": "tief", "attribute[schaeden][]": ["dach"]}),
    )
    bad_fields = await _post(
        client, app_key(keys), pothole(email="keine-adresse", description="x" * 4001, **{"attribute[seit]": "gestern"})
    )

    assert no_code.status_code == 400
    assert _errors(no_code) == ["service_code: required"]
    assert no_place.status_code == 400
    assert _errors(no_place) == ["lat: a location is required: lat and long, address_string or address_id"]
    assert _errors(half_place) == ["long: required with lat"]
    assert bad_answers.status_code == 400
    assert sorted(_errors(bad_answers)) == [
        "attribute[groesse]: required",
        "attribute[schaeden]: dach not among reifen, felge",
        "attribute[tiefe_cm]: a number",
    ]
    assert [error.split(":")[0] for error in _errors(bad_fields)] == ["email", "description"]


async def test_answers_to_questions_are_checked_against_the_service(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    naive = await _post(client, app_key(keys), pothole(**{"attribute[seit]": "2026-11-20T08:00:00"}))
    two_sizes = await _post(client, app_key(keys), pothole(**{"attribute[groesse][]": ["klein", "gross"]}))
    stranger = await _post(client, app_key(keys), pothole(**{"attribute[farbe]": "rot"}))
    fine = await _post(client, app_key(keys), pothole(**{"attribute[seit]": "2026-11-20T08:00:00Z"}))

    assert _errors(naive) == ["attribute[seit]: needs its offset from UTC (Z or +01:00)"]
    assert _errors(two_sizes) == ["attribute[groesse]: takes one value"]
    assert _errors(stranger) == ["attribute[farbe]: not a question of this service"]
    assert fine.status_code == 201, fine.text
    [row] = await admin_rows(
        admin, "SELECT attributes FROM tickets WHERE id = $1", uuid.UUID(fine.json()[0]["service_request_id"])
    )
    assert orjson.loads(row["attributes"])["seit"] == "2026-11-20T08:00:00+00:00"


async def test_unknown_service_code_is_not_found(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    definition = await client.get(f"{OLDENBURG}/services/laterne.json", headers=public(keys))
    posted = await _post(client, app_key(keys), pothole(service_code="laterne"))

    assert definition.status_code == 404
    assert _errors(definition) == ["service_code provided was not found"]
    assert posted.status_code == 404
    assert _errors(posted) == ["service_code provided was not found"]


async def test_another_jurisdiction_id_is_not_found(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    own = await client.get(f"{OLDENBURG}/services.json?jurisdiction_id=oldenburg.de", headers=public(keys))
    other = await client.get(f"{OLDENBURG}/services.json?jurisdiction_id=artland.de", headers=public(keys))
    posted = await _post(client, app_key(keys), pothole(jurisdiction_id="artland.de"))

    assert own.status_code == 200
    assert other.status_code == 404
    assert _errors(other) == ["jurisdiction_id provided was not found"]
    assert posted.status_code == 404
    assert _errors(posted) == ["jurisdiction_id provided was not found"]


async def test_another_municipalitys_request_is_not_found(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    request_id = await _posted(client, keys)

    through_artland = await client.get(f"{ARTLAND}/requests/{request_id}.json", headers=public(keys, "artland"))
    artland_list = await client.get(f"{ARTLAND}/requests.json", headers=public(keys, "artland"))
    artland_token = await client.get(f"{ARTLAND}/tokens/{request_id}.json", headers=public(keys, "artland"))
    oldenburg_public_at_artland = await client.get(f"{ARTLAND}/services.json", headers=public(keys))
    artland_app_at_oldenburg = await _post(client, app_key(keys, "artland"), pothole())

    assert through_artland.status_code == 404
    assert _errors(through_artland) == ["service_request_id provided was not found"]
    assert artland_list.json() == []
    assert artland_token.status_code == 404
    assert oldenburg_public_at_artland.status_code == 404
    assert _errors(oldenburg_public_at_artland) == ["Not Found"]
    assert artland_app_at_oldenburg.status_code == 404


async def test_errors_in_xml_are_open311_error_documents(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    missing = await client.get(f"{OLDENBURG}/services/laterne.xml", headers=public(keys))
    invalid = await _post(client, app_key(keys), pothole(service_code=None, lat=None, long=None), fmt="xml")

    assert missing.status_code == 404
    root = _xml(missing)
    assert root.tag == "errors"
    assert [(e.findtext("code"), e.findtext("description")) for e in root.findall("error")] == [
        ("404", "service_code provided was not found")
    ]
    assert invalid.status_code == 400
    assert [e.findtext("description") for e in _xml(invalid).findall("error")] == ["service_code: required"]


async def test_only_the_municipalitys_integration_clients_may_post(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    anonymous = await _post(client, public(keys), pothole())
    reader = await _post(client, app_key(keys, "oldenburg", "open311:read"), pothole())
    agent = await _post(client, keys.headers_for("oldenburg", "agent"), pothole(), fmt="xml")
    unsigned = await client.get(f"{OLDENBURG}/services.json")

    assert anonymous.status_code == 403
    assert _errors(anonymous)[0].startswith("api_key was not provided or is invalid")
    assert reader.status_code == 403
    assert agent.status_code == 403
    assert _xml(agent).findtext("error/code") == "403"
    # Only the gateway's signed identity is accepted, even to read.
    assert unsigned.status_code == 403
    assert _errors(unsigned) == ["a gateway-signed bearer token is required"]


async def test_a_request_again_under_its_idempotency_key_is_the_same_request(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    once = app_key(keys) | {"Idempotency-Key": "meldung-1"}
    first = await _post(client, once, pothole())
    again = await _post(client, once, pothole())
    moved = await _post(client, once, pothole(lat="53.2"))

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert moved.status_code == 400
    assert _errors(moved) == ["Idempotency-Key: used before with another body"]
    assert await count(admin, "tickets") == 1


async def test_a_request_may_be_posted_as_json(
    client: httpx.AsyncClient, keys: SigningKeys, admin: asyncpg.Connection
) -> None:
    bulky = {"service_code": "sperrmuell", "address_string": "Am Stadtmuseum 1", "description": "Sofa am Straßenrand"}
    hole = {
        "service_code": "schlagloch",
        "lat": 53.14,
        "long": 8.21,
        "attribute": {"groesse": "klein", "schaeden": ["felge"]},
    }

    bulky_answer = await client.post(f"{OLDENBURG}/requests.json", json=bulky, headers=app_key(keys))
    hole_answer = await client.post(f"{OLDENBURG}/requests.xml", json=hole, headers=app_key(keys))

    assert bulky_answer.status_code == 201, bulky_answer.text
    request_id = bulky_answer.json()[0]["service_request_id"]
    [shown] = (await client.get(f"{OLDENBURG}/requests/{request_id}.json", headers=public(keys))).json()
    # No department is responsible for bulky waste left in the street: the back office routes it.
    assert (shown["service_name"], shown["agency_responsible"], shown["address"], shown["lat"]) == (
        "Sperrmüll <illegal abgelegt>",
        None,
        "Am Stadtmuseum 1",
        None,
    )
    to_route = await client.get(
        "/v1/tenants/oldenburg/tickets",
        params={"unassigned": "true"},
        headers=keys.headers_for("oldenburg", "back_office"),
    )
    assert [ticket["id"] for ticket in to_route.json()["items"]] == [request_id]
    assert hole_answer.status_code == 201, hole_answer.text
    hole_id = _xml(hole_answer).findtext("request/service_request_id")
    assert hole_id is not None
    [row] = await admin_rows(admin, "SELECT attributes FROM tickets WHERE id = $1", uuid.UUID(hole_id))
    assert orjson.loads(row["attributes"]) == {"groesse": "klein", "schaeden": ["felge"]}


async def test_other_formats_paths_methods_and_query_values_are_open311_errors(
    client: httpx.AsyncClient, keys: SigningKeys
) -> None:
    csv = await client.get(f"{OLDENBURG}/services.csv", headers=public(keys))
    nowhere = await client.get(f"{OLDENBURG}/reports.xml", headers=public(keys))
    deleted = await client.delete(f"{OLDENBURG}/requests.json", headers=app_key(keys))
    bad_date = await client.get(f"{OLDENBURG}/requests.json?start_date=gestern", headers=public(keys))
    too_long = await client.get(
        f"{OLDENBURG}/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", headers=public(keys)
    )
    bad_status = await client.get(f"{OLDENBURG}/requests.json?status=pending", headers=public(keys))
    unreadable = await client.post(
        f"{OLDENBURG}/requests.json", content=b"<request/>", headers=app_key(keys) | {"Content-Type": "text/xml"}
    )

    assert csv.status_code == 404
    assert _errors(csv) == ["Only the formats json and xml are served."]
    assert nowhere.status_code == 404
    assert _xml(nowhere).findtext("error/code") == "404"
    assert deleted.status_code == 405
    assert deleted.headers["Allow"] == "GET, POST"
    assert bad_date.status_code == 400
    assert _errors(bad_date)[0].startswith("start_date: ")
    assert _errors(too_long) == ["end_date: spans more than 90 days from start_date"]
    assert _errors(bad_status) == ["status: open or closed, not pending"]
    assert unreadable.status_code == 400


async def test_discovery_names_the_endpoint_and_its_formats(client: httpx.AsyncClient, keys: SigningKeys) -> None:
    as_json = await client.get(f"{OLDENBURG}/discovery.json", headers=public(keys))
    as_xml = await client.get(f"{OLDENBURG}/discovery.xml", headers=public(keys))

    assert as_json.status_code == 200, as_json.text
    [endpoint] = as_json.json()["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == OLDENBURG
    assert endpoint["formats"] == ["application/json", "text/xml"]
    assert as_json.json()["contact"] == "Stadt Oldenburg"
    root = _xml(as_xml)
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["application/json", "text/xml"]
