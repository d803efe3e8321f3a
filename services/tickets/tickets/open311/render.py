"""Open311 documents as JSON or XML, and every error on the Open311 routes as Open311's error list.

XML is built with ElementTree, so text is always escaped; characters XML 1.0 cannot carry are dropped. A list
becomes an element per item named after its parent (``<services><service>…``), as the specification shows.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any, Literal

import orjson
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from kit.errors import ProblemError
from kit.web.problems import field_errors
from tickets.open311.schemas import Open311Error

log = logging.getLogger("tickets.open311")

Format = Literal["json", "xml"]
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# The element of each item of a list, by the list's element.
_ITEMS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
Document = BaseModel | Sequence[BaseModel]


def answer(
    fmt: Format, document: Document, *, root: str, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """``document`` in ``fmt``; ``root`` names the XML root element (``services``, ``service_requests``…)."""
    data = _plain(document)
    if fmt == "xml":
        return Response(_xml(root, data), status_code=status_code, media_type=XML_TYPE, headers=headers)
    return Response(orjson.dumps(data), status_code=status_code, media_type=JSON_TYPE, headers=headers)


def _plain(document: Document) -> Any:
    if isinstance(document, BaseModel):
        return document.model_dump(mode="json")
    return [item.model_dump(mode="json") for item in document]


def _xml(root: str, data: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, data)
    return _DECLARATION + ET.tostring(element, encoding="unicode").encode()


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        tag = _ITEMS[element.tag]
        for item in value:
            _fill(ET.SubElement(element, tag), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _NOT_XML.sub("", str(value))


def format_of(request: Request) -> Format:
    """The format a request asked for by its suffix; JSON if it named none that is served."""
    fmt = request.path_params.get("fmt")
    if fmt is None:
        fmt = "xml" if request.url.path.endswith(".xml") else "json"
    return "xml" if fmt == "xml" else "json"


def _open311_status(status: int) -> int:
    """Open311's status: 404 not found, 403 no or a bad key (or not allowed), 400 for anything else asked wrong.

    A status that tells a client whether and when to try again (405, 413, 429, 5xx) stays, as the gateway's do.
    """
    if status in (401, 403):
        return 403
    if status in (404, 405, 413, 429) or status >= 500:
        return status
    return 400


def _listed(status: int, detail: str, fields: Sequence[Mapping[str, Any]]) -> list[Open311Error]:
    if fields:
        return [Open311Error(code=status, description=f"{field['field']}: {field['detail']}") for field in fields]
    return [Open311Error(code=status, description=detail)]


def error_answer(request: Request, error: Exception) -> Response:
    """``error`` as Open311's error list, in the format the request asked for."""
    headers: dict[str, str] = {}
    fields: Sequence[Mapping[str, Any]] = ()
    if isinstance(error, ProblemError):
        status, detail = error.status, str(error.detail or error.title)
        fields = error.extensions.get("errors") or ()
        headers = {key: value for key, value in error.headers().items() if key != "WWW-Authenticate"}
    elif isinstance(error, RequestValidationError):
        status, detail, fields = 400, "The request has invalid fields.", field_errors(list(error.errors()))
    elif isinstance(error, StarletteHTTPException):
        status = error.status_code
        detail = error.detail if isinstance(error.detail, str) else "The request cannot be answered."
    elif isinstance(error, PoolTimeout) or (isinstance(error, DBAPIError) and error.connection_invalidated):
        log.warning("tickets.open311.database_unavailable", extra={"path": request.url.path})
        status, detail, headers = 503, "The database is not available now; retry the request.", {"Retry-After": "1"}
    else:
        log.error("tickets.open311.unhandled_error", extra={"path": request.url.path}, exc_info=error)
        status, detail = 500, "An unexpected error occurred."
    shown = _open311_status(status)
    return answer(format_of(request), _listed(shown, detail, fields), root="errors", status_code=shown, headers=headers)


class Open311Route(APIRoute):
    """A route whose every error, FastAPI's own validation and the kit's problems included, is an Open311 error."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_in_open311(request: Request) -> Response:
            try:
                return await handle(request)
            except Exception as error:  # noqa: BLE001 - logged in error_answer when unexpected
                return error_answer(request, error)

        return handle_in_open311
