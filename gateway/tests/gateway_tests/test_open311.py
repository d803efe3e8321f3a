"""Open311 clients: their key as the ``api_key`` parameter, the gateway's errors in Open311's XML or JSON."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ElementTree
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from gateway.open311 import form_api_key, is_form, without_api_key
from gateway.routes import RouteTable
from kit.errors import PROBLEM_JSON

from .support import API_KEYS, ARTLAND_KEY, EchoUpstream, GatewayFactory, SigningMaterial

Client = TestClient[Any, Any]
PORTAL_KEY = "artland-portal-key-0123456789"
KEYS = {
    **API_KEYS,
    PORTAL_KEY: {
        "subject": "artland-portal",
        "tenant": "artland",
        "roles": ["integration_client"],
        "scopes": ["open311:read", "open311:write"],
    },
}
OPEN311 = "/v1/tenants/artland/open311/v2"
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
JSON = "application/json; charset=utf-8"
XML = "text/xml; charset=utf-8"
REPORT = b"service_code=001&lat=53.14&long=8.21&description=Schlagloch+vor+Nr.+5&attribute%5BDEPTH%5D=10"


@pytest.fixture
async def tickets(signing: SigningMaterial) -> AsyncIterator[EchoUpstream]:
    upstream = await EchoUpstream("tickets", signing.verifier).start()
    yield upstream
    await upstream.stop()


@pytest.fixture
async def gateway(make_gateway: GatewayFactory, tickets: EchoUpstream) -> Client:
    return await make_gateway(tickets_url=tickets.url, api_keys=json.dumps(KEYS))


async def _errors(response: aiohttp.ClientResponse, status: int) -> str:
    """The one error of an Open311 JSON answer with ``status``: its description."""
    assert response.status == status
    assert response.headers["Content-Type"] == JSON
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    assert [error["code"] for error in body] == [status], body
    description: str = body[0]["description"]
    return description


async def _xml_errors(response: aiohttp.ClientResponse, status: int) -> str:
    """The one error of an Open311 XML answer with ``status``: its description."""
    assert response.status == status
    assert response.headers["Content-Type"] == XML
    text = await response.text()
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ElementTree.fromstring(text)  # noqa: S314 - the gateway's own answer in a test
    assert root.tag == "errors"
    errors = root.findall("error")
    assert [error.findtext("code") for error in errors] == [str(status)]
    return errors[0].findtext("description") or ""


async def test_a_key_in_the_query_string_authenticates_and_goes_no_further_than_the_gateway(
    gateway: Client, tickets: EchoUpstream
) -> None:
    response = await gateway.get(f"{OPEN311}/requests.json?service_request_id=7&api_key={PORTAL_KEY}&service_code=001")

    seen = await response.json()
    assert response.status == 200
    assert (seen["identity"]["subject"], seen["identity"]["kind"]) == ("artland-portal", "client")
    assert seen["query"] == "service_request_id=7&service_code=001"
    assert "x-api-key" not in tickets.calls[-1].headers


@pytest.mark.parametrize("framing", ["sized", "chunked"])
async def test_a_key_in_a_form_body_authenticates_and_the_body_travels_on_unchanged(
    gateway: Client, tickets: EchoUpstream, framing: str
) -> None:
    form = f"api_key={PORTAL_KEY}&".encode() + REPORT

    async def chunks() -> AsyncIterator[bytes]:
        yield form[:20]
        yield form[20:]

    response = await gateway.post(
        f"{OPEN311}/requests.json", headers=FORM, data=form if framing == "sized" else chunks()
    )

    seen = await response.json()
    assert response.status == 200
    assert seen["identity"]["subject"] == "artland-portal"
    assert (seen["body_size"], seen["body_sha256"]) == (len(form), hashlib.sha256(form).hexdigest())
    assert (seen["query"], seen["headers"].get("x-api-key")) == ("", None)


async def test_a_header_key_wins_over_api_key_which_is_still_not_passed_on(gateway: Client) -> None:
    response = await gateway.get(
        f"{OPEN311}/services.json?api_key=nobody-knows-this-key", headers={"X-API-Key": PORTAL_KEY}
    )

    seen = await response.json()
    assert response.status == 200
    assert (seen["identity"]["subject"], seen["query"]) == ("artland-portal", "")


async def test_without_a_key_the_public_reads_and_an_empty_key_is_no_key(gateway: Client) -> None:
    plain = await gateway.get(f"{OPEN311}/services.json")
    empty = await gateway.get(f"{OPEN311}/services.json?api_key=&jurisdiction_id=artland.de")

    for response in (plain, empty):
        assert response.status == 200
        assert (await response.json())["identity"]["kind"] == "anonymous"
    assert (await empty.json())["query"] == "jurisdiction_id=artland.de"


async def test_an_invalid_key_is_403_in_open311_json_even_on_a_public_read(
    gateway: Client, tickets: EchoUpstream
) -> None:
    response = await gateway.get(f"{OPEN311}/services.json?api_key=nobody-knows-this-key")

    assert await _errors(response, 403) == "Invalid api_key"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["X-Request-Id"]
    assert not tickets.calls


@pytest.mark.parametrize("framing", ["sized", "chunked"])
async def test_an_invalid_key_in_a_form_is_403_in_open311_xml_on_an_xml_path(
    gateway: Client, tickets: EchoUpstream, framing: str
) -> None:
    form = b"api_key=nobody-knows-this-key&" + REPORT

    async def chunks() -> AsyncIterator[bytes]:
        yield form

    response = await gateway.post(
        f"{OPEN311}/requests.xml", headers=FORM, data=form if framing == "sized" else chunks()
    )

    assert await _xml_errors(response, 403) == "Invalid api_key"
    assert not tickets.calls


async def test_posting_a_request_without_a_key_is_403_missing_api_key(gateway: Client, tickets: EchoUpstream) -> None:
    as_json = await gateway.post(f"{OPEN311}/requests.json", headers=FORM, data=REPORT)
    as_xml = await gateway.post(f"{OPEN311}/requests.xml", headers=FORM, data=REPORT)

    assert await _errors(as_json, 403) == "Missing api_key"
    assert await _xml_errors(as_xml, 403) == "Missing api_key"
    assert not tickets.calls


async def test_a_key_without_the_scope_is_403_naming_it(make_gateway: GatewayFactory, tickets: EchoUpstream) -> None:
    keys = {**KEYS, "reader-key-0123456789": {"subject": "reader", "tenant": "artland", "scopes": ["open311:read"]}}
    gateway = await make_gateway(tickets_url=tickets.url, api_keys=json.dumps(keys))

    response = await gateway.post(f"{OPEN311}/requests.xml?api_key=reader-key-0123456789", headers=FORM, data=REPORT)

    assert await _xml_errors(response, 403) == "This needs the scope open311:write."


@pytest.mark.parametrize(
    ("path", "status", "xml"),
    [
        # Another tenant's Open311 does not exist for Artland's key.
        (f"/v1/tenants/oldenburg/open311/v2/services.json?api_key={PORTAL_KEY}", 404, False),
        # No tenant has this id: no route matches, but the path is an Open311 one.
        ("/v1/tenants/Artland/open311/v2/services.xml", 404, True),
        ("/v1/tenants/artland/open311/v2/requests/a%2Fb.json", 400, False),
    ],
    ids=["other-tenant", "no-such-tenant", "not-canonical"],
)
async def test_paths_the_gateway_does_not_forward_are_refused_in_open311_format(
    gateway: Client, tickets: EchoUpstream, path: str, status: int, xml: bool
) -> None:
    response = await gateway.get(path)

    await (_xml_errors if xml else _errors)(response, status)
    assert not tickets.calls


async def test_a_rate_limited_open311_request_is_429_in_open311_format_with_retry_after(
    make_gateway: GatewayFactory, tickets: EchoUpstream
) -> None:
    gateway = await make_gateway(tickets_url=tickets.url, rate_limit_client=1, rate_limit_window=3600)

    first = await gateway.get(f"{OPEN311}/services.xml")
    second = await gateway.get(f"{OPEN311}/services.xml")

    assert first.status == 200
    description = await _xml_errors(second, 429)
    assert "Retry in" in description
    assert 0 < int(second.headers["Retry-After"]) <= 3600
    assert second.headers["RateLimit-Policy"].startswith('"client";q=1;w=3600')


async def test_a_service_that_is_down_is_502_in_open311_format(make_gateway: GatewayFactory) -> None:
    gateway = await make_gateway()

    response = await gateway.get(f"{OPEN311}/services.json")

    assert await _errors(response, 502) == "The tickets service is unreachable."


async def test_a_form_over_the_body_limit_is_413_in_open311_format(
    make_gateway: GatewayFactory, tickets: EchoUpstream
) -> None:
    gateway = await make_gateway(tickets_url=tickets.url, max_body_bytes=1_000)

    response = await gateway.post(
        f"{OPEN311}/requests.json", headers=FORM, data=f"api_key={PORTAL_KEY}&description=".encode() + b"x" * 2_000
    )

    await _errors(response, 413)
    assert not tickets.calls


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        (f"/v1/tenants/artland/knowledge/articles?api_key={ARTLAND_KEY}", {}, 401),
        ("/v1/tenants/artland/knowledge/articles", {"X-API-Key": "nobody-knows-this-key"}, 401),
        ("/v1/tenants/Artland/knowledge/articles.xml", {}, 404),
    ],
    ids=["api-key-parameter", "unknown-key", "no-such-tenant"],
)
async def test_other_routes_take_no_api_key_parameter_and_answer_problem_json(
    gateway: Client, path: str, headers: dict[str, str], status: int
) -> None:
    response = await gateway.get(path, headers=headers)

    assert response.status == status
    assert response.headers["Content-Type"] == PROBLEM_JSON
    assert (await response.json(content_type=None))["status"] == status


def test_only_api_key_leaves_the_query_and_the_rest_stays_as_sent() -> None:
    assert without_api_key("/a.json?x=%2F+1&api_key=k1&api%5Fkey=k2&&y") == ("/a.json?x=%2F+1&&y", "k1")
    assert without_api_key("/a.json?api_key=&api_key=k%2B2") == ("/a.json", "k+2")
    assert without_api_key("/a.json?api_key_id=3") == ("/a.json?api_key_id=3", None)
    assert without_api_key("/a.json") == ("/a.json", None)


def test_a_form_names_its_key_and_says_it_is_a_form() -> None:
    assert form_api_key(b"service_code=1&api_key=k%26y&api_key=other") == "k&y"
    assert form_api_key(b"service_code=1") is None
    assert is_form("Application/X-WWW-Form-URLencoded ; charset=utf-8")
    assert not is_form("application/json")
    assert not is_form(None)


def test_a_path_no_route_matches_resembles_the_route_it_was_meant_for() -> None:
    table = RouteTable()

    resembled = table.resembled("/v1/tenants/Artland/open311/v2/services.xml")
    assert resembled is not None
    assert (resembled.pattern, resembled.open311) == ("/v1/tenants/{tenant}/open311", True)
    assert table.resembled("/v1/tenants//open311/v2/services.xml") is None
    assert table.resembled("/v2/anything") is None
