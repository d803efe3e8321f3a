"""Open311 GeoReport v2 on the routes that speak it: ``api_key`` as the credential, errors as Open311's.

GeoReport clients send their key as the ``api_key`` parameter, in the query string or in the form they POST
(``application/x-www-form-urlencoded``), not as a header; and they read an error as a list of ``code`` and
``description``, in XML or JSON as the path's suffix says (``.xml``: XML, anything else: JSON). On a route
with ``open311`` set, the gateway does both; on every other route nothing of it applies.

- **The key.** ``Authorization`` or ``X-API-Key`` win if sent; else the first non-empty ``api_key`` of the
  query, else of a form body. It then goes through the forwarding path as ``X-API-Key`` would, so a key
  nobody knows is refused even on a public read, as a header key is. An empty ``api_key`` is no key: the
  specification treats an empty parameter as one not sent, so the public's reads stay public.
- **What travels on.** ``api_key`` is taken out of the query string: the service has no use for it (the
  gateway's signed token says who calls), and request lines end up in access logs and traces. A form body
  is sent on as it came, byte for byte: taking the field out would mean rewriting a body the service parses,
  and bodies are not logged. To find a key in it the gateway reads the body before admitting the caller;
  such bodies are small, and the route's body limit holds.
- **Errors.** The specification asks for 404 where nothing exists, 403 for a missing or wrong key and 400
  for the rest. The gateway's 401 (no credential, or one nobody knows) is therefore answered 403, telling a
  missing key from a wrong one, and keeps ``WWW-Authenticate`` (RFC 9110 allows it on any answer) for
  clients that send a header. Every other status stays: 413, 429, 502, 503 and 504 tell a client whether and
  when to try again (``Retry-After``, ``RateLimit``), which a 400 would hide. The headers the problem
  carries stay with it.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

import orjson
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from gateway.auth import MissingCredentials
from gateway.authorization import CREDENTIAL_HEADERS
from gateway.problems import NO_STORE

if TYPE_CHECKING:
    from gateway.proxy import Incoming, RequestBody

API_KEY = "api_key"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json; charset=utf-8"
XML = "text/xml; charset=utf-8"
MISSING_KEY = "Missing api_key"
INVALID_KEY = "Invalid api_key"


async def with_api_key(
    incoming: Incoming, read_body: Callable[[], Awaitable[RequestBody]]
) -> tuple[Incoming, Callable[[], Awaitable[RequestBody]]]:
    """The request as the forwarding path reads it: no ``api_key`` in its query, the key as ``X-API-Key``.

    A form body read whole to find the key is handed on as read, so the service gets the same bytes.
    """
    target, key = without_api_key(incoming.target)
    headers = incoming.headers
    if any(name in headers for name in CREDENTIAL_HEADERS):
        return replace(incoming, target=target), read_body
    if key is None and is_form(headers.get("Content-Type")):
        body = await _whole(read_body)
        content = body[0]
        if isinstance(content, bytes):
            key = form_api_key(content)
        read_body = _ready(body)
    if key is not None:
        copy = CIMultiDict(headers)
        copy["X-API-Key"] = key
        headers = CIMultiDictProxy(copy)
    return replace(incoming, target=target, headers=headers), read_body


def without_api_key(target: str) -> tuple[str, str | None]:
    """The request target without its ``api_key`` parameters (the rest as sent), and the first non-empty key."""
    path, mark, query = target.partition("?")
    if not mark:
        return target, None
    kept, key = _split(query)
    if len(kept) == query.count("&") + 1:
        return target, None
    return (f"{path}?{'&'.join(kept)}" if kept else path), key


def form_api_key(body: bytes) -> str | None:
    """The first non-empty ``api_key`` of a form body."""
    return _split(body.decode("utf-8", "replace"))[1]


def is_form(content_type: str | None) -> bool:
    """Whether a ``Content-Type`` names a form (``application/x-www-form-urlencoded``, any parameters)."""
    return content_type is not None and content_type.partition(";")[0].strip().lower() == FORM


def _split(query: str) -> tuple[list[str], str | None]:
    kept: list[str] = []
    key: str | None = None
    for part in query.split("&"):
        name, _, value = part.partition("=")
        if unquote_plus(name) != API_KEY:
            kept.append(part)
        elif key is None:
            key = unquote_plus(value).strip() or None
    return kept, key


async def _whole(read_body: Callable[[], Awaitable[RequestBody]]) -> RequestBody:
    """The body read to its end; one of unknown length is still refused past the route's limit."""
    content, length, _ = await read_body()
    if content is None or isinstance(content, bytes):
        return content, length, None
    data = b"".join([chunk async for chunk in content])
    return data, len(data), None


def _ready(body: RequestBody) -> Callable[[], Awaitable[RequestBody]]:
    async def read() -> RequestBody:
        return body

    return read


def errors(document: Mapping[str, Any], error: Exception, path: str) -> tuple[int, str, bytes]:
    """A failure's status, content type and body as Open311 has them, from its problem document."""
    status: int = document["status"]
    description: str = document.get("detail") or document["title"]
    if status == 401:
        status = 403
        presented = isinstance(error, MissingCredentials) and error.presented
        description = INVALID_KEY if presented else MISSING_KEY
    if path.endswith(".xml"):
        body = (
            '<?xml version="1.0" encoding="utf-8"?><errors><error>'
            f"<code>{status}</code><description>{html.escape(description, quote=False)}</description>"
            "</error></errors>"
        )
        return status, XML, body.encode()
    return status, JSON, orjson.dumps([{"code": status, "description": description}])


def error_response(
    document: Mapping[str, Any], error: Exception, path: str, headers: Mapping[str, str]
) -> web.Response:
    """A failure in Open311's format as an aiohttp response, with the headers it carries, never to be cached."""
    status, content_type, body = errors(document, error, path)
    response = web.Response(body=body, status=status, headers=headers)
    response.headers["Content-Type"] = content_type
    response.headers["Cache-Control"] = NO_STORE
    return response
